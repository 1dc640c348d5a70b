"""The table ``finra_otc_weekly``: one row per row FINRA published, on every store.

Key columns are NOT NULL (a merge key cannot hold NULL), so a value FINRA leaves out
of the key (no MPID on a non-ATS row, no CRD or product type in a website file) is
stored as the empty string.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from spine import Batch, Field, Reject, Schema, Store

TABLE = "finra_otc_weekly"

# The natural key within a (week, tier) partition, as FINRA.md gives it: a symbol can
# change tape or be reassigned within a week and then appears twice. The issue name
# (200 characters and more) takes part as its SHA-1: Db2 allows an index key a quarter
# of the page size, 1 KB on its default 4 KB pages, and counts VARCHAR in bytes.
KEYS = (
    "week_start_date",
    "tier",
    "summary_type",
    "symbol",
    "mpid",
    "firm_crd",
    "product_type",
    "issue_key",
)

SCHEMA = Schema(
    (
        Field("week_start_date", "date", nullable=False),
        Field("tier", "string", nullable=False, length=4),
        Field("summary_type", "string", nullable=False, length=20),
        Field("symbol", "string", nullable=False, length=20),
        Field("issue_name", "string", nullable=False, length=400),
        Field("issue_key", "string", nullable=False, length=40),  # SHA-1 of issue_name, in hex
        Field("mpid", "string", nullable=False, length=8),
        Field("firm_crd", "string", nullable=False, length=12),
        Field("market_participant_name", "string", length=200),
        Field("product_type", "string", nullable=False, length=10),
        # Fractional since 2026: a decimal, never a float or an integer.
        Field("total_weekly_share_quantity", "decimal", precision=24, scale=6),
        Field("total_weekly_trade_count", "integer"),
        Field("total_notional_sum", "decimal", precision=24, scale=2),
        Field("initial_published_date", "date"),
        Field("last_update_date", "date"),
        Field("source", "string", length=4),
        Field("run_id", "string", length=32),
        Field("captured_at", "timestamp"),
    )
)

TIERS = {"NMS Tier 1": "T1", "NMS Tier 2": "T2", "OTC": "OTCE"}
ATS_FIRM = "ATS_W_SMBL_FIRM"
NON_ATS_FIRM = "OTC_W_SMBL_FIRM"


def issue_key(issue_name: str) -> str:
    return hashlib.sha1(issue_name.encode()).hexdigest()


class TableRows:
    """A `spine.Transform` to the table's rows, for one week; a subclass says how it
    reads one input row (`read`), as the values of the table's columns from `tier`
    to `last_update_date` (`issue_key` aside, made here), or the reason it cannot.

    With `held` (what the table holds for the week), a row whose data is unchanged
    keeps the run and the time that first captured it, so loading the same week again
    changes nothing; and a row older than the one held (a restatement loaded before
    an earlier file) is left out, so the newer one stays.
    """

    source: ClassVar[str]

    def __init__(self, week: date, run_id: str, captured_at: datetime, held: Held | None = None) -> None:
        self.week, self.run_id, self.captured_at = week, run_id, captured_at
        self.held = held or Held({})
        self.without_symbol = 0  # real FINRA rows: kept, and counted as a warning
        self.older = 0  # rows left out because the table holds a newer restatement

    def schema(self, schema: Schema) -> Schema:
        return SCHEMA

    def read(self, row: tuple[Any, ...]) -> tuple[Any, ...] | str:
        raise NotImplementedError

    def apply(self, batch: Batch) -> Batch:
        rows, positions, raw = [], [], []
        rejects = list(batch.rejects)
        for index, row in enumerate(batch.rows):
            values = self.read(row)
            if isinstance(values, str):
                rejects.append(Reject(batch.origin, batch.positions[index], batch.text(index), values))
                continue
            tier, summary_type, symbol, name, mpid, crd, participant, product, *rest = values
            if not symbol:
                self.without_symbol += 1
            # Key columns hold "" where FINRA gives nothing: a merge key cannot be NULL.
            name = name or ""
            keys = (summary_type or "", symbol or "", name, issue_key(name), mpid or "", crd or "")
            data = (self.week, tier, *keys, participant, product or "", *rest, self.source)
            settled = self.held.settle(data, self.run_id, self.captured_at)
            if settled is None:
                self.older += 1
                continue
            rows.append(settled)
            positions.append(batch.positions[index])
            if batch.raw:
                raw.append(batch.raw[index])
        rejects.sort(key=lambda reject: reject.position or 0)
        return Batch(rows, positions, batch.origin, rejects, raw)


_KEY_INDEXES = [SCHEMA.index(name) for name in KEYS]
_UPDATED = SCHEMA.index("last_update_date")
_DATA = len(SCHEMA.fields) - 2  # every column but run_id and captured_at


class Held:
    """The rows the table holds for a week: by key, their data (comparable whatever
    the store returns), and the run and time that captured them."""

    def __init__(self, rows: dict[tuple[Any, ...], tuple[tuple[Any, ...], Any, Any]]) -> None:
        self.rows = rows

    @classmethod
    def read(cls, store: Store, week: date) -> Held:
        if not store.declared_columns(TABLE):
            return cls({})
        names = ", ".join(map(store.dialect.quote, SCHEMA.names))
        with store.transaction() as session:
            found = session.query(f"SELECT {names} FROM {TABLE} WHERE week_start_date = ?", [week])
        return cls({_key(row): (_comparable(row[:_DATA]), row[_DATA], row[_DATA + 1]) for row in found})

    def settle(self, data: tuple[Any, ...], run_id: str, captured_at: datetime) -> tuple[Any, ...] | None:
        """The row to write for `data`; None when the table holds a newer restatement."""
        held = self.rows.get(_key(data))
        if held is None:
            return (*data, run_id, captured_at)
        held_data, held_run, held_at = held
        comparable = _comparable(data)
        if held_data == comparable:
            return (*data, held_run, held_at)
        updated, held_updated = comparable[_UPDATED], held_data[_UPDATED]
        if updated is not None and held_updated is not None and updated < held_updated:
            return None
        return (*data, run_id, captured_at)


def _key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(str(row[index]) for index in _KEY_INDEXES)


def _comparable(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """Values as text and exact numbers, so that what a store returns (SQLite: dates as
    text, decimals as floats) compares with what a source gives."""
    return tuple(_comparable_value(value) for value in values)


def _comparable_value(value: Any) -> Any:
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value)).normalize()
    if isinstance(value, date):
        return value.isoformat()[:10]
    return str(value)
