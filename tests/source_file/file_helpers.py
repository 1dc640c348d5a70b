"""Helpers for the file source tests: write real files, read them through the source."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
import spine
from spine.testing import SourceRead, read_source
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


def read(path: Path | str, *, batch_size: int = 10_000, **options: Any) -> SourceRead:
    """Everything a source yields for `path`, batches flattened."""
    return read_source(open_file(str(path), **options), batch_size)


def source_error(path: Path | str, **options: Any) -> str:
    """The message of the `spine.SourceError` that reading `path` raises."""
    with pytest.raises(spine.SourceError) as caught:
        read(path, **options)
    return str(caught.value)


def types(schema: spine.Schema) -> dict[str, str]:
    return {field.name: field.type for field in schema.fields}
