"""Delimited text cut into records, a block at a time: unquoted, one record a line (the
fast path), or quoted, parsed by the csv module, a quoted field spanning lines."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from itertools import chain, islice, repeat
from typing import NamedTuple

import spine

from .._files import FileRef
from .._text import Block, columnar, wrong_width
from ._quoting import Misquoted

_QUOTED_BLOCK = 250  # records per block when parsing quoted text
_QUOTING_HINT = (
    'a quote inside a quoted field is written twice (""); fix the file, read the fields as they are '
    "with -o quote=none, or reject such records with -o bad_quotes=reject"
)


class Records(NamedTuple):
    """Records parsed by the csv module, as lists of values, with where each starts and its
    text, and the records of that stretch whose quoting is broken (with bad_quotes=reject)."""

    records: list[list[str]]
    starts: Sequence[int]
    texts: Sequence[str]
    rejects: Sequence[spine.Reject] = ()

    def first_values(self) -> Sequence[str]:
        return self.records[0]

    def rest(self) -> Records:
        return Records(self.records[1:], self.starts[1:], self.texts[1:], self.rejects)

    def longest_field(self, limit: int, max_fields: int) -> tuple[int, int] | None:
        """The length of the longest field and its record's line, when one is over `limit`."""
        for values, start, text in zip(self.records, self.starts, self.texts, strict=True):
            if len(text) > limit and (longest := max(map(len, values), default=0)) > limit:
                return longest, start
        return None

    def block(self, width: int, origin: str) -> Block:
        return columnar(self.records, self.starts, self.texts, width, origin, self.rejects)


class Lines(NamedTuple):
    """Unquoted records, one per line, not yet split on the delimiter."""

    texts: Sequence[str]
    starts: Sequence[int]
    delimiter: str
    rejects: Sequence[spine.Reject] = ()  # none: without quotes, any line is a record

    def first_values(self) -> Sequence[str]:
        return self.texts[0].split(self.delimiter)

    def rest(self) -> Lines:
        return Lines(self.texts[1:], self.starts[1:], self.delimiter)

    def longest_field(self, limit: int, max_fields: int) -> tuple[int, int] | None:
        """As `Records.longest_field`; a line of more than `max_fields` fields is skipped
        unsplit: it is no record of any width allowed, and so a reject (see `block`)."""
        for text, start in zip(self.texts, self.starts, strict=True):
            if len(text) > limit:
                fields = text.split(self.delimiter, max_fields)
                if len(fields) <= max_fields and (longest := max(map(len, fields))) > limit:
                    return longest, start
        return None

    def block(self, width: int, origin: str) -> Block:
        # When every line holds width - 1 delimiters (the usual case), the lines are
        # split in one go and each column cut out with a strided slice: no list per record.
        texts, starts, delimiter = self.texts, self.starts, self.delimiter
        rejects: list[spine.Reject] = []
        if any(map((width - 1).__ne__, map(str.count, texts, repeat(delimiter)))):
            # Lines of another width are rejected on their count, never split: a line of
            # millions of fields makes no million strings.
            counts = list(map(str.count, texts, repeat(delimiter)))
            kept = [number for number, count in enumerate(counts) if count == width - 1]
            rejects = [
                wrong_width(origin, starts[number], texts[number], width, count + 1)
                for number, count in enumerate(counts)
                if count != width - 1
            ]
            texts, starts = [texts[number] for number in kept], [starts[number] for number in kept]
        fields = delimiter.join(texts).split(delimiter) if texts else []
        return Block([fields[column::width] for column in range(width)], starts, texts, rejects)


def unquoted_lines(chunks: Iterator[list[str]], delimiter: str) -> Iterator[Lines]:
    """One record per line: the fast path (pipe files, quote=none)."""
    line = 1
    for chunk in chunks:
        texts = list(map(str.rstrip, chunk, repeat("\r\n")))
        starts: Sequence[int] = range(line, line + len(chunk))
        line += len(chunk)
        if "" in texts:  # blank lines are no records
            kept = [index for index, text in enumerate(texts) if text]
            texts, starts = [texts[index] for index in kept], [starts[index] for index in kept]
        yield Lines(texts, starts, delimiter)


def quoted_records(
    chunks: Iterator[list[str]], ref: FileRef, delimiter: str, quote: str, reject_bad_quotes: bool
) -> Iterator[Records]:
    """Records parsed by the csv module; a quoted field may hold delimiters and line breaks.

    The reader's ``line_num`` tells on which line each record ends; the lines it has
    consumed since the last block are kept so that every record keeps its own text.
    The reader is strict: a quote never closed, or text after a closing quote, which it
    would otherwise take into the field, is a `SourceError` naming the line the quote
    opened on, or with `reject_bad_quotes` a reject, reading going on at the next line.
    """
    window: list[str] = []  # lines from `first` on: the current block's and a record still open

    def lines() -> Iterator[list[str]]:
        for chunk in chunks:
            window.extend(chunk)
            yield chunk

    reader = csv.reader(chain.from_iterable(lines()), delimiter=delimiter, quotechar=quote, strict=True)
    first = start = 1  # the line number of window[0], and of the next record
    while True:
        records: list[list[str]] = []
        starts: list[int] = []
        texts: list[str] = []
        rejects: list[spine.Reject] = []
        try:
            for values in islice(reader, _QUOTED_BLOCK):
                end = reader.line_num
                if values:  # a blank line reads as []
                    text = (
                        window[start - first]
                        if end == start
                        else "".join(window[start - first : end - first + 1])
                    )
                    records.append(values)
                    starts.append(start)
                    texts.append(text.rstrip("\r\n"))
                start = end + 1
        except csv.Error as exc:
            end = reader.line_num
            record = Misquoted.of(window[start - first : end - first + 1], start, delimiter, quote)
            if str(exc).startswith("field larger than field limit"):
                raise ref.error(record.too_long(str(exc)), record.line) from None
            if not reject_bad_quotes:
                raise ref.error(f"{record.reason(str(exc))}; {_QUOTING_HINT}", record.line) from None
            rejects.append(spine.Reject(ref.path, start, record.text(), record.reason(str(exc))))
            start = end + 1  # the csv module reads on from the next line
        if start == first:
            return
        yield Records(records, starts, texts, rejects)
        del window[: start - first]
        first = start
