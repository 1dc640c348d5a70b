"""The scheduler on a clock moved by hand: cron in time zones across daylight saving time,
intervals, restarts, misfires and coalescing, no overlap, failures, stopping."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import spine
import spine._orchestration._scheduler
from spine import FireStatus, Scheduler, Spine

from ._scheduling import T0, Jobs, ManualClock, cron, interval

SUCCEEDED, FAILED, SKIPPED, MISSED = (
    FireStatus.SUCCEEDED,
    FireStatus.FAILED,
    FireStatus.SKIPPED,
    FireStatus.MISSED,
)


@pytest.fixture
def store_url(tmp_path):
    return f"sqlite:///{tmp_path}/spine.db"


@pytest.fixture
def make(store_url):
    made = []

    def make(*schedules, jobs=None, clock=None, plugins=(), **settings) -> Scheduler:
        overrides = {"store_url": store_url, **settings}
        if schedules:
            overrides["schedules"] = list(schedules)
        kernel = Spine(entry_points=False, plugins=[jobs or Jobs(), *plugins], overrides=overrides)
        clock = clock or ManualClock()
        scheduler = Scheduler(kernel, clock=clock)
        clock.scheduler = scheduler
        made.append((kernel, scheduler))
        return scheduler

    yield make
    for kernel, scheduler in made:
        scheduler.close(5)
        kernel.close()


def step(scheduler: Scheduler, **delta: float) -> list[spine.Fire]:
    """Move the scheduler's clock, tick, and let what it started end."""
    scheduler.clock.advance(**delta)
    started = scheduler.tick()
    assert scheduler.wait(30)
    return started


def fires(scheduler: Scheduler, name: str | None = None) -> list[tuple[str, datetime, FireStatus]]:
    """(schedule, due time, status) of every fire, oldest first."""
    return [(f.schedule, f.due_at, f.status) for f in reversed(scheduler.history(name, limit=1000))]


def runs(scheduler: Scheduler, pipeline: str) -> list[spine.RunResult]:
    return scheduler.kernel.runlog().runs(pipeline=pipeline, limit=1000)


def run_until(scheduler: Scheduler, until: datetime) -> None:
    """run_forever on the manual clock until it passes `until`."""
    scheduler.clock.until = until
    scheduler.run_forever(threading.Event())


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- when: cron in a time zone, intervals --------------------------------------------------


def test_a_fixed_time_cron_job_in_paris_fires_once_a_day_across_the_autumn_change(make):
    clock = ManualClock(utc(2026, 10, 23, 12))
    scheduler = make(cron("nightly", "ok", "30 2 * * *", "Europe/Paris"), clock=clock, scheduler_poll="1d")
    run_until(scheduler, utc(2026, 10, 27))
    dues = [due for _, due, status in fires(scheduler) if status is SUCCEEDED]
    # 02:30 happens twice on the 25th (CEST, then CET): it fires the first time only
    assert dues == [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]
    paris = scheduler.load()[0].zone
    assert {due.astimezone(paris).strftime("%H:%M") for due in dues} == {"02:30"}
    assert len(runs(scheduler, "ok")) == 3


def test_a_cron_time_the_spring_change_skips_fires_an_hour_later(make):
    clock = ManualClock(utc(2026, 3, 27, 12))
    scheduler = make(cron("nightly", "ok", "30 2 * * *", "Europe/Paris"), clock=clock, scheduler_poll="1d")
    run_until(scheduler, utc(2026, 3, 31))
    dues = [due for _, due, _ in fires(scheduler)]
    # 02:30 does not exist on the 29th: 01:30 UTC is 03:30 CEST
    assert dues == [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30)]
    paris = scheduler.load()[0].zone
    assert [due.astimezone(paris).strftime("%H:%M %Z") for due in dues] == [
        "02:30 CET",
        "03:30 CEST",
        "02:30 CEST",
    ]


def test_an_hourly_job_in_new_york_fires_at_every_real_hour_when_the_clocks_go_back(make):
    clock = ManualClock(utc(2026, 11, 1, 3, 30))
    scheduler = make(
        cron("hourly", "ok", "0 * * * *", "America/New_York"),
        cron("one_am", "ok", "0 1 * * *", "America/New_York"),
        clock=clock,
        scheduler_poll="1d",
    )
    run_until(scheduler, utc(2026, 11, 1, 7, 30))
    new_york = scheduler.load()[0].zone
    hourly = [due.astimezone(new_york).strftime("%H:%M %Z") for _, due, _ in fires(scheduler, "hourly")]
    assert hourly == ["00:00 EDT", "01:00 EDT", "01:00 EST", "02:00 EST"]
    assert [due for _, due, _ in fires(scheduler, "one_am")] == [utc(2026, 11, 1, 5)]  # 01:00 EDT only


def test_day_of_week_counts_from_sunday_as_crontab_does(make):
    clock = ManualClock(utc(2026, 11, 1))  # a Sunday
    scheduler = make(
        cron("mondays", "ok", "0 6 * * 1"),
        cron("sundays", "ok", "0 6 * * 7"),
        cron("weekdays", "ok", "0 6 * * mon-fri"),
        # both day fields restricted: the 10th of the month, and Fridays
        cron("tenth_or_friday", "ok", "0 0 10 * 5"),
        clock=clock,
        scheduler_poll="1d",
    )
    run_until(scheduler, utc(2026, 12, 1))

    def days(name):
        return [due.strftime("%a %d") for _, due, _ in fires(scheduler, name)]

    assert days("mondays") == ["Mon 02", "Mon 09", "Mon 16", "Mon 23", "Mon 30"]
    assert days("sundays") == ["Sun 01", "Sun 08", "Sun 15", "Sun 22", "Sun 29"]
    assert {day.split()[0] for day in days("weekdays")} == {"Mon", "Tue", "Wed", "Thu", "Fri"}
    assert days("tenth_or_friday") == ["Fri 06", "Tue 10", "Fri 13", "Fri 20", "Fri 27"]


def test_a_plugin_pipelines_schedule_fires_on_mondays_at_six_utc(make):
    class Refresh:
        @spine.hookimpl
        def register_pipelines(self, register):
            register(spine.PipelineSpec("weekly_refresh", lambda: _Ok(), schedule="0 6 * * 1"))

    clock = ManualClock(utc(2026, 11, 22))  # a Sunday
    scheduler = make(clock=clock, plugins=[Refresh()], scheduler_poll="1d")
    (state,) = scheduler.schedules()
    assert (state.schedule.name, state.schedule.origin) == ("weekly_refresh", "Refresh")
    assert state.next_fire == utc(2026, 11, 23, 6)
    run_until(scheduler, utc(2026, 12, 1))
    assert [(d.strftime("%A %H:%M"), s) for _, d, s in fires(scheduler)] == [
        ("Monday 06:00", SUCCEEDED),
        ("Monday 06:00", SUCCEEDED),
    ]


class _Ok:
    def run(self, context):
        context.count(read=1, written=1)


def test_an_interval_counts_from_when_the_schedule_was_first_seen(make):
    scheduler = make(interval("often", "ok", "90s"))
    assert step(scheduler) == []  # first seen now: nothing from the past, nothing at once
    assert step(scheduler, seconds=89) == []
    (fire,) = step(scheduler, seconds=1)
    assert fire.due_at == T0 + timedelta(seconds=90)
    assert step(scheduler, seconds=60) == []
    assert [f.due_at for f in step(scheduler, seconds=40)] == [T0 + timedelta(seconds=180)]
    assert [s for _, _, s in fires(scheduler)] == [SUCCEEDED, SUCCEEDED]


def test_sub_second_intervals_keep_to_the_microsecond(make):
    clock = ManualClock(T0 + timedelta(microseconds=123457))
    scheduler = make(interval("fast", "ok", "0.3s"), clock=clock, scheduler_coalesce=False)
    step(scheduler)
    for _ in range(10):
        step(scheduler, seconds=0.3)
    dues = [due for _, due, _ in fires(scheduler)]
    assert dues == [clock.moment - timedelta(seconds=0.3) * (10 - i) for i in range(1, 11)]


def test_the_loop_sleeps_until_the_next_due_time_or_the_poll_interval(make):
    clock = ManualClock()
    scheduler = make(
        interval("a", "ok", "75s"), interval("b", "ok", "100s"), clock=clock, scheduler_poll="30s"
    )
    run_until(scheduler, T0 + timedelta(seconds=160))
    assert clock.slept == [30, 30, 15, 25, 30, 20, 30]  # up to 30 60 75 100 130 150 180
    assert [(name, due - T0) for name, due, _ in fires(scheduler)] == [
        ("a", timedelta(seconds=75)),
        ("b", timedelta(seconds=100)),
        ("a", timedelta(seconds=150)),
    ]


def test_schedules_lists_next_fire_times_in_utc_and_in_the_schedules_zone(make):
    scheduler = make(
        cron("weekly", "ok", "0 6 * * 1"),
        cron("paris", "ok", "30 2 * * *", "Europe/Paris"),
        interval("quarter", "ok", "15m", params={"rows": 5, "full": True}),
    )
    states = {state.schedule.name: state for state in scheduler.schedules()}
    assert states["weekly"].next_fire == utc(2026, 11, 30, 6)
    assert states["paris"].next_fire == utc(2026, 11, 24, 1, 30)
    assert states["quarter"].next_fire == T0 + timedelta(minutes=15)
    listed = states["paris"].to_dict()
    assert listed["next_fire"] == "2026-11-24T01:30:00+00:00"
    assert listed["next_fire_local"] == "2026-11-24T02:30:00+01:00"
    assert (listed["cron"], listed["timezone"], listed["interval"], listed["last_fire"]) == (
        "30 2 * * *",
        "Europe/Paris",
        None,
        None,
    )
    assert states["quarter"].to_dict()["params"] == {"full": "true", "rows": "5"}
    assert states["quarter"].schedule.when == "every 15m"

    step(scheduler)
    step(scheduler, minutes=20)
    quarter = {s.schedule.name: s for s in scheduler.schedules()}["quarter"]
    assert quarter.next_fire == T0 + timedelta(minutes=30)
    assert (quarter.last_fire.due_at, quarter.last_fire.status) == (T0 + timedelta(minutes=15), SUCCEEDED)
    assert quarter.to_dict()["last_fire"]["status"] == "succeeded"


# -- restarts, misfires, coalescing --------------------------------------------------------


def test_a_restarted_scheduler_keeps_the_schedule_and_never_reruns_a_fire(make):
    every = interval("every", "ok", "10m")
    first = make(every)
    step(first)
    step(first, minutes=10)
    step(first, minutes=10)
    first.close()

    clock = ManualClock(T0 + timedelta(minutes=25))
    second = make(every, clock=clock)  # another kernel on the same store: a new process
    assert step(second) == []  # 10m and 20m are done; 30m is not due yet
    (fire,) = step(second, minutes=20)  # 30m and 40m due: coalesced into one run
    assert fire.due_at == T0 + timedelta(minutes=40)
    assert fire.reason == "coalesced 2 due times from 2026-11-23 08:30:00 UTC to 2026-11-23 08:40:00 UTC"
    assert step(second) == []
    assert [(due - T0, status) for _, due, status in fires(second)] == [
        (timedelta(minutes=10), SUCCEEDED),
        (timedelta(minutes=20), SUCCEEDED),
        (timedelta(minutes=40), SUCCEEDED),
    ]
    assert len(runs(second, "ok")) == 3
    assert second.history(limit=1)[0].reason.startswith("coalesced 2 due times")


def test_fires_later_than_the_grace_are_recorded_missed_and_not_run(make):
    every = interval("hourly", "ok", "1h")
    first = make(every, scheduler_misfire_grace="90m")
    step(first)
    step(first, hours=1)
    first.close()

    later = make(every, clock=ManualClock(T0 + timedelta(hours=6, minutes=10)), scheduler_misfire_grace="90m")
    (fire,) = step(later)
    assert fire.due_at == T0 + timedelta(hours=6)
    history = later.history()
    assert [(f.due_at - T0, f.status) for f in reversed(history)] == [
        (timedelta(hours=1), SUCCEEDED),
        (timedelta(hours=4), MISSED),  # 2h, 3h and 4h: one coalesced row
        (timedelta(hours=6), SUCCEEDED),  # 5h and 6h, within 90 minutes: one run
    ]
    missed = history[1]
    assert missed.reason == (
        "found 2.2h late, beyond the misfire grace (90m); "
        "coalesced 3 due times from 2026-11-23 10:00:00 UTC to 2026-11-23 12:00:00 UTC"
    )
    assert missed.run_id is None
    assert len(runs(later, "ok")) == 2
    (alert,) = later.kernel.alert_history()  # nobody else would say that the job did not run
    assert (alert.alert.severity, alert.alert.title, alert.status) == (
        "warning",
        "schedule hourly missed",
        "sent",
    )
    assert alert.alert.text == missed.reason and alert.alert.pipeline == "ok"
    assert alert.alert.fields["Due (UTC)"] == "2026-11-23T12:00:00+00:00"


def test_without_coalescing_each_missed_time_is_recorded_and_each_timely_one_runs(make):
    every = interval("hourly", "ok", "1h")
    first = make(every, scheduler_coalesce="false", scheduler_misfire_grace="90m")
    step(first)
    first.close()

    later = make(
        every,
        clock=ManualClock(T0 + timedelta(hours=4, minutes=10)),
        scheduler_coalesce="false",
        scheduler_misfire_grace="90m",
    )
    started = step(later)
    assert [f.due_at - T0 for f in started] == [timedelta(hours=3), timedelta(hours=4)]
    assert [(due - T0, status) for _, due, status in fires(later)] == [
        (timedelta(hours=1), MISSED),
        (timedelta(hours=2), MISSED),
        (timedelta(hours=3), SUCCEEDED),
        (timedelta(hours=4), SUCCEEDED),
    ]
    assert len(runs(later, "ok")) == 2


def test_a_long_outage_is_one_missed_row_even_without_coalescing(make):
    every = interval("every_minute", "ok", "1m")
    first = make(every, scheduler_coalesce="false", scheduler_misfire_grace="90s")
    step(first)
    first.close()
    later = make(
        every,
        clock=ManualClock(T0 + timedelta(hours=5)),
        scheduler_coalesce="false",
        scheduler_misfire_grace="90s",
    )
    started = step(later)
    assert [f.due_at - T0 for f in started] == [timedelta(hours=4, minutes=59), timedelta(hours=5)]
    missed = [(due, status) for _, due, status in fires(later) if status == MISSED]
    assert len(missed) == 1 and missed[0][0] == T0 + timedelta(hours=4, minutes=58)
    assert later.history(status="missed")[0].reason.startswith("found 2m late, beyond the misfire grace")
    assert "coalesced 298 due times" in later.history(status="missed")[0].reason


def test_a_fire_left_running_by_a_dead_scheduler_on_this_host_is_closed_and_the_next_one_runs(make):
    scheduler = make(interval("every", "ok", "1m"))
    step(scheduler)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    ghost = f"{socket.gethostname()}:{dead.stdout.strip()}"
    insert_fire(scheduler, T0, "running", ghost, started_at=T0)
    (fire,) = step(scheduler, minutes=1)
    assert fire.due_at == T0 + timedelta(minutes=1)
    old = scheduler.history(limit=10)[-1]
    assert (old.status, old.reason) == (FAILED, f"abandoned: its scheduler {ghost} is gone")


def test_a_fire_running_elsewhere_blocks_the_schedule_until_it_is_stale(make):
    scheduler = make(interval("every", "ok", "1h"), scheduler_stale_after="3h")
    step(scheduler)
    insert_fire(scheduler, T0, "running", "elsewhere:4242", started_at=T0)
    step(scheduler, hours=1)
    step(scheduler, hours=1)
    assert [s for _, _, s in fires(scheduler)] == [FireStatus.RUNNING, SKIPPED, SKIPPED]
    assert scheduler.history(limit=1)[0].reason == (
        "the fire due at 2026-11-23 08:00:00 UTC (elsewhere:4242) was still running"
    )
    assert len(step(scheduler, hours=2)) == 1  # 4h after it started: taken for dead
    assert [s for _, _, s in fires(scheduler)] == [FAILED, SKIPPED, SKIPPED, SUCCEEDED]
    assert scheduler.history(limit=10)[-1].reason == (
        "abandoned: still running after 3h (scheduler_stale_after); its scheduler is taken for dead"
    )


def insert_fire(scheduler: Scheduler, due: datetime, status: str, fired_by: str, **times: datetime) -> None:
    store = scheduler.kernel.runlog().store
    q = store.dialect.quote
    columns = ["schedule", "due_at", "status", "fired_by", *times]
    with store.transaction() as session:
        session.execute(
            f"INSERT INTO {q('spine_schedule_fires')} ({', '.join(map(q, columns))}) "
            f"VALUES ({', '.join('?' * len(columns))})",
            [
                "every",
                due.replace(tzinfo=None),
                status,
                fired_by,
                *(t.replace(tzinfo=None) for t in times.values()),
            ],
        )


# -- overlap and concurrency ---------------------------------------------------------------


def test_a_job_never_overlaps_itself_the_due_times_it_runs_through_are_skipped(make):
    jobs = Jobs()
    scheduler = make(interval("slow", "slow", "1m"), jobs=jobs)
    step(scheduler)
    scheduler.clock.advance(minutes=1)
    assert len(scheduler.tick()) == 1
    jobs.wait_entered()
    for _ in range(2):
        scheduler.clock.advance(minutes=1)
        assert scheduler.tick() == []
    assert [s for _, _, s in fires(scheduler)] == [FireStatus.RUNNING, SKIPPED, SKIPPED]
    assert fires(scheduler)[1:] == [
        ("slow", T0 + timedelta(minutes=2), SKIPPED),
        ("slow", T0 + timedelta(minutes=3), SKIPPED),
    ]
    assert scheduler.history(limit=1)[0].reason == (
        f"the fire due at 2026-11-23 08:01:00 UTC ({scheduler.fired_by}) was still running"
    )
    jobs.gate.set()
    assert scheduler.wait(30)
    (again,) = step(scheduler, minutes=1)
    assert again.due_at == T0 + timedelta(minutes=4)
    assert (jobs.calls["slow"], jobs.most_running) == (2, 1)
    assert [s for _, _, s in fires(scheduler)] == [SUCCEEDED, SKIPPED, SKIPPED, SUCCEEDED]


def test_different_schedules_run_at_once_up_to_max_concurrency(make):
    jobs = Jobs()
    scheduler = make(
        interval("one", "slow", "1m"),
        interval("two", "slow", "1m"),
        interval("three", "slow", "1m"),
        jobs=jobs,
        scheduler_max_concurrency=2,
    )
    step(scheduler)
    scheduler.clock.advance(minutes=1)
    assert len(scheduler.tick()) == 3
    jobs.wait_entered(2)
    assert jobs.running == 2
    statuses = sorted(s.value for _, _, s in fires(scheduler))
    assert statuses == ["claimed", "running", "running"]  # the third waits for a worker
    jobs.gate.set()
    assert scheduler.wait(30)
    assert [s for _, _, s in fires(scheduler)] == [SUCCEEDED] * 3
    assert jobs.most_running == 2


# -- failures ------------------------------------------------------------------------------


def test_a_failed_run_is_a_failed_fire_and_the_scheduler_goes_on(make, caplog):
    scheduler = make(interval("broken", "bad", "1m"), interval("fine", "ok", "1m"))
    step(scheduler)
    step(scheduler, minutes=1)
    step(scheduler, minutes=1)
    broken = scheduler.history("broken")
    assert [(f.status, f.reason) for f in broken] == [(FAILED, "[load] table t is locked")] * 2
    assert broken[0].run_id == runs(scheduler, "bad")[0].run_id
    assert [s for _, _, s in fires(scheduler, "fine")] == [SUCCEEDED, SUCCEEDED]
    assert "schedule broken failed (due 2026-11-23T08:02:00+00:00, run " in caplog.text
    assert any(r.levelno == logging.ERROR and r.name == "spine.scheduler" for r in caplog.records)


def test_a_run_that_raises_is_a_failed_fire_with_the_error(make, monkeypatch):
    scheduler = make(interval("every", "ok", "1m"))
    step(scheduler)

    def explode(*args, **kwargs):
        raise RuntimeError("the kernel broke")

    monkeypatch.setattr(spine._orchestration._scheduler, "run_pipeline", explode)
    step(scheduler, minutes=1)
    monkeypatch.undo()
    step(scheduler, minutes=1)
    (later, first) = scheduler.history()
    assert (first.status, first.reason, first.run_id) == (FAILED, "RuntimeError: the kernel broke", None)
    assert later.status is SUCCEEDED
    (alert,) = scheduler.kernel.alert_history()
    assert (alert.alert.severity, alert.alert.title) == ("error", "schedule every failed")
    assert alert.alert.text == "RuntimeError: the kernel broke"


def test_a_store_that_fails_during_a_tick_is_logged_and_tried_again(make, monkeypatch, caplog):
    from spine._orchestration._schedule_log import ScheduleLog

    scheduler = make(interval("every", "ok", "1m"), scheduler_poll="1m")
    real = ScheduleLog.advance
    calls = []

    def flaky(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise spine.LoadError("database is locked")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ScheduleLog, "advance", flaky)
    run_until(scheduler, T0 + timedelta(minutes=2, seconds=30))
    assert "schedule every: database is locked" in caplog.text
    assert [due - T0 for _, due, _ in fires(scheduler)] == [timedelta(minutes=2)]  # 1m failed, found at 2m


# -- workflows -------------------------------------------------------------------------------


class Workflows:
    @spine.hookimpl
    def register_workflows(self, register):
        register(spine.WorkflowSpec("chain", lambda: spine.Workflow("chain", [spine.Step("a", "ok")])))
        register(
            spine.WorkflowSpec(
                "broken_chain",
                lambda: spine.Workflow(
                    "broken_chain", [spine.Step("a", "bad"), spine.Step("b", "ok", depends_on=["a"])]
                ),
            )
        )


def test_a_schedule_runs_a_workflow_and_records_its_run(make):
    scheduler = make(
        {"name": "flow", "workflow": "chain", "interval": "1m"},
        {"name": "broken_flow", "workflow": "broken_chain", "interval": "1m"},
        plugins=[Workflows()],
    )
    step(scheduler)
    step(scheduler, minutes=1)
    (flow,) = scheduler.history("flow")
    (broken,) = scheduler.history("broken_flow")
    assert flow.status is SUCCEEDED and flow.run_id
    assert broken.status is FAILED
    assert broken.reason.startswith("step a failed: ") and "step b skipped" in broken.reason
    assert len(runs(scheduler, "ok")) == 1  # chain's step a; broken_chain's b never ran


# -- stopping ----------------------------------------------------------------------------------


def test_close_skips_what_has_not_started_and_records_what_outlives_the_timeout(make):
    jobs = Jobs()
    scheduler = make(
        interval("first", "slow", "1m"),
        interval("second", "ok", "1m"),
        jobs=jobs,
        scheduler_max_concurrency=1,
    )
    step(scheduler)
    scheduler.clock.advance(minutes=1)
    assert len(scheduler.tick()) == 2
    jobs.wait_entered()
    scheduler.close(timeout=0.2)
    assert scheduler.tick() == []  # closed: takes no new fires
    (first,) = scheduler.history("first")
    (second,) = scheduler.history("second")
    assert (second.status, second.reason) == (SKIPPED, "not started: the scheduler stopped")
    assert (first.status, first.reason) == (FAILED, "unfinished when the scheduler stopped (waited 0.2s)")
    jobs.gate.set()  # the process goes on: the run ends, and its real outcome replaces that
    for _ in range(300):
        if scheduler.history("first")[0].status is SUCCEEDED:
            break
        threading.Event().wait(0.05)
    assert scheduler.history("first")[0].status is SUCCEEDED
    assert jobs.calls == {"slow": 1}


def test_fires_record_who_fired_them_and_when(make):
    scheduler = make(interval("every", "ok", "1m"))
    step(scheduler)
    step(scheduler, minutes=1, seconds=5)
    (fire,) = scheduler.history()
    assert fire.fired_by == f"{socket.gethostname()}:{os.getpid()}"
    expected = T0 + timedelta(minutes=1, seconds=5)
    assert (fire.recorded_at, fire.started_at, fire.finished_at) == (expected, expected, expected)
    assert fire.to_dict() == {
        "schedule": "every",
        "due_at": "2026-11-23T08:01:00+00:00",
        "status": "succeeded",
        "run_id": fire.run_id,
        "fired_by": fire.fired_by,
        "recorded_at": "2026-11-23T08:01:05+00:00",
        "started_at": "2026-11-23T08:01:05+00:00",
        "finished_at": "2026-11-23T08:01:05+00:00",
        "reason": None,
    }
    assert scheduler.history(status="succeeded", since=T0, until=T0 + timedelta(minutes=2)) == [fire]
    assert scheduler.history(status="failed") == []


def test_run_forever_left_by_an_exception_records_the_running_fires_without_waiting(make):
    jobs = Jobs()

    class Interrupted(ManualClock):
        def sleep(self, seconds, stop):
            if self.moment >= T0 + timedelta(minutes=1):  # the fire due then has started: ^C
                jobs.wait_entered()
                raise KeyboardInterrupt
            self.moment += timedelta(seconds=seconds)

    scheduler = make(interval("slow", "slow", "1m"), jobs=jobs, clock=Interrupted())
    with pytest.raises(KeyboardInterrupt):
        scheduler.run_forever(threading.Event(), stop_timeout=30)
    (fire,) = scheduler.history()
    assert (fire.due_at, fire.status) == (T0 + timedelta(minutes=1), FAILED)
    assert fire.reason == "unfinished when the scheduler was interrupted"
    jobs.gate.set()  # the process goes on, and the run ends: its real outcome replaces "failed"
    deadline = time.monotonic() + 10
    while scheduler.history()[0].status is FAILED and time.monotonic() < deadline:
        time.sleep(0.01)
    (fire,) = scheduler.history()
    assert fire.status is SUCCEEDED and fire.run_id is not None


def test_run_forever_raises_a_settings_problem_at_once(make):
    scheduler = make({"name": "x", "pipeline": "nope", "interval": "1m"})
    with pytest.raises(spine.ConfigError, match=r"schedules\[0\]\.pipeline .*unknown pipeline 'nope'"):
        scheduler.run_forever(threading.Event())


def test_a_fire_the_store_fails_to_mark_running_is_closed_not_left_blocking(make, monkeypatch, caplog):
    from spine._orchestration._schedule_log import ScheduleLog

    scheduler = make(interval("every", "ok", "1m"))
    step(scheduler)

    def refuse(self, fire, at, **kwargs):
        raise spine.LoadError("database is locked")

    monkeypatch.setattr(ScheduleLog, "started", refuse)
    step(scheduler, minutes=1)
    monkeypatch.undo()
    step(scheduler, minutes=1)
    (later, first) = scheduler.history()
    assert (first.status, first.reason) == (FAILED, "cannot record the fire: database is locked")
    assert later.status is SUCCEEDED
    assert "schedule every (due 2026-11-23T08:01:00+00:00): cannot record the fire" in caplog.text
