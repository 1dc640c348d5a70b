"""Schedulers in separate processes ticking over the same due times of one store.

`race` starts the processes (this file, run as a script) and returns what each claimed.
Every process ticks at the same simulated times (one interval apart, so one due time of
each schedule per step), at the same real instants: a shared start time and a fixed pace.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import spine

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
SCHEDULES = ("race_a", "race_b", "race_c")
INTERVAL = timedelta(minutes=1)


def race(store_url: str, *, processes: int = 2, steps: int = 10, load_plugins: str = "") -> list[dict]:
    """Run `processes` schedulers for `steps` due times of each of `SCHEDULES`; return each
    process's report: the (schedule, due time) pairs it claimed and the ticks it made."""
    # Created and migrated first: two processes creating one SQLite file at once can meet
    # "database is locked" on PRAGMA journal_mode=WAL, which is not what this is about.
    with spine.Spine(overrides={"store_url": store_url, "load_plugins": load_plugins}) as kernel:
        kernel.runlog()
    start_at = time.time() + 3  # time for every process to import spine and open the store
    command = [sys.executable, __file__, store_url, str(start_at), str(steps), load_plugins]
    children = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    reports = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        reports.append(json.loads(out))
    return reports


def check(store_url: str, reports: list[dict], steps: int, load_plugins: str = "") -> None:
    """What must hold however a busy machine interleaves the processes: no due time claimed
    twice; every due time of every schedule accounted for exactly once, by its own fire or
    coalesced into a later one (a process that falls behind finds several due at once); a fire
    skipped only because the schedule's previous fire, in another process, was still claimed or
    running (a loaded machine may not have started it yet);
    every claimed fire run once, and nothing else run."""
    assert [report["ticks"] for report in reports] == [steps + 1] * len(reports)
    claims = [tuple(claim) for report in reports for claim in report["claimed"]]
    assert len(claims) == len(set(claims)), "a due time was claimed twice"
    expected = {
        (name, (T0 + INTERVAL * step).isoformat()) for name in SCHEDULES for step in range(1, steps + 1)
    }
    with spine.Spine(overrides={"store_url": store_url, "load_plugins": load_plugins}) as kernel:
        fires = spine.Scheduler(kernel).history(limit=1000)
        runs = kernel.runlog().runs(pipeline="demo", limit=1000)
    recorded = {(fire.schedule, fire.due_at.isoformat()): fire for fire in fires}
    assert set(recorded) <= expected
    assert {key for key, fire in recorded.items() if fire.run_id} == set(claims)
    for fire in fires:
        if fire.status is spine.FireStatus.SKIPPED:
            assert fire.run_id is None, fire
            assert re.search(r"\) was still (claimed|running)$", fire.reason), fire
        else:
            assert fire.status is spine.FireStatus.SUCCEEDED, fire
    for name in SCHEDULES:
        stood_for = sum(_due_times_in(fire) for fire in fires if fire.schedule == name)
        assert stood_for == steps, f"{name}: {steps} due times, fires for {stood_for}"
    assert len(runs) == len(claims)
    assert {run.status for run in runs} <= {spine.RunStatus.SUCCEEDED}
    assert {fire.run_id for fire in fires if fire.run_id} == {run.run_id for run in runs}
    assert {fire.fired_by for fire in fires} <= {report["fired_by"] for report in reports}


def _due_times_in(fire: spine.Fire) -> int:
    """How many due times a fire stands for: itself, or those it coalesced."""
    coalesced = re.search(r"coalesced (\d+) due times", fire.reason)
    return int(coalesced[1]) if coalesced else 1


class _Clock(spine.Clock):
    def __init__(self) -> None:
        self.moment = T0

    def now(self) -> datetime:
        return self.moment

    def sleep(self, seconds: float, stop: threading.Event) -> None:
        raise AssertionError("the race ticks by hand")


def _main(store_url: str, start_at: float, steps: int, load_plugins: str) -> None:
    settings = {
        "store_url": store_url,
        "load_plugins": load_plugins,
        "schedules": [
            {"name": name, "pipeline": "demo", "params": {"rows": 3}, "interval": "1m"} for name in SCHEDULES
        ],
    }
    clock = _Clock()
    with spine.Spine(overrides=settings) as kernel:
        scheduler = spine.Scheduler(kernel, clock=clock)
        scheduler.load()
        kernel.runlog()  # opened and migrated before the start
        claimed, ticks = [], 0
        for step in range(steps + 1):
            clock.moment = T0 + INTERVAL * step
            time.sleep(max(0.0, start_at + 0.25 * step - time.time()))
            claimed += [(fire.schedule, fire.due_at.isoformat()) for fire in scheduler.tick()]
            ticks += 1
            assert scheduler.wait(30)
        scheduler.close(30)
    print(json.dumps({"claimed": claimed, "ticks": ticks, "fired_by": scheduler.fired_by}))


if __name__ == "__main__":
    _main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
