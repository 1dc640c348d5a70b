"""Every type the sql source maps, read from SQLite, PostgreSQL and MariaDB and loaded with
`kernel.load` into each store: the SQLite store, the PostgreSQL store (in a schema of the
test's own) and the Db2 store on the fake ibm_db (which runs Db2's statements on
PostgreSQL). The values are read back through the store's own session and must be
exactly the source's; where a store cannot hold a value, the load must say so (a reject,
a warning or a failed run), never change it silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import spine
import spine_source_sql
import spine_store_postgres
from spine_source_sql._source import open_sql
from spine_store_db2._store import Db2Store

from ..sql_databases import pg_store_url
from ..store_db2.fake_ibm_db import FakeIbmDb
from ..store_db2.urls import db2_url

# The columns every source has; `amount` (38 digits) and `ref` (a UUID) have tests of their own.
COLUMNS = ("id", "big", "price", "ratio", "ok", "day", "at", "local_at", "name", "doc", "raw")
NAME = "ünï ✓ 日本 🎉 \"q\" 's'"
DOC = '{"a": [1, "é"]}'
# 38 digits, 10 after the point: DECIMAL(38, 10) at its widest
AMOUNTS = (
    Decimal("1234567890123456789012345678.0123456789"),
    Decimal("-9999999999999999999999999999.9999999999"),
)
# id, big, price, ratio, ok, day, at (UTC), local_at, name, doc, raw (hexadecimal)
ROWS = [
    (
        1,
        2**63 - 1,
        Decimal("12345678.1234"),
        0.1,
        True,
        date(2026, 2, 28),
        datetime(2026, 2, 28, 21, 30, 0, 123456),  # 23:30:00.123456+02:00
        datetime(2026, 2, 28, 23, 30, 0, 654321),
        NAME,
        DOC,
        "00ff",
    ),
    (
        2,
        -(2**63),
        Decimal("-0.0001"),
        1.7976931348623157e308,
        False,
        date(1999, 12, 31),
        datetime(1999, 12, 31, 23, 59, 59),
        datetime(2000, 1, 1),
        "",
        "[]",
        "deadbeef",
    ),
    (3, *[None] * (len(COLUMNS) - 1)),
]


@dataclass
class Source:
    """A table of every type in one database: where it is, and what reading it gives."""

    url: str
    table: str
    rows: list[tuple[Any, ...]]  # as the source reads `COLUMNS`
    as_text: tuple[str, ...]  # the columns read as text with a warning


# -- the sources -------------------------------------------------------------------------


def _sqlite_source(request: pytest.FixtureRequest) -> Source:
    make = request.getfixturevalue("sqlite_db")
    url = make(
        "CREATE TABLE typed (id INTEGER PRIMARY KEY, big BIGINT, amount DECIMAL(38, 10), "
        "price DECIMAL(12, 4), ratio REAL, ok BOOLEAN, day DATE, at TIMESTAMP, local_at DATETIME, "
        "name TEXT, doc JSON, ref UUID, raw BLOB)",
        "INSERT INTO typed VALUES (1, 9223372036854775807, NULL, 12345678.1234, 0.1, 1, '2026-02-28', "
        f"'2026-02-28 23:30:00.123456+02:00', '2026-02-28 23:30:00.654321', '{_sql(NAME)}', '{DOC}', "
        "'00000000-0000-0000-0000-000000000001', x'00ff')",
        "INSERT INTO typed VALUES (2, -9223372036854775808, NULL, -0.0001, 1.7976931348623157e308, 0, "
        "'1999-12-31', '1999-12-31 23:59:59', '2000-01-01 00:00:00', '', '[]', NULL, x'deadbeef')",
        "INSERT INTO typed (id) VALUES (3)",
    )
    return Source(url, "typed", ROWS, ("doc", "raw"))


def _postgres_source(request: pytest.FixtureRequest) -> Source:
    pg, server, schema = (request.getfixturevalue(name) for name in ("pg", "pg_server", "pg_schema"))
    pg.execute(
        "CREATE TABLE typed (id bigint PRIMARY KEY, big bigint, amount numeric(38, 10), "
        "price numeric(12, 4), ratio double precision, ok boolean, day date, at timestamptz, "
        "local_at timestamp, name text, doc jsonb, ref uuid, raw bytea)"
    )
    pg.execute(
        "INSERT INTO typed VALUES (1, 9223372036854775807, %s, 12345678.1234, 0.1, true, '2026-02-28', "
        "'2026-02-28 23:30:00.123456+02', '2026-02-28 23:30:00.654321', %s, %s, "
        "'00000000-0000-0000-0000-000000000001', '\\x00ff'), "
        "(2, -9223372036854775808, %s, -0.0001, "
        "1.7976931348623157e308, false, '1999-12-31', '1999-12-31 23:59:59+00', '2000-01-01 00:00:00', "
        "'', '[]', NULL, '\\xdeadbeef'), (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
        "NULL, NULL, NULL)",
        (AMOUNTS[0], NAME, DOC, AMOUNTS[1]),
    )
    return Source(server, f"{schema}.typed", ROWS, ("doc", "raw"))


def _mariadb_source(request: pytest.FixtureRequest) -> Source:
    maria, server = request.getfixturevalue("maria"), request.getfixturevalue("maria_server")
    table = maria.table("typed")
    maria.execute(
        f"CREATE TABLE `{table}` (id BIGINT PRIMARY KEY, big BIGINT, amount DECIMAL(38, 10), "
        "price DECIMAL(12, 4), ratio DOUBLE, ok BOOLEAN, day DATE, at TIMESTAMP(6) NULL, "
        "local_at DATETIME(6), name VARCHAR(100) CHARACTER SET utf8mb4, doc JSON, ref UUID, "
        "raw VARBINARY(16))"
    )
    maria.execute("SET time_zone = '+02:00'")  # the writer's zone; the source reads in UTC
    maria.execute(
        f"INSERT INTO `{table}` VALUES (1, 9223372036854775807, %s, 12345678.1234, 0.1, true, "
        "'2026-02-28', '2026-02-28 23:30:00.123456', '2026-02-28 23:30:00.654321', %s, %s, "
        "'00000000-0000-0000-0000-000000000001', x'00ff'), "
        "(2, -9223372036854775808, %s, -0.0001, "
        "1.7976931348623157e308, false, '1999-12-31', '2000-01-01 01:59:59', '2000-01-01 00:00:00', "
        "'', '[]', NULL, x'deadbeef'), (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
        "NULL, NULL)",
        (str(AMOUNTS[0]), NAME, DOC, str(AMOUNTS[1])),
    )
    # BOOLEAN is TINYINT(1) on MariaDB: the source reads it as the integer it is.
    ok = COLUMNS.index("ok")
    rows = [(*row[:ok], None if row[ok] is None else int(row[ok]), *row[ok + 1 :]) for row in ROWS]
    return Source(server, table, rows, ("raw",))


def _sql(text: str) -> str:
    return text.replace("'", "''")


SOURCES: dict[str, Callable[[pytest.FixtureRequest], Source]] = {
    "sqlite": _sqlite_source,
    "postgresql": _postgres_source,
    "mariadb": _mariadb_source,
}


@pytest.fixture(params=list(SOURCES), ids=lambda name: f"from_{name}")
def source(request: pytest.FixtureRequest) -> Source:
    return SOURCES[request.param](request)


# -- the stores --------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql", "db2"], ids=lambda name: f"into_{name}")
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.db"
    schema = request.getfixturevalue("target_schema")
    if request.param == "postgresql":
        return pg_store_url(request.getfixturevalue("pg_server"), schema)
    return db2_url(schema)


@pytest.fixture
def kernel(store_url: str, pg_server: str, tmp_path: Path) -> Iterator[spine.Spine]:
    """A kernel with the sql source and the three stores, storing (runs too) at `store_url`.
    ``db2://`` is the Db2 store on the fake ibm_db."""
    driver = FakeIbmDb(pg_server)

    class FakeDb2:
        @spine.hookimpl
        def register_stores(self, register: Callable[[spine.StoreSpec], None]) -> None:
            register(spine.StoreSpec("db2", lambda url: Db2Store(url, driver=driver), schemes=("db2",)))

    environ = {"HOME": str(tmp_path), "SPINE_STORE_URL": store_url}
    plugins = [spine_source_sql, spine_store_postgres, FakeDb2()]
    with spine.Spine(entry_points=False, environ=environ, plugins=plugins) as k:
        yield k
    driver.close_all()


def read_back(kernel: spine.Spine, table: str, fields: tuple[spine.Field, ...]) -> list[tuple[Any, ...]]:
    """`table`'s rows, by id, through the store's own session, as spine's logical values."""
    store = kernel.runlog().store
    quote = store.dialect.quote
    with store.transaction() as session:
        found = session.query(
            f"SELECT {', '.join(quote(f.name) for f in fields)} FROM {quote(table)} ORDER BY {quote('id')}"
        )
    return [tuple(_logical(f.type, value) for f, value in zip(fields, row, strict=True)) for row in found]


def _logical(kind: str, value: Any) -> Any:
    """A value as a store hands it back (SQLite: text dates, 0/1, REAL or INTEGER numerics)
    as the logical value, without rounding anything: a float becomes the decimal it reads as."""
    if value is None:
        return None
    if kind == "decimal" and not isinstance(value, Decimal):
        return Decimal(repr(value) if isinstance(value, float) else value)
    if kind == "boolean" and isinstance(value, int):
        assert value in (0, 1), value
        return bool(value)
    if kind == "date" and isinstance(value, str):
        return date.fromisoformat(value)
    if kind == "timestamp" and isinstance(value, str):
        return datetime.fromisoformat(value)
    if kind == "timestamp":
        assert value.tzinfo is None, f"{value!r}: the stores keep naive UTC"
    return value


# -- the tests ---------------------------------------------------------------------------


def test_every_type_round_trips_exactly_into_each_store(source: Source, kernel: spine.Spine) -> None:
    options = {"table": source.table, "columns": ",".join(COLUMNS)}
    result = kernel.load(source.url, "typed_copy", options=options)
    assert (result.status, result.counts.rows_written) == ("succeeded", 3), result.error
    assert result.counts.rows_rejected == 0
    said = " | ".join(result.warnings)
    for column in source.as_text:
        assert f"column {column!r}" in said and "read as text" in said, said
    assert "'local_at'" in said and "carry no time zone" in said
    fields = open_sql(source.url, **options).schema().fields
    assert read_back(kernel, "typed_copy", fields) == source.rows


# A SQLite file cannot hold the 38 digits to read: its NUMERIC keeps 15.
@pytest.mark.parametrize("source", ["postgresql", "mariadb"], indirect=True, ids=lambda name: f"from_{name}")
def test_a_38_digit_decimal_is_kept_or_refused_never_rounded(
    source: Source, kernel: spine.Spine, store_url: str, request: pytest.FixtureRequest
) -> None:
    options = {"table": source.table, "columns": "id,amount"}
    result = kernel.load(source.url, "amounts", options=options)
    if store_url.startswith("db2://"):
        # Db2's DECIMAL holds 31 digits: the table cannot be made, and the run says why.
        assert result.status == "failed"
        assert result.error is not None and "'amount'" in result.error.message
        assert "DECIMAL(38,10)" in result.error.message and "31 digits" in result.error.message
        return
    if result.status == "succeeded" and not result.counts.rows_rejected and not result.warnings:
        fields = open_sql(source.url, **options).schema().fields
        assert read_back(kernel, "amounts", fields) == [(1, AMOUNTS[0]), (2, AMOUNTS[1]), (3, None)]
    else:  # the store could not hold it, and said so
        said = " | ".join(result.warnings) + (result.error.message if result.error else "")
        assert result.counts.rows_rejected or "amount" in said, result


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True, ids=["into_sqlite"])
def test_a_uuid_is_read_as_text_with_a_warning(source: Source, kernel: spine.Spine) -> None:
    # SQLite's included: SQLAlchemy, not knowing the declared UUID, guesses NUMERIC by affinity.
    options = {"table": source.table, "columns": "id,ref"}
    result = kernel.load(source.url, "refs", options=options)
    assert (result.status, result.counts.rows_rejected) == ("succeeded", 0), result
    assert any("column 'ref'" in said and "read as text" in said for said in result.warnings)
    fields = open_sql(source.url, **options).schema().fields
    uuid_one = "00000000-0000-0000-0000-000000000001"
    assert read_back(kernel, "refs", fields) == [(1, uuid_one), (2, None), (3, None)]
