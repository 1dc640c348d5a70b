"""FINRA's website download file: its exact header, and its rows as rows of the table.

The file has no week column (``lastUpdateDate`` is when FINRA published, not the
week), so the week is given with the file and written on every row.
"""

from __future__ import annotations

import gzip
from datetime import date, datetime
from typing import Any

import spine

from ._table import ATS_FIRM, NON_ATS_FIRM, SCHEMA, TIERS

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


class FileRows:
    """A `spine.Transform` from the file's eight columns to the table's rows."""

    def __init__(self, week: date, run_id: str, captured_at: datetime) -> None:
        self.week, self.run_id, self.captured_at = week, run_id, captured_at
        self.without_symbol = 0  # real FINRA rows: kept, and counted as a warning

    def schema(self, schema: spine.Schema) -> spine.Schema:
        return SCHEMA

    def apply(self, batch: spine.Batch) -> spine.Batch:
        rows, positions, raw = [], [], []
        rejects = list(batch.rejects)
        for index, (tier_text, symbol, name, participant, mpid, shares, trades, updated) in enumerate(
            batch.rows
        ):
            tier = TIERS.get(tier_text)
            if tier is None:
                reason = f"tierDescription: expected one of {', '.join(TIERS)}, got {tier_text!r}"
                rejects.append(spine.Reject(batch.origin, batch.positions[index], _raw(batch, index), reason))
                continue
            if not symbol:
                self.without_symbol += 1
            rows.append(self._row(tier, symbol, name, participant, mpid, shares, trades, updated))
            positions.append(batch.positions[index])
            raw.append(_raw(batch, index))
        rejects.sort(key=lambda reject: reject.position or 0)
        return spine.Batch(rows, positions, batch.origin, rejects, raw)

    def _row(self, tier: str, *values: Any) -> tuple[Any, ...]:
        symbol, name, participant, mpid, shares, trades, updated = values
        return (
            self.week,
            tier,
            ATS_FIRM if mpid else NON_ATS_FIRM,
            symbol or "",
            name or "",
            mpid or "",
            "",  # firm_crd: not in the file
            participant,
            "",  # product_type: not in the file
            shares,
            trades,
            None,  # total_notional_sum: not in the file
            None,  # initial_published_date: not in the file
            updated,
            "file",
            self.run_id,
            self.captured_at,
        )


def _raw(batch: spine.Batch, index: int) -> str:
    return batch.raw[index] if batch.raw else "|".join("" if v is None else str(v) for v in batch.rows[index])
