"""Deadlines on waiting for servers, kept by a thread of their own whatever the server does.

httpx's `timeout` bounds the wait for each next byte only: a server that trickles its
headers or its body a byte a second never times out. A `Watchdog` bounds instead the
wall-clock time of each request (`request_deadline`: the time spent waiting for its
answer, from connecting to its last byte) and of the whole read (`run_deadline`). When
one passes while the source waits for a server, the watchdog's thread shuts the
connection's socket down, which ends the blocked read at once; the source then raises the
deadline's error instead of the read's.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import weakref
from collections.abc import Iterator
from typing import Any

import spine

monotonic = time.monotonic

# The httpcore trace events whose return value is a new connection's network stream.
_NEW_STREAMS = ("connection.connect_tcp.complete", "connection.start_tls.complete")


class Watchdog:
    """The deadlines of one read of an API: arm it around every wait for a server."""

    def __init__(self, request_deadline: float, run_deadline: float | None) -> None:
        self.request_deadline = request_deadline
        self.run_deadline = run_deadline
        self._run_started = monotonic()
        self._spent = 0.0  # seconds the current request has waited so far
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._condition = threading.Condition()
        self._until: float | None = None  # when the armed wait must end
        self._passed: str | None = None  # the option whose deadline passed
        self._armed_for = ""  # the option that sets _until
        self._thread: threading.Thread | None = None
        self._closed = False

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook: remember each new connection's socket, to shut it down."""
        if event in _NEW_STREAMS:
            found = info["return_value"].get_extra_info("socket")
            if isinstance(found, socket.socket):
                with self._condition:  # the watchdog's thread may be going through them
                    self._sockets.add(found)

    def new_request(self) -> None:
        """A request is about to be sent: its own deadline starts."""
        self._spent = 0.0

    def left(self, where: str) -> float:
        """Seconds left before the first deadline that applies (a connect timeout can be no longer)."""
        self.check(where)
        return self._limit()[0] - monotonic()

    def check(self, where: str, waiting: float = 0.0) -> None:
        """Raise the deadline's error when one passed, or would pass after `waiting` seconds more."""
        if self._passed is not None:
            raise _passed(where, self._passed, self._deadline(self._passed))
        if self.run_deadline is not None and monotonic() + waiting >= self._run_started + self.run_deadline:
            raise _passed(where, "run_deadline", self.run_deadline, waiting)

    @contextlib.contextmanager
    def waiting(self, where: str) -> Iterator[None]:
        """Arm the watchdog around a wait for the server; a read it cut raises the deadline's error."""
        self.check(where)
        started = monotonic()
        until, option = self._limit()
        with self._condition:
            self._until, self._armed_for = until, option
            self._condition.notify()
        self._start()
        try:
            yield
        except Exception:
            self._disarm(started)
            self.check(where)  # the deadline, not the read it cut, is the cause
            raise
        self._disarm(started)

    def close(self) -> None:
        """Stop the watchdog's thread."""
        with self._condition:
            self._closed = True
            self._condition.notify()

    def _limit(self) -> tuple[float, str]:
        now = monotonic()
        limit = (now + self.request_deadline - self._spent, "request_deadline")
        if self.run_deadline is not None:
            limit = min(limit, (self._run_started + self.run_deadline, "run_deadline"))
        return limit

    def _deadline(self, option: str) -> float:
        return self.request_deadline if option == "request_deadline" else self.run_deadline or 0.0

    def _disarm(self, started: float) -> None:
        with self._condition:
            self._until = None
        self._spent += monotonic() - started

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="spine-http-deadline", daemon=True)
            self._thread.start()

    def _watch(self) -> None:
        with self._condition:
            while not self._closed:
                left = None if self._until is None else self._until - monotonic()
                if left is None or left > 0:
                    self._condition.wait(left)
                    continue
                self._passed, self._until = self._armed_for, None
                for found in list(self._sockets):
                    # shutdown, not close: it wakes a read blocked on the socket in another thread.
                    with contextlib.suppress(OSError):
                        socket.socket.shutdown(found, socket.SHUT_RDWR)


def _passed(where: str, option: str, seconds: float, waiting: float = 0.0) -> spine.SourceError:
    if waiting:
        what = f"waiting {waiting:g}s more would pass {option} ({seconds:g}s)"
    elif option == "request_deadline":
        what = f"no complete answer within {option} ({seconds:g}s), whatever the server sent"
    else:
        what = f"the read of the API passed {option} ({seconds:g}s)"
    return spine.SourceError(
        f"{where}: {what}; raise {option} if the API is that slow",
        retryable=True,
        context={"option": option, "seconds": seconds},
    )
