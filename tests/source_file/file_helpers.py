"""Helpers for the file source tests: write real files, read them through the source."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any, NamedTuple

import spine
from spine_source_file._source import open_file

FINRA_HEADER = (
    "tierDescription|issueSymbolIdentifier|issueName|marketParticipantName|MPID|"
    "totalWeeklyShareQuantity|totalWeeklyTradeCount|lastUpdateDate"
)


def finra_line(number: int) -> str:
    return (
        f'NMS Tier 1|S{number:06d}|Issue {number} Inc. ("New") & Co, Class A|OTCN OTC LINK NQB IDQS|OTCN|'
        f"{number * 10}.25|{number}|2026-11-16"
    )


def write(path: Path, text: str, *, encoding: str = "utf-8", compress: bool = False) -> Path:
    """Write `text` exactly as given (no newline translation), gzip-compressed when asked."""
    data = text.encode(encoding)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


class Read(NamedTuple):
    schema: spine.Schema
    rows: list[tuple[Any, ...]]
    positions: list[int]
    raw: list[str]
    rejects: list[spine.Reject]
    batches: list[spine.Batch]


def read(path: Path | str, *, batch_size: int = 10_000, **options: Any) -> Read:
    """Everything a source yields for `path`, batches flattened."""
    with open_file(str(path), **options) as source:
        schema = source.schema()
        batches = list(source.batches(batch_size))
    return Read(
        schema,
        [row for batch in batches for row in batch.rows],
        [position for batch in batches for position in batch.positions],
        [text for batch in batches for text in batch.raw],
        [reject for batch in batches for reject in batch.rejects],
        batches,
    )


def types(schema: spine.Schema) -> dict[str, str]:
    return {field.name: field.type for field in schema.fields}
