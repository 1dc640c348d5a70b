"""transaction() and columns(): the kernel's own statements, in portable SQL."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from spine import LoadError, Target
from spine_store_postgres._store import PostgresStore

from .pg_helpers import KEYED, Broken, rows_of, with_params


def test_question_marks_are_parameters_and_percent_signs_stay_text(store):
    with store.transaction() as session:
        rows = session.query(
            "SELECT '100%', '?', 'it''s ?' /* ? */, ?, ? || '%' -- ?\n WHERE ? LIKE ?",
            ("x", "50", "abc%", "ab%"),
        )
    assert rows == [("100%", "?", "it's ?", "x", "50%")]


def test_statements_commit_together_and_values_round_trip(store, db):
    store.write(Target("t"), KEYED, [])
    with store.transaction() as session:
        session.execute('CREATE TABLE "typed" ("d" numeric, "day" date, "at" timestamp, "ok" boolean)')
        session.executemany(
            'INSERT INTO "typed" VALUES (?, ?, ?, ?)',
            (
                (Decimal("1.10"), date(2026, 1, 5), datetime(2026, 1, 5, 9, 30), True),
                (None, None, None, None),
            ),
        )
        session.execute('INSERT INTO "t" VALUES (?, ?, ?)', ("a", 1, "x"))
        assert db.execute('SELECT count(*) FROM "t"').fetchone() == (0,)  # not before the commit
    assert rows_of(db, "t") == [("a", 1, "x")]
    assert db.execute('SELECT * FROM "typed" ORDER BY "d"').fetchall() == [
        (Decimal("1.10"), date(2026, 1, 5), datetime(2026, 1, 5, 9, 30), True),
        (None, None, None, None),
    ]


def test_a_failing_block_rolls_back_and_its_exception_goes_on(store, db):
    store.write(Target("t"), KEYED, [[("a", 1, "x")]])
    with pytest.raises(Broken), store.transaction() as session:
        session.execute('DELETE FROM "t"')
        raise Broken("undo")
    assert rows_of(db, "t") == [("a", 1, "x")]


def test_a_failing_statement_is_a_load_error_with_its_sqlstate(store, db):
    store.write(Target("t"), KEYED, [[("a", 1, "x")]])
    with (
        pytest.raises(LoadError, match='column "missing" does not exist') as failure,
        store.transaction() as session,
    ):
        session.execute('DELETE FROM "t"')
        session.execute('SELECT "missing" FROM "t"')
    assert failure.value.context["sqlstate"] == "42703"
    assert rows_of(db, "t") == [("a", 1, "x")]
    with store.transaction() as session:  # the connection is usable again
        assert session.query("SELECT 1") == [(1,)]


def test_columns_inside_a_transaction_see_its_own_tables(store, db):
    with store.transaction() as session:
        session.execute('CREATE TABLE "fresh" ("b" text, "a" bigint)')
        assert store.columns("fresh") == ["b", "a"]
        assert db.execute("SELECT to_regclass('fresh')").fetchone() == (None,)  # not committed yet
    assert store.columns("fresh") == ["b", "a"]


def test_columns_ignore_dropped_columns(store, db):
    db.execute('CREATE TABLE "t" ("a" text, "gone" text, "b" text)')
    db.execute('ALTER TABLE "t" DROP COLUMN "gone"')
    assert store.columns("t") == ["a", "b"]
    assert store.columns("T") is None  # names are exact, as the store quotes them


def test_tables_live_in_the_current_schema_not_further_down_the_search_path(server_url, schema, db):
    later = f"{schema}_later"
    db.execute(f'CREATE SCHEMA "{later}"')
    db.execute(f'CREATE TABLE "{later}"."t" ("k" text)')
    try:
        with PostgresStore(with_params(server_url, options=f"-csearch_path={schema},{later}")) as store:
            assert store.columns("t") is None
            store.write(Target("t"), KEYED, [[("a", 1, "x")]])
            assert store.columns("t") == ["k", "n", "v"]
        assert rows_of(db, "t") == [("a", 1, "x")]
    finally:
        db.execute(f'DROP SCHEMA "{later}" CASCADE')


def test_writes_inside_a_transaction_commit_or_roll_back_with_it(store, db):
    with pytest.raises(Broken), store.transaction():
        store.write(Target("t"), KEYED, [[("a", 1, "x")]])
        store.write(Target("t"), KEYED, [[("b", 2, "y")]])
        raise Broken("undo both")
    assert store.columns("t") is None
    with store.transaction():
        store.write(Target("t"), KEYED, [[("a", 1, "x")]])
        store.write(Target("t"), KEYED, [[("b", 2, "y")]])
    assert rows_of(db, "t") == [("a", 1, "x"), ("b", 2, "y")]
