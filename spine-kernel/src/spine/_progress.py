"""The progress line of long loads: rows read and rows per second, on a terminal only."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from ._loading import Progress

REDRAW_SECONDS = 0.25


@contextmanager
def progress_line(stream: IO[str], *, enabled: bool) -> Iterator[Progress | None]:
    """A progress callback drawing on `stream`, or None when it is not a terminal or
    progress is not wanted (``--json``): pipes and log files get no control characters."""
    if not enabled or not stream.isatty():
        yield None
        return
    started = last = time.monotonic()
    drawn = False

    def draw(read: int, rejected: int) -> None:
        nonlocal last, drawn
        now = time.monotonic()
        if now - last < REDRAW_SECONDS:
            return
        last, drawn = now, True
        rate = read / max(now - started, 1e-9)
        stream.write(f"\r{read:,} rows  {rate:,.0f} rows/s  {rejected:,} rejected\x1b[K")
        stream.flush()

    try:
        yield draw
    finally:
        if drawn:
            stream.write("\r\x1b[K")
            stream.flush()
