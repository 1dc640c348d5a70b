"""The source contract: what every `spine.Source` must do, run against a plugin's own source."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import pytest

from .._data._schema import Schema
from .._data._sources import DEFAULT_BATCH_SIZE, Batch, Reject, Source


@dataclass(frozen=True)
class SourceCase:
    """A source under test and what it must yield: column names and rows, in order."""

    make: Callable[[], Source]
    columns: list[str]
    rows: list[tuple[Any, ...]]


class SourceRead(NamedTuple):
    """Everything a source yielded, batches flattened (and kept, for tests about them)."""

    schema: Schema
    rows: list[tuple[Any, ...]]
    positions: list[int]
    raw: list[str]
    rejects: list[Reject]
    batches: list[Batch]


def read_source(source: Source, batch_size: int = DEFAULT_BATCH_SIZE) -> SourceRead:
    """Read `source` to the end and close it."""
    with source:
        schema = source.schema()
        batches = list(source.batches(batch_size))
    return SourceRead(
        schema,
        [row for batch in batches for row in batch.rows],
        [position for batch in batches for position in batch.positions],
        [text for batch in batches for text in batch.raw],
        [reject for batch in batches for reject in batch.rejects],
        batches,
    )


class SourceContract:
    """What every source must do. Provide a `source_case` fixture with at least 3 rows."""

    @pytest.fixture
    def source_case(self) -> SourceCase:
        raise NotImplementedError("subclasses provide a source_case fixture")

    def _read(self, case: SourceCase, batch_size: int) -> list[Batch]:
        return read_source(case.make(), batch_size).batches

    def test_schema_names_the_columns(self, source_case: SourceCase) -> None:
        with source_case.make() as source:
            assert source.schema().names == source_case.columns

    def test_yields_every_row_in_order(self, source_case: SourceCase) -> None:
        batches = self._read(source_case, 1000)
        assert [row for batch in batches for row in batch.rows] == source_case.rows
        assert not [reject for batch in batches for reject in batch.rejects]

    def test_rows_are_tuples_in_schema_order(self, source_case: SourceCase) -> None:
        with source_case.make() as source:
            width = len(source.schema().fields)
            for batch in source.batches(1000):
                assert all(isinstance(row, tuple) and len(row) == width for row in batch.rows)

    def test_batches_respect_the_batch_size(self, source_case: SourceCase) -> None:
        assert len(source_case.rows) >= 3, "the contract needs a case with at least 3 rows"
        batches = self._read(source_case, 2)
        assert all(len(batch.rows) <= 2 for batch in batches)
        assert sum(len(batch.rows) for batch in batches) == len(source_case.rows)
        assert len([batch for batch in batches if batch.rows]) >= 2

    def test_every_row_has_a_position_and_an_origin(self, source_case: SourceCase) -> None:
        positions = []
        for batch in self._read(source_case, 2):
            assert len(batch.positions) == len(batch.rows)
            assert not batch.raw or len(batch.raw) == len(batch.rows)
            assert isinstance(batch.origin, str) and batch.origin
            positions += [(batch.origin, position) for position in batch.positions]
        assert len(set(positions)) == len(positions), "positions must tell rows apart"

    def test_schema_is_stable_and_close_is_safe_to_repeat(self, source_case: SourceCase) -> None:
        source = source_case.make()
        first = source.schema()
        list(source.batches(1000))
        assert source.schema() == first
        source.close()
        source.close()

    def test_describe_names_the_input(self, source_case: SourceCase) -> None:
        with source_case.make() as source:
            assert source.describe()
