"""The sql source on the real PostgreSQL: types, read-only sessions, errors, incremental reads with a lag."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
import spine
import sqlalchemy as sa
from spine.testing import SourceCase, SourceContract, read_source
from spine_source_sql._session import read_transaction
from spine_source_sql._source import open_sql

TYPES = """CREATE TABLE typed (
    id bigint PRIMARY KEY, name text, code char(3), amount numeric(38, 10), ratio double precision,
    small smallint, ok boolean, day date, at timestamptz, local_at timestamp, doc jsonb, ref uuid,
    bits bytea, span interval, tags text[]
)"""


def _insert_typed(pg: psycopg.Connection) -> None:
    pg.execute(TYPES)
    pg.execute(
        "INSERT INTO typed VALUES (9007199254740993, 'ünï', 'ABC', 1234567890123456789012345678.0123456789, "
        "0.1, -3, true, '2026-02-28', '2026-02-28 23:30+02', '2026-02-28 23:30', '{\"a\": [1]}', "
        "'00000000-0000-0000-0000-000000000001', '\\x00ff', '1 day', '{x,y}')"
    )


EXPECTED = (
    9007199254740993,
    "ünï",
    "ABC",
    Decimal("1234567890123456789012345678.0123456789"),
    0.1,
    -3,
    True,
    datetime(2026, 2, 28).date(),
    datetime(2026, 2, 28, 21, 30),
    datetime(2026, 2, 28, 23, 30),
    '{"a": [1]}',
    "00000000-0000-0000-0000-000000000001",
    "00ff",
    "1 day, 0:00:00",
    '["x", "y"]',
)


@pytest.mark.parametrize("how", ["table", "query"])
def test_every_type_maps_exactly_with_warnings_for_the_unknown_ones(pg, pg_server, pg_schema, how):
    _insert_typed(pg)
    options = (
        {"table": f"{pg_schema}.typed"} if how == "table" else {"query": f"SELECT * FROM {pg_schema}.typed"}
    )
    source = open_sql(pg_server, **options)
    read = read_source(source)
    assert [f.type for f in read.schema.fields] == [
        "integer", "string", "string", "decimal", "float", "integer", "boolean", "date",
        "timestamp", "timestamp", "string", "string", "string", "string", "string",
    ]  # fmt: skip
    assert read.schema.field("amount").scale == 10
    assert read.rows == [EXPECTED]
    said = " | ".join(source.warnings())
    assert "'local_at'" in said and "carry no time zone" in said
    assert "'at'" not in said
    for column in ("doc", "ref", "bits", "span", "tags"):
        assert f"column {column!r}" in said and "read as text" in said


def test_a_table_copies_into_the_sqlite_store_through_spine_load(
    pg, pg_server, pg_schema, spine_cli, tmp_path
):
    _insert_typed(pg)
    store = f"sqlite:///{tmp_path}/copy.db"
    load = ["load", pg_server, "-o", f"table={pg_schema}.typed", "--table", "typed_copy", "--store", store]
    # The 38-digit amount is more than SQLite's NUMERIC keeps: refused, never rounded.
    refused = spine_cli(*load)
    assert refused.returncode == 1
    assert "column 'amount': 1234567890123456789012345678.0123456789 cannot be kept exactly" in refused.stderr
    columns = "id,name,code,ratio,small,ok,day,at,local_at,doc,ref,bits,span,tags"
    done = spine_cli(*load, "-o", f"columns={columns}", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "succeeded" and result["rows_written"] == 1
    import sqlite3

    with sqlite3.connect(f"{tmp_path}/copy.db") as copy:
        assert copy.execute("SELECT id, at FROM typed_copy").fetchone() == (
            9007199254740993,
            "2026-02-28 21:30:00.000000",
        )
    copy.close()


def test_a_function_with_side_effects_fails_in_the_read_only_transaction(pg, pg_server, pg_schema):
    pg.execute("CREATE TABLE t (id int)")
    pg.execute(
        f"CREATE FUNCTION {pg_schema}.sneaky() RETURNS int LANGUAGE sql AS "
        f"$$ INSERT INTO {pg_schema}.t VALUES (1); SELECT 1 $$"
    )
    with pytest.raises(spine.SourceError, match="read-only transaction"):
        read_source(open_sql(pg_server, query=f"SELECT {pg_schema}.sneaky() AS x"))
    assert pg.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_a_write_that_slips_past_the_check_fails_read_only(pg, pg_server):
    pg.execute("CREATE TABLE t (id int)")
    source = open_sql(pg_server, query="SELECT 1 AS one")
    source.schema()
    assert source._engine is not None
    with (
        pytest.raises(sa.exc.InternalError, match="read-only transaction"),
        read_transaction(source._engine, None) as read,
    ):
        read.connection.exec_driver_sql(
            f"INSERT INTO {pg.execute('SELECT current_schema()').fetchone()[0]}.t VALUES (1)"
        )
    source.close()


def test_statement_timeout_stops_a_slow_query(pg_server):
    with pytest.raises(spine.SourceError, match="statement timeout"):
        read_source(open_sql(pg_server, query="SELECT pg_sleep(5) AS slept", statement_timeout="0.3s"))


def test_a_missing_table_names_it_and_the_one_meant(pg, pg_server, pg_schema):
    pg.execute("CREATE TABLE orders (id int)")
    with pytest.raises(spine.SourceError, match=rf"no table '{pg_schema}.order' .*did you mean 'orders'\?"):
        open_sql(pg_server, table=f"{pg_schema}.order").schema()


def test_wrong_credentials_are_a_source_error_without_the_password(pg_server):
    url = sa.engine.make_url(pg_server).set(username="nobody_here", password="hunter2-secret")
    location = url.render_as_string(hide_password=False)
    with pytest.raises(spine.SourceError) as raised:
        open_sql(location, table="t").schema()
    assert "hunter2-secret" not in str(raised.value)
    assert not raised.value.retryable


def test_an_unreachable_server_is_a_retryable_source_error():
    with pytest.raises(spine.SourceError, match="cannot reach") as raised:
        open_sql("postgresql://postgres:pw@127.0.0.1:1/test?connect_timeout=2", table="t").schema()
    assert raised.value.retryable
    assert ":pw@" not in str(raised.value)


def test_tables_lists_schema_qualified_tables_and_views(pg, pg_server, pg_schema):
    _insert_typed(pg)
    pg.execute("CREATE VIEW recent AS SELECT id, at FROM typed")
    listed = {name: (schema, notes) for name, schema, notes in open_sql(pg_server).tables()}
    assert f"{pg_schema}.typed" in listed and f"{pg_schema}.recent" in listed
    schema, notes = listed[f"{pg_schema}.typed"]
    assert schema.field("amount").type == "decimal"
    assert any("'doc' (JSONB)" in note for note in notes)


def test_a_row_committed_late_inside_the_lag_is_read_by_the_next_run(pg, pg_server, pg_schema, kernel):
    """Two connections: a writer's transaction takes its cursor value (now()) before a run
    and commits after it; the run's bound (the database's time less the lag, read in its
    snapshot) keeps the mark below that value, so a run once the lag has passed reads it."""
    pg.execute("CREATE TABLE events (id int PRIMARY KEY, at timestamptz NOT NULL)")
    past = datetime.now(UTC) - timedelta(hours=1)
    pg.execute("INSERT INTO events VALUES (1, %s), (2, %s)", (past, past + timedelta(minutes=1)))
    options = {"table": f"{pg_schema}.events", "cursor": "at", "cursor_lag": "2s"}
    with psycopg.connect(pg_server) as late:  # not autocommit: a transaction left open
        late.execute(f"INSERT INTO {pg_schema}.events VALUES (3, now())")
        first = kernel.load(pg_server, "copy", options=options)
        assert first.status == "succeeded" and first.counts.rows_written == 2
        late.commit()  # committed after the run, with a cursor value older than the run
    second = kernel.load(pg_server, "copy", options=options)
    assert second.counts.rows_written == 0  # row 3 is still inside the lag: left for later
    key = open_sql(pg_server, **options).state_key()
    mark = datetime.fromisoformat(json.loads(kernel.runlog().state("load", key))["mark"])
    assert mark == (past + timedelta(minutes=1)).replace(tzinfo=None)
    time.sleep(2.2)  # the lag passes
    third = kernel.load(pg_server, "copy", options=options)
    assert third.counts.rows_written == 1
    with kernel.runlog().store.transaction() as session:
        assert sorted(row[0] for row in session.query("SELECT id FROM copy")) == [1, 2, 3]


def test_without_the_lag_the_late_row_would_be_skipped(pg, pg_server, pg_schema, kernel):
    """The scenario the lag exists for, shown: a plain > cursor moves past the late row."""
    pg.execute("CREATE TABLE events (id int PRIMARY KEY, at timestamptz NOT NULL)")
    options = {"table": f"{pg_schema}.events", "cursor": "at"}
    with psycopg.connect(pg_server) as late:
        late.execute(f"INSERT INTO {pg_schema}.events VALUES (1, now() - interval '1 minute')")
        pg.execute("INSERT INTO events VALUES (2, now())")
        assert kernel.load(pg_server, "copy", options=options).counts.rows_written == 1
        late.commit()
    assert kernel.load(pg_server, "copy", options=options).counts.rows_written == 0


def test_null_cursors_are_counted_or_included(pg, pg_server, pg_schema, kernel):
    pg.execute("CREATE TABLE log (id int PRIMARY KEY, seq bigint)")
    pg.execute("INSERT INTO log VALUES (1, 1), (2, NULL), (3, 3)")
    options = {"table": f"{pg_schema}.log", "cursor": "seq"}
    excluded = kernel.load(pg_server, "excluded", options=options)
    assert excluded.counts.rows_written == 2
    assert any("1 rows have no value in the cursor column 'seq'" in w for w in excluded.warnings)
    pg.execute("CREATE TABLE log2 AS SELECT * FROM log")  # a state of its own
    including = {"table": f"{pg_schema}.log2", "cursor": "seq", "cursor_nulls": "include"}
    included = kernel.load(pg_server, "included", options=including)
    assert included.counts.rows_written == 3
    again = kernel.load(pg_server, "included", options=including)
    assert again.counts.rows_written == 1  # the NULL row, every run


class TestPostgresQuery(SourceContract):
    @pytest.fixture
    def source_case(self, pg, pg_server, pg_schema):
        pg.execute("CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(8, 2))")
        pg.execute("INSERT INTO items VALUES (1, 'a', 1.50), (2, 'b', NULL), (3, 'c', 3.25), (4, '', 0)")
        rows = [
            (1, "a", Decimal("1.50")),
            (2, "b", None),
            (3, "c", Decimal("3.25")),
            (4, "", Decimal("0.00")),
        ]
        query = f"SELECT id, name, price FROM {pg_schema}.items ORDER BY id"
        return SourceCase(lambda: open_sql(pg_server, query=query), ["id", "name", "price"], rows)
