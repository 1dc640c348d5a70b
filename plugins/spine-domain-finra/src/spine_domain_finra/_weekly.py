"""The pipelines: ``finra.otc_weekly`` (one week's file) and ``finra.samples`` (the shipped files)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

from spine import Check, ConfigError, RunContext, Target, WriteMode

from . import _derived
from ._file import FileRows, open_file
from ._table import KEYS, TABLE

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

    Params: ``file`` (a website download file) and ``week`` (the week's Monday,
    YYYY-MM-DD: the file does not say which week it holds).
    """

    def run(self, context: RunContext) -> None:
        params = context.params
        unknown = sorted(set(params) - {"file", "week"})
        if unknown:
            raise ConfigError(
                f"finra.otc_weekly: unknown param(s) {', '.join(unknown)}; expected file and week"
            )
        if not params.get("file"):
            raise ConfigError("finra.otc_weekly: param 'file' is required (a FINRA website download file)")
        week = parse_week(params.get("week"))
        load_file(context, str(params["file"]), week)
        _derived.rebuild(context.store, [week])


class Samples:
    """Loads every synthetic file shipped with the plugin (see scripts/finra_samples.py)."""

    def run(self, context: RunContext) -> None:
        folder = Path(str(files("spine_domain_finra") / "samples"))
        listed = json.loads((folder / "samples.json").read_text(encoding="utf-8"))
        weeks = sorted({parse_week(entry["week"]) for entry in listed})
        for entry in listed:
            load_file(context, str(folder / entry["file"]), parse_week(entry["week"]))
        _derived.rebuild(context.store, weeks)


def load_file(context: RunContext, path: str, week: date) -> None:
    rows = FileRows(week, context.run_id, datetime.now(UTC).replace(tzinfo=None))
    source = open_file(context.kernel, path)
    context.load(source, Target(TABLE, WriteMode.MERGE, KEYS), transforms=[rows], checks=CHECKS)
    if rows.without_symbol:
        context.log.warning(
            "%s: %d row(s) without a symbol, kept as FINRA published them", path, rows.without_symbol
        )


def parse_week(value: Any, today: date | None = None) -> date:
    """The Monday a week starts on, from YYYY-MM-DD; not in the future."""
    try:
        week = date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"param 'week': expected the week's Monday as YYYY-MM-DD, got {value!r}") from None
    if week.weekday() != 0:
        raise ConfigError(f"param 'week': {week} is a {week:%A}; FINRA weeks start on a Monday")
    if week > (today or date.today()):
        raise ConfigError(f"param 'week': {week} is in the future")
    return week
