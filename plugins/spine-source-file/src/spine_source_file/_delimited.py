"""Delimited text: CSV, TSV, pipe-delimited and any other one-character delimiter."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from itertools import chain, islice, repeat
from typing import NamedTuple

import spine

from ._columns import columns_from_text, same_column
from ._files import FileRef, TextFile
from ._options import Column, FileOptions
from ._text import Block, TextSource, columnar

DELIMITERS = {"csv": ",", "tsv": "\t", "psv": "|"}
_SNIFF_CHARACTERS = 64 * 1024
_SNIFF_LINES = 50
_CANDIDATES = ",\t|;"
_QUOTED_BLOCK = 250  # records per block when parsing quoted text
_TOO_LONG_HINT = "raise field_size_limit if that is expected (an unclosed quote also makes a field run on)"


class _Records(NamedTuple):
    """Records parsed by the csv module, as lists of values, with where each starts and its text."""

    records: list[list[str]]
    starts: Sequence[int]
    texts: Sequence[str]

    def values(self) -> Sequence[Sequence[str]]:
        return self.records

    def first_values(self) -> Sequence[str]:
        return self.records[0]

    def rest(self) -> _Records:
        return _Records(self.records[1:], self.starts[1:], self.texts[1:])

    def block(self, width: int, origin: str) -> Block:
        return columnar(self.records, self.starts, self.texts, width, origin)


class _Lines(NamedTuple):
    """Unquoted records, one per line, not yet split on the delimiter."""

    texts: Sequence[str]
    starts: Sequence[int]
    delimiter: str

    def values(self) -> Sequence[Sequence[str]]:
        return [text.split(self.delimiter) for text in self.texts]

    def first_values(self) -> Sequence[str]:
        return self.texts[0].split(self.delimiter)

    def rest(self) -> _Lines:
        return _Lines(self.texts[1:], self.starts[1:], self.delimiter)

    def block(self, width: int, origin: str) -> Block:
        # When every line holds width - 1 delimiters (the usual case), the lines are
        # split in one go and each column cut out with a strided slice: no list per record.
        texts, delimiter = self.texts, self.delimiter
        if texts and not any(map((width - 1).__ne__, map(str.count, texts, repeat(delimiter)))):
            fields = delimiter.join(texts).split(delimiter)
            return Block([fields[column::width] for column in range(width)], self.starts, texts)
        return columnar(self.values(), self.starts, texts, width, origin)


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

    def _details(self) -> list[str]:
        quoting = f"quote {self.quote!r}" if self.quote else "unquoted"
        return [*super()._details(), f"delimiter {self.delimiter!r}", quoting]

    def _read(self, file: TextFile) -> tuple[Sequence[Column], Iterator[Block]]:
        chunks = self._checking_field_size(self._tokenize(file))
        first = next((chunk for chunk in chunks if chunk.starts), None)
        if first is None:
            raise self.ref.error("no records, only blank lines" if file.lines_read else "the file is empty")
        declared = self.options.columns
        values = first.first_values()
        if not self.options.header:
            columns = declared or [Column(f"column_{n}", None) for n in range(1, len(values) + 1)]
            return columns, self._blocks(columns, chain([first], chunks))
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
        return columns, self._blocks(columns, chain([first.rest()], chunks))

    def _blocks(self, columns: Sequence[Column], chunks: Iterator[_Records | _Lines]) -> Iterator[Block]:
        width, origin = len(columns), self.ref.path
        return (chunk.block(width, origin) for chunk in chunks)

    def _tokenize(self, file: TextFile) -> Iterator[_Records | _Lines]:
        if self.quote is None:
            return _unquoted_lines(file, self.delimiter)
        # The csv module's field limit is process-wide: raise it to ours when lower, never
        # lower it; `_checking_field_size` applies this source's own limit exactly.
        csv.field_size_limit(max(csv.field_size_limit(), self.options.field_size_limit))
        return _quoted_records(file, self.delimiter, self.quote)

    def _checking_field_size(self, chunks: Iterator[_Records | _Lines]) -> Iterator[_Records | _Lines]:
        limit = self.options.field_size_limit
        for chunk in chunks:
            # A field can only be too long inside a record whose text is: one C-speed check per chunk.
            if chunk.texts and max(map(len, chunk.texts)) > limit:
                for values, start in zip(chunk.values(), chunk.starts, strict=True):
                    longest = max(map(len, values), default=0)
                    if longest > limit:
                        raise self.ref.error(
                            f"a field of {longest} characters is longer than field_size_limit "
                            f"({limit}); {_TOO_LONG_HINT}",
                            start,
                        )
            yield chunk


def _unquoted_lines(file: TextFile, delimiter: str) -> Iterator[_Lines]:
    """One record per line: the fast path (pipe files, quote=none)."""
    line = 1
    for chunk in file.line_chunks():
        texts = list(map(str.rstrip, chunk, repeat("\r\n")))
        starts: Sequence[int] = range(line, line + len(chunk))
        line += len(chunk)
        if "" in texts:  # blank lines are no records
            kept = [index for index, text in enumerate(texts) if text]
            texts, starts = [texts[index] for index in kept], [starts[index] for index in kept]
        yield _Lines(texts, starts, delimiter)


def _quoted_records(file: TextFile, delimiter: str, quote: str) -> Iterator[_Records]:
    """Records parsed by the csv module; a quoted field may hold delimiters and line breaks.

    The reader's ``line_num`` tells on which line each record ends; the lines it has
    consumed since the last block are kept so that every record keeps its own text.
    """
    window: list[str] = []  # lines from `first` on: the current block's and a record still open

    def lines() -> Iterator[list[str]]:
        for chunk in file.line_chunks():
            window.extend(chunk)
            yield chunk

    reader = csv.reader(chain.from_iterable(lines()), delimiter=delimiter, quotechar=quote)
    first = start = 1  # the line number of window[0], and of the next record
    while True:
        records: list[list[str]] = []
        starts: list[int] = []
        texts: list[str] = []
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
        except csv.Error as exc:  # in practice only "field larger than field limit"
            raise file.ref.error(f"{exc}; {_TOO_LONG_HINT}", start) from None
        if start == first:
            return
        yield _Records(records, starts, texts)
        del window[: start - first]
        first = start


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
