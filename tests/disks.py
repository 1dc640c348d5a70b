"""A small disk for the tests of a full one: a tmpfs mounted for one test.

Mounting needs root (or CAP_SYS_ADMIN). Where it is impossible the test is skipped,
except with ``CI=true``, where it fails: CI must never pass without having run it.
"""

from __future__ import annotations

import os
import pwd
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SIZE_MB = 20


@contextmanager
def small_disk(folder: Path, owner: str | None = None) -> Iterator[Path]:
    """`folder` (made when missing) as a SIZE_MB tmpfs for the block, owned by `owner` (a
    user name) when given; unmounted afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    options = f"size={SIZE_MB}m"
    if owner is not None:
        user = pwd.getpwnam(owner)
        options += f",uid={user.pw_uid},gid={user.pw_gid},mode=0700"
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True, text=True
    )
    if mounted.returncode:
        unavailable(f"cannot mount a {SIZE_MB} MB tmpfs on {folder}: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        # Lazily, should something still hold a file open there: the space is freed when it lets go.
        subprocess.run(["umount", "--lazy", str(folder)], check=True)


def unavailable(reason: str) -> None:
    """Skip the test for `reason`, or fail it on CI."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)
