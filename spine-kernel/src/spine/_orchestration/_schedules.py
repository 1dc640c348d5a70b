"""Schedules: what the scheduler runs and when, gathered from plugins and settings.

A `Schedule` is a `ScheduleSpec` made ready to fire: its cron expression or interval
becomes an APScheduler 3 trigger, which does the calendar arithmetic (time zones,
daylight saving time). APScheduler is imported only when a schedule is built, never
when plugins are listed.

Cron expressions mean what they mean in crontab(5), where APScheduler 3 reads them
otherwise:

- day of week: 0 and 7 are Sunday, 1 is Monday (APScheduler 3 counts from Monday = 0,
  which would make the FINRA refresh's ``0 6 * * 1`` a Tuesday job);
- when day of month and day of week are both restricted (neither starts with ``*``), a
  day matching either one fires (``0 0 1 * 1``: the 1st of the month, and Mondays);
- when the clocks go back, a fixed-time schedule (neither minute nor hour starts with
  ``*``) fires once at a wall-clock time that happens twice, the first time; the others
  fire at every real occurrence (``0 * * * *`` fires twice in the repeated hour). A time
  skipped when the clocks go forward fires an hour later (02:30 becomes 03:30).

An interval schedule is due every `interval` seconds counted from when a scheduler first
saw it (kept in the store), so every process computes the same due times.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from .._config._sources import duration_text
from .._errors import ConfigError
from .._records._statuses import FireStatus

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from .._kernel import Spine
    from .._plugins._descriptors import ScheduleSpec

_TICK = timedelta(microseconds=1)
NAME_LENGTH = 200  # the store's column
# Each field: its name, APScheduler's keyword for it, and what it takes.
_CRON_FIELDS = (
    ("minute", "minute", "0-59"),
    ("hour", "hour", "0-23"),
    ("day-of-month", "day", "1-31"),
    ("month", "month", "1-12 or jan-dec"),
    ("day-of-week", "day_of_week", "0-7 or sun-sat (0 and 7 are Sunday)"),
)
_CRON_HELP = "five fields: minute hour day-of-month month day-of-week, like '0 6 * * 1' (Mondays at 06:00)"
_WEEKDAY_HELP = f"day-of-week values {_CRON_FIELDS[4][2]}, ranges, lists or steps"
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_WEEKDAY_PART = re.compile(r"^(?P<range>\*|(?P<first>\w+)(?:-(?P<last>\w+))?)(?:/(?P<step>\d+))?$")


@dataclass(frozen=True)
class Fire:
    """One due time of a schedule, as the store keeps it. Times are UTC."""

    schedule: str
    due_at: datetime
    status: FireStatus
    run_id: str | None = None
    fired_by: str = ""  # host:pid of the scheduler that recorded it
    recorded_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    reason: str = ""  # why it was missed, skipped or failed; what it coalesced

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of ``spine schedules history --json``."""
        return {
            "schedule": self.schedule,
            "due_at": self.due_at.isoformat(),
            "status": self.status.value,
            "run_id": self.run_id,
            "fired_by": self.fired_by,
            "recorded_at": _iso(self.recorded_at),
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "reason": self.reason or None,
        }


@dataclass(frozen=True)
class Schedule:
    """A schedule ready to fire: exactly one of `pipeline` and `workflow` runs with `params`,
    on `cron` (read in `timezone`) or every `interval` seconds. `origin` says where it was
    declared: ``settings`` or the plugin."""

    name: str
    pipeline: str | None
    workflow: str | None
    params: Mapping[str, str]
    cron: str | None
    interval: float | None
    timezone: str
    description: str
    origin: str
    _trigger: Any = field(repr=False, compare=False)

    @property
    def target(self) -> tuple[str, str]:
        """``("pipeline", name)`` or ``("workflow", name)``."""
        return ("pipeline", self.pipeline) if self.pipeline is not None else ("workflow", str(self.workflow))

    @property
    def when(self) -> str:
        """``cron 0 6 * * 1 (UTC)`` or ``every 15m``."""
        if self.cron is not None:
            return f"cron {self.cron} ({self.timezone})"
        return f"every {duration_text(self.interval or 0)}"

    @property
    def zone(self) -> ZoneInfo:
        """The time zone cron fields are read in."""
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)

    def next_due(self, after: datetime, first_seen: datetime) -> datetime | None:
        """The first due time strictly after `after` (UTC), or None when there is none.

        `first_seen` is when a scheduler first saw the schedule: intervals count from it.
        """
        if self.interval is not None:
            from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

            # Always from the interval's start, never chained from the previous fire:
            # each due time is the same instant, to the microsecond, in every process.
            start = first_seen + timedelta(seconds=self.interval)
            trigger = IntervalTrigger(seconds=self.interval, start_date=start, timezone=UTC)
            due = trigger.get_next_fire_time(None, after + _TICK)
            return None if due is None else due.astimezone(UTC)
        return _next_cron(self._trigger, after)

    def due_times(self, after: datetime, until: datetime, first_seen: datetime) -> Iterator[datetime]:
        """Every due time in (`after`, `until`], oldest first."""
        due = self.next_due(after, first_seen)
        while due is not None and due <= until:
            yield due
            due = self.next_due(due, first_seen)

    def to_dict(self) -> dict[str, Any]:
        """The schedule as the ``schedules`` setting spells it, and where it came from."""
        return {
            "name": self.name,
            "pipeline": self.pipeline,
            "workflow": self.workflow,
            "params": dict(self.params),
            "cron": self.cron,
            "interval": self.interval,
            "timezone": self.timezone,
            "description": self.description,
            "origin": self.origin,
        }


@dataclass(frozen=True)
class ScheduleState:
    """A schedule with its next due time (None: it never fires again) and its latest fire."""

    schedule: Schedule
    next_fire: datetime | None
    last_fire: Fire | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of ``spine schedules list --json``."""
        local = self.next_fire.astimezone(self.schedule.zone) if self.next_fire else None
        return {
            **self.schedule.to_dict(),
            "next_fire": _iso(self.next_fire),
            "next_fire_local": _iso(local),
            "last_fire": self.last_fire.to_dict() if self.last_fire else None,
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# -- building and checking ---------------------------------------------------------------


def check_timezone(name: Any) -> str:
    """`name` when it is an IANA time zone; otherwise `ValueError` saying what was expected."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

    if isinstance(name, str) and name.strip():
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    message = (
        f"unknown time zone {name!r}; expected an IANA name like 'UTC', 'Europe/Paris' or 'America/New_York'"
    )
    if isinstance(name, str):
        import difflib

        close = difflib.get_close_matches(name, sorted(available_timezones()), n=1)
        if close:
            message += f" (did you mean {close[0]!r}?)"
    raise ValueError(message)


def check_cron(expression: str, timezone: str) -> _Cron:
    """The APScheduler trigger for a five-field cron `expression` read in `timezone`.

    Raises `ValueError` naming the field at fault and what was expected.
    """
    from apscheduler.triggers.combining import OrTrigger  # type: ignore[import-untyped]
    from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

    fields = expression.split() if isinstance(expression, str) else []
    if len(fields) != 5:
        raise ValueError(f"{expression!r} is not a cron expression of {_CRON_HELP}")
    minute, hour, day, month, weekday = fields
    weekday = _weekdays(weekday)
    zone = check_timezone(timezone)
    try:
        if day.startswith("*") or fields[4].startswith("*"):
            trigger: Any = CronTrigger.from_crontab(f"{minute} {hour} {day} {month} {weekday}", zone)
        else:  # crontab(5): either day field matching is enough
            trigger = OrTrigger(
                [
                    CronTrigger.from_crontab(f"{minute} {hour} {day} {month} *", zone),
                    CronTrigger.from_crontab(f"{minute} {hour} * {month} {weekday}", zone),
                ]
            )
    except ValueError:
        raise ValueError(_field_problem([*fields[:4], weekday])) from None
    return _Cron(trigger, fixed_time=not (minute.startswith("*") or hour.startswith("*")))


def _field_problem(fields: list[str]) -> str:
    """What is wrong with the first field APScheduler refuses on its own."""
    from apscheduler.triggers.cron import CronTrigger

    for (label, keyword, expected), value in zip(_CRON_FIELDS, fields, strict=True):
        try:
            CronTrigger(timezone=UTC, **{keyword: value})
        except ValueError as exc:
            reason = re.sub(r"^Error validating expression '[^']*': ", "", str(exc))
            return f"{label} field {value!r}: {reason}; expected {expected}, ranges, lists or steps"
    return f"expected {_CRON_HELP}"


def _weekdays(text: str) -> str:
    """A crontab day-of-week field (0 or 7 Sunday) as APScheduler 3's weekday names."""
    days: set[int] = set()
    for part in text.lower().split(","):
        match = _WEEKDAY_PART.match(part)
        if match is None:
            raise ValueError(f"day-of-week field {text!r}: cannot read {part!r}; expected {_WEEKDAY_HELP}")
        step = int(match["step"] or 1)
        if match["range"] == "*":
            first, last = 0, 6
        else:
            first = _weekday(match["first"], text)
            if match["last"]:
                last = 7 if match["last"] == "sun" else _weekday(match["last"], text)  # mon-sun
            else:
                last = 7 if match["step"] else first  # 1/2: Monday, then every other day
        if last < first or step < 1:
            raise ValueError(f"day-of-week field {text!r}: {part!r} is not a range; expected {_WEEKDAY_HELP}")
        days.update(day % 7 for day in range(first, last + 1, step))
    if len(days) == 7:
        return "*"
    return ",".join(("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(day - 1) % 7] for day in sorted(days))


def _weekday(token: str, text: str) -> int:
    if token in _WEEKDAYS:
        return _WEEKDAYS.index(token)
    if token.isdigit() and int(token) <= 7:
        return int(token)
    raise ValueError(f"day-of-week field {text!r}: {token!r} is not a day; expected {_WEEKDAY_HELP}")


class _Cron(NamedTuple):
    trigger: Any  # APScheduler's
    fixed_time: bool  # neither minute nor hour starts with "*"


def _next_cron(cron: _Cron, after: datetime) -> datetime | None:
    # In UTC: arithmetic on a local time in a repeated hour would go back an hour.
    moment = after.astimezone(UTC)
    while True:
        due = cron.trigger.get_next_fire_time(None, moment + _TICK)
        if due is None:
            return None
        repeated = due.fold == 1 and due.replace(fold=0).utcoffset() != due.utcoffset()
        if not (repeated and cron.fixed_time):
            return due.astimezone(UTC)  # type: ignore[no-any-return]
        moment = due.astimezone(UTC)


def build(spec: ScheduleSpec, origin: str) -> Schedule:
    """The `Schedule` of `spec`; `ValueError` when its time zone or cron expression is wrong."""
    if len(spec.name) > NAME_LENGTH:
        raise ValueError(f"its name is longer than {NAME_LENGTH} characters")
    if spec.cron is None:
        check_timezone(spec.timezone)
        trigger = None
    else:
        trigger = check_cron(spec.cron, spec.timezone)
    return Schedule(
        spec.name,
        spec.pipeline,
        spec.workflow,
        dict(spec.params),
        spec.cron,
        spec.interval,
        spec.timezone,
        spec.description,
        origin,
        trigger,
    )


def load_schedules(kernel: Spine) -> tuple[list[Schedule], list[str]]:
    """Every schedule of the plugins and the settings, by name, and the problems found.

    A problem in the ``schedules`` setting (a wrong cron field, an unknown pipeline, a
    name a plugin uses too) raises `ConfigError` naming the entry and its origin; a
    plugin's broken schedule is left out and described in the problems returned.
    """
    from .._plugins._registry import _describe

    pipelines = set(kernel.plugins.names("pipeline"))
    schedules: dict[str, Schedule] = {}
    providers: dict[str, str] = {}
    problems: list[str] = []
    for record in kernel.plugins.records:
        for name in record.provides["schedule"]:
            providers[name] = _describe(record)
    for name in kernel.plugins.names("schedule"):
        spec: ScheduleSpec = kernel.plugins.get("schedule", name)  # type: ignore[assignment]
        origin = providers.get(name, "a plugin")
        try:
            schedule = build(spec, origin)
            if schedule.pipeline is not None and schedule.pipeline not in pipelines:
                raise ValueError(f"runs pipeline {schedule.pipeline!r}, which no plugin provides")
        except ValueError as exc:
            problems.append(f"schedule {name!r} of {origin} left out: {exc}")
            continue
        schedules[name] = schedule

    settings_origin = kernel.config.lookup("schedules")[1] or "default"
    for index, entry in enumerate(kernel.settings.schedules):
        where = f"schedules[{index}]"

        def invalid(what: str, message: str, *, _where: str = where) -> ConfigError:
            problem = f"{_where}{what} (from {settings_origin}): {message}"
            return ConfigError(f"invalid settings: {problem}", context={"problems": [problem]})

        if entry.name in schedules:
            raise invalid(
                ".name",
                f"schedule {entry.name!r} is also provided by {schedules[entry.name].origin}; "
                "give this one another name",
            )
        if entry.pipeline is not None and entry.pipeline not in pipelines:
            import difflib

            close = difflib.get_close_matches(entry.pipeline, sorted(pipelines), n=1)
            hint = (
                f"; did you mean {close[0]!r}?" if close else f"; available: {', '.join(sorted(pipelines))}"
            )
            raise invalid(".pipeline", f"unknown pipeline {entry.pipeline!r}{hint}")
        try:
            schedules[entry.name] = build(entry.spec(), "settings")
        except ValueError as exc:
            raise invalid(".cron", str(exc)) from None
    return [schedules[name] for name in sorted(schedules)], problems
