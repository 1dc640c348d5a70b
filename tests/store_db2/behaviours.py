"""What the Db2 store does beyond the kernel's store contract, for any driver.

`Db2Behaviours` runs against the fake ibm_db (test_db2_fake.py) and, when
``SPINE_TEST_DB2_URL`` is set, against a real Db2 (test_db2_live.py). A subclass
provides `store` and `other_store`: two stores on one fresh, empty schema, each
with its own connection.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from spine import ConfigError, Field, LoadError, Schema, Target, WriteMode
from spine_store_db2._sql import UNIQUE_KEYS
from spine_store_db2._store import Db2Store

KEYED = Schema((Field("k", "string"), Field("n", "integer"), Field("v", "string")))
MERGE = Target("m", WriteMode.MERGE, ("k",))


def rows(store: Db2Store, table: str, order_by: str = "k") -> list[tuple[Any, ...]]:
    with store.transaction() as session:
        return session.query(f'SELECT * FROM "{table}" ORDER BY "{order_by}"')


def changed(caplog: pytest.LogCaptureFixture) -> list[int]:
    """The rows each write inserted or changed, from the store's debug log."""
    return [record.args[3] for record in caplog.records if record.msg.startswith("wrote ")]


class Db2Behaviours:
    # tables ------------------------------------------------------------------------------

    def test_a_new_table_has_its_primary_key_on_the_keys_and_they_are_not_null(self, store):
        store.write(Target("pk", WriteMode.MERGE, ("k", "n")), KEYED, [[("a", 1, "x")]])
        with store.transaction() as session:
            keys = session.query(UNIQUE_KEYS, ("pk",))
        assert sorted(column for _, column in keys) == ["k", "n"]
        with pytest.raises(LoadError) as caught, store.transaction() as session:
            session.execute('INSERT INTO "pk" ("k", "n", "v") VALUES (?, NULL, ?)', ("b", "y"))
        assert caught.value.context["sqlstate"] == "23502"

    def test_columns_come_back_as_stored(self, store):
        schema = Schema((Field("Mixed_Case", "integer"), Field("lower", "string")))
        store.write(Target("CamelTable"), schema, [[(1, "a")]])
        assert store.columns("CamelTable") == ["Mixed_Case", "lower"]
        assert store.columns("cameltable") is None

    def test_column_types_are_the_logical_types_of_the_tables_columns(self, store):
        schema = Schema(
            (
                Field("Symbol", "string", length=12),
                Field("trades", "integer"),
                Field("price", "decimal", precision=18, scale=6),
                Field("ratio", "float"),
                Field("ats", "boolean"),
                Field("week", "date"),
                Field("updated_at", "timestamp"),
            )
        )
        store.write(
            Target("typed"), schema, [[("BRK.B", 3, Decimal("1.25"), 0.5, True, date(2026, 1, 5), None)]]
        )
        assert store.column_types("typed") == {
            "symbol": "string",
            "trades": "integer",
            "price": "decimal",
            "ratio": "float",
            "ats": "boolean",
            "week": "date",
            "updated_at": "timestamp",
        }
        assert store.column_types("TYPED") == {}
        assert store.column_types("missing") == {}

    def test_merge_into_an_existing_table_uses_a_unique_key_on_exactly_the_keys(self, store):
        store.write(Target("u"), KEYED, [[("a", 1, "x")]])
        with store.transaction() as session:
            session.execute('CREATE UNIQUE INDEX "u_k_n" ON "u" ("k", "n")')
        assert store.unique_keys("u") == [("k", "n")]
        store.write(Target("u", WriteMode.MERGE, ("k",)), KEYED, [[("a", 2, "y")]])
        assert rows(store, "u") == [("a", 2, "y")]
        with store.transaction() as session:
            indexes = session.query(UNIQUE_KEYS, ("u",))
        assert indexes == [("u_k_merge_key", "k"), ("u_k_n", "k"), ("u_k_n", "n")]
        store.write(Target("u", WriteMode.MERGE, ("k",)), KEYED, [[("b", 3, "z")]])  # uses the one it made
        assert rows(store, "u") == [("a", 2, "y"), ("b", 3, "z")]

    # merge -------------------------------------------------------------------------------

    def test_the_last_row_of_a_key_wins_within_a_batch_and_across_batches(self, store):
        batches = [[("a", 1, "first"), ("b", 1, "b"), ("a", 2, "second")], [("c", 1, "c"), ("a", 3, "last")]]
        assert store.write(MERGE, KEYED, batches) == 5  # the rows given
        assert rows(store, "m") == [("a", 3, "last"), ("b", 1, "b"), ("c", 1, "c")]

    def test_merging_the_same_rows_again_changes_nothing(self, store, caplog):
        caplog.set_level(logging.DEBUG, logger="spine.store.db2")
        batches = [[("a", 1, "x"), ("b", None, None)], [("c", 3, "z")]]
        assert store.write(MERGE, KEYED, batches) == 3
        before = rows(store, "m")
        assert store.write(MERGE, KEYED, batches) == 3
        assert rows(store, "m") == before
        assert store.write(MERGE, KEYED, [[("b", 2, None), ("d", 4, "new"), ("a", 1, "x")]]) == 3
        assert rows(store, "m") == [("a", 1, "x"), ("b", 2, None), ("c", 3, "z"), ("d", 4, "new")]
        assert changed(caplog) == [3, 0, 2]

    def test_a_merge_of_key_columns_only_inserts_the_new_keys(self, store, caplog):
        caplog.set_level(logging.DEBUG, logger="spine.store.db2")
        schema = Schema((Field("k", "string"),))
        target = Target("keys_only", WriteMode.MERGE, ("k",))
        assert store.write(target, schema, [[("a",), ("b",)]]) == 2
        assert store.write(target, schema, [[("b",), ("c",)]]) == 2
        assert rows(store, "keys_only") == [("a",), ("b",), ("c",)]
        assert changed(caplog) == [2, 1]

    # values ------------------------------------------------------------------------------

    def test_decimals_default_to_31_digits_with_8_after_the_point(self, store):
        schema = Schema((Field("k", "string"), Field("shares", "decimal")))
        widest = Decimal("12345678901234567890123.12345678")  # 23 + 8 digits
        store.write(Target("d"), schema, [[("a", widest), ("b", Decimal("-0.00000001")), ("c", 7)]])
        assert rows(store, "d") == [("a", widest), ("b", Decimal("-0.00000001")), ("c", Decimal(7))]

    @pytest.mark.parametrize(
        ("value", "reason"),
        [
            (Decimal("123456789012345678901234"), "more than 23 digits before the point"),
            (Decimal("0.123456789"), "more than 8 digits after the point"),
            (Decimal("NaN"), "does not fit DECIMAL"),
        ],
    )
    def test_a_decimal_that_does_not_fit_fails_the_load_and_writes_nothing(self, store, value, reason):
        schema = Schema((Field("k", "string"), Field("shares", "decimal")))
        store.write(Target("d"), schema, [[("kept", Decimal(1))]])
        with pytest.raises(LoadError, match=rf"row 2 .*column 'shares'.*{reason}") as caught:
            store.write(Target("d"), schema, [[("a", Decimal(2)), ("b", value)]])
        assert caught.value.context == {"table": "d", "row": 2, "column": "shares"}
        assert rows(store, "d") == [("kept", Decimal(1))]

    def test_lengths_are_characters_whatever_their_utf8_bytes(self, store):
        schema = Schema((Field("k", "string", length=3), Field("free", "string")))
        fitting = [("abc", "a" * 1000), ("€€€", "€" * 333), ("😀😀😀", "😀" * 250)]
        store.write(Target("s"), schema, [fitting])
        assert sorted(rows(store, "s")) == sorted(fitting)
        with pytest.raises(LoadError, match="4 characters, more than its length of 3"):
            store.write(Target("s"), schema, [[("€€€€", "x")]])
        with pytest.raises(LoadError, match=r"1004 bytes in UTF-8, more than the 1000 of VARCHAR\(1000\)"):
            store.write(Target("s"), schema, [[("x", "😀" * 251)]])
        assert sorted(rows(store, "s")) == sorted(fitting)

    def test_an_aware_timestamp_bound_in_a_statement_is_stored_as_naive_utc(self, store):
        # Written by a load, the store contract checks it; here, bound by hand.
        store.write(Target("ts"), Schema((Field("k", "string"), Field("at", "timestamp"))), [])
        with store.transaction() as session:
            session.execute(
                'INSERT INTO "ts" ("k", "at") VALUES (?, ?)', ("c", datetime(2026, 1, 5, tzinfo=UTC))
            )
        assert rows(store, "ts")[-1] == ("c", datetime(2026, 1, 5))

    def test_numbers_of_mixed_python_types_are_made_uniform(self, store):
        # ibm_db's execute_many wants one Python type per column across a batch.
        schema = Schema((Field("k", "string"), Field("ratio", "float"), Field("amount", "decimal")))
        store.write(Target("f"), schema, [[("a", 1, 2), ("b", 2.5, Decimal("2.5")), ("c", None, 3.25)]])
        assert rows(store, "f") == [
            ("a", 1.0, Decimal(2)),
            ("b", 2.5, Decimal("2.5")),
            ("c", None, Decimal("3.25")),
        ]

    def test_every_type_round_trips_including_nulls(self, store):
        schema = Schema(
            (
                Field("k", "string"),
                Field("i", "integer"),
                Field("b", "boolean"),
                Field("d", "date"),
            )
        )
        store.write(
            Target("all"), schema, [[("a", 2**63 - 1, True, date(2026, 1, 5)), ("b", None, None, None)]]
        )
        found = rows(store, "all")
        assert [(k, i, None if b is None else bool(b), d) for k, i, b, d in found] == [
            ("a", 2**63 - 1, True, date(2026, 1, 5)),
            ("b", None, None, None),
        ]

    @pytest.mark.parametrize(
        ("row", "message"),
        [
            ((None, 1, "x"), "column 'k': a value is required"),
            (("a", "1", "x"), "column 'n': expected an integer, got str"),
            (("a", 2**63, "x"), "outside the range of BIGINT"),
            (("a", 1), "has 2 values for 3 columns"),
        ],
    )
    def test_a_row_that_does_not_fit_is_refused_before_it_is_sent(self, store, row, message):
        with pytest.raises(LoadError, match=message):
            store.write(MERGE, KEYED, [[row]])
        assert store.columns("m") is None

    def test_values_are_bound_never_spliced(self, store):
        nasty = 'x\'); DROP TABLE "m"; --'
        written = [(nasty, 1, '"quoted" ?'), ("?", 2, "%s")]
        store.write(MERGE, KEYED, [written])
        assert sorted(rows(store, "m")) == sorted(written)

    def test_names_that_try_injection_are_refused(self, store):
        for table in ('m"; DROP TABLE "m', "m; --", "sp ace"):
            with pytest.raises(ConfigError):
                store.columns(table)
            with pytest.raises(ConfigError):
                store.column_types(table)
        with pytest.raises(ConfigError):
            store.write(Target("m", WriteMode.MERGE, ('k" = 1 OR "1',)), KEYED, [])
        assert store.columns("m") is None

    # transactions ----------------------------------------------------------------------

    def test_a_failure_half_way_leaves_the_store_usable(self, store):
        store.write(MERGE, KEYED, [[("a", 1, "kept")]])

        def failing():
            yield [("a", 2, "lost")]
            raise RuntimeError("the source broke")

        with pytest.raises(RuntimeError, match="the source broke"):
            store.write(MERGE, KEYED, failing())
        assert store.write(MERGE, KEYED, [[("b", 2, "next")]]) == 1
        assert rows(store, "m") == [("a", 1, "kept"), ("b", 2, "next")]

    def test_transactions_with_the_same_lock_name_take_turns(self, store, other_store):
        store.write(Target("counter"), KEYED, [[("c", 0, "")]])
        first_holds = threading.Event()
        order: list[str] = []

        def second() -> None:
            first_holds.wait()
            with other_store.transaction(lock="job 'x'") as session:
                order.append("second")
                session.execute('UPDATE "counter" SET "n" = "n" + 1')

        thread = threading.Thread(target=second)
        thread.start()
        with store.transaction(lock="job 'x'") as session:
            first_holds.set()
            time.sleep(0.5)  # the second transaction is waiting for the lock now
            order.append("first")
            session.execute('UPDATE "counter" SET "n" = "n" + 10')
        thread.join(timeout=30)
        assert order == ["first", "second"]
        assert rows(store, "counter") == [("c", 11, "")]

    def test_the_first_locks_ever_taken_create_the_table_of_locks_once(self, store, other_store):
        holding = threading.Event()
        failures: list[BaseException] = []

        def second() -> None:
            holding.wait()
            try:
                with other_store.transaction(lock="b"):
                    pass
            except BaseException as exc:
                failures.append(exc)

        thread = threading.Thread(target=second)
        thread.start()
        with store.transaction(lock="a"):  # creates the table, not committed yet
            holding.set()
            time.sleep(0.5)
        thread.join(timeout=30)
        assert failures == []
        assert store.columns("spine_locks") == ["name", "taken_at"]

    def test_two_loads_into_one_new_table_take_turns(self, store, other_store):
        with store.transaction(lock="warm-up"):
            pass
        first_started = threading.Event()

        def slow_batches():
            yield [("a", 1, "first")]
            first_started.set()
            time.sleep(0.5)  # the second load starts meanwhile, and must wait
            yield [("b", 1, "first")]

        def second() -> None:
            first_started.wait()
            other_store.write(MERGE, KEYED, [[("b", 2, "second"), ("c", 2, "second")]])

        thread = threading.Thread(target=second)
        thread.start()
        store.write(MERGE, KEYED, slow_batches())
        thread.join(timeout=30)
        assert rows(store, "m") == [("a", 1, "first"), ("b", 2, "second"), ("c", 2, "second")]

    def test_different_lock_names_do_not_wait_for_each_other(self, store, other_store):
        with store.transaction(lock="warm-up"):
            pass  # the table of locks exists from here on
        with store.transaction(lock="one"):
            started = time.perf_counter()
            with other_store.transaction(lock="two"):
                pass
            assert time.perf_counter() - started < 5

    def test_a_lock_name_must_be_short_text(self, store):
        with pytest.raises(ConfigError, match="invalid lock name"), store.transaction(lock="é" * 128):
            pass
        with store.transaction(lock="é" * 127):
            pass
