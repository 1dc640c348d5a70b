"""Fixtures shared by the tests of plugins that speak HTTP: a time limit, real servers on
127.0.0.1 and the ``spine`` command. A conftest imports the ones it uses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from spine.testing import HttpServer

SPINE = str(Path(sys.executable).with_name("spine"))

TEST_TIME_LIMIT = 20  # seconds; a client that hangs fails its test instead of the whole run


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


def serve(host: str) -> Iterator[HttpServer]:
    """A server on `host` for one test; a route that failed fails the test."""
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
    yield from serve("127.0.0.1")


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
