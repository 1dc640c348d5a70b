"""A JSON answer's records read as its bytes arrive, a block at a time: never the whole answer in memory.

The records are the elements of an array: the answer itself, the array at the `records`
path, or the one member of the top-level object that is an array of objects. jiter parses
them many at a time (it is twice as fast as a parser fed one element at a time, such as
ijson or json.raw_decode in a loop). A block ends where an element ends, found by a guess
that jiter checks, the last ``}`` before a ``,`` or ``]``, which is right for flat records;
when it is wrong (the ``}`` closed a nested object, or sat in a string), a scan that
follows strings and brackets finds the end. Everything else in the answer (the next URL,
cursor or total that paging reads) is kept, each value at most max_element_bytes long.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import IO, Any

import jiter
import spine

from .._paging import value_at
from ._body import READ_SIZE
from ._json_scan import level, scan, skip_space, value_end

_POSITION = re.compile(r" at line (\d+) column (\d+)$")

Blocks = Generator[list[Any], None, Any]


def parse(data: bytes) -> Any:
    """A JSON document: numbers with a fraction become exact Decimals."""
    return jiter.from_json(data, float_mode="decimal")


class JsonRecords:
    """The records of one JSON answer: `blocks()` yields them; `document` is then the
    answer without them, for paging to read from."""

    def __init__(self, reader: IO[bytes], where: str, path: str | None, limit: int, head: bytes) -> None:
        self.reader = reader
        self.where = where
        self.path = path
        self.limit = limit
        self.document: Any = None
        self._buf = head
        self._pos = 0
        self._offset = 0  # bytes of the answer before _buf
        self._records = 0  # elements of the records' array read so far
        self._streamed: str | None = None  # the member whose records were read (no records path)

    def blocks(self) -> Blocks:
        first = self._peek()
        if first == b"{":
            self.document = yield from self._object(self.path.split(".") if self.path else None, True)
            yield from self._records_of_document()
        elif self.path is not None:
            self._not_found(None)
        elif first == b"[":
            yield from self._array()
        else:
            document = self._value()
            raise spine.SourceError(
                f"{self.where}: expected a JSON array or object, got {type(document).__name__}"
            )
        after = self._peek()
        if after:
            found = after.decode("latin-1")
            raise self._malformed(
                f"unexpected {found!r} after the end of the JSON document (for one JSON object a line, "
                "set format=jsonl)"
            )

    # -- the records -----------------------------------------------------------------------

    def _array(self) -> Blocks:
        """The elements of the array at _pos, in blocks."""
        self._pos += 1  # [
        if self._peek() == b"]":
            self._pos += 1
            return
        while True:
            cut = self._cut()
            if cut is None:
                pending = len(self._buf) - self._pos
                if pending > self.limit:
                    raise self._too_big(f"record {self._records + 1}", self._pos)
                if not self._more():
                    raise self._malformed("the answer ends inside the array of records")
                continue
            end, elements = cut
            self._check_lengths(end)
            self._records += len(elements)
            yield elements
            self._pos = end + 1
            if self._buf[end] == ord("]"):
                return

    def _cut(self) -> tuple[int, list[Any]] | None:
        """(the index of the ',' or ']' after the last whole element read, the elements up to it)."""
        buf, start = self._buf, self._pos
        guess = buf.rfind(b"}", start)
        if guess >= 0:
            after = skip_space(buf, guess + 1)
            if after < len(buf) and buf[after] in b",]":
                try:
                    return after, parse(b"[" + buf[start:after] + b"]")
                except ValueError:
                    pass  # a nested object's end, or one in a string: scan instead
        end = scan(buf, start)
        if end is None:
            return None
        try:
            return end, parse(b"[" + buf[start:end] + b"]")
        except ValueError as exc:
            raise self._malformed(str(exc), start, prefix=1) from None

    def _check_lengths(self, end: int) -> None:
        """Fail on an element of _buf[_pos:end] longer than the limit (they are rarely near it)."""
        if end - self._pos <= self.limit:
            return
        start = self._pos
        for number, after in enumerate(level(self._buf, start), 1):
            if after - start > self.limit:
                raise self._too_big(f"record {self._records + number}", start)
            if after >= end:
                return
            start = after + 1

    def _records_of_document(self) -> Blocks:
        """Without a records path and no array of objects streamed: the one list in the answer."""
        if self.path is not None:
            if self._streamed is None:
                self._not_found(value_at(self.document, self.path))
            return
        if self._streamed is not None:
            return
        lists = [name for name, value in self.document.items() if isinstance(value, list)]
        if len(lists) != 1:
            raise _ambiguous(self.where, lists)
        found = self.document[lists[0]]
        self._records = len(found)
        yield found

    def _not_found(self, found: Any) -> None:
        raise spine.SourceError(
            f"{self.where}: expected a list of records at {self.path!r} in the answer, "
            f"found {'nothing' if found is None else type(found).__name__}"
        )

    # -- the rest of the answer --------------------------------------------------------------

    def _object(self, path: list[str] | None, top: bool) -> Blocks:
        """The object at _pos, its members read whole but for the records' array, streamed."""
        self._pos += 1  # {
        members: dict[str, Any] = {}
        if self._peek() == b"}":
            self._pos += 1
            return members
        while True:
            if self._peek() != b'"':
                raise self._malformed("expected the name of an object member in quotes")
            name = self._value()
            if self._peek() != b":":
                raise self._malformed(f"expected ':' after the member name {name!r}")
            self._pos += 1
            first = self._peek()
            if path is not None and name == path[0] and len(path) == 1 and first == b"[":
                self._streamed = name
                yield from self._array()
                members[name] = []
            elif path is not None and name == path[0] and len(path) > 1 and first == b"{":
                members[name] = yield from self._object(path[1:], False)
            elif path is None and top and first == b"[" and self._objects_follow():
                if self._streamed is not None:
                    raise _ambiguous(self.where, [self._streamed, name])
                self._streamed = name
                yield from self._array()
                members[name] = []
            else:
                members[name] = self._value()
            separator = self._peek()
            self._pos += 1
            if separator == b"}":
                return members
            if separator != b",":
                raise self._malformed(f"expected ',' or '}}' after the member {name!r}", self._pos - 1)

    def _objects_follow(self) -> bool:
        """Whether the array at _pos starts with an object."""
        while True:
            after = skip_space(self._buf, self._pos + 1)
            if after < len(self._buf):
                return self._buf[after] == ord("{")
            if not self._more():
                return False

    def _value(self) -> Any:
        """The value at _pos, read whole."""
        self._peek()
        while True:
            end = value_end(self._buf, self._pos)
            if end is None:
                if self._more():
                    continue
                end = len(self._buf)
            if end - self._pos > self.limit:
                raise self._too_big("a value", self._pos)
            try:
                found = parse(self._buf[self._pos : end])
            except ValueError as exc:
                raise self._malformed(str(exc), self._pos) from None
            self._pos = end
            return found

    # -- the buffer --------------------------------------------------------------------------

    def _peek(self) -> bytes:
        """The next byte that is not white space (b"" at the end), moving past the space."""
        while True:
            self._pos = skip_space(self._buf, self._pos)
            if self._pos < len(self._buf):
                return self._buf[self._pos : self._pos + 1]
            if not self._more():
                return b""

    def _more(self) -> bool:
        """Read on, dropping what was used; False at the end of the answer."""
        # As much again as is pending: a long element is read in a few steps, not in many.
        data = self.reader.read(max(READ_SIZE, len(self._buf) - self._pos))
        if not data:
            return False
        self._offset += self._pos
        self._buf = self._buf[self._pos :] + data
        self._pos = 0
        return True

    def _too_big(self, what: str, start: int) -> spine.SourceError:
        return spine.SourceError(
            f"{self.where}: {what} of the answer (from byte {self._offset + start:,}) is longer than "
            f"max_element_bytes ({self.limit:,}); raise max_element_bytes if records are that big",
            context={"option": "max_element_bytes", "limit": self.limit},
        )

    def _malformed(self, reason: str, start: int | None = None, prefix: int = 0) -> spine.SourceError:
        """`reason`: what is wrong, or jiter's error for the text parsed from `start` with
        `prefix` bytes added before it (its line and column become a byte of the answer)."""
        at = self._offset + self._pos
        found = _POSITION.search(reason)
        if found is not None and start is not None:
            line_start = start - prefix
            for _ in range(int(found[1]) - 1):
                line_start = self._buf.find(b"\n", max(line_start, start)) + 1
            at = self._offset + line_start + int(found[2]) - 1
            reason = reason[: found.start()]
        return spine.SourceError(f"{self.where}: the answer is not valid JSON: {reason} (near byte {at:,})")


def _ambiguous(where: str, lists: list[str]) -> spine.SourceError:
    found = ", ".join(lists) if lists else "none"
    return spine.SourceError(
        f"{where}: cannot tell where the records are in the answer (lists found: {found}); "
        "set the records option to their path, like records=data.items"
    )
