"""The JSON source: its columns, declared or the keys of the first records, and each
object's values put in column order, a block at a time."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from itertools import chain, islice

import spine

from .._columns import columns_from_text, same_column, too_many_columns
from .._files import FileRef, TextFile
from .._options import Column, FileOptions
from .._text import Block, TextSource, columnar, first_blocks
from ._objects import Objects, array_objects, jsonl_objects

_NO_KEYS = "an object without keys, and no columns to load it into"


class JsonSource(TextSource):
    """``json``: a top-level array of objects; ``jsonl``: one object per line."""

    def __init__(self, ref: FileRef, options: FileOptions, format_name: str) -> None:
        super().__init__(ref, options)
        self.format_name = format_name
        self._columnless = False  # no record has keys: rejects at most, then an error

    def _batches(self, batch_size: int) -> Iterator[spine.Batch]:
        yield from super()._batches(batch_size)
        if self._columnless:  # raised after the rejects are yielded, so that a load keeps them
            raise self.ref.error(
                "no record is a JSON object with keys, so there are no columns to load "
                "(the records that are not are rejected)"
            )

    def _read(self, file: TextFile) -> tuple[Sequence[Column], Iterator[Block]]:
        decoder = json.JSONDecoder(parse_float=Decimal)  # exact digits for decimal columns
        blocks = (
            array_objects(file, decoder, self.options.max_element_bytes)
            if self.format_name == "json"
            else jsonl_objects(file, decoder, self.options.max_element_bytes)
        )
        if self.options.columns is not None:
            declared = self.options.columns
            mapping = _Mapping(self.ref.path, len(declared), _declared_index(declared))
            return declared, map(mapping, blocks)
        # Without declared columns, the keys of the first records, in order of appearance, are the columns.
        wanted = max(self.options.infer_rows, 1)
        sample = first_blocks(blocks, wanted)
        objects = islice((found for block in sample for found in block.objects), wanted)
        keys = list(dict.fromkeys(chain.from_iterable(objects)))
        if not keys and not any(block.starts or block.rejects for block in sample):
            raise self.ref.error(
                ("the array is empty" if self.format_name == "json" else "only blank lines")
                + ": no records, and so no columns; declare the columns option to load it as an empty input"
            )
        self._columnless = not keys
        if len(keys) > self.options.max_columns:
            found = f"the keys of the first records make {len(keys)}"
            raise too_many_columns(self.ref, found, self.options.max_columns)
        columns = columns_from_text(keys)
        unknown = (
            f"key {{!r}} is not among the columns found in the first {wanted} records; "
            "declare the columns option (or raise infer_rows) to read it"
        )
        known = {key: index for index, key in enumerate(keys)}
        mapping = _Mapping(self.ref.path, len(columns), known.get, unknown)
        return columns, map(mapping, chain(sample, blocks))


class _Mapping:
    """Turns a block of objects into a block of values in column order.

    `index_of` gives a key's column, -1 to ignore the key, or None to reject the record
    with the `unknown` reason.
    """

    def __init__(
        self, origin: str, width: int, index_of: Callable[[str], int | None], unknown: str = ""
    ) -> None:
        self.origin = origin
        self.width = width
        self.index_of = index_of
        self.unknown = unknown

    def __call__(self, block: Objects) -> Block:
        records: list[list[str | None]] = []
        starts: list[int] = []
        texts: list[str] = []
        rejects = list(block.rejects)
        for found, start, text in zip(block.objects, block.starts, block.texts, strict=True):
            values: list[str | None] = [None] * self.width
            for key, value in found.items():
                index = self.index_of(key)
                if index is None:
                    rejects.append(spine.Reject(self.origin, start, text, self.unknown.format(key)))
                    break
                if index >= 0:
                    values[index] = spine.value_text(value)
            else:
                if not self.width:  # nothing of it can be kept
                    rejects.append(spine.Reject(self.origin, start, text, _NO_KEYS))
                    continue
                records.append(values)
                starts.append(start)
                texts.append(text)
        return columnar(records, starts, texts, self.width, self.origin, rejects)


def _declared_index(columns: Sequence[Column]) -> Callable[[str], int]:
    """Column columns take the keys that name them; other keys are ignored (-1)."""
    found: dict[str, int] = {}

    def index_of(key: str) -> int:
        if key not in found:
            found[key] = next((i for i, column in enumerate(columns) if same_column(key, column.name)), -1)
        return found[key]

    return index_of
