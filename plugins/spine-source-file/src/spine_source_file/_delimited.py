"""Delimited text: CSV, TSV, pipe-delimited and any other one-character delimiter."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from itertools import chain, islice

import spine

from ._columns import columns_from_text, same_column
from ._files import FileRef, TextFile
from ._options import Column, FileOptions
from ._text import Block, TextSource

DELIMITERS = {"csv": ",", "tsv": "\t", "psv": "|"}
_SNIFF_CHARACTERS = 64 * 1024
_SNIFF_LINES = 50
_CANDIDATES = ",\t|;"
_QUOTED_BLOCK = 1000  # records per block when parsing quoted text
_TOO_LONG_HINT = "raise field_size_limit if that is expected (an unclosed quote also makes a field run on)"


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
        blocks = self._checking_field_size(self._tokenize(file))
        first = next((block for block in blocks if block.records), None)
        if first is None:
            raise self.ref.error("no records, only blank lines" if file.lines_read else "the file is empty")
        declared = self.options.columns
        if not self.options.header:
            width = len(first.records[0])
            columns = declared or [Column(f"column_{n}", None) for n in range(1, width + 1)]
            return columns, chain([first], blocks)
        header, line = first.records[0], first.starts[0]
        if declared is None:
            columns = columns_from_text(header)
        elif len(header) != len(declared) or not all(map(same_column, header, [c.name for c in declared])):
            raise self.ref.error(
                "the header does not match the declared columns; "
                f"expected {len(declared)}: {', '.join(column.name for column in declared)}; "
                f"found {len(header)}: {', '.join(header)}",
                line,
            )
        else:
            columns = [column._replace(label=text) for column, text in zip(declared, header, strict=True)]
        rest = Block(first.records[1:], first.starts[1:], first.texts[1:])
        return columns, chain([rest], blocks)

    def _tokenize(self, file: TextFile) -> Iterator[Block]:
        if self.quote is None:
            return _unquoted_blocks(file, self.delimiter)
        # The csv module's field limit is process-wide: raise it to ours when lower, never
        # lower it; `_checking_field_size` applies this source's own limit exactly.
        csv.field_size_limit(max(csv.field_size_limit(), self.options.field_size_limit))
        return _quoted_blocks(file, self.delimiter, self.quote)

    def _checking_field_size(self, blocks: Iterator[Block]) -> Iterator[Block]:
        limit = self.options.field_size_limit
        for block in blocks:
            # A field can only be too long inside a record whose text is: one C-speed check per block.
            if block.texts and max(map(len, block.texts)) > limit:
                for values, start in zip(block.records, block.starts, strict=True):
                    longest = max(map(len, values), default=0)
                    if longest > limit:
                        raise self.ref.error(
                            f"a field of {longest} characters is longer than field_size_limit "
                            f"({limit}); {_TOO_LONG_HINT}",
                            start,
                        )
            yield block


def _unquoted_blocks(file: TextFile, delimiter: str) -> Iterator[Block]:
    """One record per line, split on the delimiter: the fast path (pipe files, quote=none)."""
    line = 1
    for chunk in file.line_chunks():
        texts = [text.rstrip("\r\n") for text in chunk]
        starts: Sequence[int] = range(line, line + len(chunk))
        line += len(chunk)
        if "" in texts:  # blank lines are no records
            kept = [index for index, text in enumerate(texts) if text]
            texts, starts = [texts[index] for index in kept], [starts[index] for index in kept]
        yield Block([text.split(delimiter) for text in texts], starts, texts)


def _quoted_blocks(file: TextFile, delimiter: str, quote: str) -> Iterator[Block]:
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
        yield Block(records, starts, texts)
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
