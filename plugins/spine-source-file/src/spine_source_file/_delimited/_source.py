"""The delimited source: the columns from a header, declared ones or the first record, and
the limits on fields and columns checked before a record is split."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from itertools import chain, islice

import spine

from .._columns import columns_from_text, same_column, too_many_columns
from .._files import FileRef, TextFile
from .._options import Column, FileOptions
from .._text import Block, TextSource
from ._quoting import TOO_LONG_HINT, quoted_fields
from ._records import Lines, Records, quoted_records, unquoted_lines
from ._sniff import sniff

DELIMITERS = {"csv": ",", "tsv": "\t", "psv": "|"}


class DelimitedSource(TextSource):
    """Records split on `delimiter`; quoted fields (which may span lines) unless quote is none."""

    def __init__(self, ref: FileRef, options: FileOptions, format_name: str) -> None:
        super().__init__(ref, options)
        self.format_name = format_name
        self.delimiter = options.delimiter or DELIMITERS.get(format_name) or sniff(ref, options)
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
        ahead: list[Records | Lines] = []  # chunks before the first record: rejected records at most
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

    def _blocks(self, columns: Sequence[Column], chunks: Iterator[Records | Lines]) -> Iterator[Block]:
        width, origin = len(columns), self.ref.path
        return (chunk.block(width, origin) for chunk in chunks)

    def _tokenize(self, file: TextFile) -> Iterator[Records | Lines]:
        chunks = file.line_chunks(self.options.max_line_bytes, "max_line_bytes")
        if self.options.header or self.options.columns is None:  # the first record makes the columns
            chunks = self._checking_width(chunks)
        if self.quote is None:
            return unquoted_lines(chunks, self.delimiter)
        # The csv module's field limit is process-wide: raise it to ours when lower, never
        # lower it; `_checking_field_size` applies this source's own limit exactly.
        csv.field_size_limit(max(csv.field_size_limit(), self.options.field_size_limit))
        return quoted_records(
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
            if sum(1 for _ in islice(quoted_fields(text, self.delimiter, self.quote), limit + 1)) <= limit:
                return
            counted = f"more than {limit}"
        what = "the header has" if self.options.header else "the first record has"
        raise too_many_columns(self.ref, f"{what} {counted}", limit, line)

    def _checking_field_size(self, chunks: Iterator[Records | Lines]) -> Iterator[Records | Lines]:
        limit = self.options.field_size_limit
        for chunk in chunks:
            # A field can only be too long inside a record whose text is: one C-speed check per chunk.
            if chunk.texts and max(map(len, chunk.texts)) > limit:
                found = chunk.longest_field(limit, self.options.max_columns)
                if found is not None:
                    raise self.ref.error(
                        f"a field of {found[0]} characters is longer than field_size_limit "
                        f"({limit}); {TOO_LONG_HINT}",
                        found[1],
                    )
            yield chunk
