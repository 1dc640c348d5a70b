"""Delimited text: CSV, TSV, pipe-delimited and any other one-character delimiter."""

from __future__ import annotations

import csv
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from itertools import accumulate, chain, islice, repeat
from typing import NamedTuple

import spine

from ._columns import columns_from_text, same_column, too_many_columns
from ._files import FileRef, TextFile
from ._options import Column, FileOptions
from ._text import Block, TextSource, columnar, wrong_width

DELIMITERS = {"csv": ",", "tsv": "\t", "psv": "|"}
_SNIFF_CHARACTERS = 64 * 1024
_SNIFF_LINES = 50
_CANDIDATES = ",\t|;"
_QUOTED_BLOCK = 250  # records per block when parsing quoted text
_TOO_LONG_HINT = "raise field_size_limit if that is expected (an unclosed quote also makes a field run on)"
_QUOTING_HINT = (
    'a quote inside a quoted field is written twice (""); fix the file, read the fields as they are '
    "with -o quote=none, or reject such records with -o bad_quotes=reject"
)


class _Records(NamedTuple):
    """Records parsed by the csv module, as lists of values, with where each starts and its
    text, and the records of that stretch whose quoting is broken (with bad_quotes=reject)."""

    records: list[list[str]]
    starts: Sequence[int]
    texts: Sequence[str]
    rejects: Sequence[spine.Reject] = ()

    def first_values(self) -> Sequence[str]:
        return self.records[0]

    def rest(self) -> _Records:
        return _Records(self.records[1:], self.starts[1:], self.texts[1:], self.rejects)

    def longest_field(self, limit: int, max_fields: int) -> tuple[int, int] | None:
        """The length of the longest field and its record's line, when one is over `limit`."""
        for values, start, text in zip(self.records, self.starts, self.texts, strict=True):
            if len(text) > limit and (longest := max(map(len, values), default=0)) > limit:
                return longest, start
        return None

    def block(self, width: int, origin: str) -> Block:
        return columnar(self.records, self.starts, self.texts, width, origin, self.rejects)


class _Lines(NamedTuple):
    """Unquoted records, one per line, not yet split on the delimiter."""

    texts: Sequence[str]
    starts: Sequence[int]
    delimiter: str
    rejects: Sequence[spine.Reject] = ()  # none: without quotes, any line is a record

    def first_values(self) -> Sequence[str]:
        return self.texts[0].split(self.delimiter)

    def rest(self) -> _Lines:
        return _Lines(self.texts[1:], self.starts[1:], self.delimiter)

    def longest_field(self, limit: int, max_fields: int) -> tuple[int, int] | None:
        """As `_Records.longest_field`; a line of more than `max_fields` fields is skipped
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


class DelimitedSource(TextSource):
    """Records split on `delimiter`; quoted fields (which may span lines) unless quote is none."""

    def __init__(self, ref: FileRef, options: FileOptions, format_name: str) -> None:
        super().__init__(ref, options)
        self.format_name = format_name
        self.delimiter = options.delimiter or DELIMITERS.get(format_name) or _sniff(ref, options)
        self.quote = options.quote_for(self.delimiter)
        if self.quote == self.delimiter:
            raise spine.ConfigError(
                f"file source options: the quote and the delimiter are both {self.quote!r}",
                context={"option": "quote"},
            )
        if self.quote is None and "bad_quotes" in options.given:
            raise spine.ConfigError(
                "file source option 'bad_quotes' does not apply: this file is read unquoted "
                "(pipe-delimited files are, unless quote is set; quote=none is)",
                context={"option": "bad_quotes"},
            )

    def _details(self) -> list[str]:
        quoting = f"quote {self.quote!r}" if self.quote else "unquoted"
        return [*super()._details(), f"delimiter {self.delimiter!r}", quoting]

    def _read(self, file: TextFile) -> tuple[Sequence[Column], Iterator[Block]]:
        chunks = self._checking_field_size(self._tokenize(file))
        ahead: list[_Records | _Lines] = []  # chunks before the first record: rejected records at most
        for first in chunks:
            rejected = first.rejects and (
                not first.starts or (first.rejects[0].position or 0) < first.starts[0]
            )
            if rejected and self.options.header:
                raise self.ref.error(f"the header cannot be read: {first.rejects[0].reason}", 1)
            if first.starts:
                break
            ahead.append(first)
        else:
            bad = [reject for chunk in ahead for reject in chunk.rejects]
            if bad:
                raise self.ref.error(f"no record can be read: {bad[0].reason}", bad[0].position)
            raise self.ref.error("no records, only blank lines" if file.lines_read else "the file is empty")
        declared = self.options.columns
        values = first.first_values()
        limit = self.options.max_columns
        if (self.options.header or declared is None) and len(values) > limit:  # a header spanning lines
            what = "the header has" if self.options.header else "the first record has"
            raise too_many_columns(self.ref, f"{what} {len(values)}", limit, first.starts[0])
        if not self.options.header:
            columns = declared or [Column(f"column_{n}", None) for n in range(1, len(values) + 1)]
            return columns, self._blocks(columns, chain(ahead, [first], chunks))
        if declared is None:
            columns = columns_from_text(values)
        elif len(values) != len(declared) or not all(map(same_column, values, [c.name for c in declared])):
            raise self.ref.error(
                "the header does not match the declared columns; "
                f"expected {len(declared)}: {', '.join(column.name for column in declared)}; "
                f"found {len(values)}: {', '.join(values)}",
                first.starts[0],
            )
        else:
            columns = [column._replace(label=text) for column, text in zip(declared, values, strict=True)]
        return columns, self._blocks(columns, chain(ahead, [first.rest()], chunks))

    def _blocks(self, columns: Sequence[Column], chunks: Iterator[_Records | _Lines]) -> Iterator[Block]:
        width, origin = len(columns), self.ref.path
        return (chunk.block(width, origin) for chunk in chunks)

    def _tokenize(self, file: TextFile) -> Iterator[_Records | _Lines]:
        chunks = file.line_chunks(self.options.max_line_bytes, "max_line_bytes")
        if self.options.header or self.options.columns is None:  # the first record makes the columns
            chunks = self._checking_width(chunks)
        if self.quote is None:
            return _unquoted_lines(chunks, self.delimiter)
        # The csv module's field limit is process-wide: raise it to ours when lower, never
        # lower it; `_checking_field_size` applies this source's own limit exactly.
        csv.field_size_limit(max(csv.field_size_limit(), self.options.field_size_limit))
        return _quoted_records(
            chunks, file.ref, self.delimiter, self.quote, self.options.bad_quotes == "reject"
        )

    def _checking_width(self, chunks: Iterator[list[str]]) -> Iterator[list[str]]:
        """`chunks` of lines, the first record's fields counted against max_columns before
        anything splits it: a header of millions of fields is refused without making
        millions of strings. (A quoted header spanning lines is counted once parsed.)"""
        line = 1
        for chunk in chunks:
            for text in chunk:
                if text.rstrip("\r\n"):
                    self._check_width(text, line)
                    yield chunk
                    yield from chunks
                    return
                line += 1
            yield chunk

    def _check_width(self, text: str, line: int) -> None:
        limit = self.options.max_columns
        found = text.count(self.delimiter) + 1  # as many fields as that, or fewer when some are quoted
        if found <= limit:
            return
        counted = str(found)
        if self.quote is not None and self.quote in text:
            if sum(1 for _ in islice(_quoted_fields(text, self.delimiter, self.quote), limit + 1)) <= limit:
                return
            counted = f"more than {limit}"
        what = "the header has" if self.options.header else "the first record has"
        raise too_many_columns(self.ref, f"{what} {counted}", limit, line)

    def _checking_field_size(self, chunks: Iterator[_Records | _Lines]) -> Iterator[_Records | _Lines]:
        limit = self.options.field_size_limit
        for chunk in chunks:
            # A field can only be too long inside a record whose text is: one C-speed check per chunk.
            if chunk.texts and max(map(len, chunk.texts)) > limit:
                found = chunk.longest_field(limit, self.options.max_columns)
                if found is not None:
                    raise self.ref.error(
                        f"a field of {found[0]} characters is longer than field_size_limit "
                        f"({limit}); {_TOO_LONG_HINT}",
                        found[1],
                    )
            yield chunk


def _unquoted_lines(chunks: Iterator[list[str]], delimiter: str) -> Iterator[_Lines]:
    """One record per line: the fast path (pipe files, quote=none)."""
    line = 1
    for chunk in chunks:
        texts = list(map(str.rstrip, chunk, repeat("\r\n")))
        starts: Sequence[int] = range(line, line + len(chunk))
        line += len(chunk)
        if "" in texts:  # blank lines are no records
            kept = [index for index, text in enumerate(texts) if text]
            texts, starts = [texts[index] for index in kept], [starts[index] for index in kept]
        yield _Lines(texts, starts, delimiter)


def _quoted_records(
    chunks: Iterator[list[str]], ref: FileRef, delimiter: str, quote: str, reject_bad_quotes: bool
) -> Iterator[_Records]:
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
            record = _Misquoted.of(window[start - first : end - first + 1], start, delimiter, quote)
            if str(exc).startswith("field larger than field limit"):
                raise ref.error(record.too_long(str(exc)), record.line) from None
            if not reject_bad_quotes:
                raise ref.error(f"{record.reason(str(exc))}; {_QUOTING_HINT}", record.line) from None
            rejects.append(spine.Reject(ref.path, start, record.text(), record.reason(str(exc))))
            start = end + 1  # the csv module reads on from the next line
        if start == first:
            return
        yield _Records(records, starts, texts, rejects)
        del window[: start - first]
        first = start


class _Misquoted(NamedTuple):
    """A record the csv module refused, as far as it read it: its lines, the first on line
    `start`, and the quoted field that went wrong in it, if one did."""

    lines: list[str]
    start: int
    opened: int | None  # the line that field's quote opened on; None: no quoted field went wrong
    unclosed: bool  # its quote is never closed
    after: str  # or the text after its closing quote, to the end of that line
    after_line: int  # and that text's line

    @classmethod
    def of(cls, lines: list[str], start: int, delimiter: str, quote: str) -> _Misquoted:
        text = "".join(lines)
        ends = list(accumulate(map(len, lines)))  # where each line ends in the text

        def line(offset: int) -> int:
            return start + bisect_right(ends, offset)

        field = _last_quoted_field(text, delimiter, quote)
        if field is None:
            return cls(lines, start, None, False, "", start)
        opened, closed = field
        if closed < 0:
            return cls(lines, start, line(opened), True, "", start)
        after = text[closed + 1 :]
        if not after or after[0] in (delimiter, "\r", "\n"):
            return cls(lines, start, None, False, "", start)  # that field is fine: something else is not
        return cls(lines, start, line(opened), False, after.splitlines()[0], line(closed + 1))

    @property
    def line(self) -> int:
        """The line to name: where the quote that went wrong opened, else where the record starts."""
        return self.start if self.opened is None else self.opened

    @property
    def last(self) -> int:
        return self.start + len(self.lines) - 1

    def text(self) -> str:
        return "".join(self.lines).rstrip("\r\n")

    def reason(self, found: str) -> str:
        """What went wrong (`found`: what the csv module said), naming the line the quote opened on."""
        if self.unclosed:
            count = len(self.lines)
            return (
                f"the quote opened on line {self.opened} is never closed: the record takes the rest of "
                f"the file, {count} line{'s' if count > 1 else ''} ({self.start}-{self.last})"
            )
        if self.opened is not None:
            on = "" if self.after_line == self.opened else f" (on line {self.after_line})"
            return (
                f"the quoted field opened on line {self.opened} goes on after its closing quote{on}: "
                f"{self.after[:40]!r}"
            )
        return f"the quoting of this record is broken ({found})"

    def too_long(self, found: str) -> str:
        """The csv module's field limit reached: by an unclosed quote, most likely, when one is open."""
        if self.unclosed:
            return (
                f"the quote opened on line {self.opened} is not closed within {len(self.lines)} lines "
                f"({found}); close it, or raise field_size_limit if the field is that long"
            )
        return f"{found}; {_TOO_LONG_HINT}"


def _last_quoted_field(text: str, delimiter: str, quote: str) -> tuple[int, int] | None:
    """In the text of one record: where the last quoted field's quote opened and where it
    closed (-1: never), as far as the csv module reads; None when no field is quoted."""
    last = None
    for field in _quoted_fields(text, delimiter, quote):
        last = field or last
    return last


def _quoted_fields(text: str, delimiter: str, quote: str) -> Iterator[tuple[int, int] | None]:
    """The fields of the text of one record, read as the csv module reads them up to the
    record's end or where it goes wrong: None for an unquoted field; for a quoted one,
    where its quote opened and where it closed (-1: never). A quote inside a quoted field
    is doubled."""
    position = 0
    while True:
        if not text.startswith(quote, position):  # an unquoted field, to the next delimiter
            yield None
            found = text.find(delimiter, position)
            if found < 0:
                return
            position = found + 1
            continue
        closing = text.find(quote, position + 1)
        while closing >= 0 and text.startswith(quote, closing + 1):  # a doubled quote
            closing = text.find(quote, closing + 2)
        yield position, closing
        if closing < 0 or not text.startswith(delimiter, closing + 1):
            return  # never closed, the record's end, or text after the closing quote: the csv module stops
        position = closing + 2


def _sniff(ref: FileRef, options: FileOptions) -> str:
    """The delimiter of a file whose format does not say, guessed from its first lines."""
    file = TextFile(ref, options.encoding, options.decoding)
    try:
        sample = file.read(_SNIFF_CHARACTERS)
    finally:
        file.close()
    lines = sample.splitlines()
    if len(sample) == _SNIFF_CHARACTERS:
        lines = lines[:-1]  # cut short
    try:
        return csv.Sniffer().sniff("\n".join(lines[:_SNIFF_LINES]), delimiters=_CANDIDATES).delimiter
    except csv.Error:
        raise ref.error(
            "cannot tell which delimiter separates the fields; set the delimiter option "
            "(for example -o delimiter=,) or the format option (csv, tsv, psv)"
        ) from None
