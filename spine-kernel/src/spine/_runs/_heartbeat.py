"""The heartbeat of a kernel's running runs: one daemon thread that says, every
``run_heartbeat``, in each run's store, that the run's process is still alive.

A reader on another host cannot ask this host whether a process exists; a heartbeat
older than ``run_lease`` tells it the process (or its machine) is gone. The thread also
records the end of a run whose store could not be reached when it ended, as soon as it
can again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._kernel import Spine
    from .._records._results import RunResult

log = logging.getLogger("spine.run")


class Heartbeat:
    """The runs of one kernel that are running now, by store URL, and their heartbeat."""

    def __init__(self, kernel: Spine) -> None:
        self._kernel = kernel
        self._running: dict[str, set[str]] = {}
        self._unrecorded: dict[str, list[RunResult]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @contextmanager
    def running(self, store_url: str, run_id: str) -> Iterator[None]:
        """Keep `run_id` alive in `store_url` for as long as the block runs."""
        with self._lock:
            self._running.setdefault(store_url, set()).add(run_id)
            self._start()
        try:
            yield
        finally:
            with self._lock:
                self._running[store_url].discard(run_id)

    def unrecorded(self, store_url: str, result: RunResult) -> None:
        """Record `result` in `store_url` once the store can be written again."""
        with self._lock:
            self._unrecorded.setdefault(store_url, []).append(result)
            self._start()

    def stop(self) -> None:
        self._stop.set()

    def _start(self) -> None:
        if self._thread is None and not self._stop.is_set():
            self._thread = threading.Thread(target=self._beat, name="spine-heartbeat", daemon=True)
            self._thread.start()

    def _beat(self) -> None:
        interval = self._kernel.settings.run_heartbeat
        while not self._stop.wait(interval):
            with self._lock:
                running = {url: list(ids) for url, ids in self._running.items() if ids}
                pending, self._unrecorded = self._unrecorded, {}
            for url, ids in running.items():
                try:
                    self._kernel.runlog(url).beat(ids, datetime.now(UTC))
                except Exception as exc:  # the store is down: the next beat tries again
                    log.debug("heartbeat not recorded in %s: %s", self._kernel.redactor.text(url), exc)
            for url, results in pending.items():
                for result in results:
                    self._record(url, result)

    def _record(self, url: str, result: RunResult) -> None:
        try:
            self._kernel.runlog(url).finished(result, ())
        except Exception:
            with self._lock:
                self._unrecorded.setdefault(url, []).append(result)
            return
        log.warning(
            "run %s: its end (%s) is recorded at last; its rejected rows were lost with the store",
            result.run_id,
            result.status.value,
        )
