"""Waiting between requests: backoff, and the pacing of each webhook.

Every wait reads `monotonic` and goes through `sleep`, which tests replace with a fake
clock so that pacing and backoff are checked without sleeping.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time

monotonic = time.monotonic
sleep = time.sleep

BACKOFF_FIRST = 0.5
BACKOFF_MAX = 8.0


def backoff(retry: int) -> float:
    """The wait before retry number `retry` (from 1): 0.5s doubling up to 8s, less up to a
    tenth at random so that channels that failed together do not retry together."""
    nominal: float = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (retry - 1))
    return nominal * random.uniform(0.9, 1.0)


class Pacing:
    """When the last request to each webhook started, shared by every channel of the process.

    Process-wide because Slack limits each webhook (about a message a second), not
    each client: the kernel may hold several channels on one webhook (one per kernel,
    a test alert next to a run's) and sends from worker threads at once. Webhooks are
    known by a hash so that this registry holds no secret.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}

    @staticmethod
    def key(webhook_url: str) -> str:
        return hashlib.sha256(webhook_url.encode("utf-8")).hexdigest()

    def reserve(self, key: str, interval: float, deadline: float) -> float | None:
        """Book the next start on webhook `key`, `interval` seconds after the last one,
        and return how long to wait for it; None, booking nothing, when it comes at or
        after `deadline`."""
        with self._lock:
            now = monotonic()
            last = self._last.get(key)
            start = now if last is None else max(now, last + interval)
            if start >= deadline:
                return None
            self._last[key] = start
            return start - now


PACING = Pacing()
