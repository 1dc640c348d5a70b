"""`PostgresStore`: the `spine.Store` for ``postgresql://`` URLs."""

from __future__ import annotations

import hashlib
import itertools
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import TupleRow
from spine import ConfigError, LoadError, Redactor, Schema, Store, Target

from ._dialect import PostgresDialect
from ._errors import is_connection_error, load_error, one_line
from ._load import Load
from ._session import PostgresSession

log = logging.getLogger("spine.store.postgres")

_COLUMNS = """
SELECT a.attname, pg_catalog.format_type(a.atttypid, NULL)
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relname = %s AND c.relkind IN ('r', 'p', 'f', 'v', 'm')
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

# The unique keys ON CONFLICT can use: immediate, valid, whole (no WHERE) and on plain
# columns (no expression); INCLUDE columns are not part of the key.
_UNIQUE_KEYS = """
SELECT ARRAY(
    SELECT a.attname
    FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, position)
    JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
    WHERE k.position <= i.indnkeyatts
)
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relname = %s
  AND i.indisunique AND i.indimmediate AND i.indisvalid
  AND i.indpred IS NULL AND i.indexprs IS NULL
"""


def lock_key(name: str) -> int:
    """The advisory-lock key of lock `name`: the same in every process, every run and every version."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def _passwords(url: str) -> list[str]:
    """The URL's password as written (maybe percent-encoded) and as libpq reads it."""
    try:
        password = conninfo_to_dict(url).get("password")
    except psycopg.ProgrammingError as exc:
        redactor = Redactor()
        raise ConfigError(
            f"invalid PostgreSQL URL {redactor.text(url)}: {redactor.text(one_line(exc))}",
            context={"url": redactor.text(url)},
        ) from None  # the original message may quote the URL unmasked
    return [str(secret) for secret in (password, urlsplit(url).password) if secret]


class PostgresStore(Store):
    """A PostgreSQL database, from a libpq URL such as ``postgresql://user:password@host:5432/db``.

    ``postgres://`` works too, and so does any libpq parameter in the query string
    (``?sslmode=require&options=-csearch_path%3Dingest``). Tables are created and
    found in the connection's current schema: the first existing schema of its
    search_path. The connection is opened on first use and kept; a store object
    serves one thread at a time.

    `write` COPYs the rows into a temporary staging table, then moves them into the
    target with one statement (see `write`). `transaction(lock=name)` takes
    ``pg_advisory_xact_lock`` on a 64-bit hash of ``<current schema>.<name>``
    (`lock_key`), so that transactions with the same lock name in the same schema
    take turns across processes and machines.
    """

    dialect = PostgresDialect()

    def __init__(self, url: str) -> None:
        self._url = url
        self._redactor = Redactor(_passwords(url))
        self._connection: psycopg.Connection[TupleRow] | None = None
        # Staging tables are dropped at commit; writes nested in one transaction()
        # each need a name of their own.
        self._stagings = itertools.count(1)

    def describe(self) -> str:
        """The URL with its password masked."""
        return self._redactor.text(self._url)

    def lost_connection(self, error: BaseException) -> bool:
        """True for an error (or a `LoadError` caused by one) of a connection refused, failed,
        lost or ended by the server: a new connection may succeed."""
        cause = error if isinstance(error, psycopg.Error) else error.__cause__
        return isinstance(cause, psycopg.Error) and is_connection_error(cause)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @contextmanager
    def transaction(self, lock: str | None = None) -> Iterator[PostgresSession]:
        with self._errors("a statement failed"), self._transaction(lock) as cursor:
            yield PostgresSession(cursor)

    def declared_columns(self, table: str) -> list[tuple[str, str]]:
        """Each column's name and type (``character varying``, ``bigint``, ``numeric``)."""
        with self._errors(f"cannot read the columns of {table!r}", table):
            rows = self._connect().execute(_COLUMNS, (table,)).fetchall()
        return [(name, sql_type) for name, sql_type in rows]

    def unique_keys(self, table: str) -> list[tuple[str, ...]]:
        """The keys ``ON CONFLICT`` can use: primary keys, unique constraints and unique indexes
        that are immediate (not deferrable), whole (no WHERE) and on plain columns."""
        with self._errors(f"cannot read the unique keys of {table!r}", table):
            rows = self._connect().execute(_UNIQUE_KEYS, (table,)).fetchall()
        return [tuple(columns) for (columns,) in rows]

    def write(self, target: Target, schema: Schema, batches: Iterable[Sequence[tuple[Any, ...]]]) -> int:
        """Write `batches` into `target` in one transaction; return the rows given.

        The transaction holds the advisory lock named after the table (as
        ``transaction(lock=target.table)`` does). An existing table goes through
        `spine.check_existing_table` first (new columns, changed types, the unique index a
        merge needs), in the same transaction. A missing table is created and the
        rows COPYed straight into it; its primary key (the keys) is added at the end,
        a merge first keeping the last row of each key. Into an existing table the rows
        are COPYed into a temporary staging table and one statement follows: append
        ``INSERT ... SELECT``; replace ``TRUNCATE`` and ``INSERT ... SELECT`` (views,
        grants and indexes on the table survive); merge ``INSERT ... SELECT ... ON
        CONFLICT (keys) DO UPDATE`` of the rows that differ, with ``DISTINCT ON
        (keys)`` added when a key comes twice so that the last row of a key wins. The
        debug log also says how many rows were inserted or changed: a merge leaves
        rows that are already equal alone.
        """
        target.check(schema)
        started = time.perf_counter()
        staging = f'"spine:staging:{next(self._stagings)}"'
        with (
            self._errors(f"cannot write {target.table!r}", target.table),
            self._transaction(target.table) as cursor,
        ):
            written = Load(cursor, self, target, schema, staging).run(batches)
            target.committing(PostgresSession(cursor))
        written.log(log, self, target, time.perf_counter() - started)
        return written.rows

    def _connect(self) -> psycopg.Connection[TupleRow]:
        connection = self._connection
        if connection is None or connection.closed:
            self._connection = None  # so that a failure to connect is not taken for a lost connection
            log.debug("connecting to %s", self.describe())
            try:
                # autocommit: a statement outside `transaction` (columns) ends at once
                # instead of leaving the session idle in a transaction; transaction()
                # sends BEGIN and COMMIT itself. No server-side prepared statements:
                # they break when DDL changes a table they read ("cached plan must not
                # change result type") and behind transaction-pooling proxies.
                connection = psycopg.connect(self._url, autocommit=True, prepare_threshold=None)
            except psycopg.Error as exc:
                raise self._error(exc, "cannot connect") from exc
            self._connection = connection
        return connection

    @contextmanager
    def _transaction(self, lock: str | None) -> Iterator[psycopg.Cursor[TupleRow]]:
        connection = self._connect()
        with connection.transaction(), connection.cursor() as cursor:
            if lock is not None:
                # Locks are the current schema's, as its tables are: spine in another
                # schema of the same database never waits for them.
                row = cursor.execute("SELECT current_schema()").fetchone()
                schema = row[0] if row else None
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(f"{schema}.{lock}"),))
            yield cursor

    @contextmanager
    def _errors(self, doing: str, table: str | None = None) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as exc:
            raise self._error(exc, doing, table) from exc

    def _error(self, error: psycopg.Error, doing: str, table: str | None = None) -> LoadError:
        # psycopg marks a connection closed once the server or the network has dropped it.
        lost = self._connection is not None and self._connection.closed
        return load_error(
            error, doing, store=self.describe(), redactor=self._redactor, table=table, lost=lost
        )
