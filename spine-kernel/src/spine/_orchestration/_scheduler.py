"""The scheduler: fires schedules at their due times, in worker threads, across processes.

The loop is spine's own, not APScheduler's: APScheduler 3's scheduler reads the real
clock, and its job stores must not be shared by two schedulers, while spine's fires are
kept in the store next to the runs and claimed there once across processes; tests drive
this loop with a clock of their own. APScheduler's triggers do the calendar arithmetic
(see `_schedules`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from .._alerts._model import Alert, Severity
from .._config._sources import duration_text
from .._errors import SpineError
from .._records._results import RunResult, WorkflowResult
from .._records._statuses import FireStatus, RunStatus
from .._runs._processes import gone, this_process
from .._runs._runner import new_run_id, run_pipeline
from ._schedule_log import FireRules, ScheduleLog
from ._schedules import Fire, Schedule, ScheduleState, load_schedules
from ._workflow_runner import run_workflow

if TYPE_CHECKING:
    from .._kernel import Spine

log = logging.getLogger("spine.scheduler")
T = TypeVar("T")

INTERRUPTED = "unfinished when the scheduler was interrupted"

_LEVEL = {
    FireStatus.SUCCEEDED: logging.INFO,
    FireStatus.PARTIAL: logging.WARNING,
    FireStatus.SKIPPED: logging.WARNING,
    FireStatus.MISSED: logging.WARNING,
    FireStatus.CANCELLED: logging.WARNING,
}


class Clock:
    """The scheduler's time, real by default; tests subclass it to move time by hand."""

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        return datetime.now(UTC)

    def sleep(self, seconds: float, stop: threading.Event) -> None:
        """Wait `seconds`, or less once `stop` is set."""
        stop.wait(seconds)


class Scheduler:
    """Fires a kernel's schedules (its plugins' and its ``schedules`` setting) into the store
    `store` (a URL; default: the kernel's), on `clock` (default: the real one).

    `tick` looks once, `run_forever` until told to stop. Due times are claimed in the
    store, under a lock per schedule, so any number of schedulers may share a store and
    each due time fires once. A fire runs in a worker thread, ``scheduler_max_concurrency``
    at once; a schedule never runs twice at once. A run that fails, or raises, makes a
    ``failed`` fire: nothing a job does stops the scheduler.
    """

    def __init__(self, kernel: Spine, store: str | None = None, clock: Clock | None = None) -> None:
        self.kernel = kernel
        self.store = store
        self.clock = clock or Clock()
        self.fired_by = this_process()
        self.problems: list[str] = []  # plugin schedules left out, and why
        self._schedules: list[Schedule] | None = None
        self._next_due: dict[str, datetime | None] = {}
        self._workers: _Workers | None = None
        self._running: dict[tuple[str, datetime], Fire] = {}
        self._lock = threading.Lock()
        self._stopping = False

    # -- what there is ---------------------------------------------------------------------

    def load(self) -> list[Schedule]:
        """The schedules, by name, read once. Raises `ConfigError` for a problem in the
        ``schedules`` setting; a plugin's broken schedule is logged, left out and kept in
        `problems`."""
        if self._schedules is None:
            schedules, self.problems = load_schedules(self.kernel)
            for problem in self.problems:
                log.warning("%s", problem)
            self._schedules = schedules
        return self._schedules

    def schedules(self) -> list[ScheduleState]:
        """Every schedule with its next due time after now (or after its latest fire, if
        that is later) and its latest fire."""
        schedules = self.load()
        fire_log = self._fire_log()
        now = self.clock.now()
        first_seen = fire_log.first_seen(schedule.name for schedule in schedules)
        states = []
        for schedule in schedules:
            last = fire_log.latest(schedule.name)
            after = max(now, last.due_at) if last else now
            next_fire = schedule.next_due(after, first_seen.get(schedule.name, now))
            states.append(ScheduleState(schedule, next_fire, last))
        return states

    def history(
        self,
        schedule: str | None = None,
        *,
        status: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
    ) -> list[Fire]:
        """Recorded fires, latest due time first, filtered by schedule, status and due time."""
        return self._fire_log().history(
            schedule=schedule, status=status, since=since, until=until, limit=limit
        )

    # -- firing ----------------------------------------------------------------------------

    def tick(self) -> list[Fire]:
        """Look once: record what is due, start the fires claimed (in worker threads), and
        return them; when something is due, close first the runs whose process died.
        Schedules with nothing due since the last look cost no store access."""
        schedules = self.load()
        if self._stopping:
            return []
        settings = self.kernel.settings
        rules = FireRules(
            settings.scheduler_misfire_grace, settings.scheduler_coalesce, settings.scheduler_stale_after
        )
        fire_log = self._fire_log()
        now = self.clock.now()
        started: list[Fire] = []
        looked = False
        for schedule in schedules:
            if schedule.name in self._next_due:
                next_due = self._next_due[schedule.name]
                if next_due is None or next_due > now:
                    continue
            if not looked:  # often the only reader of the records that keeps running
                self._close_abandoned()
                looked = True
            try:
                advance = self._once_more(
                    functools.partial(
                        fire_log.advance,
                        schedule,
                        now,
                        rules,
                        self.fired_by,
                        lambda by: not gone(by, self.fired_by),
                    )
                )
            except SpineError as exc:
                self._next_due.pop(schedule.name, None)  # look again next time
                log.error("schedule %s: %s", schedule.name, self.kernel.redactor.text(exc.message))
                continue
            self._next_due[schedule.name] = advance.next_due
            for fire in advance.recorded:
                self._report(fire)
            if advance.claimed:
                for fire in advance.claimed:
                    log.info(
                        "schedule %s fires (due %s)", fire.schedule, _iso(fire.due_at), extra=_extra(fire)
                    )
                self._submit(schedule, advance.claimed)
                started += advance.claimed
        return started

    def _close_abandoned(self) -> None:
        """Close the runs whose process died (see `Spine.close_abandoned`)."""
        try:
            self.kernel.close_abandoned(store=self.store)
        except SpineError as exc:
            log.error("scheduler: cannot look for abandoned runs: %s", self.kernel.redactor.text(exc.message))

    def run_forever(self, stop: threading.Event, *, stop_timeout: float | None = None) -> None:
        """Tick until `stop` is set, sleeping until the next due time (at most
        ``scheduler_poll``); then stop as `close` does (`stop_timeout`: default
        ``scheduler_stop_timeout``; none when the loop is left by an exception, such as
        `KeyboardInterrupt`). A tick that fails (the store is down) is logged and tried
        again after the poll interval; a problem in the ``schedules`` setting raises
        `ConfigError` at once."""
        self.load()
        poll = self.kernel.settings.scheduler_poll
        try:
            while not stop.is_set():
                try:
                    self.tick()
                except SpineError as exc:
                    log.error("scheduler: %s; trying again in %s", exc.message, duration_text(poll))
                except Exception:  # a bug must not end the service: its schedules would silently stop
                    log.exception("scheduler: unexpected error; trying again in %s", duration_text(poll))
                due = [moment for moment in self._next_due.values() if moment is not None]
                wait = poll
                if due:
                    wait = min(poll, max(0.0, (min(due) - self.clock.now()).total_seconds()))
                self.clock.sleep(wait, stop)
        except KeyboardInterrupt:  # a second signal may come before the loop saw the first
            self._close(0, INTERRUPTED)
            raise
        except BaseException:
            self.close(0)
            raise
        self.close(stop_timeout)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every fire this scheduler claimed has ended; False on timeout."""
        return self._workers.wait_idle(timeout) if self._workers else True

    def close(self, timeout: float | None = None) -> None:
        """Stop: take no new fires, record the claimed ones not yet started as ``skipped``,
        and wait up to `timeout` seconds (default ``scheduler_stop_timeout``) for the running
        ones. Those still running then are recorded ``failed``; should the process go on,
        their real outcome replaces that when they end."""
        if timeout is None:
            timeout = self.kernel.settings.scheduler_stop_timeout
        self._close(timeout, f"unfinished when the scheduler stopped (waited {duration_text(timeout)})")

    def _close(self, timeout: float, reason: str) -> None:
        """`close`, recording the fires still running after `timeout` as failed for `reason`."""
        self._stopping = True
        workers, self._workers = self._workers, None
        if workers is None:
            return
        for _schedule, fires in workers.drain():
            for fire in fires:
                self._not_started(self._fire_log(), fire)
        try:
            if not workers.wait_idle(timeout):
                self._abandon(reason)
        except KeyboardInterrupt:
            self._abandon(INTERRUPTED)
            raise
        finally:
            workers.stop()

    def _abandon(self, reason: str) -> None:
        with self._lock:
            unfinished = list(self._running.values())
        for fire in unfinished:
            ended = self._fire_log().finished(
                fire, FireStatus.FAILED, self.clock.now(), reason=reason, unless_ended=True
            )
            self._report(ended)

    # -- in the workers --------------------------------------------------------------------

    def _submit(self, schedule: Schedule, fires: list[Fire]) -> None:
        if self._workers is None:
            self._workers = _Workers(self.kernel.settings.scheduler_max_concurrency, self._run_fires)
        self._workers.submit(schedule, fires)

    def _run_fires(self, schedule: Schedule, fires: Sequence[Fire]) -> None:
        fire_log = self._fire_log()  # this thread's connection
        for fire in fires:  # one after the other: a schedule never overlaps itself
            if self._stopping:
                self._not_started(fire_log, fire)
                continue
            try:
                self._run_fire(fire_log, schedule, fire)
            except Exception as exc:  # the store failed while recording
                reason = f"cannot record the fire: {self.kernel.redactor.text(str(exc))}"
                log.error("schedule %s (due %s): %s", fire.schedule, _iso(fire.due_at), reason)
                # Once more, or the fire stays claimed and blocks its schedule until
                # scheduler_stale_after; if the store is still down, that is what happens.
                with contextlib.suppress(Exception):
                    fire_log.finished(
                        fire, FireStatus.FAILED, self.clock.now(), reason=reason, unless_ended=True
                    )

    def _run_fire(self, fire_log: ScheduleLog, schedule: Schedule, fire: Fire) -> None:
        key = (fire.schedule, fire.due_at)
        # The run's id is chosen here and kept with the fire from its start: a fire closed
        # while its run still runs (the scheduler stopped, or died) links to that run.
        run_id = new_run_id()
        # Marking the fire running also proves this thread's connection, just before the run
        # starts on it: the run itself is never tried twice (a workflow that failed half-way
        # must not run its steps again).
        running = self._once_more(lambda: fire_log.started(fire, self.clock.now(), run_id=run_id))
        with self._lock:
            self._running[key] = running
        said = False
        try:
            kind, name = schedule.target
            params = dict(schedule.params)
            result = self._start(kind, name, params, run_id)
            status, reason, said = FireStatus(result.status.value), _failure(result), True
        except Exception as exc:  # an unknown pipeline, a store that cannot be opened, a bug
            message = exc.message if isinstance(exc, SpineError) else f"{type(exc).__name__}: {exc}"
            status, reason = FireStatus.FAILED, self.kernel.redactor.text(message)
            running = dataclasses.replace(running, run_id=None)  # no run was started
        finally:
            with self._lock:
                self._running.pop(key, None)
        ended = fire_log.finished(running, status, self.clock.now(), run_id=running.run_id, reason=reason)
        self._report(ended, run_said=said)

    def _start(self, kind: str, name: str, params: dict[str, str], run_id: str) -> RunResult | WorkflowResult:
        if kind == "pipeline":
            return run_pipeline(self.kernel, name, params, store=self.store, run_id=run_id)
        return run_workflow(self.kernel, self.kernel.workflow(name), params, store=self.store, run_id=run_id)

    def _once_more(self, action: Callable[[], T]) -> T:
        """`action`, and once more on a new connection when the store says its connection
        was lost (a server restarted since this thread last used it): a stale connection
        must not cost a fire. `action` must be safe to repeat after it raised."""
        try:
            return action()
        except Exception as exc:
            store = self.kernel.runlog(self.store).store
            if not store.lost_connection(exc):
                raise
            log.warning(
                "scheduler: the store's connection was lost (%s); trying once more on a new one",
                self.kernel.redactor.text(str(exc)),
            )
            store.close()
            return action()

    def _not_started(self, fire_log: ScheduleLog, fire: Fire) -> None:
        reason = "not started: the scheduler stopped"
        self._report(
            fire_log.finished(fire, FireStatus.SKIPPED, self.clock.now(), reason=reason, unless_ended=True)
        )

    def _report(self, fire: Fire, *, run_said: bool = False) -> None:
        """Log how a fire ended; raise an alert when it did not run as due. A run that ended
        (`run_said`) raised its own alert; a fire missed, skipped, failed before its run could
        start (an unknown pipeline) or left unfinished (a scheduler that stopped or died)
        has nobody else to say so."""
        _log_fire(fire)
        if fire.status not in (FireStatus.MISSED, FireStatus.SKIPPED, FireStatus.FAILED) or run_said:
            return
        target = next((s.target for s in self.load() if s.name == fire.schedule), ("pipeline", ""))
        alert = Alert(
            Severity.ERROR if fire.status is FireStatus.FAILED else Severity.WARNING,
            f"schedule {fire.schedule} {fire.status.value}",
            fire.reason,
            pipeline=target[1] if target[0] == "pipeline" and target[1] else None,
            fields={"Schedule": fire.schedule, "Due (UTC)": _iso(fire.due_at), "Fired by": fire.fired_by},
            dedup_key=f"schedule:{fire.schedule}:{fire.status.value}",
        )
        self.kernel.alerts.dispatch(alert, self.kernel.runlog(self.store))

    def _fire_log(self) -> ScheduleLog:
        return ScheduleLog(self.kernel.runlog(self.store).store)


class _Workers:
    """Up to `size` threads running the fires of one schedule at a time, from a queue.

    Daemon threads: a job still running when the scheduler has stopped waiting for it
    must not keep the process alive (its fire is recorded ``failed`` first).
    """

    def __init__(self, size: int, run: Callable[[Schedule, Sequence[Fire]], None]) -> None:
        self._size = size
        self._run = run
        self._jobs: queue.SimpleQueue[tuple[Schedule, list[Fire]] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._pending = 0
        self._idle = threading.Condition()

    def submit(self, schedule: Schedule, fires: list[Fire]) -> None:
        with self._idle:
            self._pending += 1
            if len(self._threads) < min(self._size, self._pending):
                thread = threading.Thread(
                    target=self._work, name=f"spine-scheduler-{len(self._threads) + 1}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        self._jobs.put((schedule, fires))

    def drain(self) -> list[tuple[Schedule, list[Fire]]]:
        """Take back the jobs no thread has started."""
        taken = []
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                taken.append(job)
                self._done()
        return taken

    def wait_idle(self, timeout: float | None) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def stop(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                self._run(*job)
            except Exception:  # _run records what it can; a worker outlives any job
                log.exception("scheduler worker: unexpected error")
            finally:
                self._done()

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()


def _failure(result: RunResult | WorkflowResult) -> str:
    if isinstance(result, RunResult):
        return str(result.error or "")
    if result.status is not RunStatus.FAILED:
        return ""
    failed = [step for step in result.steps if step.status.value in ("failed", "skipped")]
    return "; ".join(
        f"step {step.step} {step.status.value}" + (f": {step.message}" if step.message else "")
        for step in failed
    )


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds" if moment.microsecond == 0 else "microseconds")


def _extra(fire: Fire) -> dict[str, object]:
    fields: dict[str, object] = {
        "schedule": fire.schedule,
        "due_at": _iso(fire.due_at),
        "status": fire.status.value,
    }
    return {**fields, "run_id": fire.run_id} if fire.run_id else fields


def _log_fire(fire: Fire) -> None:
    level = _LEVEL.get(fire.status, logging.ERROR)
    run = f", run {fire.run_id}" if fire.run_id else ""
    because = f": {fire.reason}" if fire.reason else ""
    log.log(
        level,
        "schedule %s %s (due %s%s)%s",
        fire.schedule,
        fire.status.value,
        _iso(fire.due_at),
        run,
        because,
        extra=_extra(fire),
    )
