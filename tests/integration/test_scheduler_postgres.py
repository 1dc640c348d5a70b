"""The scheduler on PostgreSQL: processes racing for the same due times (advisory locks),
a restart, and a job that runs through its next due time."""

from __future__ import annotations

import uuid
from datetime import timedelta

from spine import FireStatus, Scheduler, Spine

from ..kernel._scheduler_race import check, race
from ..kernel._scheduling import T0, Jobs, ManualClock

PLUGINS = "spine-store-postgres"


def test_two_processes_on_postgres_fire_each_due_time_once(postgres):
    url, _ = postgres
    reports = race(url, processes=2, steps=10, load_plugins=PLUGINS)
    check(url, reports, steps=10, load_plugins=PLUGINS)


def test_three_processes_on_postgres_fire_each_due_time_once(postgres):
    url, _ = postgres
    reports = race(url, processes=3, steps=6, load_plugins=PLUGINS)
    check(url, reports, steps=6, load_plugins=PLUGINS)


def scheduler_on(url: str, clock: ManualClock, jobs: Jobs, *pipelines: str) -> Scheduler:
    """A scheduler with a schedule every 10 minutes for each of `pipelines` (named after it)."""
    overrides = {
        "store_url": url,
        "load_plugins": PLUGINS,
        "alert_on": [],
        "schedules": [{"name": name, "pipeline": name, "interval": "10m"} for name in pipelines],
    }
    scheduler = Scheduler(Spine(plugins=[jobs], overrides=overrides), clock=clock)
    clock.scheduler = scheduler
    return scheduler


def step(scheduler: Scheduler, **delta: float) -> list:
    scheduler.clock.advance(**delta)
    started = scheduler.tick()
    assert scheduler.wait(30)
    return started


def test_a_restart_on_postgres_neither_loses_nor_repeats_fires(postgres):
    url, look = postgres
    jobs = Jobs()
    jobs.gate.set()
    first = scheduler_on(url, ManualClock(), jobs, "ok", "slow")
    step(first)
    assert len(step(first, minutes=10)) == 2
    first.close()
    first.kernel.close()

    second = scheduler_on(url, ManualClock(T0 + timedelta(minutes=15)), jobs, "ok", "slow")
    assert step(second) == []
    assert {(f.schedule, f.due_at - T0) for f in step(second, minutes=20)} == {
        ("ok", timedelta(minutes=30)),
        ("slow", timedelta(minutes=30)),
    }
    second.close()
    second.kernel.close()
    rows = look.execute(
        "SELECT schedule, due_at, status FROM spine_schedule_fires WHERE schedule = 'ok' ORDER BY due_at"
    ).fetchall()
    assert [(due - T0.replace(tzinfo=None), status) for _, due, status in rows] == [
        (timedelta(minutes=10), "succeeded"),
        (timedelta(minutes=30), "succeeded"),
    ]
    assert look.execute("SELECT count(*) FROM spine_runs WHERE pipeline = 'ok'").fetchone() == (2,)


def test_a_job_running_through_its_next_due_time_on_postgres_is_not_run_twice(postgres):
    url, _ = postgres
    jobs = Jobs()
    scheduler = scheduler_on(url, ManualClock(), jobs, "slow")
    step(scheduler)
    scheduler.clock.advance(minutes=10)
    scheduler.tick()
    jobs.wait_entered()
    scheduler.clock.advance(minutes=10)
    assert scheduler.tick() == []  # still running: skipped
    jobs.gate.set()
    assert scheduler.wait(30)
    slow = [(f.due_at - T0, f.status) for f in reversed(scheduler.history("slow"))]
    assert slow == [
        (timedelta(minutes=10), FireStatus.SUCCEEDED),
        (timedelta(minutes=20), FireStatus.SKIPPED),
    ]
    assert jobs.calls["slow"] == 1
    scheduler.close()
    scheduler.kernel.close()


def test_a_scheduler_whose_connections_the_server_ended_reconnects_and_runs_its_fire(postgres):
    url, look = postgres
    name = f"spine_scheduler_{uuid.uuid4().hex[:8]}"
    jobs = Jobs()
    jobs.gate.set()
    scheduler = scheduler_on(f"{url}&application_name={name}", ManualClock(), jobs, "ok")
    step(scheduler)
    assert len(step(scheduler, minutes=10)) == 1  # the worker thread has its connection now
    # As a server restart does to every session: the scheduler's connections are all stale.
    ended = look.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (name,)
    ).fetchall()
    assert len(ended) >= 2 and all(done for (done,) in ended)
    (fire,) = step(scheduler, minutes=50)  # five due times, coalesced into one fire
    (latest,) = scheduler.history("ok", limit=1)
    scheduler.close()
    scheduler.kernel.close()
    assert (latest.due_at, latest.status) == (fire.due_at, FireStatus.SUCCEEDED), latest.reason
    assert "coalesced 5 due times" in latest.reason
    assert jobs.calls["ok"] == 2
    assert look.execute("SELECT status FROM spine_runs WHERE run_id = %s", (latest.run_id,)).fetchone() == (
        "succeeded",
    )
