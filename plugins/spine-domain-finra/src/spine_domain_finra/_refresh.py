"""``finra.weekly_refresh``: the partitions FINRA should have published by today, from the API.

FINRA publishes a week's T1 data on the Monday 21 days after the week's Monday, and
T2 and OTCE data 35 days after. Firms restate, and FINRA rewrites the last few weeks:
so a refresh loads the published weeks the table lacks, newer than the newest it
has, and fetches the last three published weeks again.
"""

from __future__ import annotations

from datetime import date, timedelta

from spine import RunContext, Store

from . import _derived
from ._params import PER_FIRM, TIERS
from ._table import TABLE
from ._weekly import Kept, load_api

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
    fetches the last three published weeks again. Params (declared in `_params`):
    ``today`` (for a catch-up run as of another day), ``tiers`` and ``derived`` (false
    leaves the derived tables to a later ``finra.derived``, as the ``finra.weekly``
    workflow does: its tiers load side by side, then derive once)."""

    def run(self, context: RunContext) -> None:
        today = context.params.get("today") or date.today()
        touched: set[date] = set()
        kept = Kept()
        for tier in context.params["tiers"]:
            for week in due(tier, today, loaded_weeks(context.store, tier)):
                context.log.info("finra.weekly_refresh: %s week of %s", tier, week)
                load_api(context, week, tier, list(PER_FIRM), kept)
                touched.add(week)
        kept.tell(context)
        if context.params["derived"]:
            _derived.rebuild(context.store, sorted(touched))


class Derive:
    """``finra.derived``: rebuilds the derived tables for the weeks that lack them and for
    the weeks a refresh fetches again (the last three published of each tier, as of
    ``today``), so that after any refresh every week's derived rows match its raw rows."""

    def run(self, context: RunContext) -> None:
        today = context.params.get("today") or date.today()
        store = context.store
        present = loaded_weeks(store)
        derived = loaded_weeks(store, table=_derived.SYMBOL_WEEKLY)
        recent = {
            newest_published(tier, today) - timedelta(weeks=back) for tier in TIERS for back in range(REFETCH)
        }
        weeks = sorted(present & ((present - derived) | recent))
        context.log.info("finra.derived: rebuilding %d week(s)", len(weeks))
        _derived.rebuild(store, weeks)
        context.count(read=len(weeks), written=len(weeks))


def loaded_weeks(store: Store, tier: str | None = None, table: str = TABLE) -> set[date]:
    """The weeks `table` has rows for (of `tier` only, when given); none when it does not exist."""
    if not store.declared_columns(table):
        return set()
    sql = f"SELECT DISTINCT week_start_date FROM {table}" + (" WHERE tier = ?" if tier else "")
    with store.transaction() as session:
        rows = session.query(sql, [tier] if tier else [])
    return {value if isinstance(value, date) else date.fromisoformat(str(value)) for (value,) in rows}
