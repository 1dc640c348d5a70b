"""Helpers shared by the PostgreSQL store tests."""

from __future__ import annotations

import time
from urllib.parse import quote

from spine import Field, Schema
from spine_store_postgres._store import lock_key

KEYED = Schema((Field("k", "string"), Field("n", "integer"), Field("v", "string")))


class Broken(Exception):
    """What a source raises half-way through a load."""


def with_params(url, **params):
    """`url` with libpq parameters added (``options="-csearch_path=x"``, ``application_name=...``)."""
    query = "&".join(f"{name}={quote(value, safe='')}" for name, value in params.items())
    return f"{url}{'&' if '?' in url else '?'}{query}"


def rows_of(db, table, order_by="k"):
    return db.execute(f'SELECT * FROM "{table}" ORDER BY "{order_by}"').fetchall()


def advisory_locks(db, name, *, granted):
    """How many sessions hold (`granted`) or wait for (not `granted`) the store's lock `name`
    in `db`'s current schema."""
    (schema,) = db.execute("SELECT current_schema()").fetchone()
    unsigned = lock_key(f"{schema}.{name}") % 2**64
    (count,) = db.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1"
        " AND classid = %s::bigint::oid AND objid = %s::bigint::oid AND granted = %s",
        (unsigned >> 32, unsigned & 0xFFFFFFFF, granted),
    ).fetchone()
    return count


def wait_until(condition, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting until {what}")
        time.sleep(0.02)
