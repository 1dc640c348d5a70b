"""A kernel with the FINRA pipelines and the file source, on a SQLite file of its own; FINRA files to load."""

from __future__ import annotations

from pathlib import Path

import pytest
import spine
import spine_domain_finra
import spine_source_file
import spine_source_http
from spine.testing import HttpServer
from spine_domain_finra._file import HEADER

from .finra_api import TOKEN_PATH

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


@pytest.fixture
def server():
    """A real HTTP server on 127.0.0.1 for this test."""
    served = HttpServer()
    yield served
    served.close()


@pytest.fixture
def api_kernel(tmp_path, server, monkeypatch):
    monkeypatch.setattr("spine_source_http._fetch.sleep", lambda seconds: None)
    environ = {
        "SPINE_STORE_URL": f"sqlite:///{tmp_path}/spine.db",
        "HOME": str(tmp_path),
        "SPINE_FINRA_API_URL": server.url,
        "SPINE_FINRA_TOKEN_URL": server.to(TOKEN_PATH),
    }

    def make(**extra: str) -> spine.Spine:
        plugins = [spine_domain_finra, spine_source_file, spine_source_http]
        return spine.Spine(entry_points=False, environ={**environ, **extra}, plugins=plugins)

    return make
