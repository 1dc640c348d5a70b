"""Parquet, read through pyarrow (the ``parquet`` extra), imported only when a Parquet file is opened.

Parquet columns carry their types, so nothing is inferred and no row is rejected.
Positions are row numbers (from 1); batches carry no raw text.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import spine

from ._columns import columns_from_text, same_column, too_many_columns
from ._files import FileRef
from ._options import FileOptions, check_batch_size

Column = Callable[[Any], list[Any]]  # a pyarrow array -> Python values


def _pyarrow() -> tuple[ModuleType, ModuleType]:
    try:
        return importlib.import_module("pyarrow"), importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise spine.ConfigError(
            "reading Parquet files needs pyarrow: pip install 'spine-source-file[parquet]'",
            context={"option": "format"},
        ) from None


class ParquetSource(spine.Source):
    """The columns of a Parquet file (all, or those the ``columns`` option names), streamed by row batch."""

    def __init__(self, ref: FileRef, options: FileOptions) -> None:
        if options.columns is not None and any(column.field is not None for column in options.columns):
            raise spine.ConfigError(
                "file source option 'columns': Parquet columns carry their own types; give names only",
                context={"option": "columns"},
            )
        self.ref = ref
        self._pa, parquet = _pyarrow()
        with self._arrow_errors():
            self._file = parquet.ParquetFile(ref.path)
        try:
            # The footer, read on opening, counts the columns: check before making their schema.
            count = self._file.metadata.num_columns
            if count > options.max_columns:
                raise too_many_columns(ref, f"the file has {count}", options.max_columns)
            arrow = self._file.schema_arrow
            names = [column.name for column in columns_from_text(arrow.names)]
            chosen = list(range(len(names)))
            if options.columns is not None:
                chosen = [self._find(arrow.names, column.name) for column in options.columns]
            self._read = [arrow.names[index] for index in chosen]
            typed = [self._field(names[index], arrow.field(index).type) for index in chosen]
        except BaseException:
            self._file.close()
            raise
        self._schema = spine.Schema(tuple(field for field, _ in typed))
        self._columns = [column for _, column in typed]
        self._total = self._file.metadata.num_rows
        self._done = 0  # rows yielded by the current reading

    def schema(self) -> spine.Schema:
        return self._schema

    def batches(self, batch_size: int = spine.DEFAULT_BATCH_SIZE) -> Iterator[spine.Batch]:
        return self._batches(check_batch_size(batch_size))

    def describe(self) -> str:
        return f"{self.ref.path} (parquet)"

    def progress(self) -> float:
        """The share of the file's rows yielded (the footer counts them)."""
        return self._done / self._total if self._total else 1.0

    def close(self) -> None:
        self._file.close()

    def _batches(self, batch_size: int) -> Iterator[spine.Batch]:
        self._done = 0
        with self._arrow_errors():
            for found in self._file.iter_batches(batch_size=batch_size, columns=self._read):
                values = [column(array) for column, array in zip(self._columns, found.columns, strict=True)]
                rows = list(zip(*values, strict=True))
                row, self._done = self._done + 1, self._done + len(rows)
                yield spine.Batch(rows, list(range(row, self._done + 1)), self.ref.path)

    def _find(self, names: list[str], wanted: str) -> int:
        for index, name in enumerate(names):
            if same_column(name, wanted):
                return index
        raise self.ref.error(f"no column {wanted!r}; the columns are {', '.join(names)}")

    def _field(self, name: str, arrow_type: Any) -> tuple[spine.Field, Column]:
        types = self._pa.types
        if types.is_dictionary(arrow_type):
            field, column = self._field(name, arrow_type.value_type)
            return field, lambda array: column(array.dictionary_decode())
        if types.is_timestamp(arrow_type):
            # Arrow keeps instants in UTC: dropping the zone gives the naive UTC spine expects.
            naive = self._pa.timestamp("us")
            return spine.Field(name, "timestamp"), lambda array: array.cast(naive, safe=False).to_pylist()
        if types.is_decimal(arrow_type):
            return spine.Field(
                name, "decimal", precision=arrow_type.precision, scale=arrow_type.scale
            ), _plain
        for check, type_name in (
            (types.is_boolean, "boolean"),
            (types.is_integer, "integer"),
            (types.is_floating, "float"),
            (types.is_date, "date"),
            (types.is_string, "string"),
            (types.is_large_string, "string"),
        ):
            if check(arrow_type):
                return spine.Field(name, type_name), _plain
        return spine.Field(name, "string"), _as_text

    @contextmanager
    def _arrow_errors(self) -> Iterator[None]:
        try:
            yield
        except (self._pa.ArrowException, OSError, ValueError, OverflowError) as exc:
            raise self.ref.error(f"cannot read as Parquet: {exc}") from None


def _plain(array: Any) -> list[Any]:
    return list(array.to_pylist())


def _as_text(array: Any) -> list[str | None]:
    """Any other Arrow type as text: nested values as JSON, bytes as hex."""
    return [None if value is None else _text(value) for value in array.to_pylist()]


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)
