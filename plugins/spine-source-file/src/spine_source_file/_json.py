"""JSON: an array of objects, streamed element by element, and JSON Lines (one object per line).

Values map to columns by key; a missing key reads as NULL. Scalars become text and go
through the same conversion as delimited fields (numbers keep their exact digits);
nested arrays and objects become JSON text in a string column.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from itertools import chain, islice
from typing import Any, NamedTuple

import spine

from ._columns import columns_from_text, same_column, too_many_columns
from ._files import FileRef, TextFile
from ._options import Column, FileOptions
from ._text import Block, TextSource, columnar, first_blocks

_CHUNK = 64 * 1024  # characters read at a time from a JSON array
_CUT_OFF = 16  # a decoding error this close to the end of the text read may be the element going on
_OBJECTS_PER_BLOCK = 500
_NOT_SPACE = re.compile(r"[^ \t\n\r]")
_TOO_DEEP = "JSON nested too deeply to read"
_NO_KEYS = "an object without keys, and no columns to load it into"


class _Objects(NamedTuple):
    """Consecutive JSON objects as read, with the line each starts on and its text."""

    objects: list[dict[str, Any]]
    starts: list[int]
    texts: list[str]
    rejects: list[spine.Reject]


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
            _array(file, decoder, self.options.max_element_bytes)
            if self.format_name == "json"
            else _lines(file, decoder, self.options.max_element_bytes)
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

    def __call__(self, block: _Objects) -> Block:
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


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return "a number"


def _lines(file: TextFile, decoder: json.JSONDecoder, limit: int) -> Iterator[_Objects]:
    """JSON Lines: a line that is not a JSON object is rejected; blank lines are skipped.
    A line longer than `limit` (max_element_bytes) is an error, as an array element is."""
    origin = file.ref.path
    first_line = 1
    for chunk in file.line_chunks(limit, "max_element_bytes"):
        objects: list[dict[str, Any]] = []
        starts: list[int] = []
        texts: list[str] = []
        rejects: list[spine.Reject] = []
        for line, text in enumerate((raw.rstrip("\r\n") for raw in chunk), start=first_line):
            if not text.strip():
                continue
            try:
                found = decoder.decode(text)
            except json.JSONDecodeError as exc:
                rejects.append(
                    spine.Reject(origin, line, text, f"not valid JSON: {exc.msg} at column {exc.colno}")
                )
                continue
            except RecursionError:
                rejects.append(spine.Reject(origin, line, text, _TOO_DEEP))
                continue
            if isinstance(found, dict):
                objects.append(found)
                starts.append(line)
                texts.append(text)
            else:
                rejects.append(
                    spine.Reject(origin, line, text, f"expected a JSON object, found {_kind(found)}")
                )
        first_line += len(chunk)
        yield _Objects(objects, starts, texts, rejects)


def _array(file: TextFile, decoder: json.JSONDecoder, limit: int) -> Iterator[_Objects]:
    """The elements of a top-level array, decoded one at a time: memory holds one element
    (of at most `limit` characters, max_element_bytes), not the file."""
    scanner = _Scanner(file, limit)
    opening = scanner.peek()
    if opening != "[":
        hint = "; for one object per line, set format=jsonl" if opening == "{" else ""
        found = repr(opening) if opening else "only white space"
        raise file.ref.error(f"expected a JSON array of objects ('['), found {found}{hint}", scanner.line)
    scanner.pos += 1
    closed = scanner.peek() == "]"
    scanner.pos += closed
    while not closed:
        objects: list[dict[str, Any]] = []
        starts: list[int] = []
        texts: list[str] = []
        rejects: list[spine.Reject] = []
        while not closed and len(objects) + len(rejects) < _OBJECTS_PER_BLOCK:
            element, text, line = scanner.value(decoder)
            if isinstance(element, dict):
                objects.append(element)
                starts.append(line)
                texts.append(text)
            else:
                reason = f"expected a JSON object, found {_kind(element)}"
                rejects.append(spine.Reject(file.ref.path, line, text, reason))
            closed = scanner.separator(line)
        yield _Objects(objects, starts, texts, rejects)
    trailing = scanner.peek()
    if trailing:
        raise file.ref.error(f"unexpected {trailing!r} after the end of the JSON array", scanner.line)


def _cut_off(error: json.JSONDecodeError) -> bool:
    """Whether decoding failed only for want of more text: an open string, or an error at
    the end of what was read, rather than a mistake in the middle of it."""
    return error.msg.startswith("Unterminated string") or error.pos >= len(error.doc) - _CUT_OFF


class _Scanner:
    """A moving window over the text of a JSON array, refilled from the file as it is consumed."""

    def __init__(self, file: TextFile, limit: int) -> None:
        self.file = file
        self.limit = limit  # the longest element, in characters
        self.text = ""
        self.pos = 0
        self.line = 1  # the line of text[pos]
        self.elements = 0  # how many values `value` has decoded

    def peek(self) -> str:
        """The next character that is not white space ('' at the end of the file), skipping the space."""
        while True:
            found = _NOT_SPACE.search(self.text, self.pos)
            end = found.start() if found else len(self.text)
            self.line += self.text.count("\n", self.pos, end)
            self.pos = end
            if end < len(self.text):
                return self.text[end]
            if not self._more(_CHUNK):
                return ""

    def value(self, decoder: json.JSONDecoder) -> tuple[Any, str, int]:
        """The next value, its text and the line it starts on, reading on while it is incomplete."""
        self.peek()
        while True:
            try:
                found, end = decoder.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                pending = len(self.text) - self.pos
                # Reading on, doubling what is held, to one character past the limit at most.
                if pending <= self.limit and self._more(min(max(_CHUNK, pending), self.limit + 1 - pending)):
                    continue  # most likely cut off at the end of what was read
                if pending > self.limit and _cut_off(exc):
                    raise self._too_long() from None
                line = self.line + self.text.count("\n", self.pos, exc.pos)
                near = self.text[exc.pos : exc.pos + 30]
                raise self.file.ref.error(f"malformed JSON: {exc.msg} near {near!r}", line) from None
            except RecursionError:
                raise self.file.ref.error(_TOO_DEEP, self.line) from None
            if end == len(self.text) and self._more(_CHUNK):
                continue  # a number may go on in the text not read yet
            if end - self.pos > self.limit:
                raise self._too_long()
            text = self.text[self.pos : end]
            line = self.line
            self.line += text.count("\n")
            self.pos = end
            self.elements += 1
            return found, text, line

    def _too_long(self) -> spine.SourceError:
        return self.file.ref.error(
            f"array element {self.elements + 1} goes on past max_element_bytes ({self.limit} "
            "characters): raise it (-o max_element_bytes=N) if the elements are that large; "
            "otherwise the array is broken",
            self.line,
        )

    def separator(self, element_line: int) -> bool:
        """Move past the ',' or ']' after an element; True when it was the closing ']'."""
        found = self.peek()
        if found not in (",", "]"):
            raise self.file.ref.error(
                f"expected ',' or ']' after the array element that starts on line {element_line}, "
                f"found {repr(found) if found else 'the end of the file'}",
                self.line,
            )
        self.pos += 1
        return found == "]"

    def _more(self, size: int) -> bool:
        """Read on, dropping what was consumed; False at the end of the file."""
        chunk = self.file.read(size)
        if not chunk:
            return False
        self.text = self.text[self.pos :] + chunk
        self.pos = 0
        return True
