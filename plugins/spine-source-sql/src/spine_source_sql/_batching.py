"""Fetched driver rows into spine batches: each batch capped by rows and bytes, a value that
does not convert a reject, and with ``cursor_op=>=`` the rows the last run read at the mark
left out (`Tracker`).

A result is fetched in chunks sized to fill the rest of the batch at the last rows' size,
so a chunk of wide rows never passes ``batch_bytes`` by much; a chunk whose every value is
as spine wants it is converted column by column at C speed (`Column.whole`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import spine
import sqlalchemy as sa

from ._describe import index_of
from ._incremental import Tracker
from ._types import Column

# Rows fetched at first, before the size of a row is known: a chunk of wide rows must
# not pass batch_bytes by much.
_FIRST_FETCH = 16
# What a value costs besides its characters or digits (an estimate of Python's overhead).
_VALUE_BYTES = 16


class Batcher:
    """The batches of one read, over one result or several (keyset chunks): positions go
    on from one result to the next."""

    def __init__(
        self, columns: list[Column], keys: list[str], what: str, origin: str, rows_cap: int, batch_bytes: int
    ) -> None:
        self.columns = columns
        self.keys = keys  # source names of the key columns, for rejects and >=
        self.what = what  # "table NAME" or "query", as the rejects say it
        self.origin = origin
        self.rows_cap = rows_cap
        self.batch_bytes = batch_bytes
        self.position = 0  # rows fetched by this read
        self.last_raw: Any = ()  # the last row fetched, as the driver gave it

    def batches(
        self, result: sa.CursorResult[Any], cursor_at: int | None = None, tracker: Tracker | None = None
    ) -> Iterator[spine.Batch]:
        """The rows of `result` in batches; with a `tracker`, the rows it has seen before
        are left out and the others added to it (the cursor at `cursor_at` in a row)."""
        columns, rows_cap, batch_bytes, origin = self.columns, self.rows_cap, self.batch_bytes, self.origin
        key_at = [index_of(columns, name, self.what) for name in self.keys]
        # The result's own fetchmany: SQLAlchemy may hold a first row it fetched ahead.
        fetch = result.fetchmany
        rows: list[tuple[Any, ...]] = []
        positions: list[int] = []
        rejects: list[spine.Reject] = []
        size = 0
        wanted = min(_FIRST_FETCH, rows_cap)
        while chunk := fetch(wanted):
            self.last_raw = chunk[-1]
            first = self.position + 1
            self.position += len(chunk)
            whole = None if tracker is not None else _whole(chunk, columns)
            if whole is not None and size + whole[1] > batch_bytes:
                whole = None  # rows wider than guessed: cut the batch row by row, below
            if whole is not None:  # the usual case, at C speed: no value needs a look of its own
                converted, chunk_bytes = whole
                rows += converted
                positions += range(first, self.position + 1)
                size += chunk_bytes
            else:
                chunk_bytes = 0
                for position, raw in enumerate(chunk, first):
                    row_bytes = _VALUE_BYTES * len(raw) + sum(_size(value) for value in raw)
                    chunk_bytes += row_bytes
                    row = self._convert(raw, key_at, position)
                    if isinstance(row, spine.Reject):
                        rejects.append(row)
                        continue
                    if tracker is not None and cursor_at is not None:
                        key = _key_text(row, key_at)
                        if tracker.seen_before(row[cursor_at], key):
                            continue
                        tracker.add(row[cursor_at], key)
                    rows.append(row)
                    positions.append(position)
                    size += row_bytes
                    if len(rows) >= rows_cap or size >= batch_bytes:
                        yield spine.Batch(rows, positions, origin, rejects)
                        rows, positions, rejects, size = [], [], [], 0
            if rows and (len(rows) >= rows_cap or size >= batch_bytes):
                yield spine.Batch(rows, positions, origin, rejects)
                rows, positions, rejects, size = [], [], [], 0
            # The next fetch asks for what fills the rest of the batch, at the last rows' size:
            # never more rows than the batch takes, so a whole chunk never passes the cap.
            row_size = max(1, chunk_bytes // len(chunk))
            room = max(1, (batch_bytes - size) // row_size)
            wanted = max(1, min(rows_cap - len(rows), room))
        if rows or rejects:
            yield spine.Batch(rows, positions, origin, rejects)

    def _convert(self, raw: Any, key_at: list[int], position: int) -> tuple[Any, ...] | spine.Reject:
        columns = self.columns
        try:
            return tuple(column.convert(value) for column, value in zip(columns, raw, strict=True))
        except (ValueError, ArithmeticError) as exc:
            index = next(i for i, (c, v) in enumerate(zip(columns, raw, strict=True)) if _fails(c, v))
            keys = ", ".join(f"{columns[i].field.name}={raw[i]!r}" for i in key_at)
            reason = (
                f"{self.what}{f' key ({keys})' if keys else ''} column {columns[index].field.name!r} "
                f"({columns[index].kind.sql}): {exc}"
            )
            text = "|".join("" if value is None else str(value) for value in raw)
            return spine.Reject(self.origin, position, text, reason)


def _whole(chunk: Sequence[Any], columns: list[Column]) -> tuple[list[tuple[Any, ...]], int] | None:
    """A fetched chunk's rows converted column by column (`Column.whole`), and their size;
    None when a value needs a look of its own."""
    converted = []
    size = _VALUE_BYTES * len(columns) * len(chunk)
    for column, values in zip(columns, zip(*chunk, strict=True), strict=True):
        done = column.whole(values)
        if done is None:
            return None
        converted.append(done)
        if column.kind.type == "string":
            size += sum(map(len, filter(None, done)))
        else:
            size += 8 * len(chunk)
    return list(zip(*converted, strict=True)), size


def _fails(column: Column, value: Any) -> bool:
    try:
        column.convert(value)
    except (ValueError, ArithmeticError):
        return True
    return False


def _key_text(row: tuple[Any, ...], key_at: list[int]) -> tuple[str, ...]:
    return tuple("" if row[i] is None else str(row[i]) for i in key_at)


def _size(value: Any) -> int:
    """About what a value holds: its characters or bytes, or 8 for a number or a date."""
    if isinstance(value, str | bytes | bytearray | memoryview):
        return len(value)
    return 8
