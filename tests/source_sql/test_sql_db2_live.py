"""The sql source against a real Db2 through ibm_db_sa, when ``SPINE_TEST_DB2_URL`` names
one (``db2://user:password@host:50000/DATABASE``, as for the Db2 store's live suite);
skipped otherwise, under CI too: no Db2 server runs on these machines.

Each test gets a schema of its own (the user needs the privilege to create schemas),
dropped with its tables afterwards. The tables are made through the Db2 store's session.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import pytest
import spine
from spine.testing import read_source
from spine_source_sql._session import read_transaction
from spine_source_sql._source import open_sql

LIVE_URL = os.environ.get("SPINE_TEST_DB2_URL", "")

pytestmark = pytest.mark.skipif(not LIVE_URL, reason="SPINE_TEST_DB2_URL is not set: no Db2 to test against")


def source_url(password: str | None = None) -> str:
    """SPINE_TEST_DB2_URL as a location: without the store's ``schema=`` (the source names
    its tables with their schema), with another password when given."""
    parts = urlsplit(LIVE_URL)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key.lower() != "schema"]
    netloc = parts.netloc
    if password is not None:
        netloc = f"{parts.username}:{quote(password, safe='')}@{netloc.rpartition('@')[2]}"
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query)))


@dataclass
class Live:
    """The test's schema on the live Db2, and a way to run statements there."""

    schema: str
    store: Any  # spine_store_db2's Db2Store: its transactions run the statements

    def execute(self, *statements: str) -> None:
        with self.store.transaction() as session:
            for statement in statements:
                session.execute(statement)

    def name(self, table: str) -> str:
        return f'"{self.schema}"."{table}"'


@pytest.fixture
def db2() -> Iterator[Live]:
    # The Db2 store sets the tables up: a test-only need, so the source's own session (the
    # plugin alone) runs without it, and these tests only where it is installed.
    stores = pytest.importorskip("spine_store_db2._store", reason="spine-store-db2 sets the live tables up")
    schema = f"SPINE_SQL_{uuid.uuid4().hex[:8].upper()}"
    with stores.Db2Store(LIVE_URL) as admin:
        live = Live(schema, admin)
        live.execute(f'CREATE SCHEMA "{schema}"')
        yield live
        with admin.transaction() as session:
            tables = session.query(
                "SELECT TABNAME FROM SYSCAT.TABLES WHERE TABSCHEMA = CAST(? AS VARCHAR(128)) AND TYPE = 'T'",
                (schema,),
            )
            for (table,) in tables:
                session.execute(f'DROP TABLE "{schema}"."{table}"')
            session.execute(f'DROP SCHEMA "{schema}" RESTRICT')


def _orders(db2: Live) -> None:
    db2.execute(
        f'CREATE TABLE {db2.name("ORDERS")} ("ORDER_ID" INTEGER NOT NULL PRIMARY KEY, '
        '"AMOUNT" DECIMAL(12, 2), "NOTE" VARCHAR(40))',
        f"INSERT INTO {db2.name('ORDERS')} VALUES (1, 10.50, 'one'), (2, NULL, 'two'), (3, -0.01, NULL)",
    )


ORDERS = [(1, Decimal("10.50"), "one"), (2, None, "two"), (3, Decimal("-0.01"), None)]


def test_a_table_and_a_query_read_with_the_names_as_declared(db2):
    _orders(db2)
    table = read_source(open_sql(source_url(), table=f"{db2.schema}.ORDERS"))
    assert table.schema.names == ["ORDER_ID", "AMOUNT", "NOTE"]
    assert sorted(table.rows) == ORDERS
    query = f'SELECT "ORDER_ID", "NOTE" FROM {db2.name("ORDERS")} ORDER BY "ORDER_ID"'
    queried = read_source(open_sql(source_url(), query=query))
    assert queried.schema.names == ["ORDER_ID", "NOTE"]
    assert queried.rows == [(1, "one"), (2, "two"), (3, None)]


def test_every_db2_type_maps_to_its_spine_type(db2):
    typed = db2.name("TYPED")
    db2.execute(
        f'CREATE TABLE {typed} ("ID" INTEGER NOT NULL PRIMARY KEY, "SMALL" SMALLINT, "BIG" BIGINT, '
        '"AMOUNT" DECIMAL(31, 10), "R" REAL, "D" DOUBLE, "OK" BOOLEAN, "DAY" DATE, "AT" TIMESTAMP, '
        '"CODE" CHAR(3), "NAME" VARCHAR(100), "NOTE" CLOB(1K), "RAW" BLOB(1K))',
        f"INSERT INTO {typed} VALUES (1, -32768, 9223372036854775807, 123456789012345678901.0123456789, "
        "0.5, 0.1, TRUE, '2026-02-28', '2026-02-28 23:30:00.123456', 'ABC', 'ünï ✓ 日本', 'long text', "
        "BLOB(X'00FF'))",
        f"INSERT INTO {typed} VALUES (2, 32767, -9223372036854775808, -0.0000000001, -2.25, "
        "1.7976931348623157E308, FALSE, '1999-12-31', '2000-01-01 00:00:00', '', '', '', BLOB(X'DEADBEEF'))",
        f'INSERT INTO {typed} ("ID") VALUES (3)',
    )
    source = open_sql(source_url(), table=f"{db2.schema}.TYPED")
    read = read_source(source)
    assert [(f.name, f.type) for f in read.schema.fields] == [
        ("ID", "integer"), ("SMALL", "integer"), ("BIG", "integer"), ("AMOUNT", "decimal"),
        ("R", "float"), ("D", "float"), ("OK", "boolean"), ("DAY", "date"), ("AT", "timestamp"),
        ("CODE", "string"), ("NAME", "string"), ("NOTE", "string"), ("RAW", "string"),
    ]  # fmt: skip
    amount = read.schema.field("AMOUNT")
    assert (amount.precision, amount.scale) == (31, 10)
    assert sorted(read.rows) == [
        (
            1, -32768, 2**63 - 1, Decimal("123456789012345678901.0123456789"), 0.5, 0.1, True,
            date(2026, 2, 28), datetime(2026, 2, 28, 23, 30, 0, 123456), "ABC", "ünï ✓ 日本", "long text",
            "00ff",
        ),
        (
            2, 32767, -(2**63), Decimal("-0.0000000001"), -2.25, 1.7976931348623157e308, False,
            date(1999, 12, 31), datetime(2000, 1, 1), "   ", "", "", "deadbeef",
        ),
        (3, *[None] * 12),
    ]  # fmt: skip
    said = " | ".join(source.warnings())
    assert "'AT'" in said and "carry no time zone" in said
    assert "column 'RAW'" in said and "read as text" in said


def test_incremental_loads_read_the_new_rows_and_keep_the_mark(db2, kernel):
    events = db2.name("EVENTS")
    db2.execute(
        f'CREATE TABLE {events} ("ID" INTEGER NOT NULL PRIMARY KEY, "SEQ" BIGINT)',
        f"INSERT INTO {events} VALUES (1, 10), (2, 20)",
    )
    options = {"table": f"{db2.schema}.EVENTS", "cursor": "SEQ"}
    first = kernel.load(source_url(), "events", options=options)
    assert (first.status, first.counts.rows_written) == ("succeeded", 2), first.error
    db2.execute(f"INSERT INTO {events} VALUES (3, 30), (4, 40)")
    second = kernel.load(source_url(), "events", options=options)
    assert second.counts.rows_written == 2
    assert kernel.load(source_url(), "events", options=options).counts.rows_written == 0
    key = open_sql(source_url(), **options).state_key()
    assert json.loads(kernel.runlog().state("load", key)) == {"mark": "40"}
    with kernel.runlog().store.transaction() as session:
        assert sorted(row[0] for row in session.query('SELECT "ID" FROM "events"')) == [1, 2, 3, 4]


def test_the_database_clock_is_read_in_utc(db2):
    """A timestamp cursor's lag is taken from the database's clock, in UTC. Db2's CURRENT
    TIMESTAMP is the server's local time: on a server not on UTC this fails, and the
    bound of a lag is off by the server's offset."""
    source = open_sql(source_url(), query="SELECT 1 AS ONE FROM SYSIBM.SYSDUMMY1")
    source.schema()
    assert source._engine is not None
    with read_transaction(source._engine, None) as read:
        now = read.now
    source.close()
    assert abs(now - datetime.now(UTC).replace(tzinfo=None)) < timedelta(minutes=5)


def test_tables_lists_the_schemas_tables_with_their_columns_as_declared(db2):
    _orders(db2)
    listed = {name.upper(): (name, schema) for name, schema, _ in open_sql(source_url()).tables()}
    name, schema = listed[f"{db2.schema}.ORDERS"]
    assert schema.names == ["ORDER_ID", "AMOUNT", "NOTE"]
    assert [f.type for f in schema.fields] == ["integer", "decimal", "string"]
    assert sorted(read_source(open_sql(source_url(), table=name)).rows) == ORDERS  # the name listed reads it


@pytest.mark.xfail(
    strict=True,
    reason="tables() shows the names SQLAlchemy's Db2 dialect gives, lower-cased "
    "(spine_sql_x.orders), where columns are shown as declared",
)
def test_tables_shows_db2_table_names_as_declared(db2):
    _orders(db2)
    assert f"{db2.schema}.ORDERS" in [name for name, _, _ in open_sql(source_url()).tables()]


def test_a_wrong_password_is_a_source_error_without_it(db2):
    wrong = "Wr0ng-passw0rd"
    with pytest.raises(spine.SourceError) as raised:
        open_sql(source_url(password=wrong), table=f"{db2.schema}.ORDERS").schema()
    assert wrong not in str(raised.value)
    assert not raised.value.retryable
