"""Where values end in a JSON answer's bytes, found without parsing them: strings and
brackets are followed, so that a ',' or ']' inside a string or a nested value is passed by."""

from __future__ import annotations

import re
from collections.abc import Iterator

_TOKEN = re.compile(rb'[][{}",]')
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # from after the opening quote
_SCALAR_END = re.compile(rb"[,}\]\s]")
_SPACE = b" \t\r\n"
_OPENS = {ord("["): ord("]"), ord("{"): ord("}")}


def skip_space(buf: bytes, pos: int) -> int:
    while pos < len(buf) and buf[pos] in _SPACE:
        pos += 1
    return pos


def scan(buf: bytes, pos: int) -> int | None:
    """The index of the last ',' or of the ']' at the level of the array that `pos` is in;
    None when there is none yet."""
    last = None
    for index in level(buf, pos):
        if index < 0 or buf[index] != ord(","):
            return last if index < 0 else index
        last = index
    return last


def level(buf: bytes, pos: int) -> Iterator[int]:
    """The indexes of the ',' at the level of the array that `pos` is in (strings and nested
    brackets followed), then of the ']' that closes it, or of a bracket out of place, for
    the parser to report; -1 last when a string goes on past `buf`."""
    opened: list[int] = []
    for token in _tokens(buf, pos):
        if token < 0:
            yield token
            return
        char = buf[token]
        if char in _OPENS:
            opened.append(_OPENS[char])
        elif char == ord(","):
            if not opened:
                yield token
        elif not opened or opened.pop() != char:
            yield token
            return


def value_end(buf: bytes, pos: int) -> int | None:
    """The index after the value that starts at `pos`; None when it goes on past `buf`."""
    char = buf[pos] if pos < len(buf) else None
    if char == ord('"'):
        found = _STRING_REST.match(buf, pos + 1)
        return None if found is None else found.end()
    if char not in _OPENS:
        end = _SCALAR_END.search(buf, pos)
        return None if end is None else end.start()
    opened: list[int] = []
    for token in _tokens(buf, pos):
        if token < 0:
            return None
        char = buf[token]
        if char in _OPENS:
            opened.append(_OPENS[char])
        elif char != ord(",") and (opened.pop() != char or not opened):
            return token + 1  # the value's end, or a bracket out of place for the parser to report
    return None


def _tokens(buf: bytes, pos: int) -> Iterator[int]:
    """The indexes of brackets and commas outside strings from `pos`; -1 last when a string
    goes on past `buf`."""
    while True:
        found = _TOKEN.search(buf, pos)
        if found is None:
            return
        index = found.start()
        if buf[index] == ord('"'):
            rest = _STRING_REST.match(buf, index + 1)
            if rest is None:
                yield -1
                return
            pos = rest.end()
            continue
        yield index
        pos = index + 1
