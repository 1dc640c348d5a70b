"""The databases the sql source is tested against, as fixtures: SQLite files, a schema of the
test's own on the real PostgreSQL, uniquely named tables on the real MariaDB. Used by
tests/source_sql and by tests/integration (the source into each store).

The servers are ``SPINE_TEST_POSTGRES_URL`` and ``SPINE_TEST_MARIADB_URL`` or the local
defaults. When one cannot be reached its tests are skipped, except on CI (``CI=true``),
where they fail: CI must never pass without having run them.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest
from spine import Redactor

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
MARIADB_URL = "mysql+pymysql://root@127.0.0.1:3306/test"


def _unreachable(what: str, url: str, exc: Exception) -> None:
    message = f"{what} is unreachable at {Redactor().text(url)}: {exc}"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_server() -> str:
    url = os.environ.get("SPINE_TEST_POSTGRES_URL") or POSTGRES_URL
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as exc:
        _unreachable("PostgreSQL", url, exc)
    return url


@contextmanager
def _own_schema(server: str, prefix: str) -> Iterator[str]:
    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{name}"')
    yield name
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute("SET lock_timeout = '30s'")
        admin.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture
def pg_schema(pg_server: str) -> Iterator[str]:
    """A schema of the test's own, dropped after it."""
    with _own_schema(pg_server, "spine_sql_") as name:
        yield name


@pytest.fixture
def target_schema(pg_server: str) -> Iterator[str]:
    """Another schema of the test's own, for a PostgreSQL (or fake Db2) store to write into
    and keep its run records in, apart from the tables read."""
    with _own_schema(pg_server, "spine_sql_store_") as name:
        yield name


def pg_store_url(server: str, schema: str) -> str:
    """The PostgreSQL store's URL for `server`, writing into `schema`."""
    return f"{server}{'&' if '?' in server else '?'}options=-csearch_path%3D{schema}"


@pytest.fixture
def pg(pg_server: str, pg_schema: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection (autocommit) whose search_path is the test's schema."""
    with psycopg.connect(pg_server, autocommit=True) as connection:
        connection.execute(f'SET search_path TO "{pg_schema}"')
        yield connection


class MariaDb:
    """The MariaDB test database, with names of the test's own: tables made through
    `table` are dropped after the test."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.prefix = f"spine_sql_{uuid.uuid4().hex[:8]}_"
        self.made: list[str] = []

    def table(self, name: str) -> str:
        full = self.prefix + name
        self.made.append(full)
        return full

    def execute(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())


@pytest.fixture(scope="session")
def maria_server() -> str:
    url = os.environ.get("SPINE_TEST_MARIADB_URL") or MARIADB_URL
    try:
        _maria_connect(url).close()
    except pymysql.Error as exc:
        _unreachable("MariaDB", url, exc)
    return url


def _maria_connect(url: str) -> Any:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return pymysql.connect(
        host=parsed.host,
        port=parsed.port or 3306,
        user=parsed.username,
        password=parsed.password or "",
        database=parsed.database,
        autocommit=True,
        connect_timeout=5,
    )


@pytest.fixture
def maria(maria_server: str) -> Iterator[MariaDb]:
    connection = _maria_connect(maria_server)
    db = MariaDb(connection)
    yield db
    for name in db.made:
        db.execute(f"DROP TABLE IF EXISTS `{name}`")
    connection.close()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Callable[..., str]:
    """``make(*statements)``: a SQLite file holding what the statements made; its URL."""
    path = tmp_path / "source.db"

    def make(*statements: str) -> str:
        with sqlite3.connect(path) as connection:
            for statement in statements:
                connection.execute(statement)
        connection.close()
        return f"sqlite:///{path}"

    return make
