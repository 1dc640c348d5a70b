"""`statement_timeout` on MariaDB (``max_statement_time``, where MySQL has
``max_execution_time``) and PostgreSQL: a slow statement is stopped, and what a
"statement" is when the rows are streamed.

On MariaDB the streamed read is one statement until its last row is sent: the timeout
bounds the whole read, the time the load spends writing its batches included. On
PostgreSQL the rows come through a named cursor, and each ``FETCH`` is a statement of
its own: the timeout bounds each fetch, never the whole read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import spine
from spine.testing import read_source
from spine_source_sql._session import read_transaction
from spine_source_sql._source import open_sql

SLEEP = 5  # seconds a query would take; the timeout is 1 s


@pytest.fixture
def maria_view(maria) -> Iterator[Callable[[str, str], str]]:
    """``make(name, select)``: a view of the test's own on MariaDB, dropped after it."""
    made: list[str] = []

    def make(name: str, select: str) -> str:
        made.append(maria.prefix + name)
        maria.execute(f"CREATE VIEW `{made[-1]}` AS {select}")
        return made[-1]

    yield make
    for view in made:
        maria.execute(f"DROP VIEW IF EXISTS `{view}`")


def test_mariadb_sets_max_statement_time_in_seconds_not_mysqls_max_execution_time(maria, maria_server):
    source = open_sql(maria_server, query="SELECT 1 AS one", statement_timeout="1.5s")
    source.schema()
    assert source._engine is not None
    with read_transaction(source._engine, 1.5) as read:
        said = read.connection.exec_driver_sql("SELECT @@max_statement_time, @@version").one()
    source.close()
    assert "MariaDB" in said[1]
    assert said[0] == 1.5


@pytest.mark.parametrize("how", ["query", "view"])
def test_mariadb_stops_a_sleep_at_the_timeout(maria_server, maria_view, how):
    """A query is stopped while it is described (its first statement); a view, whose
    description is the catalog's, while it is read."""
    if how == "query":
        options, doing = {"query": f"SELECT SLEEP({SLEEP}) AS slept"}, "describing the query"
    else:
        options, doing = {"table": maria_view("sleepy", f"SELECT SLEEP({SLEEP}) AS slept")}, "reading"
    started = time.monotonic()
    with pytest.raises(spine.SourceError, match="max_statement_time exceeded") as raised:
        read_source(open_sql(maria_server, statement_timeout="1s", **options))
    assert time.monotonic() - started < SLEEP - 1  # stopped, not waited out
    assert f"while {doing}" in str(raised.value)


def test_on_mariadb_the_timeout_bounds_the_whole_streamed_read(maria_server, maria_view):
    """A load that writes slowly is stopped once its read has lasted the timeout, though
    no fetch was slow: 100 MB of rows cannot all wait in the socket's buffers."""
    view = maria_view("wide", "SELECT seq AS id, REPEAT('x', 1000) AS t FROM seq_1_to_100000")
    source = open_sql(maria_server, table=view, statement_timeout="0.5s", batch_rows=100)
    batches = source.batches()
    try:
        assert len(next(batches).rows) == 100
        time.sleep(1)  # the store writing the first batch, slowly
        with pytest.raises(spine.SourceError, match=r"while reading: .*max_statement_time exceeded"):
            for _ in batches:
                pass
    finally:
        source.close()


def test_on_postgresql_the_timeout_bounds_each_fetch_not_the_whole_read(pg, pg_server, pg_schema):
    pg.execute("CREATE VIEW wide AS SELECT i AS id, repeat('x', 1000) AS t FROM generate_series(1, 100000) i")
    source = open_sql(pg_server, table=f"{pg_schema}.wide", statement_timeout="0.5s", batch_rows=100)
    batches = source.batches()
    try:
        assert len(next(batches).rows) == 100
        time.sleep(1)  # the store writing the first batch, slowly
        assert sum(len(batch.rows) for batch in batches) == 100000 - 100
    finally:
        source.close()
