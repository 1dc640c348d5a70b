"""What delimited and JSON sources share: a reader hands over column names and blocks of
records as text; this module infers the schema from the first records, converts the
rest, and cuts them into batches with their rejects."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Sequence
from itertools import chain, islice
from typing import Any, NamedTuple

import spine

from ._columns import build_schema, row_converter
from ._files import FileRef, TextFile
from ._options import Column, FileOptions, check_batch_size


class Block(NamedTuple):
    """Consecutive records as read, where each starts and its text.

    A record is a list of text values (None when missing) in column order; JSON
    readers first hand over objects, which `_json` maps to such lists.
    """

    records: list[Any]
    starts: Sequence[int]  # the line on which each record starts
    texts: Sequence[str]  # each record as written in the file, without its line ending
    rejects: Sequence[spine.Reject] = ()  # records the reader itself could not read


def first_blocks(blocks: Iterator[Block], records: int) -> list[Block]:
    """Blocks from the start until they hold `records` records (or the records run out)."""
    taken: list[Block] = []
    held = 0
    while held < records and (block := next(blocks, None)) is not None:
        taken.append(block)
        held += len(block.records)
    return taken


class _Opened(NamedTuple):
    file: TextFile
    columns: Sequence[Column]
    schema: spine.Schema
    blocks: Iterator[Block]


class TextSource(spine.Source):
    """A source over a text file; subclasses say how records and column names are read."""

    format_name = "text"
    nullable_input = False  # whether readers hand over None for missing values

    def __init__(self, ref: FileRef, options: FileOptions) -> None:
        self.ref = ref
        self.options = options
        self._schema: spine.Schema | None = None
        self._pending: _Opened | None = None  # opened by schema(), read by the first batches()
        self._files: list[TextFile] = []

    @abstractmethod
    def _read(self, file: TextFile) -> tuple[Sequence[Column], Iterator[Block]]:
        """The columns (from options, a header or the first records) and the remaining records."""

    def schema(self) -> spine.Schema:
        if self._schema is None:
            self._pending = self._open()
            self._schema = self._pending.schema
        return self._schema

    def batches(self, batch_size: int = spine.DEFAULT_BATCH_SIZE) -> Iterator[spine.Batch]:
        return self._batches(check_batch_size(batch_size))

    def describe(self) -> str:
        return f"{self.ref.path} ({', '.join(self._details())})"

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
            sample = first_blocks(blocks, self.options.infer_rows)
            width = len(columns)
            records = (record for block in sample for record in block.records if len(record) == width)
            schema = build_schema(columns, self.options.types, list(islice(records, self.options.infer_rows)))
        except BaseException:
            file.close()
            raise
        return _Opened(file, columns, schema, chain(sample, blocks))

    def _batches(self, batch_size: int) -> Iterator[spine.Batch]:
        opened, self._pending = self._pending or self._open(), None
        # The hot loop: one pass per record, no per-row dicts, conversion prebuilt per column.
        origin = self.ref.path
        width = len(opened.schema.fields)
        convert = row_converter(opened.schema, opened.columns, nullable_input=self.nullable_input)
        rows: list[tuple[Any, ...]] = []
        positions: list[int] = []
        texts: list[str] = []
        rejects: list[spine.Reject] = []
        try:
            for block in opened.blocks:
                rejects.extend(block.rejects)
                for values, start, text in zip(block.records, block.starts, block.texts, strict=True):
                    if len(values) != width:
                        reason = f"expected {width} fields, found {len(values)}"
                        rejects.append(spine.Reject(origin, start, text, reason))
                        continue
                    try:
                        row = convert(values)
                    except ValueError as exc:
                        rejects.append(spine.Reject(origin, start, text, str(exc)))
                        continue
                    rows.append(row)
                    positions.append(start)
                    texts.append(text)
                    if len(rows) == batch_size:
                        yield spine.Batch(rows, positions, origin, _in_order(rejects), texts)
                        rows, positions, texts, rejects = [], [], [], []
            if rows or rejects:
                yield spine.Batch(rows, positions, origin, _in_order(rejects), texts)
        finally:
            opened.file.close()


def _in_order(rejects: list[spine.Reject]) -> list[spine.Reject]:
    """Rejects by line: a reader's own (a bad JSON line) come in ahead of conversion failures."""
    return sorted(rejects, key=lambda reject: reject.position or 0)
