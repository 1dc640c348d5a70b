"""Who does the work, and whether they still can: ``host:pid`` names for processes that run
runs and fire schedules, kept in the store, and the test of whether one is gone."""

from __future__ import annotations

import os
import socket


def this_process() -> str:
    """``host:pid`` of this process, as run records and fires name who runs them."""
    return f"{socket.gethostname()}:{os.getpid()}"


def gone(worker: str, me: str) -> bool:
    """True when `worker` (``host:pid``) was a process of `me`'s host that no longer exists.

    A process of another host cannot be asked (its heartbeat has to tell), nor can one on
    Windows, where signal 0 would terminate it: those are never taken for gone here.
    """
    host, _, pid = worker.rpartition(":")
    if host != me.rpartition(":")[0] or not pid.isdigit() or os.name != "posix":
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # someone else's process: alive
        return False
    return False
