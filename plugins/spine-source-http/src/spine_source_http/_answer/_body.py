"""An answer's body as a file read while it arrives: bounded in size and in time."""

from __future__ import annotations

import io

import httpx
import spine

from .._options import HttpOptions
from .._watch import Watchdog

READ_SIZE = 256 * 1024  # bytes a reader takes at a time from an answer, at least


class BrokenAnswer(Exception):
    """The connection failed while an answer's body was read: worth another try while
    nothing of the page has been used."""


class _Body(io.RawIOBase):
    def __init__(self, response: httpx.Response, options: HttpOptions, where: str, watch: Watchdog) -> None:
        self._chunks = response.iter_bytes()  # decompressed: the size that memory and the parser see
        self._limit = options.max_response_bytes
        self._where = where
        self._watch = watch
        self._pending = memoryview(b"")
        self._received = 0
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > self._limit:
            raise self._too_big(f"announces {int(length):,} bytes (Content-Length)")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            with self._watch.waiting(self._where):
                try:
                    chunk = next(self._chunks, None)
                except httpx.DecodingError as exc:
                    raise spine.SourceError(f"{self._where}: the answer cannot be decoded: {exc}") from None
                except httpx.TransportError as exc:
                    raise BrokenAnswer(f"the connection broke while the answer was read ({exc})") from None
            if chunk is None:
                return 0
            self._received += len(chunk)
            if self._received > self._limit:
                raise self._too_big(f"went past {self._limit:,} bytes")
            self._pending = memoryview(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _too_big(self, what: str) -> spine.SourceError:
        return spine.SourceError(
            f"{self._where}: the answer {what}, more than max_response_bytes ({self._limit:,}); "
            "raise max_response_bytes if answers are that big, or ask for smaller pages",
            context={"option": "max_response_bytes", "limit": self._limit},
        )


def open_body(
    response: httpx.Response, options: HttpOptions, where: str, watch: Watchdog
) -> io.BufferedReader:
    """The body of `response` to read from; a `SourceError` when it says it is over max_response_bytes."""
    return io.BufferedReader(_Body(response, options, where, watch), READ_SIZE)


def first_byte(reader: io.BufferedReader) -> bytes:
    """The first byte that is not white space, left unread (b"" when there is none); white
    space before it may be consumed."""
    while True:
        seen = reader.peek()
        if not seen:
            return b""
        found = seen.lstrip()[:1]
        if found:
            return found
        reader.read(len(seen))
