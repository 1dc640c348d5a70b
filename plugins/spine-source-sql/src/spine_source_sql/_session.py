"""One read: a connection in a read-only transaction over one snapshot, the database's
clock read no later than that snapshot, and the statement timeout, per database.

- PostgreSQL: ``REPEATABLE READ READ ONLY``, ``statement_timeout``, time zone UTC.
- MariaDB/MySQL: ``START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY``, time zone
  UTC, ``max_statement_time`` (MariaDB) or ``max_execution_time`` (MySQL).
- SQLite: the file opened ``mode=ro`` with ``query_only``; one ``BEGIN`` read
  transaction; a progress handler interrupts a statement past the timeout.
- Db2: one transaction in the connection's isolation, its clock read in UTC; the query
  check and the database user's rights are what keep it read-only (Db2 has no read-only
  transaction), and no statement timeout is set.
- Others: one transaction in the dialect's default isolation.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NamedTuple

import spine
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine


class Read(NamedTuple):
    """An open read: its connection, and the database's time (naive UTC) at its start."""

    connection: Connection
    now: datetime


@contextmanager
def read_transaction(engine: Engine, timeout: float | None) -> Iterator[Read]:
    """A connection in a read-only snapshot transaction, rolled back at the end."""
    name = engine.dialect.name
    with engine.connect() as connection:
        if name == "postgresql":
            now = _postgres(connection, timeout)
        elif name in ("mysql", "mariadb"):
            now = _mysql(connection, timeout)
        elif name == "sqlite":
            now = _sqlite(connection, timeout)
        elif name == "ibm_db_sa":
            connection.begin()
            # CURRENT TIMESTAMP is the server's local time: less its zone, UTC.
            now = connection.exec_driver_sql(
                "SELECT CURRENT TIMESTAMP - CURRENT TIMEZONE FROM SYSIBM.SYSDUMMY1"
            ).scalar_one()
        else:
            connection.begin()
            now = connection.execute(sa.select(sa.func.current_timestamp())).scalar_one()
        try:
            yield Read(connection, spine.naive_utc(_as_datetime(now)))
        finally:
            connection.rollback()


def _postgres(connection: Connection, timeout: float | None) -> Any:
    connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    connection.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")
    if timeout is not None:
        connection.execute(
            sa.text("SELECT set_config('statement_timeout', :ms, true)"), {"ms": f"{int(timeout * 1000)}ms"}
        )
    # now() is the transaction's start: before the snapshot, which its first query takes.
    return connection.exec_driver_sql("SELECT now()").scalar_one()


def _mysql(connection: Connection, timeout: float | None) -> Any:
    connection.exec_driver_sql("SET SESSION time_zone = '+00:00'")
    if timeout is not None:
        if connection.dialect.is_mariadb:  # type: ignore[attr-defined]
            connection.execute(sa.text("SET SESSION max_statement_time = :s"), {"s": timeout})
        else:
            connection.execute(sa.text("SET SESSION max_execution_time = :ms"), {"ms": int(timeout * 1000)})
    connection.exec_driver_sql("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    # Read before the snapshot is taken, so that no row the snapshot lacks is older than it.
    now = connection.exec_driver_sql("SELECT UTC_TIMESTAMP(6)").scalar_one()
    connection.exec_driver_sql("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
    return now


def _sqlite(connection: Connection, timeout: float | None) -> Any:
    raw: Any = connection.connection.dbapi_connection
    if timeout is not None:
        deadline = time.monotonic() + timeout
        # A non-zero answer interrupts the statement running ("interrupted").
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    connection.exec_driver_sql("BEGIN")
    return connection.exec_driver_sql("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')").scalar_one()


def _as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
