from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from . import plugin_dists
from ._wheels import install

SPINE = str(Path(sys.executable).with_name("spine"))


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site directory with the good plugin and every broken one installed by pip."""
    root = tmp_path_factory.mktemp("plugins")
    return install(plugin_dists.ALL, root / "site", root / "wheels")


@pytest.fixture(scope="session")
def good_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("good")
    return install([plugin_dists.GOOD], root / "site", root / "wheels")


def outcome(envelope: dict[str, object]) -> tuple[object, ...]:
    """Status and counts of a result envelope printed with --json."""
    return tuple(envelope[key] for key in ("status", "rows_read", "rows_written", "rows_rejected"))


def run_on_terminal(command: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run `command` with stderr on a pseudo-terminal; return its exit code and what it drew there."""
    import pty

    leader, follower = pty.openpty()
    try:
        completed = subprocess.run(command, stdout=subprocess.PIPE, stderr=follower, env=env, timeout=120)
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: everything has been read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    return completed.returncode, b"".join(chunks).decode()


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own home: the embedded store's default file goes there."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    return home


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An environment without SPINE_* variables, run from an empty folder (no spine.toml)."""
    for name in list(os.environ):
        if name.startswith("SPINE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}


@pytest.fixture
def sys_path_with(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], None]]:
    """Make an installed site directory importable in this process, for in-process kernels."""
    yield lambda site: monkeypatch.syspath_prepend(str(site))


@pytest.fixture
def spine_cli(clean_env: dict[str, str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the installed ``spine`` command the way a user would."""

    def run(
        *args: str, site: Path | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        full_env = {**clean_env, **(env or {})}
        if site is not None:
            full_env["PYTHONPATH"] = str(site)
        return subprocess.run(
            [SPINE, *args],
            capture_output=True,
            text=True,
            env=full_env,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )

    return run
