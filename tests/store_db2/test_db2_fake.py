"""The Db2 store on the fake ibm_db: the kernel's store contract, the Db2 behaviours, the
exact SQL it sends (golden files), how it batches, and how it reports failures."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from spine import Field, LoadError, Schema, Target, WriteMode
from spine.testing import StoreContract
from spine_store_db2 import _load
from spine_store_db2._sql import ADD_LOCK, CREATE_LOCKS
from spine_store_db2._store import Db2Store

from .behaviours import KEYED, MERGE, Db2Behaviours, rows
from .fake_ibm_db import Call, FakeIbmDb, db2_error
from .urls import PASSWORD

GOLDEN = Path(__file__).with_name("golden")
REWRITE_GOLDEN = os.environ.get("SPINE_DB2_GOLDEN") == "rewrite"

DEADLOCK = ("40001", -911, 'SQL0911N  The current transaction has been rolled back. Reason code "2".')
COMMUNICATION = ("08001", -30081, "SQL30081N  A communication error has been detected.")


class TestContract(StoreContract):
    @pytest.fixture
    def store(self, make_store):
        return make_store()


class TestBehaviours(Db2Behaviours):
    pass


# -- the SQL it sends ------------------------------------------------------------------------

EVERY_TYPE = Schema(
    (
        Field("symbol", "string", length=12),
        Field("mpid", "string", length=4),
        Field("name", "string"),
        Field("trades", "integer"),
        Field("shares", "decimal"),
        Field("price", "decimal", precision=18, scale=6),
        Field("ratio", "float"),
        Field("ats", "boolean"),
        Field("week", "date"),
        Field("updated_at", "timestamp"),
    )
)
ROW = ("BRK.B", "OTCN", "Berkshire", 3, Decimal("10.5"), Decimal("1.25"), 0.5, True, date(2026, 1, 5), None)
WEEKLY = Target("weekly", WriteMode.MERGE, ("symbol", "mpid"))
NARROW = Schema(EVERY_TYPE.fields[:3])


def _write(mode: WriteMode) -> Callable[[Db2Store], object]:
    keys = WEEKLY.keys if mode is WriteMode.MERGE else ()
    return lambda store: store.write(Target("weekly", mode, keys), EVERY_TYPE, [[ROW], [ROW]])


def _transaction_with_a_lock(store: Db2Store) -> None:
    with store.transaction(lock="spine_runs") as session:
        session.execute('DELETE FROM "weekly" WHERE "symbol" = ?', ("BRK.B",))


SCENARIOS: dict[str, tuple[Callable[[Db2Store], object] | None, Callable[[Db2Store], object]]] = {
    # name: (what runs before recording starts, what is recorded)
    "merge_into_a_new_table": (None, _write(WriteMode.MERGE)),
    "merge_into_an_existing_table": (_write(WriteMode.MERGE), _write(WriteMode.MERGE)),
    "append": (_write(WriteMode.APPEND), _write(WriteMode.APPEND)),
    "append_adding_columns": (
        lambda store: store.write(Target("weekly"), NARROW, [[ROW[:3]]]),
        _write(WriteMode.APPEND),
    ),
    "merge_creating_its_unique_index": (
        lambda store: store.write(Target("weekly"), EVERY_TYPE, [[ROW]]),
        _write(WriteMode.MERGE),
    ),
    "replace": (_write(WriteMode.APPEND), _write(WriteMode.REPLACE)),
    "columns": (None, lambda store: store.columns("weekly")),
    "transaction_with_a_lock": (_write(WriteMode.MERGE), _transaction_with_a_lock),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_the_sql_sent_is_the_golden_sql(store, fake, scenario):
    before, recorded = SCENARIOS[scenario]
    with store.transaction():
        pass  # connected: SET SCHEMA names the test's own schema, not part of the record
    if before is not None:
        before(store)
    fake.calls.clear()
    recorded(store)
    text = "".join(f"{statement};\n\n" for statement in fake.statements())
    path = GOLDEN / f"{scenario}.sql"
    if REWRITE_GOLDEN:
        path.write_text(text)
        pytest.fail(f"rewrote {path.name}: review the diff, then run again without SPINE_DB2_GOLDEN")
    assert path.exists(), f"no {path.name}: run with SPINE_DB2_GOLDEN=rewrite, and review it"
    assert text == path.read_text(), f"the SQL differs from {path.name} (SPINE_DB2_GOLDEN=rewrite to update)"


def test_connecting_sends_the_url_as_a_connection_string_then_enters_the_schema(store, fake, pg_schema):
    store.columns("anything")
    assert fake.calls[:3] == [
        Call(
            "connect",
            None,
            (
                f"DATABASE=TESTDB;HOSTNAME=db2.test;PORT=50000;PROTOCOL=TCPIP;UID=spine;PWD={PASSWORD};",
                "",
                "",
            ),
        ),
        Call("exec_immediate", f'SET SCHEMA "{pg_schema}"'),
        Call("autocommit", None, (FakeIbmDb.SQL_AUTOCOMMIT_OFF,)),
    ]
    store.columns("anything")
    assert [call.function for call in fake.calls].count("connect") == 1


def test_columns_outside_a_transaction_ends_its_unit_of_work(store, fake):
    assert store.columns("missing") is None
    assert fake.calls[-1].function == "commit"


def test_column_types_leave_out_the_columns_of_types_without_a_logical_match(store):
    with store.transaction() as session:
        session.execute(
            'CREATE TABLE "by_hand" ("id" INTEGER, "small" SMALLINT, "code" CHAR(3), "note" TEXT, '
            '"r" REAL, "payload" BYTEA, "doc" JSONB)'
        )
    assert store.columns("by_hand") == ["id", "small", "code", "note", "r", "payload", "doc"]
    assert store.column_types("by_hand") == {
        "id": "integer",
        "small": "integer",
        "code": "string",
        "note": "string",
        "r": "float",
    }


def test_column_types_inside_a_transaction_read_through_its_unit_of_work(store, fake):
    with store.transaction() as session:
        session.execute('CREATE TABLE "uncommitted" ("k" VARCHAR(5), "n" BIGINT)')
        fake.calls.clear()
        assert store.column_types("uncommitted") == {"k": "string", "n": "integer"}
        assert [call.function for call in fake.calls if call.function in ("commit", "rollback")] == []


# -- batches ----------------------------------------------------------------------------------


def test_rows_are_staged_numbered_and_checked_in_execute_many_calls_across_batches(store, fake, monkeypatch):
    monkeypatch.setattr(_load, "STAGE_ROWS", 2)
    schema = Schema((Field("k", "string"), Field("ratio", "float"), Field("at", "timestamp")))
    aware = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    store.write(
        Target("b", WriteMode.MERGE, ("k",)),
        schema,
        [[("a", 1, aware)], [], [("b", 2.5, None), ("a", 3, None)]],
    )
    assert fake.batches() == [
        ((1, "a", 1.0, datetime(2026, 1, 5, 12, 0)), (2, "b", 2.5, None)),
        ((3, "a", 3.0, None),),
    ]
    staging_inserts = [
        sql for sql in fake.statements() if sql.startswith('INSERT INTO SESSION."spine:staging"')
    ]
    assert len(staging_inserts) == 1, "prepared once for every execute_many"
    assert rows(store, "b") == [("a", 3.0, None), ("b", 2.5, None)]


def test_an_empty_input_sends_no_execute_many(store, fake):
    assert store.write(MERGE, KEYED, [[], []]) == 0
    assert fake.batches() == []


def test_the_session_sends_kernel_sql_as_it_is(store, fake):
    store.write(MERGE, KEYED, [[("a", 1, "x")]])
    with store.transaction() as session:
        session.executemany(
            'INSERT INTO "m" ("k", "n", "v") VALUES (?, ?, ?)', iter([("b", 2, "y"), ("c", 3, "z")])
        )
        found = session.query('SELECT "k" FROM "m" WHERE "n" >= ? ORDER BY "k"', (2,))
    assert found == [("b",), ("c",)]
    assert 'INSERT INTO "m" ("k", "n", "v") VALUES (?, ?, ?)' in fake.statements()
    assert fake.batches()[-1] == (("b", 2, "y"), ("c", 3, "z"))


def test_staging_fewer_rows_than_sent_fails_the_load(store, fake, monkeypatch):
    execute_many = fake.execute_many
    monkeypatch.setattr(fake, "execute_many", lambda statement, rows: execute_many(statement, rows) - 1)
    with pytest.raises(LoadError, match=r"Db2 staged 1 of 2 rows of the load into 'm'"):
        store.write(MERGE, KEYED, [[("a", 1, "x"), ("b", 2, "y")]])
    assert store.columns("m") is None


# -- failures ---------------------------------------------------------------------------------


def test_a_deadlock_is_retryable_and_leaves_the_table_as_it_was(store, fake):
    store.write(MERGE, KEYED, [[("a", 1, "kept")]])
    fake.fail("exec_immediate", "MERGE", error=db2_error(*DEADLOCK))
    with pytest.raises(LoadError) as caught:
        store.write(MERGE, KEYED, [[("a", 2, "lost")]])
    error = caught.value
    assert error.retryable
    assert error.context == {
        "store": store.describe(),
        "sqlstate": "40001",
        "sqlcode": -911,
        "table": "m",
    }
    assert str(error).startswith('MERGE INTO "m" AS T USING (SELECT "k", "n", "v" FROM ( SELEC... failed (')
    assert f"({store.describe()}): [IBM][CLI Driver]" in str(error)
    assert "SQL0911N" in str(error)
    assert fake.calls[-1].function == "rollback"
    assert rows(store, "m") == [("a", 1, "kept")]


def test_a_lock_timeout_is_retryable(store, make_store, pg_url):
    impatient = FakeIbmDb(pg_url, lock_timeout_ms=200)
    other = make_store(impatient)
    with store.transaction(lock="warm-up"):
        pass
    with store.transaction(lock="busy"), pytest.raises(LoadError) as caught, other.transaction(lock="busy"):
        pass
    assert caught.value.retryable
    assert (caught.value.context["sqlstate"], caught.value.context["sqlcode"]) == ("40001", -911)
    with other.transaction(lock="busy"):
        pass  # free again, on the same connection


def test_a_duplicate_key_is_not_retryable(store):
    store.write(MERGE, KEYED, [[("a", 1, "x")]])
    with pytest.raises(LoadError) as caught:
        store.write(Target("m", WriteMode.APPEND), KEYED, [[("a", 2, "y")]])
    assert not caught.value.retryable
    assert (caught.value.context["sqlstate"], caught.value.context["sqlcode"]) == ("23505", -803)
    assert rows(store, "m") == [("a", 1, "x")]


def test_a_failed_connection_is_retryable_and_never_shows_the_password(store, fake):
    echoed = (
        f"DATABASE=TESTDB;HOSTNAME=db2.test;PWD={PASSWORD}; for spine/{PASSWORD} "
        f"(db2://spine:{quote(PASSWORD, safe='')}@db2.test)"
    )
    fake.fail("connect", error=db2_error(*COMMUNICATION[:2], f"{COMMUNICATION[2]} {echoed}"))
    with pytest.raises(LoadError) as caught:
        store.columns("t")
    error = caught.value
    assert error.retryable
    assert error.context["sqlcode"] == -30081
    everything = f"{error} {error.context} {error!r} {store.describe()}"
    for secret in (PASSWORD, quote(PASSWORD, safe=""), quote(PASSWORD)):
        assert secret not in everything
    assert "PWD=***" in str(error)
    assert error.__cause__ is None and error.__context__ is None  # no unmasked driver error chained


def test_an_error_without_text_takes_its_reason_from_stmt_errormsg(store, fake):
    reason = "[IBM][CLI Driver] CLI0111E  Numeric value out of range. SQLSTATE=22003 SQLCODE=-99999"
    fake.fail("execute_many", error=Exception(""), errormsg=reason)
    with pytest.raises(LoadError, match="CLI0111E Numeric value out of range") as caught:
        store.write(MERGE, KEYED, [[("a", 1, "x")]])
    assert (caught.value.context["sqlstate"], caught.value.retryable) == ("22003", False)


def test_a_lost_connection_is_opened_again_by_the_next_transaction(store, fake):
    store.write(MERGE, KEYED, [[("a", 1, "x")]])
    fake.fail("exec_immediate", "MERGE", error=db2_error(*COMMUNICATION))
    with pytest.raises(LoadError) as caught:
        store.write(MERGE, KEYED, [[("b", 2, "y")]])
    assert caught.value.retryable
    assert fake.calls[-1].function == "close"
    store.write(MERGE, KEYED, [[("b", 2, "y")]])
    assert [call.function for call in fake.calls].count("connect") == 2
    assert rows(store, "m") == [("a", 1, "x"), ("b", 2, "y")]


def test_the_first_error_is_raised_when_the_rollback_fails_too(store, fake):
    store.write(MERGE, KEYED, [[("a", 1, "x")]])
    fake.fail("exec_immediate", "MERGE", error=db2_error("23505", -803, "SQL0803N  Duplicate."))
    fake.fail("rollback", error=db2_error(*COMMUNICATION))
    with pytest.raises(LoadError, match="SQL0803N"):
        store.write(MERGE, KEYED, [[("b", 2, "y")]])
    assert fake.calls[-1].function == "close"
    assert store.write(MERGE, KEYED, [[("b", 2, "y")]]) == 1


def test_a_failed_commit_rolls_back(store, fake):
    store.write(MERGE, KEYED, [[("a", 1, "x")]])
    fake.fail("commit", error=db2_error(*DEADLOCK))
    with pytest.raises(LoadError) as caught:
        store.write(MERGE, KEYED, [[("a", 2, "y")]])
    assert caught.value.retryable
    assert rows(store, "m") == [("a", 1, "x")]


def test_transactions_do_not_nest(store):
    with store.transaction(), pytest.raises(LoadError, match="already open"), store.transaction():
        pass


def test_a_lock_table_and_row_added_meanwhile_elsewhere_are_used(store, fake):
    with store.transaction(lock="contended"):
        pass
    # As if another transaction had not yet committed them when this one looked.
    fake.fail("prepare", 'UPDATE "spine_locks"', error=db2_error("42704", -204, "SQL0204N  Undefined."))
    with store.transaction(lock="contended"):
        pass
    updates = [sql for sql in fake.statements() if sql.startswith('UPDATE "spine_locks"')]
    # the first transaction's, the refused one, and the one after CREATE and INSERT found both there
    assert len(updates) == 3
    assert fake.statements()[-3:-1] == [CREATE_LOCKS, ADD_LOCK]


def test_describe_names_the_store_without_its_password(store, pg_schema):
    assert store.describe() == f"db2://spine@db2.test:50000/TESTDB?schema={pg_schema}"
