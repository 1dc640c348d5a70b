"""The pipelines: ``finra.otc_weekly`` (one week's file) and ``finra.samples`` (the shipped files)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from importlib.resources import files
from pathlib import Path

from spine import Check, ConfigError, RunContext, Source, SourceError, Target, WriteMode

from . import _derived
from ._api import ApiRows, open_api
from ._file import FileRows, open_file
from ._params import PER_FIRM
from ._table import KEYS, TABLE, Held, TableRows

CHECKS = (
    Check(
        "total_weekly_share_quantity is negative",
        ("total_weekly_share_quantity",),
        lambda q: q is None or q >= 0,
    ),
    Check(
        "total_weekly_trade_count is negative", ("total_weekly_trade_count",), lambda n: n is None or n >= 0
    ),
    Check(
        "last_update_date is before the week",
        ("week_start_date", "last_update_date"),
        lambda week, updated: updated is None or updated >= week,
    ),
)


class OtcWeekly:
    """Loads one week of FINRA OTC weekly data into ``finra_otc_weekly`` (merge on the
    natural key) and rebuilds the derived tables for that week.

    Params (declared in `_params`, parsed by the kernel): ``week`` (the week's Monday),
    and either ``file`` (a website download file, which does not say which week it
    holds) or ``source=api`` with ``tier`` and ``summary_types`` (by default the
    per-firm ones). Which go with which source is checked here.
    """

    def run(self, context: RunContext) -> None:
        params = context.params
        week = check_week(params["week"])
        source = params["source"]
        needed, refused = ("file", ("tier", "summary_types")) if source == "file" else ("tier", ("file",))
        extra = [name for name in refused if name in params]
        if extra:
            raise ConfigError(
                f"finra.otc_weekly: param(s) {', '.join(extra)} do not go with source={source}",
                context={"params": extra},
            )
        if not params.get(needed):
            raise ConfigError(f"finra.otc_weekly: param {needed!r} is required with source={source}")
        kept = Kept()
        if source == "file":
            load_file(context, params["file"], week, kept)
        else:
            load_api(context, week, params["tier"], _summary_types(params.get("summary_types")), kept)
        kept.tell(context)
        _derived.rebuild(context.store, [week])


class Samples:
    """Loads every synthetic file shipped with the plugin (see scripts/finra_samples.py)."""

    def run(self, context: RunContext) -> None:
        folder = Path(str(files("spine_domain_finra") / "samples"))
        listed = json.loads((folder / "samples.json").read_text(encoding="utf-8"))
        weeks = sorted({check_week(date.fromisoformat(entry["week"])) for entry in listed})
        kept = Kept()
        for entry in listed:
            load_file(context, str(folder / entry["file"]), date.fromisoformat(entry["week"]), kept)
        kept.tell(context)
        _derived.rebuild(context.store, weeks)


class Kept:
    """What the loads of one run kept as FINRA published it, told once when the run has
    loaded everything: a run of nine files says it once, not nine times."""

    def __init__(self) -> None:
        self.without_symbol: dict[str, int] = {}  # where -> rows
        self.older: dict[str, int] = {}

    def add(self, rows: TableRows, where: str) -> None:
        if rows.without_symbol:
            self.without_symbol[where] = self.without_symbol.get(where, 0) + rows.without_symbol
        if rows.older:
            self.older[where] = self.older.get(where, 0) + rows.older

    def tell(self, context: RunContext) -> None:
        if self.without_symbol:
            context.warn(
                f"{sum(self.without_symbol.values())} row(s) without a symbol, kept as FINRA published "
                f"them ({_where(self.without_symbol)})"
            )
        if self.older:
            context.log.info(
                "%d row(s) left as they are, the table holding a newer restatement (%s)",
                sum(self.older.values()),
                _where(self.older),
            )


def _where(counts: dict[str, int]) -> str:
    """``2 in T1.psv, 1 in T2.psv`` (the first three places, then how many more)."""
    named = [f"{count} in {where}" for where, count in list(counts.items())[:3]]
    more = len(counts) - len(named)
    return ", ".join(named) + (f" and {more} more file(s) or partition(s)" if more else "")


def load_file(context: RunContext, path: str, week: date, kept: Kept) -> None:
    rows = FileRows(week, context.run_id, _now(), Held.read(context.store, week))
    _load(context, open_file(context.kernel, path), rows)
    kept.add(rows, Path(path).name)


def load_api(context: RunContext, week: date, tier: str, summary_types: list[str], kept: Kept) -> None:
    source = open_api(context.kernel, week, tier, summary_types)
    try:
        rows = ApiRows(week, context.run_id, _now(), Held.read(context.store, week))
        _load(context, source, rows)
        kept.add(rows, f"the FINRA API's {tier} {week}")
    except SourceError as exc:
        if exc.context.get("status") in (401, 403) and not source.secrets():
            raise SourceError(
                f"{exc}; FINRA wants credentials for this data: set SPINE_FINRA_CLIENT_ID and "
                "SPINE_FINRA_CLIENT_SECRET",
                context=exc.context,
            ) from exc
        raise


def _load(context: RunContext, source: Source, rows: TableRows) -> None:
    context.load(source, Target(TABLE, WriteMode.MERGE, KEYS), transforms=[rows], checks=CHECKS)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # spine's timestamps are naive UTC


def _summary_types(names: tuple[str, ...] | None) -> list[str]:
    if names is None:
        return list(PER_FIRM)
    if not all(name.replace("_", "").isalnum() and name.isupper() for name in names):
        raise ConfigError(
            f"param 'summary_types': expected codes like {','.join(PER_FIRM)}, got {','.join(names)!r}"
        )
    return list(names)


def check_week(week: date, today: date | None = None) -> date:
    """`week` when it is a Monday, not in the future; `ConfigError` otherwise."""
    if week.weekday() != 0:
        raise ConfigError(f"param 'week': {week} is a {week:%A}; FINRA weeks start on a Monday")
    if week > (today or date.today()):
        raise ConfigError(f"param 'week': {week} is in the future")
    return week
