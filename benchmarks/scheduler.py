"""What the scheduler costs, next to a plain loop making the same calls in the same run.

    python benchmarks/scheduler.py [--interval 0.25] [--fires 40] [--back-to-back 200] [--store URL]

1. Firing delay, on the real clock: a `spine.Scheduler` fires an interval schedule of a
   no-op pipeline `--fires` times; a plain loop sleeps until each due time (same
   interval) and calls ``kernel.run`` itself. Each run's delay is its recorded start
   (``started_at`` in ``spine_runs``) minus its due time, measured alike for both.
2. Overhead per fire: `--back-to-back` due times one after the other on a clock moved by
   hand (no waiting): `Scheduler.tick` claims each in the store, a worker thread runs it
   and records the outcome; against the same number of plain ``kernel.run`` calls. The
   difference is what claiming and recording a fire costs.

The store is a fresh embedded SQLite file unless `--store` names another (a PostgreSQL
URL needs spine-store-postgres). Takes about 25 seconds with the defaults.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import spine


class _Nothing:
    def run(self, context: spine.RunContext) -> None:
        context.count(read=1, written=1)


class _Plugin:
    @spine.hookimpl
    def register_pipelines(self, register):  # type: ignore[no-untyped-def]
        register(spine.PipelineSpec("nothing", lambda: _Nothing()))


class _HandClock(spine.Clock):
    def __init__(self) -> None:
        self.moment = datetime(2026, 11, 23, 8, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment


def _kernel(store: str, schedule: str, interval: float) -> spine.Spine:
    settings = {
        "store_url": store,
        "alert_on": [],
        "load_plugins": [] if store.startswith("sqlite") else None,
        "schedules": [{"name": schedule, "pipeline": "nothing", "interval": interval}],
    }
    kernel = spine.Spine(plugins=[_Plugin()], overrides=settings)
    kernel.runlog()  # opened and migrated before anything is timed
    return kernel


def _scheduler_delays(store: str, interval: float, fires: int) -> list[float]:
    with _kernel(store, "delay", interval) as kernel:
        scheduler = spine.Scheduler(kernel)
        stop = threading.Event()
        service = threading.Thread(target=scheduler.run_forever, args=(stop,))
        service.start()
        deadline = time.monotonic() + interval * fires + 30
        while len(done := scheduler.history("delay", status="succeeded", limit=fires)) < fires:
            assert time.monotonic() < deadline, "the scheduler fell behind"
            time.sleep(interval / 2)
        stop.set()
        service.join()
        started = {
            run.run_id: run.started_at for run in kernel.runlog().runs(pipeline="nothing", limit=10 * fires)
        }
        return [_seconds(started[str(fire.run_id)] - fire.due_at) for fire in done]


def _loop_delays(store: str, interval: float, fires: int) -> list[float]:
    with _kernel(store, "unused", interval) as kernel:
        start = datetime.now(UTC)
        delays = []
        for number in range(1, fires + 1):
            due = start + timedelta(seconds=interval * number)
            time.sleep(max(0.0, _seconds(due - datetime.now(UTC))))
            delays.append(_seconds(kernel.run("nothing").started_at - due))
        return delays


def _back_to_back(store: str, count: int) -> tuple[float, float]:
    with _kernel(store, "back_to_back", 60) as kernel:
        clock = _HandClock()
        scheduler = spine.Scheduler(kernel, clock=clock)
        scheduler.tick()  # first seen: due times start one interval later
        started = time.perf_counter()
        for _ in range(count):
            clock.moment += timedelta(seconds=60)
            assert len(scheduler.tick()) == 1
            assert scheduler.wait(30)
        scheduled = (time.perf_counter() - started) / count
        scheduler.close()
        started = time.perf_counter()
        for _ in range(count):
            kernel.run("nothing")
        plain = (time.perf_counter() - started) / count
    return scheduled, plain


def _seconds(delta: timedelta) -> float:
    return delta.total_seconds()


def _figures(delays: list[float]) -> tuple[float, float, float]:
    ordered = sorted(delays)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000, ordered[-1] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between due times")
    parser.add_argument("--fires", type=int, default=40, help="fires timed on the real clock")
    parser.add_argument("--back-to-back", type=int, default=200, help="fires timed without waiting")
    parser.add_argument("--store", help="store URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or f"sqlite:///{Path(tmp) / 'bench.db'}"
        scheduled = _figures(_scheduler_delays(store, args.interval, args.fires))
        plain = _figures(_loop_delays(store, args.interval, args.fires))
        per_fire, per_run = _back_to_back(store, args.back_to_back)
    where = (
        "a fresh SQLite file" if not args.store else spine.Spine(entry_points=False).redactor.text(args.store)
    )
    print(f"firing delay: run start minus due time, {args.fires} fires every {args.interval:g}s, {where}")
    print(f"  {'':<24}{'median':>10}{'p95':>10}{'max':>10}")
    for label, (median, p95, most) in (("spine.Scheduler", scheduled), ("plain sleep + kernel.run", plain)):
        print(f"  {label:<24}{median:>7.2f} ms{p95:>7.2f} ms{most:>7.2f} ms")
    print(
        f"  scheduler / plain loop  {scheduled[0] / plain[0]:>7.1f}x {scheduled[1] / plain[1]:>8.1f}x "
        f"{scheduled[2] / plain[2]:>8.1f}x"
    )
    print(f"overhead per fire: {args.back_to_back} due times back to back (clock moved by hand)")
    print(f"  tick + claim + run in a worker + records {per_fire * 1000:7.2f} ms per fire")
    print(f"  plain kernel.run                         {per_run * 1000:7.2f} ms per run")
    print(
        f"  claiming and recording a fire            {(per_fire - per_run) * 1000:7.2f} ms "
        f"({per_fire / per_run:.1f}x the plain run)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
