"""The sql source on SQLite files: types, bounded batches, errors, safety, incremental loads."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from decimal import Decimal

import pytest
import spine
import sqlalchemy as sa
from spine.testing import read_source
from spine_source_sql._source import open_sql

TABLE = (
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, name TEXT, amount NUMERIC(12, 2), "
    "placed DATETIME, paid BOOLEAN, raw BLOB, extra JSON)"
)


def test_a_table_is_read_with_its_types_and_the_warnings_name_the_columns(sqlite_db):
    url = sqlite_db(
        TABLE,
        "INSERT INTO orders VALUES (1, 'a', 12.5, '2026-01-02 10:00:00', 1, x'00ff', '{\"k\": 1}')",
        "INSERT INTO orders VALUES (2, NULL, NULL, NULL, NULL, NULL, NULL)",
    )
    source = open_sql(url, table="orders")
    read = read_source(source)
    assert [(f.name, f.type) for f in read.schema.fields] == [
        ("id", "integer"),
        ("name", "string"),
        ("amount", "decimal"),
        ("placed", "timestamp"),
        ("paid", "boolean"),
        ("raw", "string"),
        ("extra", "string"),
    ]
    assert read.rows == [
        (1, "a", Decimal("12.50"), datetime(2026, 1, 2, 10), True, "00ff", '{"k": 1}'),
        (2, None, None, None, None, None, None),
    ]
    said = source.warnings()
    assert "column 'placed' (DATETIME): its values carry no time zone; kept as read" in said
    assert "column 'raw' (BLOB): binary values read as hexadecimal text" in said
    assert "column 'extra' (JSON): no spine type fits, read as text" in said


def test_columns_choose_and_order_what_is_read(sqlite_db):
    url = sqlite_db(TABLE, "INSERT INTO orders (id, name) VALUES (1, 'a')")
    read = read_source(open_sql(url, table="orders", columns="name,id"))
    assert read.schema.names == ["name", "id"]
    assert read.rows == [("a", 1)]
    with pytest.raises(spine.ConfigError, match="no column 'nmae'; did you mean 'name'"):
        open_sql(url, table="orders", columns="nmae").schema()


def test_columns_that_leave_out_the_primary_key_are_read_without_a_key(sqlite_db, kernel):
    url = sqlite_db(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)", "INSERT INTO t VALUES (1, 'a'), (2, 'b')"
    )
    assert read_source(open_sql(url, table="t", columns="name")).rows == [("a",), ("b",)]
    chunked = kernel.load(url, "copy", options={"table": "t", "columns": "name", "chunk_rows": "1"})
    assert (
        chunked.status == "failed"
        and "no primary key among the columns read to chunk on; name one with key=" in chunked.error.message
    )


def test_a_value_that_does_not_fit_is_a_reject_naming_the_table_key_and_column(sqlite_db):
    url = sqlite_db(TABLE, "INSERT INTO orders (id, name, amount) VALUES (7, 'a', 'lots')")
    read = read_source(open_sql(url, table="orders"))
    assert read.rows == []
    (reject,) = read.rejects
    assert "table orders" in reject.reason and "id=7" in reject.reason and "'amount'" in reject.reason
    assert reject.position == 1 and "lots" in reject.raw


def test_wide_rows_make_small_batches_under_batch_bytes(sqlite_db):
    url = sqlite_db("CREATE TABLE wide (id INTEGER PRIMARY KEY, text TEXT)")
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        connection.executemany("INSERT INTO wide VALUES (?, ?)", [(i, "x" * 10_000) for i in range(300)])
    connection.close()
    read = read_source(open_sql(url, table="wide", batch_bytes=100_000), 500)
    assert len(read.rows) == 300
    assert max(len(batch.rows) for batch in read.batches) <= 11
    assert len(read.batches) >= 27
    rows_capped = read_source(open_sql(url, table="wide", batch_rows=50), 500)
    assert [len(batch.rows) for batch in rows_capped.batches] == [50] * 6


def test_a_missing_table_is_a_source_error_naming_it_and_the_one_meant(sqlite_db):
    url = sqlite_db(TABLE)
    with pytest.raises(spine.SourceError, match=r"no table 'order' in .*; did you mean 'orders'\?"):
        open_sql(url, table="order").schema()


def test_a_missing_file_is_a_source_error_and_no_file_is_made(tmp_path):
    path = tmp_path / "none.db"
    with pytest.raises(spine.SourceError, match="unable to open database file"):
        open_sql(f"sqlite:///{path}", table="t").schema()
    assert not path.exists()


def test_the_read_transaction_refuses_a_write_that_slips_past_the_check(sqlite_db):
    from spine_source_sql._session import read_transaction

    url = sqlite_db(TABLE, "INSERT INTO orders (id) VALUES (1)")
    source = open_sql(url, table="orders")
    source.schema()
    assert source._engine is not None
    with (
        pytest.raises(sa.exc.OperationalError, match="readonly"),
        read_transaction(source._engine, None) as read,
    ):
        read.connection.exec_driver_sql("DELETE FROM orders")
    source.close()
    assert sqlite3.connect(url.removeprefix("sqlite:///")).execute(
        "SELECT count(*) FROM orders"
    ).fetchone() == (1,)


def test_statement_timeout_interrupts_a_long_statement(sqlite_db):
    url = sqlite_db("CREATE TABLE one (x INTEGER)", "INSERT INTO one VALUES (1)")
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) AS c FROM n"
    with pytest.raises(spine.SourceError, match="interrupted"):
        read_source(open_sql(url, query=endless, statement_timeout="0.2s"))


def test_tables_lists_every_table_and_view_with_spine_types_and_warnings(sqlite_db):
    url = sqlite_db(TABLE, "CREATE VIEW big AS SELECT id, amount FROM orders WHERE amount > 100")
    listed = {name: (schema, notes) for name, schema, notes in open_sql(url).tables()}
    assert set(listed) == {"orders", "big"}
    schema, notes = listed["orders"]
    assert schema.field("amount").type == "decimal"
    assert "column 'extra' (JSON): no spine type fits, read as text" in notes


def test_a_query_reads_its_columns_with_types_from_their_values(sqlite_db):
    url = sqlite_db(TABLE, "INSERT INTO orders (id, name, amount) VALUES (1, 'a', 2.5), (2, 'b', 3)")
    read = read_source(open_sql(url, query="SELECT id, name, amount * 2 AS twice FROM orders ORDER BY id"))
    assert [(f.name, f.type) for f in read.schema.fields] == [
        ("id", "integer"),
        ("name", "string"),
        ("twice", "float"),
    ]
    assert read.rows == [(1, "a", 5.0), (2, "b", 6.0)]


def test_incremental_loads_read_what_is_new_and_keep_the_mark_when_the_load_commits(sqlite_db, kernel):
    url = sqlite_db(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, at TIMESTAMP, what TEXT)",
        "INSERT INTO events VALUES (1, '2026-01-01 10:00:00', 'a'), (2, '2026-01-01 11:00:00', 'b')",
        "INSERT INTO events VALUES (3, NULL, 'no time')",
    )
    options = {"table": "events", "cursor": "at"}
    first = kernel.load(url, "copy", options=options)
    assert first.status == "succeeded" and first.counts.rows_written == 2
    assert any("1 rows have no value in the cursor column 'at'" in w for w in first.warnings)
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        connection.execute("INSERT INTO events VALUES (4, '2026-01-01 12:00:00', 'c')")
    connection.close()
    second = kernel.load(url, "copy", options=options)
    assert second.counts.rows_written == 1
    state = json.loads(kernel.runlog().state("load", open_sql(url, **options).state_key()))
    assert state == {"mark": "2026-01-01T12:00:00"}
    assert kernel.load(url, "copy", options=options).counts.rows_written == 0


def test_an_integer_cursor_with_a_lag_leaves_the_newest_rows_for_the_next_run(sqlite_db, kernel):
    url = sqlite_db(
        "CREATE TABLE log (seq INTEGER PRIMARY KEY, what TEXT)",
        "INSERT INTO log VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')",
    )
    options = {"table": "log", "cursor": "seq", "cursor_lag": "2"}
    assert kernel.load(url, "copy", options=options).counts.rows_written == 3
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        connection.execute("INSERT INTO log VALUES (6, 'f')")
    connection.close()
    assert kernel.load(url, "copy", options=options).counts.rows_written == 1
    wrong = kernel.load(url, "copy", options={**options, "cursor_lag": "5m"})
    assert wrong.status == "failed"
    assert "is an integer, so the lag is a whole number" in wrong.error.message


def test_cursor_op_at_least_rereads_the_mark_and_skips_the_keys_already_read(sqlite_db, kernel):
    url = sqlite_db(
        "CREATE TABLE log (id INTEGER PRIMARY KEY, v INTEGER)",
        "INSERT INTO log VALUES (1, 10), (2, 20)",
    )
    options = {"table": "log", "cursor": "v", "cursor_op": ">="}
    assert kernel.load(url, "copy", options=options).counts.rows_written == 2
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        connection.execute("INSERT INTO log VALUES (3, 20)")  # at the mark, after the run
    connection.close()
    second = kernel.load(url, "copy", options=options)
    assert second.counts.rows_written == 1
    key = open_sql(url, **options).state_key()
    assert json.loads(kernel.runlog().state("load", key)) == {"mark": "20", "at_mark": [["2"], ["3"]]}


def test_a_failed_load_keeps_the_mark_of_the_last_one_that_committed(sqlite_db, kernel):
    url = sqlite_db(
        "CREATE TABLE log (id INTEGER PRIMARY KEY, v INTEGER, n NUMERIC)",
        "INSERT INTO log VALUES (1, 10, 1), (2, 20, 'not a number')",
    )
    options = {"table": "log", "cursor": "v"}
    key = open_sql(url, **options).state_key()
    failed = kernel.load(url, "copy", options=options, max_rejects="0")
    assert failed.status == "failed"
    assert kernel.runlog().state("load", key) is None
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        connection.execute("UPDATE log SET n = 2 WHERE id = 2")
    connection.close()
    again = kernel.load(url, "copy", options=options)
    assert again.status == "succeeded" and again.counts.rows_written == 2
    assert json.loads(kernel.runlog().state("load", key)) == {"mark": "20"}
