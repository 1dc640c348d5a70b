"""What delimited and JSON sources share: a reader hands over column names and blocks of
records as text; this module infers the schema from the first records, converts the
rest, and cuts them into batches with their rejects."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from itertools import chain, islice
from typing import Any, NamedTuple, Protocol, TypeVar

import spine

from ._columns import Typed, build_schema, check_types, failure_labels
from ._files import FileRef, TextFile
from ._options import Column, FileOptions, check_batch_size


class Block(NamedTuple):
    """Consecutive records as read, column by column, with where each starts and its text.

    ``columns`` holds a sequence per column with one text value per record (None when
    missing); a record of another width than the columns' is already among the rejects.
    """

    columns: Sequence[Sequence[str | None]]
    starts: Sequence[int]  # the line on which each record starts
    texts: Sequence[str]  # each record as written in the file, without its line ending
    rejects: Sequence[spine.Reject] = ()  # records the reader could not read


def columnar(
    records: Sequence[Sequence[str | None]],
    starts: Sequence[int],
    texts: Sequence[str],
    width: int,
    origin: str,
    rejects: Sequence[spine.Reject] = (),
) -> Block:
    """A block of `records` (lists of values); those without `width` values are rejected."""
    if any(map(width.__ne__, map(len, records))):
        rejects = list(rejects)
        kept = []
        for number, values in enumerate(records):
            if len(values) == width:
                kept.append(number)
            else:
                rejects.append(wrong_width(origin, starts[number], texts[number], width, len(values)))
        records, starts, texts = _pick(kept, records, starts, texts)
    columns = list(zip(*records, strict=True)) if records else [()] * width
    return Block(columns, starts, texts, rejects)


def wrong_width(origin: str, start: int, text: str, width: int, found: int) -> spine.Reject:
    """The reject of a record of `found` fields where the columns are `width`."""
    return spine.Reject(origin, start, text, f"expected {width} fields, found {found}")


def _pick(numbers: list[int], *sequences: Sequence[Any]) -> list[list[Any]]:
    """The items at `numbers` of each sequence."""
    return [[sequence[number] for number in numbers] for sequence in sequences]


class _Starts(Protocol):
    @property
    def starts(self) -> Sequence[int]: ...


_Stretch = TypeVar("_Stretch", bound=_Starts)  # a block of records, read or not yet in columns


def first_blocks(blocks: Iterator[_Stretch], records: int) -> list[_Stretch]:
    """Blocks from the start until they hold `records` records (or the records run out)."""
    taken: list[_Stretch] = []
    held = 0
    while held < records and (block := next(blocks, None)) is not None:
        taken.append(block)
        held += len(block.starts)
    return taken


class _Opened(NamedTuple):
    file: TextFile
    columns: Sequence[Column]
    typed: Typed
    blocks: Iterator[Block]


class TextSource(spine.Source):
    """A source over a text file; subclasses say how records and column names are read."""

    format_name = "text"

    def __init__(self, ref: FileRef, options: FileOptions) -> None:
        self.ref = ref
        self.options = options
        self._schema: spine.Schema | None = None
        self._pending: _Opened | None = None  # opened by schema(), read by the first batches()
        self._files: list[TextFile] = []
        self._preferred: Mapping[str, str] = {}
        self._warnings: list[str] = []

    @abstractmethod
    def _read(self, file: TextFile) -> tuple[Sequence[Column], Iterator[Block]]:
        """The columns (from options, a header or the first records) and the remaining records."""

    def check_types(self) -> None:
        """Refuse (`spine.ConfigError`) the types option naming a column the file does not
        have, reading its columns now (the header, or JSON's first records): a bad option
        is then found when the source is opened, before a load's run starts, not during it."""
        file = TextFile(self.ref, self.options.encoding, self.options.decoding)
        try:
            columns, _ = self._read(file)
        finally:
            file.close()
        check_types(columns, self.options.types)

    def prefer_types(self, types: Mapping[str, str]) -> None:
        self._preferred = types

    def schema(self) -> spine.Schema:
        if self._schema is None:
            self._pending = self._open()
            self._schema = self._pending.typed.schema
            self._warnings = self._pending.typed.warnings
        return self._schema

    def warnings(self) -> list[str]:
        return list(self._warnings)

    def batches(self, batch_size: int = spine.DEFAULT_BATCH_SIZE) -> Iterator[spine.Batch]:
        return self._batches(check_batch_size(batch_size))

    def describe(self) -> str:
        return f"{self.ref.path} ({', '.join(self._details())})"

    def progress(self) -> float:
        """The share of the file's bytes read (compressed bytes for gzip), counting the
        rows read ahead to infer the schema; 0.0 before anything is read."""
        return self._files[-1].progress() if self._files else 0.0

    def _details(self) -> list[str]:
        return [self.format_name, *(["gzip"] if self.ref.gzipped else [])]

    def close(self) -> None:
        self._pending = None
        for file in self._files:
            file.close()

    def _open(self) -> _Opened:
        file = TextFile(self.ref, self.options.encoding, self.options.decoding)
        self._files.append(file)
        try:
            columns, blocks = self._read(file)
            count = self.options.infer_rows
            sample = first_blocks(blocks, count)
            samples = [
                list(islice(chain.from_iterable(block.columns[index] for block in sample), count))
                for index in range(len(columns))
            ]
            lines = list(islice(chain.from_iterable(block.starts for block in sample), count))
            typed = build_schema(columns, self.options.types, samples, lines, self._preferred)
        except BaseException:
            file.close()
            raise
        return _Opened(file, columns, typed, chain(sample, blocks))

    def _batches(self, batch_size: int) -> Iterator[spine.Batch]:
        opened, self._pending = self._pending or self._open(), None
        # The hot loop works a block of records at a time and converts column by column
        # (see spine.text_rows): no per-record Python work on the usual, clean path.
        origin = self.ref.path
        convert = spine.text_rows(opened.typed.schema, opened.typed.inferred)
        labels = failure_labels(opened.columns)
        rows: list[tuple[Any, ...]] = []
        positions: list[int] = []
        texts: list[str] = []
        rejects: list[spine.Reject] = []
        try:
            for block in opened.blocks:
                rejects.extend(block.rejects)
                starts, lines = block.starts, block.texts
                converted, failures = convert(block.columns)
                if failures:
                    for number, (column, reason) in failures.items():
                        rejects.append(
                            spine.Reject(origin, starts[number], lines[number], reason + labels[column])
                        )
                    kept = [number for number in range(len(starts)) if number not in failures]
                    converted, starts, lines = _pick(kept, converted, starts, lines)
                rows.extend(converted)
                positions.extend(starts)
                texts.extend(lines)
                while len(rows) >= batch_size:
                    # A batch's stretch ends at its last row: later rejects wait for the next one.
                    last = positions[batch_size - 1]
                    ours = [reject for reject in rejects if (reject.position or 0) <= last]
                    rejects = [reject for reject in rejects if (reject.position or 0) > last]
                    yield spine.Batch(
                        rows[:batch_size], positions[:batch_size], origin, _in_order(ours), texts[:batch_size]
                    )
                    del rows[:batch_size], positions[:batch_size], texts[:batch_size]
            if rows or rejects:
                yield spine.Batch(rows, positions, origin, _in_order(rejects), texts)
        finally:
            opened.file.close()


def _in_order(rejects: list[spine.Reject]) -> list[spine.Reject]:
    """Rejects by line: a reader's own (a bad JSON line) come in ahead of conversion failures."""
    return sorted(rejects, key=lambda reject: reject.position or 0)
