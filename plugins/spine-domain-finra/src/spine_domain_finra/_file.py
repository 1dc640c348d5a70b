"""FINRA's website download file: its exact header, and its rows as rows of the table.

The file has no week column (``lastUpdateDate`` is when FINRA published, not the
week), so the week is given with the file and written on every row.
"""

from __future__ import annotations

import gzip
from typing import Any

import spine

from ._table import ATS_FIRM, NON_ATS_FIRM, TIERS, TableRows

HEADER = (
    "tierDescription|issueSymbolIdentifier|issueName|marketParticipantName|MPID|"
    "totalWeeklyShareQuantity|totalWeeklyTradeCount|lastUpdateDate"
)
TYPES = {
    "totalWeeklyShareQuantity": "decimal",
    "totalWeeklyTradeCount": "integer",
    "lastUpdateDate": "date",
    **dict.fromkeys(
        ("tierDescription", "issueSymbolIdentifier", "issueName", "marketParticipantName", "MPID"), "string"
    ),
}


def open_file(kernel: spine.Spine, path: str) -> spine.Source:
    """The file source over `path`, once its first line is FINRA's header, exactly."""
    check_header(path)
    return kernel.open_source(path, format="psv", quote="none", types=TYPES)


def check_header(path: str) -> None:
    try:
        with open(path, "rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"
        with gzip.open(path, "rb") if gzipped else open(path, "rb") as stream:
            first = stream.readline().decode("utf-8-sig").rstrip("\r\n")
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise spine.SourceError(f"{path}: cannot read the file: {exc}", context={"file": path}) from None
    if first != HEADER:
        raise spine.SourceError(
            f"{path} line 1: not a FINRA OTC weekly file; expected the header {HEADER!r}, found {first!r}",
            context={"file": path, "line": 1},
        )


class FileRows(TableRows):
    """The file's eight columns as the table's rows."""

    source = "file"

    def read(self, row: tuple[Any, ...]) -> tuple[Any, ...] | str:
        tier_text, symbol, name, participant, mpid, shares, trades, updated = row
        tier = TIERS.get(tier_text)
        if tier is None:
            return f"tierDescription: expected one of {', '.join(TIERS)}, got {tier_text!r}"
        summary_type = ATS_FIRM if mpid else NON_ATS_FIRM
        # No firm CRD, product type, notional or first publication date in a file.
        return (
            tier,
            summary_type,
            symbol,
            name,
            mpid,
            "",
            participant,
            "",
            shares,
            trades,
            None,
            None,
            updated,
        )
