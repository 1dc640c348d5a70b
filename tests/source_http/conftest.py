"""Fixtures for the http source tests: real HTTP servers on 127.0.0.1, recorded waits, kernels, the CLI.

Every test talks to a real server started here; nothing mocks the HTTP client. Waits
(retry backoff, Retry-After, rate limit) are recorded instead of slept, so that tests
are fast and can say how long the source asked to wait.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from spine import Spine
from spine.testing import HttpServer

from ..fixtures import clean_env, serve, server, spine_cli, time_limit

__all__ = ["clean_env", "server", "spine_cli", "time_limit"]  # fixtures, used by name


@pytest.fixture
def other_server() -> Iterator[HttpServer]:
    """A second server on another host name (127.0.0.2), for pages that lead elsewhere."""
    yield from serve("127.0.0.2")


@pytest.fixture(autouse=True)
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the source asked for, in order; nothing sleeps for real."""
    asked: list[float] = []
    monkeypatch.setattr("spine_source_http._fetch.sleep", lambda seconds: asked.append(seconds))
    return asked


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The clock the OAuth2 token cache reads."""
    fake = Clock()
    monkeypatch.setattr("spine_source_http._auth.monotonic", fake)
    return fake


@pytest.fixture
def kernel(tmp_path: Path) -> Iterator[Spine]:
    """A kernel with only the http source registered, storing in a fresh SQLite file."""
    import spine_source_http

    with Spine(
        entry_points=False,
        environ={"SPINE_STORE_URL": f"sqlite:///{tmp_path}/s.db"},
        plugins=[spine_source_http],
    ) as k:
        yield k
