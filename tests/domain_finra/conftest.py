"""A kernel with the FINRA pipelines and the file source, on a SQLite file of its own; FINRA files to load."""

from __future__ import annotations

from pathlib import Path

import pytest
import spine
import spine_domain_finra
import spine_source_file
from spine_domain_finra._file import HEADER

ATS = "NMS Tier 1|AAPL|Apple Inc. Common Stock|UBSA UBS ATS|UBSA|{shares}|10|2026-10-26"


@pytest.fixture
def kernel(tmp_path):
    environ = {"SPINE_STORE_URL": f"sqlite:///{tmp_path}/spine.db", "HOME": str(tmp_path)}
    with spine.Spine(
        entry_points=False, environ=environ, plugins=[spine_domain_finra, spine_source_file]
    ) as k:
        yield k


@pytest.fixture
def finra_file(tmp_path):
    """Writes a FINRA website file of `lines` under `header`, with no newline after the last line."""
    count = 0

    def write(*lines: str, header: str = HEADER) -> str:
        nonlocal count
        count += 1
        path = Path(tmp_path) / f"finra_{count}.psv"
        path.write_bytes("\n".join([header, *lines]).encode())
        return str(path)

    return write


def query(kernel: spine.Spine, sql: str) -> list[tuple[object, ...]]:
    with kernel.runlog().store.transaction() as session:
        return session.query(sql)
