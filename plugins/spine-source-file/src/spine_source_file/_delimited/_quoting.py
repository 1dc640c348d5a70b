"""Where the quoting of a record went wrong, read as the csv module reads it: the line
its quote opened on, and whether it never closed or text follows its closing quote."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from itertools import accumulate
from typing import NamedTuple

TOO_LONG_HINT = "raise field_size_limit if that is expected (an unclosed quote also makes a field run on)"


class Misquoted(NamedTuple):
    """A record the csv module refused, as far as it read it: its lines, the first on line
    `start`, and the quoted field that went wrong in it, if one did."""

    lines: list[str]
    start: int
    opened: int | None  # the line that field's quote opened on; None: no quoted field went wrong
    unclosed: bool  # its quote is never closed
    after: str  # or the text after its closing quote, to the end of that line
    after_line: int  # and that text's line

    @classmethod
    def of(cls, lines: list[str], start: int, delimiter: str, quote: str) -> Misquoted:
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
        return f"{found}; {TOO_LONG_HINT}"


def _last_quoted_field(text: str, delimiter: str, quote: str) -> tuple[int, int] | None:
    """In the text of one record: where the last quoted field's quote opened and where it
    closed (-1: never), as far as the csv module reads; None when no field is quoted."""
    last = None
    for field in quoted_fields(text, delimiter, quote):
        last = field or last
    return last


def quoted_fields(text: str, delimiter: str, quote: str) -> Iterator[tuple[int, int] | None]:
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
