"""The scheduler's tables in the store: when each schedule was first seen, and every fire.

Claiming is the one decision that must hold across processes: `advance` runs in a
transaction holding the lock ``spine_schedule:<name>`` (SQLite ``BEGIN IMMEDIATE``,
PostgreSQL advisory locks, Db2's lock table), reads the schedule's latest fire and its
fires still claimed or running, and records what is due, so two schedulers on one store
never fire the same due time twice; the primary key (schedule, due time) would refuse a
second row anyway.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from .._config._sources import duration_text
from .._records._damaged import RecordReader
from .._records._migrations import SCHEDULE_FIRES, SCHEDULES
from .._records._queries import aware, clip, naive_utc_or_none, utc_text, where_clause
from .._records._statuses import FireStatus
from ._schedules import Fire, Schedule

if TYPE_CHECKING:
    from .._data._stores import Session, Store

_ACTIVE = (FireStatus.CLAIMED.value, FireStatus.RUNNING.value)
_MOST_MISSED_ROWS = 100


class FireRules(NamedTuple):
    """How due times become fires: the ``scheduler_*`` settings."""

    misfire_grace: float  # seconds: a due time found later than this is missed
    coalesce: bool  # several due times within the grace make one fire
    stale_after: float  # seconds: a fire claimed or running longer is taken for dead


class Advance(NamedTuple):
    """What one look at a schedule did: the fires it claimed (to run in this order), the
    fires it recorded without running (missed, skipped, and dead ones it closed), and the
    schedule's next due time after now."""

    claimed: list[Fire]
    recorded: list[Fire]
    next_due: datetime | None


class ScheduleLog:
    """The ``spine_schedules`` and ``spine_schedule_fires`` tables of one (migrated) store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._read = RecordReader(store, "spine_schedule_fires")
        self._read_seen = RecordReader(store, "spine_schedules")
        q = self._q = store.dialect.quote
        self._schedules, self._fires = q("spine_schedules"), q("spine_schedule_fires")
        self._columns = ", ".join(map(q, SCHEDULE_FIRES.names))
        self._insert = store.dialect.insert("spine_schedule_fires", SCHEDULE_FIRES)

    def advance(
        self, schedule: Schedule, now: datetime, rules: FireRules, fired_by: str, alive: Callable[[str], bool]
    ) -> Advance:
        """Record what of `schedule` is due at `now`, under the schedule's lock.

        The due times after the schedule's latest fire (or after it was first seen: a new
        schedule does not replay its past) up to `now`: those later than the misfire
        grace are recorded ``missed``; the others are claimed, the latest one only when
        coalescing, unless a fire of the schedule is still claimed or running: then they
        are recorded ``skipped``. A claimed or running fire is taken for dead (recorded
        ``failed``) when `alive` says its scheduler is gone or it is older than
        ``stale_after``: a process killed outright cannot say so itself.
        """
        q = self._q
        with self.store.transaction(lock=f"spine_schedule:{schedule.name}") as session:
            first_seen = self._first_seen(session, schedule.name, now)
            rows = session.query(
                f"SELECT {q('due_at')} FROM {self._fires} WHERE {q('schedule')} = ? "
                f"ORDER BY {q('due_at')} DESC" + self.store.dialect.limit(1),
                (schedule.name,),
            )
            latest = aware(rows[0][0]) if rows else None
            after = latest or first_seen
            due = list(schedule.due_times(after, now, first_seen))
            next_due = schedule.next_due(max(after, now), first_seen)
            if not due:
                return Advance([], [], next_due)

            recorded = self._close_dead(session, schedule.name, now, rules, alive)
            busy = self._active(session, schedule.name)
            grace = timedelta(seconds=rules.misfire_grace)
            late = [moment for moment in due if now - moment > grace]
            timely = [moment for moment in due if now - moment <= grace]

            def fire(
                moments: list[datetime], status: FireStatus, why: Callable[[datetime], str]
            ) -> list[Fire]:
                # Missed due times are told in one row beyond a hundred, coalescing or not:
                # a schedule of every second, down for a week, is not 600,000 rows.
                together = rules.coalesce or (
                    status is FireStatus.MISSED and len(moments) > _MOST_MISSED_ROWS
                )
                if together and len(moments) > 1:
                    reason = "; ".join(filter(None, (why(moments[-1]), _coalesced(moments))))
                    return [Fire(schedule.name, moments[-1], status, None, fired_by, now, reason=reason)]
                return [Fire(schedule.name, m, status, None, fired_by, now, reason=why(m)) for m in moments]

            not_run = fire(
                late,
                FireStatus.MISSED,
                lambda moment: (
                    f"found {_late(now - moment)} late, beyond the misfire grace "
                    f"({duration_text(rules.misfire_grace)})"
                ),
            )
            if busy:
                holder = busy[0]
                reason = (
                    f"the fire due at {utc_text(holder.due_at)} ({holder.fired_by}) was still {holder.status}"
                )
                not_run += fire(timely, FireStatus.SKIPPED, lambda _: reason)
                claimed = []
            else:
                claimed = fire(timely, FireStatus.CLAIMED, lambda _: "")
            session.executemany(self._insert, (_row(f) for f in [*not_run, *claimed]))
        return Advance(claimed, recorded + not_run, next_due)

    def first_seen(self, names: Iterable[str]) -> dict[str, datetime]:
        """When a scheduler first saw each of the schedules that one has seen."""
        q = self._q
        wanted = set(names)
        with self.store.transaction() as session:
            rows = session.query(f"SELECT {q('schedule')}, {q('first_seen')} FROM {self._schedules}")
        read = self._read_seen
        seen = {
            name: read.key_moment(f"schedule {name}", "first_seen", at) for name, at in rows if name in wanted
        }
        return {name: at for name, at in seen.items() if at is not None}

    def latest(self, name: str) -> Fire | None:
        """The schedule's fire with the latest due time."""
        fires = self.history(schedule=name, limit=1)
        return fires[0] if fires else None

    def started(self, fire: Fire, at: datetime, *, run_id: str | None = None) -> Fire:
        """Record a claimed fire as ``running`` from `at`, starting run `run_id`."""
        self._update(fire, FireStatus.RUNNING, started_at=at, run_id=run_id)
        return dataclasses.replace(fire, status=FireStatus.RUNNING, started_at=at, run_id=run_id)

    def finished(
        self,
        fire: Fire,
        status: FireStatus,
        at: datetime,
        *,
        run_id: str | None = None,
        reason: str = "",
        unless_ended: bool = False,
    ) -> Fire:
        """Record how a fire ended: its status, the run it started (default: the one it was
        started with, see `started`) and why it failed (after what it coalesced). With
        `unless_ended`, a fire recorded as ended meanwhile keeps its outcome (the scheduler
        stopping must not overwrite a run that just ended)."""
        reason = "; ".join(filter(None, (fire.reason, reason)))
        run_id = run_id or fire.run_id
        self._update(fire, status, run_id=run_id, finished_at=at, reason=reason, active_only=unless_ended)
        return dataclasses.replace(fire, status=status, run_id=run_id, finished_at=at, reason=reason)

    def history(
        self,
        *,
        schedule: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
    ) -> list[Fire]:
        """Fires, latest due time first, filtered by schedule, status and due time."""
        q = self._q
        where, params = where_clause(
            q,
            (
                ("schedule", "=", schedule),
                ("status", "=", status),
                ("due_at", ">=", naive_utc_or_none(since)),
                ("due_at", "<", naive_utc_or_none(until)),
            ),
        )
        sql = f"SELECT {self._columns} FROM {self._fires}{where} ORDER BY {q('due_at')} DESC, {q('schedule')}"
        with self.store.transaction() as session:
            rows = session.query(sql + self.store.dialect.limit(limit), params)
        return self._fires_of(rows)

    # -- inside advance ------------------------------------------------------------------

    def _first_seen(self, session: Session, name: str, now: datetime) -> datetime:
        q = self._q
        rows = session.query(
            f"SELECT {q('first_seen')} FROM {self._schedules} WHERE {q('schedule')} = ?", (name,)
        )
        if rows:
            return aware(rows[0][0])  # type: ignore[return-value]
        session.execute(
            self.store.dialect.insert("spine_schedules", SCHEDULES),
            (name, naive_utc_or_none(now)),
        )
        return now

    def _active(self, session: Session, name: str) -> list[Fire]:
        q = self._q
        rows = session.query(
            f"SELECT {self._columns} FROM {self._fires} "
            f"WHERE {q('schedule')} = ? AND {q('status')} IN (?, ?) ORDER BY {q('due_at')}",
            (name, *_ACTIVE),
        )
        return self._fires_of(rows)

    def _close_dead(
        self, session: Session, name: str, now: datetime, rules: FireRules, alive: Callable[[str], bool]
    ) -> list[Fire]:
        closed = []
        for fire in self._active(session, name):
            since = fire.started_at or fire.recorded_at or fire.due_at
            if not alive(fire.fired_by):
                reason = f"abandoned: its scheduler {fire.fired_by} is gone"
            elif now - since > timedelta(seconds=rules.stale_after):
                reason = (
                    f"abandoned: still {fire.status} after {duration_text(rules.stale_after)} "
                    "(scheduler_stale_after); its scheduler is taken for dead"
                )
            else:
                continue
            self._update(fire, FireStatus.FAILED, finished_at=now, reason=reason, session=session)
            closed.append(dataclasses.replace(fire, status=FireStatus.FAILED, finished_at=now, reason=reason))
        return closed

    def _update(
        self,
        fire: Fire,
        status: FireStatus,
        *,
        session: Session | None = None,
        active_only: bool = False,
        **values: Any,
    ) -> None:
        q = self._q
        values = {
            "status": status.value,
            **{k: naive_utc_or_none(v) if isinstance(v, datetime) else v for k, v in values.items()},
        }
        if "reason" in values:
            values["reason"] = clip(values["reason"] or "", 2000) or None
        sql = (
            f"UPDATE {self._fires} SET {', '.join(f'{q(column)} = ?' for column in values)} "
            f"WHERE {q('schedule')} = ? AND {q('due_at')} = ?"
        )
        params = (*values.values(), fire.schedule, naive_utc_or_none(fire.due_at))
        if active_only:
            sql += f" AND {q('status')} IN (?, ?)"
            params += _ACTIVE
        if session is not None:
            session.execute(sql, params)
            return
        with self.store.transaction() as own:
            own.execute(sql, params)

    def _fires_of(self, rows: list[tuple[Any, ...]]) -> list[Fire]:
        """The fires recorded in `rows`; a damaged field is read as unknown, and a fire whose
        due time cannot be read is left out (both reported: `RecordReader`)."""
        fires = []
        read = self._read
        for schedule, due_at, status, run_id, fired_by, recorded_at, started_at, finished_at, reason in rows:
            record = f"schedule {schedule} due {due_at}"
            due = read.key_moment(record, "due_at", due_at)
            if due is None:
                continue
            fires.append(
                Fire(
                    str(schedule),
                    due,
                    read.status(FireStatus, record, "status", status),
                    run_id,
                    fired_by or "",
                    read.moment(record, "recorded_at", recorded_at),
                    read.moment(record, "started_at", started_at),
                    read.moment(record, "finished_at", finished_at),
                    reason or "",
                )
            )
        return fires


def _row(fire: Fire) -> tuple[Any, ...]:
    return (
        fire.schedule,
        naive_utc_or_none(fire.due_at),
        fire.status.value,
        fire.run_id,
        clip(fire.fired_by, 200),
        naive_utc_or_none(fire.recorded_at),
        naive_utc_or_none(fire.started_at),
        naive_utc_or_none(fire.finished_at),
        clip(fire.reason, 2000) or None,
    )


def _coalesced(moments: list[datetime]) -> str:
    return f"coalesced {len(moments)} due times from {utc_text(moments[0])} to {utc_text(moments[-1])}"


def _late(delay: timedelta) -> str:
    seconds = delay.total_seconds()
    for unit, size, below in (("s", 1, 120), ("m", 60, 7200), ("h", 3600, 172800)):
        if seconds < below:
            return f"{seconds / size:.0f}{unit}" if unit != "h" else f"{seconds / size:.1f}h"
    return f"{seconds / 86400:.1f}d"
