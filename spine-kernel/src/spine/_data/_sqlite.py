"""The SQLite store, built into the kernel: the embedded default.

URLs: ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``,
``sqlite:///:memory:``. The file and its folder are created when missing. The
database runs in WAL mode, so readers (``spine runs list``) are not blocked by a
load; writers take turns, waiting up to 60 seconds for each other. Each connection
caches up to 16 MiB of pages.

SQLite has no decimal, date or timestamp type. Decimals are stored with NUMERIC
affinity, exactly: as their text up to 15 characters, longer ones as an integer or as a
float that reads back as the same number (summable in SQL); a decimal none of these
keeps is a reject of its row, naming the column, rather than rounded by SQLite, and a
write given one anyway fails. Dates and timestamps are ISO 8601 text (``2026-11-23``,
``2026-11-23 09:30:00.000000``; a timestamp with a time zone as its UTC instant), which
sorts and compares correctly; booleans 0/1.
"""

from __future__ import annotations

import errno
import functools
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .._errors import ConfigError, LoadError
from ._loading import Check
from ._schema import Field, Schema, naive_utc
from ._stores import Dialect, Store, Target, WriteMode
from ._tables import check_existing_table

BUSY_TIMEOUT_SECONDS = 60
# SQLite's default page cache is 2 MiB. During a large load the pages a write keeps
# coming back to (the upper levels of the table and of the key's index) then spill to
# the WAL and are written again and again: 4M FINRA rows wrote 1.5 GB for a 550 MB
# file. With 16 MiB they stay cached and the load writes 1.1 GB.
CACHE_KIB = 16 * 1024

_TYPES = {
    "string": "TEXT",
    "integer": "INTEGER",
    "decimal": "NUMERIC",
    "float": "REAL",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}


def _to_sqlite(value: Any) -> Any:
    """A Python value as SQLite stores it (the sqlite3 module adapts no Decimal, and its
    default date adapters are deprecated)."""
    if isinstance(value, Decimal):
        return str(value)  # NUMERIC affinity turns it into an INTEGER or REAL in C
    if isinstance(value, datetime):
        return _timestamp_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _timestamp_text(value: datetime) -> str:
    return naive_utc(value).isoformat(sep=" ", timespec="microseconds")


# The ISO text of dates, remembered. A load's dates repeat (the same week or day on
# row after row) and date.isoformat costs close to a tenth of a row's whole write.
_date_text = functools.lru_cache(maxsize=4096)(date.isoformat)


# Called on each value of a column; they raise TypeError or AttributeError on None and
# on a value of another type, and the column then goes value by value through _to_sqlite.
_TEXT_OF: dict[str, Callable[[Any], Any]] = {
    "decimal": Decimal.__str__,
    "date": _date_text,
    "timestamp": _timestamp_text,
}


def _batch_adapter(schema: Schema) -> Callable[[Sequence[tuple[Any, ...]]], Iterable[Sequence[Any]]] | None:
    """Adapt a whole batch column by column (C-speed transposes and maps) rather than
    row by row; None when no column needs it."""
    needing = [
        (index, _TEXT_OF[field.type]) for index, field in enumerate(schema.fields) if field.type in _TEXT_OF
    ]
    if not needing:
        return None

    def adapt(batch: Sequence[tuple[Any, ...]]) -> Iterable[Sequence[Any]]:
        if not batch:
            return batch
        columns = list(zip(*batch, strict=True))
        for index, text in needing:
            try:
                adapted = tuple(map(text, columns[index]))
            except (TypeError, AttributeError):
                adapted = tuple(map(_to_sqlite, columns[index]))
            if text is Decimal.__str__:
                adapted = _exact_numerics(schema.fields[index].name, adapted, columns[index])
            columns[index] = adapted
        return zip(*columns, strict=True)

    return adapt


# SQLite turns a numeric text into a REAL and keeps its first 15 significant digits
# exactly: a longer decimal text could come back rounded (in about one case in eleven at 16
# digits, measured), without a word.
_NUMERIC_TEXT = 15
_INT64 = (-(2**63), 2**63 - 1)


def _numeric(value: Decimal) -> str | int | float | None:
    """What to hand SQLite so that it keeps `value` exactly: its text (15 characters or
    fewer), an integer, or a float that reads back as the same number; None when none does."""
    text = str(value)
    if len(text) <= _NUMERIC_TEXT:
        return text
    if not value.is_finite():
        return None
    if value == value.to_integral_value() and _INT64[0] <= value <= _INT64[1]:
        return int(value)
    as_float = float(value)
    return as_float if Decimal(repr(as_float)) == value else None


def _fits_numeric(value: Any) -> str | None:
    """Why a SQLite NUMERIC column cannot keep `value` (a row check), or None."""
    if not isinstance(value, Decimal) or _numeric(value) is not None:
        return None
    return (
        f"{value} cannot be kept exactly in a SQLite NUMERIC column: it would read back as {float(value)!r}"
    )


def _all_fit_numeric(values: list[Any]) -> bool:
    """Whether every value of a batch's column is kept by its text: none is longer than 15
    characters (a C-speed look; longer ones go to `_fits_numeric`)."""
    return max(map(len, map(str, filter(None, values))), default=0) <= _NUMERIC_TEXT


def _exact_numerics(column: str, texts: tuple[Any, ...], values: Sequence[Any]) -> tuple[Any, ...]:
    """`column`'s decimals as SQLite keeps them exactly (`_numeric`): their texts when none is
    longer than 15 characters (the usual case, seen at C speed), else value by value. A
    value none keeps fails the load: the row checks (`SQLiteStore.limits`) reject such
    rows before they reach a write."""
    try:
        if max(map(len, filter(None, texts)), default=0) <= _NUMERIC_TEXT:
            return texts
    except TypeError:  # values of other types among them (an int): each one is looked at
        pass
    exact = []
    for value, text in zip(values, texts, strict=True):
        if not isinstance(value, Decimal):
            exact.append(text)
            continue
        kept = _numeric(value)
        if kept is None:
            raise LoadError(
                f"column {column!r}: {_fits_numeric(value)}: nothing was written. Load it into a "
                "store that keeps it (PostgreSQL), or read the column as text",
                context={"column": column},
            )
        exact.append(kept)
    return tuple(exact)


def path_from_url(url: str) -> str:
    """The file of a ``sqlite:///path`` URL (``:memory:`` for ``sqlite://``). A URL that
    names a host (``sqlite://data.db``, two slashes) is refused: the file it would open is
    not the one meant."""
    if not url.startswith("sqlite://"):
        raise ConfigError(f"not a SQLite URL: {url!r}; expected sqlite:///path/to/file.db")
    rest = url[len("sqlite://") :]
    if rest and not rest.startswith("/"):
        host = rest.split("/", 1)[0]
        raise ConfigError(
            f"{url!r} names a host ({host!r}), which a SQLite URL has none of: write "
            f"sqlite:///{rest} for a path relative to the current folder, or "
            "sqlite:////absolute/path.db (four slashes)",
            context={"url": url},
        )
    path = rest[1:]
    return os.path.expanduser(path) if path else ":memory:"


class SQLiteDialect(Dialect):
    name = "sqlite"

    def column_type(self, field: Field) -> str:
        return _TYPES[field.type]

    def limit(self, count: int) -> str:
        return f" LIMIT {int(count)}"


def _wal(connection: sqlite3.Connection) -> None:
    """Switch a new connection's file to WAL. Two processes opening a brand-new file at
    once can meet here, and SQLite answers "database is locked" at once instead of
    waiting out its busy timeout, so the switch is tried again for a while."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class _Session:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._connection.execute(sql, [_to_sqlite(value) for value in params])

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._connection.executemany(sql, ([_to_sqlite(value) for value in row] for row in rows))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._connection.execute(sql, [_to_sqlite(value) for value in params]).fetchall()


class SQLiteStore(Store):
    """A SQLite database file (see the module documentation for URLs and types)."""

    dialect = SQLiteDialect()
    single_writer = True

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = path_from_url(url)
        self._connection: sqlite3.Connection | None = None

    def describe(self) -> str:
        return f"sqlite:///{self.path}"

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            with self._errors():
                if self.path != ":memory:":
                    os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
                # The kernel gives each thread its own store; only close() may come from another
                # (the kernel closing what its worker threads opened).
                connection = sqlite3.connect(
                    self.path, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False
                )
                _wal(connection)
                connection.execute("PRAGMA synchronous=NORMAL")  # durable across crashes in WAL mode
                connection.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            self._connection = connection
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @contextmanager
    def transaction(self, lock: str | None = None) -> Iterator[_Session]:
        # Any lock takes SQLite's single write lock up front: a deferred transaction
        # that later writes can fail at once instead of waiting its turn.
        connection = self._connect()
        with self._errors():
            connection.execute("BEGIN IMMEDIATE" if lock else "BEGIN")
        try:
            yield _Session(connection)
            with self._errors():
                connection.execute("COMMIT")
        except BaseException:
            self._roll_back(connection)
            raise

    def _roll_back(self, connection: sqlite3.Connection) -> None:
        """End the failed transaction, without hiding why it failed.

        SQLite rolls back by itself on some errors (a full disk, an I/O error), and a
        ROLLBACK then fails with "no transaction is active". A connection that cannot
        roll back is closed; the next use opens a new one.
        """
        if not connection.in_transaction:
            return
        try:
            connection.execute("ROLLBACK")
        except sqlite3.Error:
            self.close()

    @contextmanager
    def try_transaction(self, lock: str | None = None) -> Iterator[_Session | None]:
        # A write transaction begun without waiting: None while another connection writes.
        connection = self._connect()
        with ExitStack() as stack:
            connection.execute("PRAGMA busy_timeout = 0")
            try:
                session: _Session | None = stack.enter_context(self.transaction(lock or "spine"))
            except LoadError as exc:
                if not exc.retryable:
                    raise
                session = None
            finally:
                connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
            yield session

    def declared_columns(self, table: str) -> list[tuple[str, str]]:
        rows = self._connect().execute(f"PRAGMA table_info({self.dialect.quote(table)})").fetchall()
        return [(row[1], row[2]) for row in rows]

    def unique_keys(self, table: str) -> list[tuple[str, ...]]:
        connection = self._connect()
        quote = self.dialect.quote
        # A single INTEGER PRIMARY KEY is the rowid itself and has no index to list.
        primary = tuple(row[1] for row in connection.execute(f"PRAGMA table_info({quote(table)})") if row[5])
        keys = [primary] if primary else []
        for _, name, unique, origin, partial in connection.execute(f"PRAGMA index_list({quote(table)})"):
            if unique and not partial and origin != "pk":  # the primary key's own index is listed too
                keys.append(tuple(row[2] for row in connection.execute(f"PRAGMA index_info({quote(name)})")))
        return keys

    def limits(self, schema: Schema) -> list[Check]:
        """A decimal that SQLite cannot keep exactly is a reject of its row."""
        return [
            Check(f"column {field.name!r}", (field.name,), _fits_numeric, whole=_all_fit_numeric)
            for field in schema.fields
            if field.type == "decimal"
        ]

    def write(self, target: Target, schema: Schema, batches: Iterable[Sequence[tuple[Any, ...]]]) -> int:
        target.check(schema)
        quote = self.dialect.quote
        table = quote(target.table)
        sql = (
            f"INSERT INTO {table} ({', '.join(map(quote, schema.names))}) "
            f"VALUES ({', '.join('?' * len(schema.fields))})"
        )
        if target.mode is WriteMode.MERGE:
            keys = ", ".join(map(quote, target.keys))
            others = [name for name in schema.names if name not in target.keys]
            updates = ", ".join(f"{quote(name)} = excluded.{quote(name)}" for name in others)
            sql += f" ON CONFLICT ({keys}) " + (f"DO UPDATE SET {updates}" if others else "DO NOTHING")
        adapt = _batch_adapter(schema)
        written = 0
        with self.transaction(lock=target.table) as session, self._errors(target.table):
            connection = self._connect()
            if not check_existing_table(self, target, schema, session):
                connection.execute(self.dialect.create_table(target.table, schema, target.keys))
            if target.mode is WriteMode.REPLACE:
                connection.execute(f"DELETE FROM {table}")
            for batch in batches:
                connection.executemany(sql, batch if adapt is None else adapt(batch))
                written += len(batch)
            target.committing(session)
        return written

    @contextmanager
    def _errors(self, table: str | None = None) -> Iterator[None]:
        try:
            yield
        except (sqlite3.Error, OSError) as exc:  # OSError: the file's folder cannot be made
            context = {"store": self.describe(), **({"table": table} if table else {})}
            if _disk_full(exc):
                folder = os.path.dirname(os.path.abspath(self.path))
                raise LoadError(
                    f"disk full: no space left in {folder} for the database file {self.path} ({exc}); "
                    "nothing was written: free some space and run again",
                    context={**context, "path": self.path},
                ) from exc
            busy = "locked" in str(exc) or "busy" in str(exc)
            raise LoadError(f"{self.describe()}: {exc}", context=context, retryable=busy) from exc


def _disk_full(error: Exception) -> bool:
    if isinstance(error, sqlite3.Error):
        return getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)
