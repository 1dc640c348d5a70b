"""From a page's answer to records, read while it arrives: its format found (the option, the
Content-Type, else its first bytes), then read as JSON (an array, or one at a path), JSON
Lines, or delimited text, in blocks.

JSON values become text and go through spine's conversion like the fields of a file
(numbers keep their exact digits); nested arrays and objects become JSON text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import spine

from .._options import HttpOptions
from .._watch import Watchdog
from ._body import READ_SIZE, BrokenAnswer, first_byte, open_body
from ._json_stream import JsonRecords, parse
from ._lines import LineReader
from ._records import Records, objects

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
        lines = LineReader(self.where, options.max_element_bytes)
        if kind == "jsonl":
            yield from lines.json_lines(reader, b"")
            return
        if kind != "json":
            delimiter = options.delimiter or DELIMITERS.get(kind, ",")
            encoding = self.response.encoding or "utf-8"
            yield from lines.delimited(reader, encoding, delimiter, kind == "psv", self._header)
            return
        head = b""
        if first == b"{":
            # Several JSON objects, one a line, are JSON Lines whatever the Content-Type says
            # (when the first line is short enough to tell: format=jsonl says so for any).
            head = reader.readline(READ_SIZE)
            if head.endswith(b"\n") and isinstance(_parsed(head), dict) and first_byte(reader):
                yield from lines.json_lines(reader, head)
                return
        parser = JsonRecords(reader, self.where, options.records, options.max_element_bytes, head)
        position = 0
        for elements in parser.blocks():
            yield objects(elements, position)
            position += len(elements)
        self.document = parser.document


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
