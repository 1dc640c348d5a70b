"""Fixtures for the http source tests: real HTTP servers on 127.0.0.1, recorded waits, kernels, the CLI.

Every test talks to a real server started here; nothing mocks the HTTP client. Waits
(retry backoff, Retry-After, rate limit) are recorded instead of slept, so that tests
are fast and can say how long the source asked to wait.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from spine import Spine
from spine.testing import HttpServer

SPINE = str(Path(sys.executable).with_name("spine"))


TEST_TIME_LIMIT = 20  # seconds; a source that hangs fails its test instead of the whole run


@pytest.fixture(autouse=True)
def time_limit() -> Iterator[None]:
    """Fail a test that runs longer than TEST_TIME_LIMIT (a read that never ends)."""

    def expire(signum: int, frame: object) -> None:
        pytest.fail(f"the test ran longer than {TEST_TIME_LIMIT}s", pytrace=True)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, TEST_TIME_LIMIT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _serve(host: str) -> Iterator[HttpServer]:
    server = HttpServer(host)
    try:
        yield server
    finally:
        server.close()
    if server.errors:
        pytest.fail("a route of the test server failed:\n" + "\n".join(server.errors), pytrace=False)


@pytest.fixture
def server() -> Iterator[HttpServer]:
    """A real HTTP server on 127.0.0.1, on a free port, for this test only."""
    yield from _serve("127.0.0.1")


@pytest.fixture
def other_server() -> Iterator[HttpServer]:
    """A second server on another host name (127.0.0.2), for pages that lead elsewhere."""
    yield from _serve("127.0.0.2")


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


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An environment without SPINE_* variables and with a private home, run from an empty folder."""
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("SPINE_") and name not in ("PYTHONPATH", "XDG_DATA_HOME")
    }
    env["HOME"] = str(home)
    return env


@pytest.fixture
def spine_cli(clean_env: dict[str, str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the installed ``spine`` command the way a user would."""

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [SPINE, *args],
            capture_output=True,
            text=True,
            env={**clean_env, **(env or {})},
            stdin=subprocess.DEVNULL,
            timeout=120,
        )

    return run
