"""Writers take turns per table, across threads and processes; a killed writer leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from spine import Target, WriteMode
from spine_store_postgres._store import PostgresStore

from .pg_helpers import KEYED, advisory_locks, rows_of, wait_until, with_params


def test_two_writers_to_one_table_never_interleave(url, store, db):
    store.write(Target("t", WriteMode.MERGE, ("k",)), KEYED, [[("a", 0, "before")]])
    events = []

    def first_rows():
        yield [("a", 1, "first"), ("b", 1, "first")]
        events.append("first: half-way")
        wait_until(
            lambda: advisory_locks(db, "t", granted=False) == 1, "the second writer waits for the lock"
        )
        events.append("first: the second writer waits")
        yield [("c", 1, "first")]
        events.append("first: all rows given")

    def second_rows():
        events.append("second: reading its rows")
        yield [("a", 2, "second"), ("c", 2, "second")]

    with PostgresStore(url) as first, PostgresStore(url) as second, ThreadPoolExecutor(2) as pool:
        target = Target("t", WriteMode.MERGE, ("k",))
        done_first = pool.submit(first.write, target, KEYED, first_rows())
        wait_until(lambda: "first: half-way" in events, "the first writer is half-way")
        done_second = pool.submit(second.write, target, KEYED, second_rows())
        assert (done_first.result(timeout=30), done_second.result(timeout=30)) == (3, 2)

    assert events == [
        "first: half-way",
        "first: the second writer waits",
        "first: all rows given",
        "second: reading its rows",
    ]
    assert rows_of(db, "t") == [("a", 2, "second"), ("b", 1, "first"), ("c", 2, "second")]


def test_writers_to_different_tables_do_not_wait_for_each_other(url, db):
    other_done = threading.Event()

    def slow_rows():
        yield [("a", 1, "x")]
        assert other_done.wait(timeout=20), "the other table's write waited for this one"

    with PostgresStore(url) as slow, PostgresStore(url) as quick, ThreadPoolExecutor(1) as pool:
        slow_write = pool.submit(slow.write, Target("one"), KEYED, slow_rows())
        wait_until(lambda: advisory_locks(db, "one", granted=True) == 1, "the slow write holds its lock")
        assert quick.write(Target("two"), KEYED, [[("b", 2, "y")]]) == 1
        other_done.set()
        assert slow_write.result(timeout=30) == 1


def test_transactions_with_the_same_lock_name_take_turns(url, db):
    events = []

    def take_turn():
        with waiter.transaction(lock="job"):
            events.append("waiter: has the lock")

    with PostgresStore(url) as holder, PostgresStore(url) as waiter, ThreadPoolExecutor(1) as pool:
        with holder.transaction(lock="job"):
            with waiter.transaction(lock="another job"):
                events.append("waiter: another name is free")
            turn = pool.submit(take_turn)
            wait_until(lambda: advisory_locks(db, "job", granted=False) == 1, "the waiter waits for the lock")
            events.append("holder: done")
        turn.result(timeout=30)
    assert events == ["waiter: another name is free", "holder: done", "waiter: has the lock"]
    assert advisory_locks(db, "job", granted=True) == 0


def test_a_merge_into_a_table_with_rows_does_not_hold_up_other_writers(url, store, db):
    store.write(Target("t", WriteMode.MERGE, ("k",)), KEYED, [[("a", 1, "x")]])
    inserted = threading.Event()

    def rows():
        yield [("b", 2, "merged")]
        db.execute("SET statement_timeout = '10s'")
        db.execute("INSERT INTO \"t\" VALUES ('c', 3, 'meanwhile')")
        inserted.set()
        yield [("d", 4, "merged")]

    assert store.write(Target("t", WriteMode.MERGE, ("k",)), KEYED, rows()) == 2
    assert inserted.is_set()
    assert [row[0] for row in rows_of(db, "t")] == ["a", "b", "c", "d"]


# -- a writer killed half-way ---------------------------------------------------------------

KILLED_WRITER = """
import sys, time
from spine import Field, Schema, Target
from spine_store_postgres._store import PostgresStore

url, mode, keys = sys.argv[1], sys.argv[2], tuple(filter(None, sys.argv[3].split(",")))
schema = Schema((Field("k", "string"), Field("n", "integer"), Field("v", "string")))

def rows():
    yield [(f"new{i}", i, "new") for i in range(20_000)]
    print("half-way", flush=True)
    time.sleep(600)
    yield [("never", 0, "never")]

store = PostgresStore(url)
with store.transaction() as session:
    print(session.query("SELECT current_schema()")[0][0], flush=True)
store.write(Target("t", mode, keys), schema, rows())
"""


@pytest.mark.parametrize("mode", list(WriteMode))
def test_a_writer_killed_half_way_leaves_the_table_and_no_lock(url, schema, store, db, mode):
    before = [("a", 1, "kept"), ("b", 2, "kept")]
    store.write(Target("t", WriteMode.MERGE, ("k",)), KEYED, [before])
    name = f"spine-test-killed-{os.getpid()}"
    keys = "k" if mode is WriteMode.MERGE else ""
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, with_params(url, application_name=name), mode, keys],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline() == f"{schema}\n"
        assert writer.stdout.readline() == "half-way\n"
        assert advisory_locks(db, "t", granted=True) == 1
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
        writer.stdout.close()  # type: ignore[union-attr]

    def backend_gone():
        return db.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (name,)
        ).fetchone() == (0,)

    wait_until(backend_gone, "the server ends the killed writer's session")
    assert advisory_locks(db, "t", granted=True) == 0
    assert rows_of(db, "t") == before
    assert store.write(Target("t", mode, ("k",) if keys else ()), KEYED, [[("c", 3, "again")]]) == 1


def test_a_lock_is_the_schemas_own_so_spine_in_another_schema_never_waits(server_url, store, db):
    other = f"spine_other_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{other}"')
    try:
        elsewhere = with_params(server_url, options=f"-csearch_path={other} -clock_timeout=2s")
        with store.transaction(lock="t"), PostgresStore(elsewhere) as second:
            assert advisory_locks(db, "t", granted=True) == 1
            # The same table name in another schema: not held up by the lock above.
            assert second.write(Target("t"), KEYED, [[("a", 1, "x")]]) == 1
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{other}" CASCADE')
