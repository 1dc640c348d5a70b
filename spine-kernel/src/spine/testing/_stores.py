"""The store contract: every write mode, type and failure path, run against a plugin's own store."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from .._alerts._model import Alert, DeliveryStatus, Severity
from .._data._schema import MAX_IDENTIFIER_LENGTH, Field, Schema, naive_utc
from .._data._sources import DEFAULT_BATCH_SIZE, Batch, Reject, Source
from .._data._stores import Store, Target, WriteMode
from .._errors import ConfigError, LoadError
from .._plugins._hookspecs import hookimpl
from .._records._results import RunCounts, RunResult
from .._records._statuses import RunStatus
from .._runs._runlog import RunLog

_ALL_TYPES = Schema(
    (
        Field("id", "integer"),
        Field("label", "string"),
        Field("amount", "decimal", precision=20, scale=6),
        Field("ratio", "float"),
        Field("active", "boolean"),
        Field("day", "date"),
        Field("seen_at", "timestamp"),
    )
)
_ALL_TYPES_ROWS = [
    (1, "plain", Decimal("1234567.125"), 0.5, True, date(2026, 1, 5), datetime(2026, 1, 5, 9, 30, 0)),
    (
        2,
        'O\'Brien & "Co" | 100%',
        Decimal("-0.000001"),
        -2.25,
        False,
        date(1999, 12, 31),
        datetime(2000, 1, 1),
    ),
    (3, "", Decimal("0"), 0.0, None, None, None),
    (4, "ünïcödé ✓", None, None, True, date(2026, 11, 23), datetime(2026, 11, 23, 23, 59, 59, 123456)),
]
_KEYED = Schema((Field("k", "string"), Field("n", "integer"), Field("v", "string")))


def _normalise(field: Field, value: Any) -> Any:
    """Stores may hand values back in their own Python types; compare by logical type."""
    if value is None:
        return None
    if field.type == "decimal":
        return Decimal(str(value)).normalize()
    if field.type == "boolean":
        return bool(value)
    if field.type == "date" and isinstance(value, str):
        return date.fromisoformat(value)
    if field.type == "timestamp" and isinstance(value, str):
        return datetime.fromisoformat(value)
    if field.type == "timestamp" and isinstance(value, datetime):
        return naive_utc(value)
    return value


class _Boom(Exception):
    pass


class _Given(Source):
    """Batches given in advance (lists of rows, or `Batch` objects), as a source."""

    def __init__(self, schema: Schema, batches: Sequence[Sequence[tuple[Any, ...]] | Batch]) -> None:
        self._schema, self._batches = schema, batches

    def schema(self) -> Schema:
        return self._schema

    def batches(self, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[Batch]:
        for batch in self._batches:
            if isinstance(batch, Batch):
                yield batch
            else:
                rows = [tuple(row) for row in batch]
                yield Batch(rows, list(range(1, len(rows) + 1)), "given")


class StoreContract:
    """What every store must do. Provide a `store` fixture: a fresh, empty store per test."""

    @pytest.fixture
    def store(self) -> Store:
        raise NotImplementedError("subclasses provide a store fixture")

    # helpers ---------------------------------------------------------------------------

    def rows(self, store: Store, table: str, schema: Schema, order_by: str) -> list[tuple[Any, ...]]:
        quote = store.dialect.quote
        columns = ", ".join(quote(name) for name in schema.names)
        with store.transaction() as session:
            found = session.query(f"SELECT {columns} FROM {quote(table)} ORDER BY {quote(order_by)}")
        return [
            tuple(_normalise(field, value) for field, value in zip(schema.fields, row, strict=True))
            for row in found
        ]

    def expected(self, schema: Schema, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [tuple(_normalise(f, v) for f, v in zip(schema.fields, row, strict=True)) for row in rows]

    @staticmethod
    def failing_after(batches: Sequence[Sequence[tuple[Any, ...]]]) -> Iterator[Sequence[tuple[Any, ...]]]:
        yield from batches
        raise _Boom("the source broke half-way")

    @staticmethod
    def kernel_load(
        store: Store,
        target: Target,
        schema: Schema,
        batches: Sequence[Sequence[tuple[Any, ...]] | Batch],
        *,
        max_rejects: str | None = None,
        **settings: Any,
    ) -> RunResult:
        """Load `batches` into `store` as a pipeline does (`RunContext.load`), in a run of a
        kernel whose store is `store` and whose settings are `settings`; return the run's
        result. The kernel closes `store` when it is done; the store reconnects on next use."""
        from .._kernel import Spine
        from .._plugins._descriptors import PipelineSpec, StoreSpec

        class Loads:
            def run(self, context: Any) -> None:
                context.load(_Given(schema, batches), target)

        class Plugin:
            @hookimpl
            def register_stores(self, register: Callable[[StoreSpec], None]) -> None:
                register(StoreSpec("under_test", lambda url: store, schemes=("contract",)))

            @hookimpl
            def register_pipelines(self, register: Callable[[PipelineSpec], None]) -> None:
                register(PipelineSpec("contract.load", lambda: Loads()))

        overrides = {"store_url": "contract://", **settings}
        with Spine(entry_points=False, plugins=[Plugin()], environ={}, overrides=overrides) as kernel:
            return kernel.run("contract.load", max_rejects=max_rejects)

    # tables and types -------------------------------------------------------------------

    def test_columns_of_a_missing_table_is_none(self, store: Store) -> None:
        assert store.columns("no_such_table") is None

    def test_write_creates_the_table_and_round_trips_every_type(self, store: Store) -> None:
        written = store.write(Target("all_types"), _ALL_TYPES, [_ALL_TYPES_ROWS[:2], _ALL_TYPES_ROWS[2:]])
        assert written == len(_ALL_TYPES_ROWS)
        assert [name.lower() for name in store.columns("all_types") or []] == _ALL_TYPES.names
        assert self.rows(store, "all_types", _ALL_TYPES, "id") == self.expected(_ALL_TYPES, _ALL_TYPES_ROWS)

    def test_an_aware_timestamp_is_stored_as_its_utc_instant(self, store: Store) -> None:
        schema = Schema((Field("k", "string"), Field("at", "timestamp")))
        new_york = timezone(timedelta(hours=-5))
        rows = [("a", datetime(2026, 1, 5, 9, 30, tzinfo=new_york)), ("b", datetime(2026, 1, 5, 9, 30))]
        store.write(Target("aware"), schema, [rows])
        found = self.rows(store, "aware", schema, "k")
        assert found == [("a", datetime(2026, 1, 5, 14, 30)), ("b", datetime(2026, 1, 5, 9, 30))]

    def test_column_types_give_back_the_types_a_table_was_created_with(self, store: Store) -> None:
        assert store.column_types("no_such_table") == {}
        store.write(Target("all_types"), _ALL_TYPES, [])
        assert store.column_types("all_types") == {field.name: field.type for field in _ALL_TYPES.fields}

    def test_an_empty_load_still_creates_the_table(self, store: Store) -> None:
        assert store.write(Target("empty"), _KEYED, []) == 0
        assert self.rows(store, "empty", _KEYED, "k") == []

    def test_reserved_words_are_fine_as_column_names(self, store: Store) -> None:
        schema = Schema((Field("select", "integer"), Field("order", "string"), Field("group", "string")))
        store.write(Target("reserved"), schema, [[(1, "a", "b")]])
        assert self.rows(store, "reserved", schema, "select") == [(1, "a", "b")]

    def test_names_that_try_injection_are_refused(self, store: Store) -> None:
        with pytest.raises(ConfigError):
            Target('t"; DROP TABLE spine_runs; --')
        with pytest.raises(ConfigError):
            Field("x) ; DROP TABLE y; --", "string")
        with pytest.raises(ConfigError):
            store.dialect.quote('a"b')

    # write modes --------------------------------------------------------------------------

    def test_append_adds_rows(self, store: Store) -> None:
        rows = [("a", 1, "x"), ("b", 2, "y")]
        store.write(Target("t", WriteMode.APPEND), _KEYED, [rows])
        store.write(Target("t", WriteMode.APPEND), _KEYED, [rows])
        assert len(self.rows(store, "t", _KEYED, "k")) == 4

    def test_replace_leaves_exactly_the_new_rows(self, store: Store) -> None:
        store.write(Target("t"), _KEYED, [[("a", 1, "old"), ("b", 2, "old")]])
        store.write(Target("t", WriteMode.REPLACE), _KEYED, [[("c", 3, "new")]])
        assert self.rows(store, "t", _KEYED, "k") == [("c", 3, "new")]
        store.write(Target("t", WriteMode.REPLACE), _KEYED, [])
        assert self.rows(store, "t", _KEYED, "k") == []

    def test_merge_twice_leaves_an_identical_table(self, store: Store) -> None:
        target = Target("m", WriteMode.MERGE, ("k",))
        batches = [[("a", 1, "x"), ("b", 2, "y")], [("c", 3, "z")]]
        store.write(target, _KEYED, batches)
        first = self.rows(store, "m", _KEYED, "k")
        store.write(target, _KEYED, batches)
        assert self.rows(store, "m", _KEYED, "k") == first == [("a", 1, "x"), ("b", 2, "y"), ("c", 3, "z")]

    def test_merge_updates_existing_keys_and_inserts_new_ones(self, store: Store) -> None:
        target = Target("m", WriteMode.MERGE, ("k",))
        store.write(target, _KEYED, [[("a", 1, "x"), ("b", 2, "y")]])
        store.write(target, _KEYED, [[("b", 20, "changed"), ("c", 3, "z")]])
        assert self.rows(store, "m", _KEYED, "k") == [("a", 1, "x"), ("b", 20, "changed"), ("c", 3, "z")]

    def test_merge_on_several_keys_keeps_the_last_row_of_a_load(self, store: Store) -> None:
        target = Target("m2", WriteMode.MERGE, ("k", "n"))
        store.write(target, _KEYED, [[("a", 1, "first"), ("a", 2, "other")], [("a", 1, "last")]])
        assert self.rows(store, "m2", _KEYED, "n") == [("a", 1, "last"), ("a", 2, "other")]

    def test_merge_on_an_integer_key_into_an_existing_table(self, store: Store) -> None:
        schema = Schema((Field("id", "integer"), Field("v", "string")))
        target = Target("by_id", WriteMode.MERGE, ("id",))
        store.write(target, schema, [[(1, "a"), (2, "b")]])
        store.write(target, schema, [[(2, "B"), (3, "c")]])
        assert self.rows(store, "by_id", schema, "id") == [(1, "a"), (2, "B"), (3, "c")]

    def test_many_batches(self, store: Store) -> None:
        batches = [[(f"k{b}-{i}", i, "v") for i in range(500)] for b in range(6)]
        assert store.write(Target("big", WriteMode.MERGE, ("k",)), _KEYED, batches) == 3000
        assert len(self.rows(store, "big", _KEYED, "k")) == 3000

    # failures -----------------------------------------------------------------------------

    @pytest.mark.parametrize("mode", list(WriteMode))
    def test_a_failure_half_way_leaves_the_previous_content(self, store: Store, mode: WriteMode) -> None:
        keys = ("k",) if mode is WriteMode.MERGE else ()
        before = [("a", 1, "kept"), ("b", 2, "kept")]
        store.write(Target("t", WriteMode.MERGE, ("k",)), _KEYED, [before])
        # merge would change "a"; append and replace would add rows (or empty the table)
        lost = [("a" if mode is WriteMode.MERGE else "y", 9, "lost"), ("z", 9, "lost")]
        with pytest.raises(_Boom):
            store.write(Target("t", mode, keys), _KEYED, self.failing_after([lost]))
        assert self.rows(store, "t", _KEYED, "k") == before

    def test_a_failure_on_the_first_load_leaves_no_table_behind(self, store: Store) -> None:
        with pytest.raises(_Boom):
            store.write(Target("never"), _KEYED, self.failing_after([[("a", 1, "x")]]))
        assert store.columns("never") is None

    # existing tables: new columns, changed types, the unique key of a merge ---------------

    def test_new_input_columns_are_added_to_an_existing_table(self, store: Store) -> None:
        narrow = Schema((Field("k", "string"), Field("n", "integer")))
        store.write(Target("t"), narrow, [[("a", 1)]])
        wider = Schema(
            (Field("v", "string"), *narrow.fields, Field("amount", "decimal"), Field("day", "date"))
        )
        store.write(Target("t"), wider, [[("x", "b", 2, Decimal("1.5"), date(2026, 1, 5))]])
        assert [name.lower() for name in store.columns("t") or []] == ["k", "n", "v", "amount", "day"]
        assert store.column_types("t") == {field.name: field.type for field in wider.fields}
        assert self.rows(store, "t", wider, "k") == self.expected(
            wider, [(None, "a", 1, None, None), ("x", "b", 2, Decimal("1.5"), date(2026, 1, 5))]
        )

    def test_a_failed_load_leaves_the_table_without_the_columns_it_added(self, store: Store) -> None:
        narrow = Schema((Field("k", "string"), Field("n", "integer")))
        store.write(Target("t"), narrow, [[("a", 1)]])
        with pytest.raises(_Boom):
            store.write(Target("t"), _KEYED, self.failing_after([[("b", 2, "lost")]]))
        assert [name.lower() for name in store.columns("t") or []] == ["k", "n"]
        assert self.rows(store, "t", narrow, "k") == [("a", 1)]

    def test_a_frozen_schema_contract_refuses_new_columns_naming_them(self, store: Store) -> None:
        narrow = Schema((Field("k", "string"), Field("n", "integer")))
        store.write(Target("narrow"), narrow, [[("a", 1)]])
        with pytest.raises(
            LoadError, match=r"table 'narrow' has no column\(s\) v that the input has"
        ) as caught:
            store.write(Target("narrow", schema_contract="freeze"), _KEYED, [[("a", 1, "x")]])
        assert "schema contract is freeze" in str(caught.value)
        assert caught.value.context["missing"] == ["v"]
        assert [name.lower() for name in store.columns("narrow") or []] == ["k", "n"]
        assert self.rows(store, "narrow", narrow, "k") == [("a", 1)]

    def test_a_changed_column_type_is_refused_naming_the_column_and_both_types(self, store: Store) -> None:
        stored = Schema((Field("name", "string"), Field("zip", "integer")))
        store.write(Target("cities"), stored, [[("Paris", 75001)]])
        given = Schema((Field("name", "string"), Field("zip", "string"), Field("country", "string")))
        with pytest.raises(LoadError) as caught:
            store.write(Target("cities"), given, [[("Lyon", "69001", "FR")]])
        message = str(caught.value)
        assert "table 'cities' stores zip as integer (" in message and "where the input has string" in message
        assert [name.lower() for name in store.columns("cities") or []] == ["name", "zip"]
        assert self.rows(store, "cities", stored, "name") == [("Paris", 75001)]

    def test_lossless_widenings_go_into_an_existing_column(self, store: Store) -> None:
        wide = Schema(
            (
                Field("k", "string"),
                Field("amount", "decimal"),
                Field("ratio", "float"),
                Field("at", "timestamp"),
            )
        )
        store.write(Target("w"), wide, [[("a", Decimal("1.5"), 0.5, datetime(2026, 1, 5, 9, 30))]])
        narrow = Schema(
            (Field("k", "string"), Field("amount", "integer"), Field("ratio", "integer"), Field("at", "date"))
        )
        store.write(Target("w"), narrow, [[("b", 2, 3, date(2026, 1, 6))]])
        assert store.column_types("w") == {field.name: field.type for field in wide.fields}
        assert self.rows(store, "w", wide, "k") == self.expected(
            wide,
            [
                ("a", Decimal("1.5"), 0.5, datetime(2026, 1, 5, 9, 30)),
                ("b", Decimal(2), 3.0, datetime(2026, 1, 6)),
            ],
        )

    def test_unique_keys_name_the_columns_of_a_tables_keys(self, store: Store) -> None:
        assert store.unique_keys("no_such_table") == []
        store.write(Target("pk", WriteMode.MERGE, ("k", "n")), _KEYED, [[("a", 1, "x")]])
        store.write(Target("plain"), _KEYED, [[("a", 1, "x")]])
        assert [tuple(name.lower() for name in key) for key in store.unique_keys("pk") or []] == [("k", "n")]
        assert store.unique_keys("plain") == []

    def test_merge_into_a_table_without_a_unique_key_creates_one_when_its_rows_are_unique(
        self, store: Store
    ) -> None:
        store.write(Target("u"), _KEYED, [[("a", 1, "x"), ("b", 2, "y")]])
        merge = Target("u", WriteMode.MERGE, ("k",))
        with pytest.raises(_Boom):
            store.write(merge, _KEYED, self.failing_after([[("a", 9, "lost")]]))
        assert store.unique_keys("u") == []  # the index went with the failed load
        store.write(merge, _KEYED, [[("b", 20, "changed"), ("c", 3, "z")]])
        store.write(merge, _KEYED, [[("c", 30, "again")]])
        assert [tuple(name.lower() for name in key) for key in store.unique_keys("u") or []] == [("k",)]
        assert self.rows(store, "u", _KEYED, "k") == [("a", 1, "x"), ("b", 20, "changed"), ("c", 30, "again")]

    def test_merge_is_refused_when_the_tables_rows_repeat_a_key(self, store: Store) -> None:
        before = [("a", 1, "x"), ("a", 2, "y"), ("a", 3, "z"), ("b", 1, "x"), ("b", 2, "y"), ("c", 1, "x")]
        store.write(Target("dup"), _KEYED, [before])
        with pytest.raises(LoadError) as caught:
            store.write(Target("dup", WriteMode.MERGE, ("k",)), _KEYED, [[("c", 9, "lost")]])
        message = str(caught.value)
        assert "cannot merge into 'dup': it has no primary key or unique index on (k)" in message
        assert "2 key value(s) repeat in its rows, such as k='a' (3 rows)" in message
        assert store.unique_keys("dup") == []
        assert sorted(self.rows(store, "dup", _KEYED, "k")) == before

    def test_the_unique_index_of_a_long_table_name_fits_the_identifier_limits(self, store: Store) -> None:
        table = "t" * MAX_IDENTIFIER_LENGTH
        store.write(Target(table), _KEYED, [[("a", 1, "x")]])
        store.write(Target(table, WriteMode.MERGE, ("k", "n")), _KEYED, [[("a", 1, "y")]])
        assert self.rows(store, table, _KEYED, "k") == [("a", 1, "y")]

    @pytest.mark.parametrize("exists", [False, True])
    def test_what_must_commit_with_the_rows_is_written_in_the_writes_transaction(
        self, store: Store, exists: bool
    ) -> None:
        # `Target.before_commit` (the end of a run) commits with the rows or not at all.
        if exists:
            store.write(Target("t"), _KEYED, [[("a", 1, "x")]])
        count = f"SELECT COUNT(*) FROM {store.dialect.quote('t')}"
        seen: list[Any] = []
        target = Target("t", before_commit=lambda session: seen.append(session.query(count)[0][0]))
        store.write(target, _KEYED, [[("b", 2, "y"), ("c", 3, "z")]])
        assert [int(n) for n in seen] == [3 if exists else 2]  # the rows, not yet committed, are there

        def refuse(session: Any) -> None:
            raise _Boom("the run's end could not be written")

        with pytest.raises(_Boom):
            store.write(Target("t", before_commit=refuse), _KEYED, [[("d", 4, "lost")]])
        kept = ["a", "b", "c"] if exists else ["b", "c"]
        assert [row[0] for row in self.rows(store, "t", _KEYED, "k")] == kept

    def test_a_transaction_rolls_back_on_error(self, store: Store) -> None:
        store.write(Target("t"), _KEYED, [[("a", 1, "x")]])
        quote = store.dialect.quote
        with pytest.raises(_Boom), store.transaction() as session:
            session.execute(f"DELETE FROM {quote('t')} WHERE {quote('k')} = ?", ("a",))
            raise _Boom("undo")
        assert self.rows(store, "t", _KEYED, "k") == [("a", 1, "x")]

    # through the kernel's load path ------------------------------------------------------

    def test_a_replace_without_rows_leaves_a_table_with_rows_as_it_was(self, store: Store) -> None:
        store.write(Target("t"), _KEYED, [[("a", 1, "x"), ("b", 2, "y")]])
        result = self.kernel_load(store, Target("t", WriteMode.REPLACE), _KEYED, [[]])
        assert result.status is RunStatus.FAILED and result.error is not None
        assert result.error.category == "check"
        assert result.error.message.startswith(
            "replace would leave table 't' empty: the input had no rows; nothing was written."
        )
        assert "--allow-empty" in result.error.message
        assert self.rows(store, "t", _KEYED, "k") == [("a", 1, "x"), ("b", 2, "y")]

    def test_a_replace_whose_rows_are_all_rejected_counts_as_one_without_rows(self, store: Store) -> None:
        store.write(Target("t"), _KEYED, [[("a", 1, "x")]])
        rejected = Batch(
            [], [], "given", [Reject("given", 2, "b|two|y", "n: expected an integer, got 'two'")]
        )
        result = self.kernel_load(
            store, Target("t", WriteMode.REPLACE), _KEYED, [rejected], max_rejects="100%"
        )
        assert result.status is RunStatus.FAILED and result.error is not None
        assert "all 1 of the 1 rows read were rejected; nothing was written" in result.error.message
        assert self.rows(store, "t", _KEYED, "k") == [("a", 1, "x")]

    def test_a_replace_may_empty_a_table_when_allowed_to(self, store: Store) -> None:
        store.write(Target("t"), _KEYED, [[("a", 1, "x")]])
        allowed = self.kernel_load(store, Target("t", WriteMode.REPLACE, allow_empty=True), _KEYED, [[]])
        assert allowed.status is RunStatus.SUCCEEDED
        assert self.rows(store, "t", _KEYED, "k") == []
        # Nothing to lose: an empty table, or a missing one, takes an empty replace unasked.
        assert (
            self.kernel_load(store, Target("t", WriteMode.REPLACE), _KEYED, []).status is RunStatus.SUCCEEDED
        )
        assert (
            self.kernel_load(store, Target("new", WriteMode.REPLACE), _KEYED, []).status
            is RunStatus.SUCCEEDED
        )
        assert store.columns("new") is not None

    def test_keys_are_matched_as_header_names_are_made_column_names(self, store: Store) -> None:
        schema = Schema(
            (Field("issue_symbol_identifier", "string"), Field("mpid", "string"), Field("shares", "integer"))
        )
        target = Target("weekly", WriteMode.MERGE, ("issueSymbolIdentifier", "MPID"))
        first = self.kernel_load(store, target, schema, [[("AAPL", "JPMX", 1), ("AAPL", "UBSA", 2)]])
        assert first.status is RunStatus.SUCCEEDED
        assert self.kernel_load(store, target, schema, [[("AAPL", "JPMX", 10)]]).status is RunStatus.SUCCEEDED
        assert self.rows(store, "weekly", schema, "mpid") == [("AAPL", "JPMX", 10), ("AAPL", "UBSA", 2)]
        unknown = self.kernel_load(store, Target("weekly", WriteMode.MERGE, ("symbol",)), schema, [[]])
        assert unknown.error is not None and unknown.error.category == "config"
        assert "key column 'symbol' is not among the columns of 'weekly'" in unknown.error.message

    def test_the_schema_contract_setting_unless_the_target_says_otherwise(self, store: Store) -> None:
        narrow = Schema((Field("k", "string"), Field("n", "integer")))
        store.write(Target("t"), narrow, [[("a", 1)]])
        frozen = self.kernel_load(store, Target("t"), _KEYED, [[("b", 2, "x")]], schema_contract="freeze")
        assert frozen.error is not None and frozen.error.category == "load"
        assert "no column(s) v that the input has, and the schema contract is freeze" in frozen.error.message
        assert [name.lower() for name in store.columns("t") or []] == ["k", "n"]
        evolving = Target("t", schema_contract="evolve")
        result = self.kernel_load(store, evolving, _KEYED, [[("b", 2, "x")]], schema_contract="freeze")
        assert result.status is RunStatus.SUCCEEDED
        assert self.rows(store, "t", _KEYED, "k") == [("a", 1, None), ("b", 2, "x")]

    # the kernel's own tables ---------------------------------------------------------------

    def test_run_records_rejects_and_state_round_trip(self, store: Store) -> None:
        log = RunLog(store)
        RunLog(store)  # migrating again changes nothing
        started = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
        finished = datetime(2026, 11, 23, 12, 1, 30, tzinfo=UTC)
        result = RunResult(
            "r1", "demo", RunStatus.PARTIAL, {"week": "2026-11-16"}, RunCounts(10, 9, 1), started, finished
        )
        log.started(result.run_id, result.pipeline, result.params, started)
        assert log.run("r1") is not None and log.run("r1").status == RunStatus.RUNNING  # type: ignore[union-attr]
        log.finished(result, [Reject("data.psv", 7, "a|b", "expected 8 fields, found 2")])
        assert log.run("r1") == result
        assert log.rejects("r1") == [Reject("data.psv", 7, "a|b", "expected 8 fields, found 2")]
        assert [run.run_id for run in log.runs(pipeline="demo")] == ["r1"]
        assert log.runs(pipeline="other") == []
        assert log.state("demo", "cursor") is None
        log.set_state("demo", "cursor", "2026-11-16")
        log.set_state("demo", "cursor", "2026-11-23")
        assert log.state("demo", "cursor") == "2026-11-23"

    def test_what_a_run_said_and_who_ran_it_round_trip(self, store: Store) -> None:
        from .._records._results import ErrorInfo, TableChange

        log = RunLog(store)
        started = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
        error = ErrorInfo("internal", "KeyError: 'x'", traceback="Traceback ...\nKeyError: 'x'")
        result = RunResult(
            "r2",
            "demo",
            RunStatus.FAILED,
            {},
            RunCounts(3, 0, 0),
            started,
            started + timedelta(seconds=2),
            error,
            warnings=("column zip is read as string", "ünïcödé ✓"),
            tables=(
                TableChange("t", True, {"zip": "string", "n": "integer"}),
                TableChange("u", False, {"country": "string"}),
            ),
            worker="host-a:123",
        )
        log.started("r2", "demo", {}, started, worker="host-a:123")
        log.finished(result, [])
        found = log.run("r2")
        assert found == result and found is not None
        assert found.error is not None and found.error.traceback == error.traceback
        assert log.runs()[0] == result

    def test_runs_found_by_prefix_and_abandoned_ones_closed_once(self, store: Store) -> None:
        from .._records._queries import ids_starting

        log = RunLog(store)
        started = datetime.now(UTC) - timedelta(hours=1)
        for run_id in ("ab_1", "abc1", "abd1"):
            log.started(run_id, "demo", {}, started, worker=f"host-b:{run_id}")
        assert ids_starting(store, "spine_runs", "ab", 5) == ["ab_1", "abc1", "abd1"]
        assert ids_starting(store, "spine_runs", "ab_", 5) == ["ab_1"]  # _ and % are taken literally
        assert log.beat(["abd1"], datetime.now(UTC)) is True

        def dead(worker: str | None, heartbeat: datetime | None) -> str | None:
            assert heartbeat is not None and heartbeat.tzinfo is not None
            fresh = datetime.now(UTC) - heartbeat < timedelta(minutes=5)
            return None if fresh or worker == "host-b:abc1" else f"{worker} is gone"

        (closed,) = log.close_abandoned(dead)
        assert (closed.run_id, closed.status, str(closed.error)) == (
            "ab_1",
            "failed",
            "[abandoned] host-b:ab_1 is gone",
        )
        assert log.close_abandoned(dead) == []  # closed once
        assert log.run("ab_1") == closed
        assert {run.run_id: run.status.value for run in log.runs()} == {
            "ab_1": "failed",
            "abc1": "running",
            "abd1": "running",
        }

    def test_workflow_runs_and_their_steps_round_trip(self, store: Store) -> None:
        from .._orchestration._workflow_log import WorkflowLog
        from .._records._results import StepResult, WorkflowResult
        from .._records._statuses import StepStatus

        log, history = RunLog(store), WorkflowLog(store)
        started = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
        steps = (
            StepResult("load", "finra.otc_weekly", StepStatus.PENDING),
            StepResult("report", "finra.report", StepStatus.PENDING, depends_on=("load",)),
        )
        running = WorkflowResult("w1", "weekly", RunStatus.RUNNING, {"week": "2026-11-16"}, steps, started)
        history.started(running, 2, "stop")
        load = replace(
            steps[0], status=StepStatus.SUCCEEDED, run_id="p1", params={"tier": "T1"}, started_at=started
        )
        history.step("w1", replace(load, finished_at=started + timedelta(seconds=5)))
        skipped = replace(steps[1], status=StepStatus.SKIPPED, message="skipped: depends on load")
        history.step("w1", skipped)
        ended = replace(
            running,
            status=RunStatus.FAILED,
            finished_at=started + timedelta(seconds=9),
            steps=(replace(load, finished_at=started + timedelta(seconds=5)), skipped),
        )
        history.finished(ended)
        assert history.run("w1") == ended
        assert [run.run_id for run in history.runs(workflow="weekly", status="failed")] == ["w1"]
        assert history.runs(workflow="other") == []
        log.started("p1", "finra.otc_weekly", {}, started)
        log.started("p2", "finra.otc_weekly", {}, started)
        assert history.steps_of(["p1", "p2"]) == {"p1": ("w1", "weekly", "load")}
        assert [run.run_id for run in log.runs(workflow="weekly")] == ["p1"]

    def test_alert_history_answers_the_routers_questions(self, store: Store) -> None:
        from .._alerts._history import AlertLog
        from .._alerts._settings import RateLimit

        RunLog(store)
        history = AlertLog(store)
        raised = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
        alert = Alert(
            Severity.ERROR, "load failed", "locked", pipeline="p", fields={"Rows": "5"}, raised_at=raised
        )

        def again(minutes: int) -> Alert:
            return replace(alert, alert_id=f"{minutes:032d}", raised_at=raised + timedelta(minutes=minutes))

        first = history.admit(alert, "slack", window=3600, rate_limit=RateLimit(2, 3600))
        assert first.status is DeliveryStatus.SENDING
        history.finish(replace(first, status=DeliveryStatus.SENT, answer="ok", finished_at=raised))
        assert (
            history.admit(again(10), "slack", window=3600, rate_limit=None).status
            is DeliveryStatus.SUPPRESSED
        )
        assert (
            history.admit(again(11), "other", window=3600, rate_limit=None).status is DeliveryStatus.SENDING
        )
        over = history.admit(
            replace(again(12), dedup_key="k2"), "slack", window=3600, rate_limit=RateLimit(1, 3600)
        )
        assert (over.status, over.answer) == (
            DeliveryStatus.SUPPRESSED,
            "over the channel's rate limit (1 per 3600s)",
        )
        later = history.admit(again(70), "slack", window=3600, rate_limit=RateLimit(1, 3600))
        assert later.status is DeliveryStatus.SENDING
        assert (later.alert.suppressed, later.alert.suppressed_since) == (1, raised + timedelta(minutes=10))
        assert later.alert.held_back == 1
        statuses = [(d.channel, d.status.value) for d in history.history()]
        assert statuses == [
            ("slack", "sending"),
            ("slack", "suppressed"),
            ("other", "sending"),
            ("slack", "suppressed"),
            ("slack", "sent"),
        ]
        oldest = history.history(channel="slack", status="sent")[0]
        assert (oldest.answer, oldest.alert.fields, oldest.alert.raised_at) == ("ok", {"Rows": "5"}, raised)
