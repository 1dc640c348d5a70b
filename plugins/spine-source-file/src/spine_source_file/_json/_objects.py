"""JSON objects as read, a block at a time: one a line (JSON Lines) or the elements of an
array; a record that is no object is rejected."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, NamedTuple

import spine

from .._files import TextFile
from ._scanner import TOO_DEEP, Scanner

_OBJECTS_PER_BLOCK = 500


class Objects(NamedTuple):
    """Consecutive JSON objects as read, with the line each starts on and its text."""

    objects: list[dict[str, Any]]
    starts: list[int]
    texts: list[str]
    rejects: list[spine.Reject]


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return "a number"


def jsonl_objects(file: TextFile, decoder: json.JSONDecoder, limit: int) -> Iterator[Objects]:
    """JSON Lines: a line that is not a JSON object is rejected; blank lines are skipped.
    A line longer than `limit` (max_element_bytes) is an error, as an array element is."""
    origin = file.ref.path
    first_line = 1
    for chunk in file.line_chunks(limit, "max_element_bytes"):
        objects: list[dict[str, Any]] = []
        starts: list[int] = []
        texts: list[str] = []
        rejects: list[spine.Reject] = []
        for line, text in enumerate((raw.rstrip("\r\n") for raw in chunk), start=first_line):
            if not text.strip():
                continue
            try:
                found = decoder.decode(text)
            except json.JSONDecodeError as exc:
                rejects.append(
                    spine.Reject(origin, line, text, f"not valid JSON: {exc.msg} at column {exc.colno}")
                )
                continue
            except RecursionError:
                rejects.append(spine.Reject(origin, line, text, TOO_DEEP))
                continue
            if isinstance(found, dict):
                objects.append(found)
                starts.append(line)
                texts.append(text)
            else:
                rejects.append(
                    spine.Reject(origin, line, text, f"expected a JSON object, found {_kind(found)}")
                )
        first_line += len(chunk)
        yield Objects(objects, starts, texts, rejects)


def array_objects(file: TextFile, decoder: json.JSONDecoder, limit: int) -> Iterator[Objects]:
    """The elements of a top-level array, decoded one at a time: memory holds one element
    (of at most `limit` characters, max_element_bytes), not the file."""
    scanner = Scanner(file, limit)
    opening = scanner.peek()
    if opening != "[":
        hint = "; for one object per line, set format=jsonl" if opening == "{" else ""
        found = repr(opening) if opening else "only white space"
        raise file.ref.error(f"expected a JSON array of objects ('['), found {found}{hint}", scanner.line)
    scanner.pos += 1
    closed = scanner.peek() == "]"
    scanner.pos += closed
    while not closed:
        objects: list[dict[str, Any]] = []
        starts: list[int] = []
        texts: list[str] = []
        rejects: list[spine.Reject] = []
        while not closed and len(objects) + len(rejects) < _OBJECTS_PER_BLOCK:
            element, text, line = scanner.value(decoder)
            if isinstance(element, dict):
                objects.append(element)
                starts.append(line)
                texts.append(text)
            else:
                reason = f"expected a JSON object, found {_kind(element)}"
                rejects.append(spine.Reject(file.ref.path, line, text, reason))
            closed = scanner.separator(line)
        yield Objects(objects, starts, texts, rejects)
    trailing = scanner.peek()
    if trailing:
        raise file.ref.error(f"unexpected {trailing!r} after the end of the JSON array", scanner.line)
