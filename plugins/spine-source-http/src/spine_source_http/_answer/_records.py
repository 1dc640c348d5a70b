"""From a page's answer to records, read while it arrives: JSON (an array, or one at a path), JSON Lines,
or delimited text, in blocks.

JSON values become text and go through spine's conversion like the fields of a file
(numbers keep their exact digits); nested arrays and objects become JSON text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from itertools import chain
from typing import Any, NamedTuple

import httpx
import spine

from .._options import HttpOptions
from .._watch import Watchdog
from ._body import READ_SIZE, BrokenAnswer, first_byte, open_body
from ._json_stream import JsonRecords, parse

DELIMITERS = {"csv": ",", "psv": "|", "tsv": "\t"}
# What the source asks for when the format is its to find out.
ACCEPT = {
    "auto": "application/json, application/x-ndjson;q=0.9, text/csv;q=0.8, */*;q=0.5",
    "json": "application/json",
    "jsonl": "application/x-ndjson, application/jsonl;q=0.9, application/json;q=0.5",
    "csv": "text/csv, text/plain;q=0.5",
    "psv": "text/csv, text/plain;q=0.5",
    "tsv": "text/tab-separated-values, text/plain;q=0.5",
}
_JSON_LINES_TYPES = ("ndjson", "jsonl", "json-seq", "jsonlines")


BLOCK = 1000  # records of JSON Lines or delimited text handed on at a time


class Records(NamedTuple):
    """A block of a page's records: objects (JSON) or lists of fields under a header
    (delimited text), each with its number on the page (from 1); `texts` holds each one's
    text as received when the format gives it for free (None: `text` makes it when asked)."""

    header: list[str] | None
    items: list[Any]
    positions: list[int]
    texts: list[str] | None
    rejects: list[spine.Reject]  # records that could not be read, their origin left blank

    @property
    def held(self) -> int:
        """How many records the block held, readable or not."""
        return len(self.items) + len(self.rejects)

    def text(self, index: int) -> str:
        """The text of record `index`, for the rejects table."""
        if self.texts is not None:
            return self.texts[index]
        return json.dumps(self.items[index], ensure_ascii=False, default=str)

    def split(self, count: int) -> tuple[Records, Records]:
        """The first `count` records (with the rejects before the next one), and the rest."""
        if count >= len(self.items):
            return self, no_records(self.header)
        cut = self.positions[count]
        texts = self.texts
        return (
            Records(
                self.header,
                self.items[:count],
                self.positions[:count],
                None if texts is None else texts[:count],
                [reject for reject in self.rejects if (reject.position or 0) < cut],
            ),
            Records(
                self.header,
                self.items[count:],
                self.positions[count:],
                None if texts is None else texts[count:],
                [reject for reject in self.rejects if (reject.position or 0) >= cut],
            ),
        )


def no_records(header: list[str] | None = None) -> Records:
    return Records(header, [], [], [], [])


def joined(blocks: list[Records]) -> Records:
    """One block of several of the same page."""
    if len(blocks) == 1:
        return blocks[0]
    texts = [block.texts for block in blocks]
    return Records(
        blocks[0].header,
        [item for block in blocks for item in block.items],
        [position for block in blocks for position in block.positions],
        None if None in texts else [text for block in texts if block for text in block],
        [reject for block in blocks for reject in block.rejects],
    )


class PageReader:
    """One page's records, read from its answer while it arrives: `prime()` reads up to the
    first block, `blocks()` yields them all; then `document` (the parsed JSON answer but
    for its records, for paging) and `held` (how many records, readable or not) are known."""

    def __init__(
        self,
        options: HttpOptions,
        response: httpx.Response,
        where: str,
        watch: Watchdog,
        header: list[str] | None = None,
    ) -> None:
        self.options = options
        self.response = response
        self.where = where
        self.document: Any = None
        self.held = 0
        self._watch = watch
        self._header = header  # the first page's, which later pages of delimited text may repeat or leave out
        self._blocks = self._read()
        self._first: Records | None = None

    def prime(self) -> PageReader:
        """Read up to the first block (a `BrokenAnswer` here is worth another try)."""
        self._first = next(self._blocks, None)
        return self

    def blocks(self) -> Iterator[Records]:
        """Every block of the page's records (the answer is closed at the end)."""
        try:
            found = self._first
            while found is not None:
                self.held += found.held
                yield found
                try:
                    found = next(self._blocks, None)
                except BrokenAnswer as exc:
                    raise spine.SourceError(
                        f"{self.where}: {exc}, after {self.held:,} records of the page",
                        retryable=True,
                    ) from None
        finally:
            self.response.close()

    def _read(self) -> Iterator[Records]:
        if self.response.status_code == 204:
            return
        options = self.options
        reader = open_body(self.response, options, self.where, self._watch)
        first = first_byte(reader)
        if not first:
            return
        kind = _format(options, self.response, first)
        if kind == "jsonl":
            yield from self._lines(reader, b"")
            return
        if kind != "json":
            delimiter = options.delimiter or DELIMITERS.get(kind, ",")
            yield from self._delimited(reader, delimiter, kind == "psv")
            return
        head = b""
        if first == b"{":
            # Several JSON objects, one a line, are JSON Lines whatever the Content-Type says
            # (when the first line is short enough to tell: format=jsonl says so for any).
            head = reader.readline(READ_SIZE)
            if head.endswith(b"\n") and isinstance(_parsed(head), dict) and first_byte(reader):
                yield from self._lines(reader, head)
                return
        parser = JsonRecords(reader, self.where, options.records, options.max_element_bytes, head)
        position = 0
        for elements in parser.blocks():
            yield _objects(elements, position)
            position += len(elements)
        self.document = parser.document

    def _lines(self, reader: io.BufferedReader, first: bytes) -> Iterator[Records]:
        """JSON Lines; a line that is not a JSON object is a reject. Blank lines are not counted."""
        limit = self.options.max_element_bytes
        found = no_records()
        index = 0
        lines = chain([first] if first else [], iter(lambda: reader.readline(limit + 1), b""))
        for number, line in enumerate(lines, 1):
            if len(line) > limit and not line.endswith(b"\n"):
                raise self._line_too_long(number)
            if not line.strip():
                continue
            index += 1
            text = line.rstrip(b"\r\n").decode("utf-8", "replace")
            try:
                item = parse(line)
            except ValueError as exc:
                found.rejects.append(spine.Reject("", index, text, f"not valid JSON: {exc}"))
            else:
                _keep(found, index, item, text)
            if found.held >= BLOCK:
                yield found
                found = no_records()
        if found.held:
            yield found

    def _delimited(self, reader: io.BufferedReader, delimiter: str, unquoted: bool) -> Iterator[Records]:
        limit = self.options.max_element_bytes
        # The csv module's limit is one for the process: raised to the record's, never lowered.
        csv.field_size_limit(max(csv.field_size_limit(), limit))
        encoding = self.response.encoding or "utf-8"
        text = io.TextIOWrapper(reader, encoding=encoding, errors="replace", newline="")
        lines = _bounded_lines(text, limit, self._line_too_long)
        rows = (
            csv.reader(lines, delimiter=delimiter, quoting=csv.QUOTE_NONE)
            if unquoted
            else csv.reader(lines, delimiter=delimiter)
        )
        header = self._header
        found = no_records(header)
        index = 0
        opening = True
        try:
            for row in rows:
                if not row:
                    continue
                if opening:
                    opening = False
                    if header is None:  # the first page's header
                        header = row
                        found = no_records(header)
                        continue
                    if row == header:  # repeated by a later page, which may also start with a record
                        continue
                index += 1
                found.items.append(row)
                found.positions.append(index)
                assert found.texts is not None
                found.texts.append(delimiter.join(row))
                if found.held >= BLOCK:
                    yield found
                    found = no_records(header)
        except csv.Error as exc:
            raise spine.SourceError(f"{self.where}: line {rows.line_num}: {exc}") from None
        if found.held or index == 0:  # a header alone still names the columns
            yield found

    def _line_too_long(self, number: int) -> spine.SourceError:
        limit = self.options.max_element_bytes
        return spine.SourceError(
            f"{self.where}: line {number} of the answer is longer than max_element_bytes ({limit:,}); "
            "raise max_element_bytes if records are that big",
            context={"option": "max_element_bytes", "limit": limit},
        )


def _bounded_lines(
    text: io.TextIOWrapper, limit: int, too_long: Callable[[int], spine.SourceError]
) -> Iterator[str]:
    number = 0
    while True:
        line = text.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit and not line.endswith(("\n", "\r")):
            raise too_long(number)
        yield line


def _format(options: HttpOptions, response: httpx.Response, first: bytes) -> str:
    if options.format != "auto":
        return options.format
    content_type = response.headers.get("Content-Type", "").lower()
    if any(name in content_type for name in _JSON_LINES_TYPES):
        return "jsonl"
    if "json" in content_type:
        return "json"
    if "tab-separated" in content_type:
        return "tsv"
    if "csv" in content_type:
        return "csv"
    return "json" if first in (b"[", b"{") else "csv"


def _parsed(line: bytes) -> Any:
    try:
        return parse(line)
    except ValueError:
        return None


def _objects(items: list[Any], before: int) -> Records:
    positions = list(range(before + 1, before + len(items) + 1))
    if set(map(type, items)) <= {dict}:  # the usual block: nothing to sort out one by one
        return Records(None, items, positions, None, [])
    found = Records(None, [], [], None, [])
    for position, item in zip(positions, items, strict=True):
        _keep(found, position, item, None)
    return found


def _keep(found: Records, index: int, item: Any, text: str | None) -> None:
    if isinstance(item, dict):
        found.items.append(item)
        found.positions.append(index)
        if found.texts is not None and text is not None:
            found.texts.append(text)
    else:
        reason = f"expected a JSON object, got {type(item).__name__}"
        shown = json.dumps(item, ensure_ascii=False, default=str) if text is None else text
        found.rejects.append(spine.Reject("", index, shown, reason))
