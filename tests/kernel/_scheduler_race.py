"""Schedulers in separate processes ticking over the same due times of one store.

`race` starts the processes (this file, run as a script) and returns what each claimed.
Every process ticks at the same simulated times (one interval apart, so one due time of
each schedule per step), at the same real instants: a shared start time and a fixed pace.
"""

from __future__ import annotations

import json
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
    """Each due time of each schedule was claimed by exactly one process, fired once and ran
    once: as many runs in spine_runs as fires, every fire's run among them."""
    assert [report["ticks"] for report in reports] == [steps + 1] * len(reports)
    claims = sorted(tuple(claim) for report in reports for claim in report["claimed"])
    expected = sorted(
        (name, (T0 + INTERVAL * step).isoformat()) for name in SCHEDULES for step in range(1, steps + 1)
    )
    assert claims == expected  # no due time claimed twice, none left out
    with spine.Spine(overrides={"store_url": store_url, "load_plugins": load_plugins}) as kernel:
        fires = spine.Scheduler(kernel).history(limit=1000)
        runs = kernel.runlog().runs(pipeline="demo", limit=1000)
    assert sorted((f.schedule, f.due_at.isoformat()) for f in fires) == expected
    assert {f.status for f in fires} == {spine.FireStatus.SUCCEEDED}
    assert len(runs) == len(fires) == len(SCHEDULES) * steps
    assert {f.run_id for f in fires} == {run.run_id for run in runs}
    assert {f.fired_by for f in fires} <= {report["fired_by"] for report in reports}


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
