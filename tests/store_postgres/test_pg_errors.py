"""Errors: LoadError with context, retryable when a retry may help, never a password."""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import errors, sql
from spine import LoadError, Target, WriteMode
from spine_store_postgres._errors import is_retryable
from spine_store_postgres._store import PostgresStore

from ..disks import small_disk, unavailable
from .pg_helpers import KEYED, rows_of, with_params

PASSWORD = "hunter2-s3cret"


def _texts(error):
    """Everything a user, a log or a traceback can show of `error` and its causes."""
    seen = []
    while error is not None:
        seen += [str(error), repr(error), repr(getattr(error, "context", ""))]
        error = error.__cause__ or error.__context__
    return "\n".join(seen)


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def test_an_unreachable_server_is_a_retryable_load_error_without_the_password(logs):
    store = PostgresStore(f"postgresql://spine:{PASSWORD}@127.0.0.1:1/test")
    with pytest.raises(
        LoadError, match=r"cannot connect \(postgresql://spine:\*\*\*@127.0.0.1:1/test\)"
    ) as failure:
        store.write(Target("t"), KEYED, [[("a", 1, "x")]])
    assert failure.value.retryable
    assert failure.value.context == {"store": "postgresql://spine:***@127.0.0.1:1/test", "sqlstate": None}
    for call in (lambda: store.columns("t"), lambda: store.transaction().__enter__()):
        with pytest.raises(LoadError, match="cannot connect") as again:
            call()
        assert PASSWORD not in _texts(again.value)
    assert PASSWORD not in _texts(failure.value)
    assert "connecting to postgresql://spine:***@127.0.0.1:1/test" in logs.text
    assert PASSWORD not in logs.text


def _with_password(url):
    """`url` and its password: its own when it has one, else ours (a trusting server takes any)."""
    parts = urlsplit(url)
    if parts.password:
        return url, unquote(parts.password)
    netloc = f"{parts.username or 'postgres'}:{PASSWORD}@{parts.netloc.rpartition('@')[2]}"
    return urlunsplit(parts._replace(netloc=netloc)), PASSWORD


def test_the_password_appears_in_no_message_and_no_log(server_url, schema, logs):
    url, password = _with_password(with_params(server_url, options=f"-csearch_path={schema}"))
    with PostgresStore(url) as store:
        assert password not in store.describe()
        store.write(Target("t", WriteMode.MERGE, ("k",)), KEYED, [[("a", 1, "x")]])
        with pytest.raises(LoadError) as failure:
            store.write(Target("t"), KEYED, [[("a", 1, "duplicate")]])
        with pytest.raises(LoadError) as in_transaction, store.transaction() as session:
            session.execute("SELECT no_such_column FROM t")
    assert password not in _texts(failure.value) + _texts(in_transaction.value)
    assert "wrote 1 rows into t (merge: 1 inserted or changed) on postgresql://" in logs.text
    assert ":***@" in logs.text
    assert password not in logs.text


def test_a_lost_connection_is_retryable_and_the_next_use_reconnects(store, db):
    store.write(Target("t"), KEYED, [[("a", 1, "x")]])
    with store.transaction() as session:
        ((pid,),) = session.query("SELECT pg_backend_pid()")
    db.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(LoadError) as failure:
        store.write(Target("t"), KEYED, [[("b", 2, "lost")]])
    assert failure.value.retryable
    assert "the connection to the server was lost" in str(failure.value)
    assert store.write(Target("t"), KEYED, [[("c", 3, "y")]]) == 1
    assert rows_of(db, "t") == [("a", 1, "x"), ("c", 3, "y")]


def test_a_deadlock_is_retryable(url, store, db):
    store.write(Target("t", WriteMode.MERGE, ("k",)), KEYED, [[("a", 1, "x"), ("b", 2, "y")]])
    both_hold_a_row = threading.Barrier(2, timeout=20)

    def cross(first, second):
        with PostgresStore(url) as own, own.transaction() as session:
            session.execute('UPDATE "t" SET "n" = "n" + 1 WHERE "k" = ?', (first,))
            both_hold_a_row.wait()
            session.execute('UPDATE "t" SET "n" = "n" + 1 WHERE "k" = ?', (second,))

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(cross, "a", "b"), pool.submit(cross, "b", "a")]
        outcomes = [future.exception() for future in futures]
    [deadlock] = [outcome for outcome in outcomes if outcome is not None]  # PostgreSQL picks one victim
    assert isinstance(deadlock, LoadError) and deadlock.retryable
    assert deadlock.context["sqlstate"] == "40P01"
    assert rows_of(db, "t") == [("a", 2, "x"), ("b", 3, "y")]  # the survivor's two updates only


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (errors.SerializationFailure("could not serialize access"), True),
        (errors.DeadlockDetected("deadlock detected"), True),
        (errors.AdminShutdown("terminating connection"), True),
        (errors.CannotConnectNow("the database system is starting up"), True),
        (errors.TooManyConnections("sorry, too many clients already"), True),
        (errors.ConnectionFailure("connection failure"), True),
        (psycopg.OperationalError("server closed the connection unexpectedly"), True),
        (errors.UniqueViolation("duplicate key value"), False),
        (errors.UndefinedColumn("column does not exist"), False),
        (errors.QueryCanceled("canceling statement due to statement timeout"), False),
        (psycopg.DataError("expected 3 values in row, got 2"), False),
    ],
)
def test_which_errors_are_retryable(error, retryable):
    assert is_retryable(error) is retryable


def test_a_connection_lost_in_the_middle_of_a_load_says_so_and_the_next_use_reconnects(
    server_url, schema, db
):
    name = f"spine-test-{uuid.uuid4().hex[:12]}"
    url, password = _with_password(
        with_params(server_url, options=f"-csearch_path={schema}", application_name=name)
    )
    with PostgresStore(url) as store:
        store.write(Target("t", WriteMode.MERGE, ("k",)), KEYED, [[("a", 1, "kept")]])

        def cut_off_half_way():
            yield [("b", 2, "lost")]
            db.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (name,)
            )
            yield [(f"c{row}", row, "lost") for row in range(5000)]

        with pytest.raises(LoadError) as failure:
            store.write(Target("t", WriteMode.MERGE, ("k",)), KEYED, cut_off_half_way())
        assert str(failure.value).startswith(
            f"cannot write 't' ({store.describe()}): the connection to the server was lost ("
        )
        assert failure.value.retryable
        assert password not in _texts(failure.value)
        assert store.write(Target("t", WriteMode.MERGE, ("k",)), KEYED, [[("d", 4, "new")]]) == 1
    assert rows_of(db, "t") == [("a", 1, "kept"), ("d", 4, "new")]


@pytest.fixture
def small_tablespace(server_url, schema):
    """A tablespace on a tmpfs of a few megabytes, for the tables of the test's schema.

    The server must run on this machine, where the tests can mount a disk it writes to.
    """
    with psycopg.connect(server_url, autocommit=True) as admin:
        (data_directory,) = admin.execute("SHOW data_directory").fetchone()
        if not os.path.isdir(data_directory):
            unavailable(f"PostgreSQL at {server_url} does not keep its files on this machine")
        # Not under pytest's folders: the server's own user must reach the mount point.
        folder = Path(tempfile.mkdtemp(prefix="spine-pg-disk-"))
        folder.chmod(0o755)
        name = f"spine_small_{uuid.uuid4().hex[:12]}"
        with small_disk(folder, owner="postgres"):
            admin.execute(
                sql.SQL("CREATE TABLESPACE {} LOCATION {}").format(sql.Identifier(name), str(folder))
            )
            try:
                yield name
            finally:
                admin.execute("SET lock_timeout = '30s'")
                tables = admin.execute(
                    "SELECT schemaname, tablename FROM pg_tables WHERE tablespace = %s", (name,)
                ).fetchall()
                for table in tables:
                    admin.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(*table)))
                admin.execute(sql.SQL("DROP TABLESPACE {}").format(sql.Identifier(name)))
        folder.rmdir()


def test_a_full_disk_on_the_server_says_so_and_leaves_the_table_as_it_was(
    server_url, schema, small_tablespace, db
):
    url = with_params(server_url, options=f"-csearch_path={schema} -cdefault_tablespace={small_tablespace}")
    with PostgresStore(url) as store:
        store.write(Target("t", WriteMode.MERGE, ("k",)), KEYED, [[("a", 1, "kept")]])
        many = ([(f"k{batch}-{row}", row, "v" * 200) for row in range(500)] for batch in range(1000))
        with pytest.raises(LoadError) as failure:
            store.write(Target("t", WriteMode.APPEND), KEYED, many)
        message = str(failure.value)
        assert message.startswith(
            f"cannot write 't' ({store.describe()}): the database server's disk is full ("
        )
        assert "No space left on device" in message
        assert failure.value.context["sqlstate"] == "53100"
        assert not failure.value.retryable
        with store.transaction() as session:  # the same connection goes on
            assert session.query('SELECT * FROM "t"') == [("a", 1, "kept")]
