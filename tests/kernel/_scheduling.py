"""What the scheduler tests share: a clock moved by hand, pipelines that succeed, fail or
wait at a gate, and kernels on one SQLite store."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import spine

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday


class ManualClock(spine.Clock):
    """Time that moves only when told. `sleep` first lets the scheduler's running fires end
    (they take no simulated time), then jumps; past `until` it sets the stop event."""

    def __init__(self, now: datetime = T0) -> None:
        self.moment = now
        self.slept: list[float] = []
        self.until: datetime | None = None
        self.scheduler: spine.Scheduler | None = None

    def now(self) -> datetime:
        return self.moment

    def sleep(self, seconds: float, stop: threading.Event) -> None:
        if self.scheduler is not None:
            assert self.scheduler.wait(30)
        self.slept.append(seconds)
        self.moment += timedelta(seconds=seconds)
        if self.until is not None and self.moment > self.until:
            stop.set()

    def advance(self, **delta: float) -> datetime:
        self.moment += timedelta(**delta)
        return self.moment


class Jobs:
    """Pipelines ``ok``, ``bad`` (fails) and ``slow`` (waits for `gate`), counting calls and
    the most ``slow`` runs ever running at once."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.gate = threading.Event()
        self.entered = threading.Semaphore(0)
        self.running = 0
        self.most_running = 0
        self._lock = threading.Lock()

    @spine.hookimpl
    def register_pipelines(self, register):
        register(spine.PipelineSpec("ok", lambda: _Job(self, "ok")))
        register(spine.PipelineSpec("bad", lambda: _Job(self, "bad")))
        register(spine.PipelineSpec("slow", lambda: _Job(self, "slow")))

    def wait_entered(self, count: int = 1) -> None:
        for _ in range(count):
            assert self.entered.acquire(timeout=30), "the slow pipeline never started"


class _Job:
    def __init__(self, jobs: Jobs, name: str) -> None:
        self.jobs, self.name = jobs, name

    def run(self, context):
        jobs = self.jobs
        with jobs._lock:
            jobs.calls[self.name] += 1
            jobs.running += 1
            jobs.most_running = max(jobs.most_running, jobs.running)
        try:
            if self.name == "bad":
                raise spine.LoadError("table t is locked")
            if self.name == "slow":
                jobs.entered.release()
                assert jobs.gate.wait(30), "the gate never opened"
            context.count(read=1, written=1)
        finally:
            with jobs._lock:
                jobs.running -= 1


def interval(name: str, pipeline: str, every: str, **more: object) -> dict[str, object]:
    return {"name": name, "pipeline": pipeline, "interval": every, **more}


def cron(name: str, pipeline: str, expression: str, timezone: str = "UTC") -> dict[str, object]:
    return {"name": name, "pipeline": pipeline, "cron": expression, "timezone": timezone}
