"""Resumable full loads (chunk_rows): keyset chunks, each committed with its checkpoint; a copy
that fails resumes after its last committed chunk, one that ends starts over next time."""

from __future__ import annotations

import json
import sqlite3

import pytest
import spine
from spine_source_sql._source import open_sql


def _rows(count: int) -> str:
    return "INSERT INTO big VALUES " + ", ".join(f"({i}, 'v{i}')" for i in range(1, count + 1))


def _store(kernel: spine.Spine, *statements: str) -> list[tuple[int, str]]:
    path = kernel.store_url().removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        for statement in statements:
            connection.execute(statement)
        rows = connection.execute('SELECT * FROM "copy" ORDER BY 1').fetchall() if not statements else []
    connection.close()
    return rows


def test_a_chunked_copy_that_fails_resumes_after_its_last_committed_chunk(sqlite_db, kernel):
    url = sqlite_db("CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT)", _rows(10))
    options = {"table": "big", "chunk_rows": "3"}
    key = open_sql(url, **options).state_key()
    kernel.runlog()  # the store file exists; the target refuses row 8, as a full disk would
    _store(
        kernel,
        'CREATE TABLE "copy" ("id" INTEGER PRIMARY KEY, "v" TEXT)',
        'CREATE TRIGGER boom BEFORE INSERT ON "copy" WHEN NEW.id = 8 '
        "BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    )
    failed = kernel.load(url, "copy", mode="merge", keys=["id"], options=options)
    assert failed.status == "failed" and "disk full" in failed.error.message
    assert failed.counts.rows_written == 6  # two chunks committed before the third failed
    assert [row[0] for row in _store(kernel)] == [1, 2, 3, 4, 5, 6]
    assert json.loads(kernel.runlog().state("load", key)) == {"after": [6]}

    _store(kernel, "DROP TRIGGER boom")
    resumed = kernel.load(url, "copy", mode="merge", keys=["id"], options=options)
    assert resumed.status == "succeeded" and resumed.counts.rows_read == 4  # 7 to 10 only
    assert _store(kernel) == [(i, f"v{i}") for i in range(1, 11)]
    assert json.loads(kernel.runlog().state("load", key)) == {"complete": True}

    again = kernel.load(url, "copy", mode="merge", keys=["id"], options=options)
    assert again.counts.rows_read == 10  # a copy that ended starts over
    assert len(_store(kernel)) == 10


def test_chunks_on_a_two_column_key_read_every_row_once_in_key_order(sqlite_db):
    url = sqlite_db(
        "CREATE TABLE pairs (a TEXT, b INTEGER, v TEXT, PRIMARY KEY (a, b))",
        "INSERT INTO pairs VALUES ('x', 2, 'x2'), ('x', 1, 'x1'), ('y', 1, 'y1'), ('w', 9, 'w9')",
        "INSERT INTO pairs VALUES ('x', 3, 'x3')",
    )
    with open_sql(url, table="pairs", chunk_rows="2") as source:
        source.resume(None)
        source.schema()
        batches = list(source.batches())
        assert [row for batch in batches for row in batch.rows] == [
            ("w", 9, "w9"),
            ("x", 1, "x1"),
            ("x", 2, "x2"),
            ("x", 3, "x3"),
            ("y", 1, "y1"),
        ]
        assert [batch.checkpoint for batch in batches] == [
            json.dumps({"after": ["x", 1]}),
            json.dumps({"after": ["x", 3]}),
            None,  # the last part commits with the source's own checkpoint
        ]
        assert source.checkpoint() == json.dumps({"complete": True})
        assert [position for batch in batches for position in batch.positions] == [1, 2, 3, 4, 5]
    with open_sql(url, table="pairs", chunk_rows="2") as resumed:
        resumed.resume(json.dumps({"after": ["x", 1]}))
        resumed.schema()
        assert [row[2] for batch in resumed.batches() for row in batch.rows] == ["x2", "x3", "y1"]


def test_a_replace_refuses_a_chunked_copy_before_writing(sqlite_db, kernel):
    url = sqlite_db("CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT)", _rows(5))
    result = kernel.load(url, "copy", mode="replace", options={"table": "big", "chunk_rows": "2"})
    assert result.status == "failed" and "load with mode append or merge" in result.error.message
    assert not kernel.runlog().store.declared_columns("copy")


@pytest.mark.parametrize(
    ("statements", "options", "message"),
    [
        ((), {"query": "SELECT 1", "chunk_rows": "2"}, "chunk_rows reads a table= in keyset chunks"),
        ((), {"table": "t", "cursor": "id", "chunk_rows": "2"}, "resumes from its mark already"),
        (
            ("CREATE TABLE t (a TEXT, b TEXT)",),
            {"table": "t", "chunk_rows": "2"},
            "no primary key among the columns read",
        ),
        (("CREATE TABLE t (d DATE PRIMARY KEY)",), {"table": "t", "chunk_rows": "2"}, "integer or text keys"),
    ],
)
def test_what_chunks_cannot_be_taken_on_is_refused_before_reading(sqlite_db, statements, options, message):
    url = sqlite_db(*statements) if statements else sqlite_db("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    with pytest.raises(spine.ConfigError, match=message):
        open_sql(url, **options).schema()


def test_a_saved_position_this_source_did_not_write_is_refused(sqlite_db):
    url = sqlite_db("CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT)", _rows(3))
    with open_sql(url, table="big", chunk_rows="2") as source:
        source.resume("somewhere")
        source.schema()
        with pytest.raises(spine.SourceError, match="saved chunk position 'somewhere'"):
            list(source.batches())


def _chunked_rows(url: str, table: str, saved: str | None = None) -> list[tuple[object, ...]]:
    with open_sql(url, table=table, chunk_rows="2") as source:
        source.resume(saved)
        source.schema()
        return [row for batch in source.batches() for row in batch.rows]


def test_chunks_on_postgresql_and_mariadb_follow_the_databases_own_key_order(
    pg, pg_server, pg_schema, maria, maria_server
):
    pg.execute('CREATE TABLE pairs (a text COLLATE "C", b bigint, PRIMARY KEY (a, b))')
    pg.execute("INSERT INTO pairs VALUES ('x', 2), ('x', 1), ('y', 1), ('W', 9), ('x', 3)")
    assert _chunked_rows(pg_server, f"{pg_schema}.pairs") == [
        ("W", 9),
        ("x", 1),
        ("x", 2),
        ("x", 3),
        ("y", 1),
    ]
    assert _chunked_rows(pg_server, f"{pg_schema}.pairs", json.dumps({"after": ["x", 2]})) == [
        ("x", 3),
        ("y", 1),
    ]
    name = maria.table("pairs")
    maria.execute(f"CREATE TABLE `{name}` (a VARCHAR(10), b BIGINT, PRIMARY KEY (a, b))")
    maria.execute(f"INSERT INTO `{name}` VALUES ('x', 2), ('x', 1), ('y', 1), ('w', 9), ('x', 3)")
    assert _chunked_rows(maria_server, name) == [("w", 9), ("x", 1), ("x", 2), ("x", 3), ("y", 1)]


def test_a_db2_chunk_compares_its_key_without_row_values():
    # Golden SQL (no Db2 server here): Db2 has no (a, b) > (x, y), so the comparison is spelled out.
    import sqlalchemy as sa
    from ibm_db_sa.ibm_db import DB2Dialect_ibm_db
    from spine_source_sql._chunks import past

    orders = sa.Table(
        "ORDERS",
        sa.MetaData(),
        sa.Column("REGION", sa.String(8)),
        sa.Column("ID", sa.BigInteger),
        schema="SALES",
    )
    keys = [orders.c.REGION, orders.c.ID]
    statement = sa.select(orders).where(past(keys, ["EU", 7])).order_by(*keys).limit(1000)
    compiled = statement.compile(dialect=DB2Dialect_ibm_db(), compile_kwargs={"literal_binds": True})
    assert " ".join(str(compiled).split()) == (
        'SELECT "SALES"."ORDERS"."REGION", "SALES"."ORDERS"."ID" FROM "SALES"."ORDERS" '
        'WHERE "SALES"."ORDERS"."REGION" > \'EU\' OR "SALES"."ORDERS"."REGION" = \'EU\' '
        'AND "SALES"."ORDERS"."ID" > 7 ORDER BY "SALES"."ORDERS"."REGION", "SALES"."ORDERS"."ID" LIMIT 1000'
    )
