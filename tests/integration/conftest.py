"""Fixtures across distributions: the spine command with every plugin installed, PostgreSQL, and
the databases the sql source reads (tests/sql_databases.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from ..sql_databases import maria, maria_server, pg, pg_schema, pg_server, sqlite_db, target_schema

__all__ = ["maria", "maria_server", "pg", "pg_schema", "pg_server", "sqlite_db", "target_schema"]  # fixtures

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


class Database:
    """A database of its own on the test server, that a test takes down and brings back."""

    def __init__(self, look) -> None:
        self.name = f"spine_gone_{uuid.uuid4().hex[:8]}"
        self.url = urlsplit(POSTGRES_URL)._replace(path=f"/{self.name}").geturl()
        self._look = look

    def down(self) -> None:
        """As a server going away: no one may connect, and the sessions it had end."""
        self._look.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false')
        self._look.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (self.name,)
        )

    def up(self) -> None:
        self._look.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')


@contextmanager
def own_database(look) -> Iterator[Database]:
    """A `Database` for the block (the shared server itself must stay up: other tests use it)."""
    database = Database(look)
    look.execute(f'CREATE DATABASE "{database.name}"')
    try:
        yield database
    finally:
        look.execute(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')
