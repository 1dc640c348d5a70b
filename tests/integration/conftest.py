"""Fixtures across distributions: the spine command with every plugin installed, and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

SPINE = str(Path(sys.executable).with_name("spine"))
POSTGRES_URL = os.environ.get("SPINE_TEST_POSTGRES_URL") or "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A clean environment (no SPINE_* variables, a private home) run from an empty folder."""
    monkeypatch.chdir(tmp_path)
    clean = {name: value for name, value in os.environ.items() if not name.startswith("SPINE_")}
    clean["HOME"] = str(tmp_path)
    return clean


@pytest.fixture
def spine(env):
    def run(*args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [SPINE, "--log-level", "error", *args],
            capture_output=True,
            text=True,
            env={**env, **(extra_env or {})},
            stdin=subprocess.DEVNULL,
            timeout=300,
        )

    return run


@pytest.fixture
def postgres():
    """A PostgreSQL URL whose search_path is a fresh schema, and a connection to look with.

    Unreachable server: skipped, except with CI=true, where the test fails.
    """
    import psycopg

    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is unreachable: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL is unreachable: {exc}")
    schema = f"spine_it_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}', safe='')}"
    with psycopg.connect(url, autocommit=True) as look:
        yield url, look
    admin.execute("SET lock_timeout = '30s'")
    admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
    admin.close()
