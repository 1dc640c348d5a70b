"""``finra.weekly_refresh``: the partitions FINRA should have published by today, from the API.

FINRA publishes a week's T1 data on the Monday 21 days after the week's Monday, and
T2 and OTCE data 35 days after. Firms restate, and FINRA rewrites the last few weeks:
so a refresh loads the published weeks the table lacks, newer than the newest it
has, and fetches the last three published weeks again.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from spine import ConfigError, RunContext

from . import _derived
from ._api import PER_FIRM, TIERS
from ._table import TABLE
from ._weekly import load_api

LAGS = {"T1": 21, "T2": 35, "OTCE": 35}  # days from a week's Monday to its publication
REFETCH = 3  # the newest published weeks, fetched again for restatements


def newest_published(tier: str, today: date) -> date:
    """The Monday of the newest week of `tier` FINRA has published by `today`."""
    published_by = today - timedelta(days=LAGS[tier])
    return published_by - timedelta(days=published_by.weekday())


def due(tier: str, today: date, loaded: set[date]) -> list[date]:
    """The weeks of `tier` a refresh loads: those missing after the newest loaded, and
    the last `REFETCH` published weeks, oldest first."""
    newest = newest_published(tier, today)
    recent = {newest - timedelta(weeks=back) for back in range(REFETCH)}
    after = max(loaded, default=newest - timedelta(weeks=REFETCH))
    missing = set()
    week = after + timedelta(weeks=1)
    while week <= newest:
        missing.add(week)
        week += timedelta(weeks=1)
    return sorted(recent | missing)


class WeeklyRefresh:
    """Loads what FINRA should have published by today and is not in the table, and
    fetches the last three published weeks again. Params: ``today`` (YYYY-MM-DD, for a
    catch-up run as of another day) and ``tiers`` (comma-separated; all three by default)."""

    def run(self, context: RunContext) -> None:
        today = _today(context.params.get("today"))
        tiers = _tiers(context.params.get("tiers"))
        touched: set[date] = set()
        for tier in tiers:
            loaded = self._loaded(context, tier)
            for week in due(tier, today, loaded):
                context.log.info("finra.weekly_refresh: %s week of %s", tier, week)
                load_api(context, week, tier, list(PER_FIRM))
                touched.add(week)
        _derived.rebuild(context.store, sorted(touched))

    def _loaded(self, context: RunContext, tier: str) -> set[date]:
        store = context.store
        if not store.declared_columns(TABLE):
            return set()
        with store.transaction() as session:
            rows = session.query(f"SELECT DISTINCT week_start_date FROM {TABLE} WHERE tier = ?", [tier])
        return {value if isinstance(value, date) else date.fromisoformat(str(value)) for (value,) in rows}


def _today(value: Any) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"param 'today': expected YYYY-MM-DD, got {value!r}") from None


def _tiers(value: Any) -> list[str]:
    if value is None:
        return list(TIERS)
    tiers = [tier.strip() for tier in str(value).split(",") if tier.strip()]
    unknown = [tier for tier in tiers if tier not in TIERS]
    if unknown or not tiers:
        raise ConfigError(f"param 'tiers': expected some of {', '.join(TIERS)}, got {value!r}")
    return tiers
