"""A raw TCP server on 127.0.0.1 for answers no HTTP library would send: headers or bodies
trickled a byte at a time, endless bodies, bodies that stop until the test lets them go on."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator

Answer = Callable[[socket.socket], None]

HEADERS_END = b"\r\n\r\n"


class RawServer:
    """Accepts connections and, once a request's headers have arrived, lets `answer` write
    to the socket whatever it likes. `requests` counts the requests; `closing` is set when
    the test ends, for answers that would otherwise go on forever."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests = 0
        self.closing = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.closing.set()
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed: the test is over
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):  # the client went away: its deadline passed
            received = b""
            while HEADERS_END not in received:
                data = connection.recv(65536)
                if not data:
                    return
                received += data
            self.requests += 1
            self.answer(connection)


def trickle(connection: socket.socket, data: Iterator[bytes], closing: threading.Event, every: float) -> None:
    """Send each piece of `data` `every` seconds apart until the test ends."""
    for piece in data:
        if closing.wait(every):
            return
        connection.sendall(piece)


def forever(piece: bytes) -> Iterator[bytes]:
    while True:
        yield piece


def head(status: str = "200 OK", **headers: str | int) -> bytes:
    """A response's status line and headers (`Content_Type` for ``Content-Type``)."""
    lines = [f"HTTP/1.1 {status}"] + [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"
