"""The pipelines: ``finra.otc_weekly`` (one week's file) and ``finra.samples`` (the shipped files)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

from spine import Check, ConfigError, RunContext, Source, SourceError, Target, WriteMode

from . import _derived
from ._api import PER_FIRM, TIERS, ApiRows, open_api
from ._file import FileRows, open_file
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

    Params: ``week`` (the week's Monday, YYYY-MM-DD), and either ``file`` (a website
    download file, which does not say which week it holds) or ``source=api`` with
    ``tier`` (T1, T2 or OTCE) and ``summary_types`` (comma-separated; by default the
    per-firm ones, ATS_W_SMBL_FIRM and OTC_W_SMBL_FIRM).
    """

    def run(self, context: RunContext) -> None:
        params = context.params
        source = str(params.get("source") or "file")
        expected = {"file": {"source", "file", "week"}, "api": {"source", "week", "tier", "summary_types"}}
        if source not in expected:
            raise ConfigError(f"finra.otc_weekly: param 'source': expected file or api, got {source!r}")
        unknown = sorted(set(params) - expected[source])
        if unknown:
            raise ConfigError(
                f"finra.otc_weekly: unknown param(s) {', '.join(unknown)} with source={source}; "
                f"expected {', '.join(sorted(expected[source]))}"
            )
        week = parse_week(params.get("week"))
        if source == "file":
            if not params.get("file"):
                raise ConfigError(
                    "finra.otc_weekly: param 'file' is required (a FINRA website download file)"
                )
            load_file(context, str(params["file"]), week)
        else:
            load_api(context, week, _tier(params.get("tier")), _summary_types(params.get("summary_types")))
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
    rows = FileRows(week, context.run_id, _now(), Held.read(context.store, week))
    _load(context, open_file(context.kernel, path), rows, path)


def load_api(context: RunContext, week: date, tier: str, summary_types: list[str]) -> None:
    source = open_api(context.kernel, week, tier, summary_types)
    try:
        rows = ApiRows(week, context.run_id, _now(), Held.read(context.store, week))
        _load(context, source, rows, f"the FINRA API, {tier} {week}")
    except SourceError as exc:
        if exc.context.get("status") in (401, 403) and not source.secrets():
            raise SourceError(
                f"{exc}; FINRA wants credentials for this data: set SPINE_FINRA_CLIENT_ID and "
                "SPINE_FINRA_CLIENT_SECRET",
                context=exc.context,
            ) from exc
        raise


def _load(context: RunContext, source: Source, rows: TableRows, where: str) -> None:
    context.load(source, Target(TABLE, WriteMode.MERGE, KEYS), transforms=[rows], checks=CHECKS)
    if rows.older:
        context.log.info(
            "%s: %d row(s) left as they are: the table holds a newer restatement", where, rows.older
        )
    if rows.without_symbol:
        context.log.warning(
            "%s: %d row(s) without a symbol, kept as FINRA published them", where, rows.without_symbol
        )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # spine's timestamps are naive UTC


def _tier(value: Any) -> str:
    if value not in TIERS:
        raise ConfigError(f"param 'tier': expected one of {', '.join(TIERS)}, got {value!r}")
    return str(value)


def _summary_types(value: Any) -> list[str]:
    if value is None:
        return list(PER_FIRM)
    names = [name.strip() for name in str(value).split(",") if name.strip()]
    if not names or not all(name.replace("_", "").isalnum() and name.isupper() for name in names):
        raise ConfigError(
            f"param 'summary_types': expected codes like ATS_W_SMBL_FIRM,OTC_W_SMBL_FIRM, got {value!r}"
        )
    return names


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
