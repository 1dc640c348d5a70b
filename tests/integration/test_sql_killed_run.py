"""A `spine load` of PostgreSQL killed (SIGKILL) in the middle of its read: the target
table and the incremental mark are as they were, and the next run reads everything.

The read is held, not slowed: the view read calls a function that, on the last row,
waits for an advisory lock the test holds. So the run is killed while it is certainly
mid-read (the rows before the last have been fetched, the server is computing the
last), and the test waits only for conditions, never for time to pass.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
import spine
import spine_store_postgres
from spine_source_sql._source import open_sql

from ..fixtures import SPINE
from ..sql_databases import pg_store_url

DEADLINE = 60  # seconds: generous, for a loaded machine; the test only waits for conditions
FIRST, TOTAL = 100, 2000  # rows of the first run, and in all
LOCK_CLASS = 0x5350  # the advisory lock's first key ("SP"); the second is the test's own


def wait_for(what: str, condition: Callable[[], Any], process: subprocess.Popen[str]) -> Any:
    """`condition()` once it is true; fails after DEADLINE or when `process` ends first."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        if process.poll() is not None:
            _, stderr = process.communicate()
            pytest.fail(f"spine load ended (exit {process.returncode}) before {what}: {stderr}")
        time.sleep(0.05)
    pytest.fail(f"no {what} within {DEADLINE}s")


def test_a_run_killed_mid_read_leaves_table_and_mark_and_the_next_run_reads_everything(
    pg: psycopg.Connection[Any],
    pg_server: str,
    pg_schema: str,
    target_schema: str,
    env: dict[str, str],
) -> None:
    store = pg_store_url(pg_server, target_schema)
    load = [SPINE, "load", pg_server, "-o", f"table={pg_schema}.feed", "-o", "cursor=id"]
    load += ["--table", "feed_copy", "--store", store, "--json"]
    pg.execute("CREATE TABLE events (id int PRIMARY KEY, payload text NOT NULL)")
    pg.execute(f"INSERT INTO events SELECT i, repeat('x', 100) FROM generate_series(1, {FIRST}) i")
    pg.execute("CREATE VIEW feed AS SELECT id, payload FROM events")

    def run_to_the_end() -> dict[str, Any]:
        done = subprocess.run(load, capture_output=True, text=True, env=env, timeout=DEADLINE)
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))

    def copied() -> tuple[int, int]:
        found = pg.execute(f'SELECT count(*), max(id) FROM "{target_schema}".feed_copy').fetchone()
        assert found is not None
        return found[0], found[1]

    with spine.Spine(entry_points=False, environ={}, plugins=[spine_store_postgres]) as reader:
        key = open_sql(pg_server, table=f"{pg_schema}.feed", cursor="id").state_key()
        assert key is not None

        def mark() -> Any:
            saved = reader.runlog(store).state("load", key)
            return None if saved is None else json.loads(saved)["mark"]

        assert run_to_the_end()["rows_written"] == FIRST
        assert copied() == (FIRST, FIRST) and mark() == str(FIRST)

        # New rows, and the view's last row held by a lock the test takes first.
        pg.execute(
            f"INSERT INTO events SELECT i, repeat('x', 100) FROM generate_series({FIRST + 1}, {TOTAL}) i"
        )
        lock = random.randrange(1, 2**31)
        pg.execute(
            "CREATE FUNCTION held(i int, p text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN "
            f"IF i = {TOTAL} THEN PERFORM pg_advisory_xact_lock({LOCK_CLASS}, {lock}); END IF; "
            "RETURN p; END $$"
        )
        pg.execute("CREATE OR REPLACE VIEW feed AS SELECT id, held(id, payload) AS payload FROM events")
        with psycopg.connect(pg_server) as holder:  # a transaction: the lock is kept until it ends
            holder.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, lock))
            with subprocess.Popen(
                load, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
            ) as process:
                try:
                    wait_for("a run recorded as running", lambda: _running(pg, target_schema), process)
                    reader_pid, query = wait_for(
                        "a read waiting at the last row", lambda: _held(pg, lock), process
                    )
                    # A cursor fetching its rows chunk by chunk: those before the last were read.
                    assert query.startswith("FETCH"), query
                    os.kill(process.pid, signal.SIGKILL)
                finally:
                    if process.poll() is None:
                        process.kill()
            # The killed process's server session would wait for the lock, then for the
            # client to take its rows: it is ended here.
            pg.execute("SELECT pg_terminate_backend(%s)", (reader_pid,))
            holder.rollback()
        assert process.returncode == -signal.SIGKILL

        assert copied() == (FIRST, FIRST)
        assert mark() == str(FIRST)
        assert _running(pg, target_schema) == 1  # recorded as running when it was killed

        pg.execute("CREATE OR REPLACE VIEW feed AS SELECT id, payload FROM events")
        assert run_to_the_end()["rows_written"] == TOTAL - FIRST
        assert copied() == (TOTAL, TOTAL)
        assert mark() == str(TOTAL)
        # The killed run's process is gone: the next reader of the records closes it as failed.
        closed = reader.close_abandoned(store=store)
        assert [run.status for run in closed] == ["failed"] and _running(pg, target_schema) == 0


def _running(pg: psycopg.Connection[Any], schema: str) -> int:
    """How many runs the store records as running (none before its run-log tables exist)."""
    found = pg.execute("SELECT to_regclass(%s)", (f'"{schema}".spine_runs',)).fetchone()
    if found is None or found[0] is None:
        return 0
    counted = pg.execute(f"SELECT count(*) FROM \"{schema}\".spine_runs WHERE status = 'running'").fetchone()
    return 0 if counted is None else int(counted[0])


def _held(pg: psycopg.Connection[Any], lock: int) -> tuple[int, str] | None:
    """The server session waiting for the test's advisory lock, and its statement."""
    return pg.execute(
        "SELECT l.pid, a.query FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND NOT l.granted AND l.classid = %s AND l.objid = %s "
        "AND l.objsubid = 2",
        (LOCK_CLASS, lock),
    ).fetchone()
