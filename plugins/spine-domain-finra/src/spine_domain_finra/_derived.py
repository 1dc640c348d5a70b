"""Tables derived from ``finra_otc_weekly``, rebuilt in SQL inside the store for the weeks a run touched.

Only the per-firm summary types are summed (ATS_W_SMBL_FIRM for ATS venues,
OTC_W_SMBL_FIRM for other firms): FINRA's per-symbol and per-firm totals already add
those rows up, and summing across summary types would count volume twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from spine import Field, Schema, Store

from ._table import ATS_FIRM, NON_ATS_FIRM, TABLE

_SHARES = Field("shares", "decimal", precision=28, scale=6)

SYMBOL_WEEKLY = "finra_otc_symbol_weekly"
VENUE_SHARE = "finra_otc_venue_share"
CONCENTRATION = "finra_otc_concentration"

SCHEMAS = {
    SYMBOL_WEEKLY: Schema(
        (
            Field("week_start_date", "date", nullable=False),
            Field("tier", "string", nullable=False, length=4),
            Field("symbol", "string", nullable=False, length=20),
            Field("ats_shares", "decimal", precision=28, scale=6),
            Field("ats_trades", "integer"),
            Field("non_ats_shares", "decimal", precision=28, scale=6),
            Field("non_ats_trades", "integer"),
            Field("total_shares", "decimal", precision=28, scale=6),
            Field("total_trades", "integer"),
            Field("ats_share", "float"),  # of total_shares, 0 to 1
        )
    ),
    VENUE_SHARE: Schema(
        (
            Field("week_start_date", "date", nullable=False),
            Field("tier", "string", nullable=False, length=4),
            Field("venue", "string", nullable=False, length=200),  # the MPID, or the firm's name without one
            Field("summary_type", "string", nullable=False, length=20),
            _SHARES,
            Field("trades", "integer"),
            Field("share_of_tier", "float"),
            Field("rank", "integer"),
        )
    ),
    CONCENTRATION: Schema(
        (
            Field("week_start_date", "date", nullable=False),
            Field("tier", "string", nullable=False, length=4),
            Field("symbol", "string", nullable=False, length=20),
            Field("venues", "integer"),
            Field("hhi", "float"),  # Herfindahl-Hirschman index over venues, 0 to 10,000
        )
    ),
}

_FIRM_ROWS = (
    f"FROM {TABLE} WHERE summary_type IN ('{ATS_FIRM}', '{NON_ATS_FIRM}') AND week_start_date IN ({{weeks}})"
)
_ATS_SHARES = f"SUM(CASE WHEN summary_type = '{ATS_FIRM}' THEN total_weekly_share_quantity ELSE 0 END)"
_VENUE = "CASE WHEN mpid <> '' THEN mpid ELSE market_participant_name END"

_SELECTS = {
    SYMBOL_WEEKLY: f"""
        SELECT week_start_date, tier, symbol,
            {_ATS_SHARES},
            SUM(CASE WHEN summary_type = '{ATS_FIRM}' THEN total_weekly_trade_count ELSE 0 END),
            SUM(CASE WHEN summary_type = '{NON_ATS_FIRM}' THEN total_weekly_share_quantity ELSE 0 END),
            SUM(CASE WHEN summary_type = '{NON_ATS_FIRM}' THEN total_weekly_trade_count ELSE 0 END),
            SUM(total_weekly_share_quantity),
            SUM(total_weekly_trade_count),
            CASE WHEN SUM(total_weekly_share_quantity) > 0
                THEN CAST({_ATS_SHARES} AS DOUBLE PRECISION)
                    / CAST(SUM(total_weekly_share_quantity) AS DOUBLE PRECISION)
            END
        {_FIRM_ROWS}
        GROUP BY week_start_date, tier, symbol""",
    VENUE_SHARE: f"""
        SELECT week_start_date, tier, venue, summary_type, shares, trades,
            CASE WHEN tier_shares > 0
                THEN CAST(shares AS DOUBLE PRECISION) / CAST(tier_shares AS DOUBLE PRECISION) END,
            RANK() OVER (PARTITION BY week_start_date, tier ORDER BY shares DESC)
        FROM (
            SELECT week_start_date, tier, venue, summary_type, shares, trades,
                SUM(shares) OVER (PARTITION BY week_start_date, tier) AS tier_shares
            FROM (
                SELECT week_start_date, tier, {_VENUE} AS venue, summary_type,
                    SUM(total_weekly_share_quantity) AS shares, SUM(total_weekly_trade_count) AS trades
                {_FIRM_ROWS}
                GROUP BY week_start_date, tier, {_VENUE}, summary_type
            ) AS venues
        ) AS shared""",
    CONCENTRATION: f"""
        SELECT week_start_date, tier, symbol, COUNT(*),
            SUM(100.0 * 100.0 * CAST(shares AS DOUBLE PRECISION) * CAST(shares AS DOUBLE PRECISION)
                / (CAST(symbol_shares AS DOUBLE PRECISION) * CAST(symbol_shares AS DOUBLE PRECISION)))
        FROM (
            SELECT week_start_date, tier, symbol, shares,
                SUM(shares) OVER (PARTITION BY week_start_date, tier, symbol) AS symbol_shares
            FROM (
                SELECT week_start_date, tier, symbol, {_VENUE} AS venue,
                    SUM(total_weekly_share_quantity) AS shares
                {_FIRM_ROWS}
                GROUP BY week_start_date, tier, symbol, {_VENUE}
            ) AS venues
        ) AS shared
        WHERE symbol_shares > 0
        GROUP BY week_start_date, tier, symbol""",
}


def rebuild(store: Store, weeks: Sequence[date]) -> None:
    """Recompute every derived table for `weeks`, in one transaction with a lock of its own."""
    if not weeks:
        return
    marks = ", ".join("?" for _ in weeks)
    quote = store.dialect.quote
    with store.transaction(lock=f"{TABLE}:derived") as session:
        for table, schema in SCHEMAS.items():
            if not store.declared_columns(table):
                session.execute(store.dialect.create_table(table, schema))
            session.execute(f"DELETE FROM {quote(table)} WHERE week_start_date IN ({marks})", list(weeks))
            columns = ", ".join(map(quote, schema.names))
            select = _SELECTS[table].format(weeks=marks)
            session.execute(f"INSERT INTO {quote(table)} ({columns}) {select}", list(weeks))
