"""The progress line of long runs: rows read, rows per second and how far through its input
the current source is, on a terminal only."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from .._data._loading import LoadProgress, RunProgress

REDRAW_SECONDS = 0.25


@contextmanager
def progress_line(stream: IO[str], *, enabled: bool) -> Iterator[RunProgress | None]:
    """A progress callback drawing on `stream`, or None when it is not a terminal or
    progress is not wanted (``--json``): pipes and log files get no control characters.
    The counts and the rate are the whole run's, however many sources it reads."""
    if not enabled or not stream.isatty():
        yield None
        return
    started = last = time.monotonic()
    drawn = False

    def draw(progress: LoadProgress) -> None:
        nonlocal last, drawn
        now = time.monotonic()
        if now - last < REDRAW_SECONDS:
            return
        last, drawn = now, True
        rate = progress.rows_read / max(now - started, 1e-9)
        line = f"{progress.rows_read:,} rows  {rate:,.0f} rows/s  {progress.rows_rejected:,} rejected"
        if progress.fraction is not None:
            line += f"  {progress.fraction:.0%} of {_tail(progress.source)}"
        stream.write(f"\r{line}\x1b[K")
        stream.flush()

    try:
        yield draw
    finally:
        if drawn:
            stream.write("\r\x1b[K")
            stream.flush()


def _tail(text: str, width: int = 60) -> str:
    return text if len(text) <= width else "…" + text[len(text) - width + 1 :]
