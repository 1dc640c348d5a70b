"""The sql source on the real MariaDB: types, read-only snapshot, errors, incremental reads."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pytest
import spine
import sqlalchemy as sa
from spine.testing import read_source
from spine_source_sql._session import read_transaction
from spine_source_sql._source import open_sql


def _typed(maria) -> str:
    name = maria.table("typed")
    maria.execute(
        f"CREATE TABLE `{name}` (id BIGINT PRIMARY KEY, name VARCHAR(20), amount DECIMAL(38, 10), "
        "ratio DOUBLE, day DATE, at TIMESTAMP(6) NULL, local_at DATETIME, doc JSON, raw BLOB, note TEXT)"
    )
    maria.execute("SET time_zone = '+02:00'")  # the writer's zone: the source reads in UTC
    maria.execute(
        f"INSERT INTO `{name}` VALUES (9007199254740993, 'ünï', 1234567890123456789012345678.0123456789, "
        "0.1, '2026-02-28', '2026-02-28 23:30:00', '2026-02-28 23:30:00', '{\"a\": 1}', x'00ff', 'text')"
    )
    return name


EXPECTED = (
    9007199254740993,
    "ünï",
    Decimal("1234567890123456789012345678.0123456789"),
    0.1,
    date(2026, 2, 28),
    datetime(2026, 2, 28, 21, 30),
    datetime(2026, 2, 28, 23, 30),
    '{"a": 1}',
    "00ff",
    "text",
)


@pytest.mark.parametrize("how", ["table", "query"])
def test_every_type_maps_exactly_and_timestamps_are_read_in_utc(maria, maria_server, how):
    name = _typed(maria)
    options = {"table": name} if how == "table" else {"query": f"SELECT * FROM `{name}`"}
    source = open_sql(maria_server, **options)
    read = read_source(source)
    types = [f.type for f in read.schema.fields]
    assert (
        types == ["integer", "string", "decimal", "float", "date", "timestamp", "timestamp"] + ["string"] * 3
    )
    assert read.rows == [EXPECTED]
    said = " | ".join(source.warnings())
    assert "'local_at'" in said and "carry no time zone" in said and "'at'" not in said
    assert "column 'raw'" in said and "hexadecimal" in said


def test_the_read_transaction_refuses_a_write(maria, maria_server):
    name = maria.table("t")
    maria.execute(f"CREATE TABLE `{name}` (id INT)")
    source = open_sql(maria_server, table=name)
    source.schema()
    assert source._engine is not None
    with (
        pytest.raises(sa.exc.OperationalError, match="READ ONLY"),
        read_transaction(source._engine, None) as read,
    ):
        read.connection.exec_driver_sql(f"INSERT INTO `{name}` VALUES (1)")
    source.close()
    assert maria.execute(f"SELECT count(*) FROM `{name}`") == [(0,)]


def test_statement_timeout_stops_a_slow_query(maria_server):
    with pytest.raises(spine.SourceError, match=r"max_statement_time|interrupted|exceeded"):
        read_source(open_sql(maria_server, query="SELECT SLEEP(5) AS slept", statement_timeout="0.5s"))


def test_a_missing_table_names_it_and_the_one_meant(maria, maria_server):
    name = maria.table("orders")
    maria.execute(f"CREATE TABLE `{name}` (id INT)")
    with pytest.raises(spine.SourceError, match=rf"no table '{name[:-1]}' .*did you mean '{name}'\?"):
        open_sql(maria_server, table=name[:-1]).schema()


def test_wrong_credentials_are_a_source_error_without_the_password(maria_server):
    url = sa.engine.make_url(maria_server).set(username="nobody_here", password="hunter2-secret")
    with pytest.raises(spine.SourceError, match="Access denied") as raised:
        open_sql(url.render_as_string(hide_password=False), table="t").schema()
    assert "hunter2-secret" not in str(raised.value)
    assert not raised.value.retryable


def test_incremental_loads_with_at_least_and_a_key(maria, maria_server, kernel):
    name = maria.table("log")
    maria.execute(f"CREATE TABLE `{name}` (id INT PRIMARY KEY, v BIGINT)")
    maria.execute(f"INSERT INTO `{name}` VALUES (1, 10), (2, 20)")
    options = {"table": name, "cursor": "v", "cursor_op": ">="}
    assert kernel.load(maria_server, "copy", options=options).counts.rows_written == 2
    maria.execute(f"INSERT INTO `{name}` VALUES (3, 20), (4, 30)")
    assert kernel.load(maria_server, "copy", options=options).counts.rows_written == 2
    key = open_sql(maria_server, **options).state_key()
    assert json.loads(kernel.runlog().state("load", key)) == {"mark": "30", "at_mark": [["4"]]}


def test_tables_lists_the_databases_tables(maria, maria_server):
    name = _typed(maria)
    listed = {table: schema for table, schema, _ in open_sql(maria_server).tables()}
    assert listed[name].field("amount").type == "decimal"


def test_a_read_left_half_done_is_closed_and_the_next_reads_everything(maria, maria_server):
    name = maria.table("big")
    maria.execute(f"CREATE TABLE `{name}` (id INT PRIMARY KEY, t TEXT)")
    with maria.connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO `{name}` VALUES (%s, %s)", [(i, "x" * 100) for i in range(2000)])
    source = open_sql(maria_server, table=name, cursor="id")
    source.schema()
    first = next(source.batches(10))
    assert len(first.rows) == 10
    source.close()  # the load stopped: no mark is kept, the connection is released
    assert source.checkpoint() is None
    assert len(read_source(open_sql(maria_server, table=name, cursor="id")).rows) == 2000
