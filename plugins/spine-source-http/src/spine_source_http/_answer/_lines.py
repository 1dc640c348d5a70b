"""The answers read a line at a time, JSON Lines and delimited text, in blocks of `BLOCK`
records; a line longer than max_element_bytes is an error."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from itertools import chain

import spine

from ._json_stream import parse
from ._records import Records, keep, no_records

BLOCK = 1000  # records of JSON Lines or delimited text handed on at a time


class LineReader:
    """Reads the records of a page's answer line by line; `where` names the page in errors,
    `limit` is max_element_bytes, the longest line."""

    def __init__(self, where: str, limit: int) -> None:
        self.where = where
        self.limit = limit

    def json_lines(self, reader: io.BufferedReader, first: bytes) -> Iterator[Records]:
        """JSON Lines (`first`: the start of the answer, read already); a line that is not a
        JSON object is a reject. Blank lines are not counted."""
        limit = self.limit
        found = no_records()
        index = 0
        lines = chain([first] if first else [], iter(lambda: reader.readline(limit + 1), b""))
        for number, line in enumerate(lines, 1):
            if len(line) > limit and not line.endswith(b"\n"):
                raise self._too_long(number)
            if not line.strip():
                continue
            index += 1
            text = line.rstrip(b"\r\n").decode("utf-8", "replace")
            try:
                item = parse(line)
            except ValueError as exc:
                found.rejects.append(spine.Reject("", index, text, f"not valid JSON: {exc}"))
            else:
                keep(found, index, item, text)
            if found.held >= BLOCK:
                yield found
                found = no_records()
        if found.held:
            yield found

    def delimited(
        self,
        reader: io.BufferedReader,
        encoding: str,
        delimiter: str,
        unquoted: bool,
        header: list[str] | None,
    ) -> Iterator[Records]:
        """Delimited text under `header` (None: its first row is the header)."""
        limit = self.limit
        # The csv module's limit is one for the process: raised to the record's, never lowered.
        csv.field_size_limit(max(csv.field_size_limit(), limit))
        text = io.TextIOWrapper(reader, encoding=encoding, errors="replace", newline="")
        lines = _bounded_lines(text, limit, self._too_long)
        rows = (
            csv.reader(lines, delimiter=delimiter, quoting=csv.QUOTE_NONE)
            if unquoted
            else csv.reader(lines, delimiter=delimiter)
        )
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

    def _too_long(self, number: int) -> spine.SourceError:
        limit = self.limit
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
