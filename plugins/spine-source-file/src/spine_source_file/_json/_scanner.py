"""A JSON array's text read a stretch at a time, its elements decoded one by one: memory
holds one element, not the file."""

from __future__ import annotations

import json
import re
from typing import Any

import spine

from .._files import TextFile

_CHUNK = 64 * 1024  # characters read at a time from a JSON array
_CUT_OFF = 16  # a decoding error this close to the end of the text read may be the element going on
_NOT_SPACE = re.compile(r"[^ \t\n\r]")
TOO_DEEP = "JSON nested too deeply to read"


def _cut_off(error: json.JSONDecodeError) -> bool:
    """Whether decoding failed only for want of more text: an open string, or an error at
    the end of what was read, rather than a mistake in the middle of it."""
    return error.msg.startswith("Unterminated string") or error.pos >= len(error.doc) - _CUT_OFF


class Scanner:
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
                raise self.file.ref.error(TOO_DEEP, self.line) from None
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
