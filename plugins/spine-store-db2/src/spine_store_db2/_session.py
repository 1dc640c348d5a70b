"""The driver the store talks to (ibm_db, or a stand-in for tests) and the `spine.Session`
built on one of its connections.

Db2 takes ``?`` markers natively, so statements go to the driver unchanged. Every
driver call is wrapped: a failure becomes a `LoadError` naming the statement.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar, cast

from spine import LoadError, Redactor, naive_utc

from ._dialect import Db2Dialect
from ._errors import load_error
from ._url import Db2Url

T = TypeVar("T")
Rows = tuple[tuple[Any, ...], ...]


class Driver(Protocol):
    """The part of the ibm_db module the store uses. Handles are opaque objects."""

    SQL_AUTOCOMMIT_OFF: int

    def connect(self, dsn: str, user: str, password: str) -> Any: ...

    def autocommit(self, connection: Any, value: int) -> Any: ...

    def exec_immediate(self, connection: Any, sql: str) -> Any: ...

    def prepare(self, connection: Any, sql: str) -> Any: ...

    def execute(self, statement: Any, params: tuple[Any, ...]) -> Any: ...

    def execute_many(self, statement: Any, rows: Rows) -> Any: ...

    def fetch_tuple(self, statement: Any) -> Any: ...

    def num_rows(self, statement: Any) -> int: ...

    def commit(self, connection: Any) -> Any: ...

    def rollback(self, connection: Any) -> Any: ...

    def close(self, connection: Any) -> Any: ...

    def stmt_errormsg(self) -> str: ...

    def conn_errormsg(self) -> str: ...


def import_ibm_db() -> Driver:
    # importlib rather than an import statement: ibm_db ships no type information.
    return cast(Driver, importlib.import_module("ibm_db"))


def _bindable(value: Any) -> Any:
    return naive_utc(value) if isinstance(value, datetime) else value


class Db2Session:
    """One connection, and the statements of the transaction the store has open on it."""

    def __init__(self, driver: Driver, *, store: str, redactor: Redactor) -> None:
        self._driver, self._store, self._redactor = driver, store, redactor
        self._connection: Any = None

    @classmethod
    def open(cls, driver: Driver, url: Db2Url, redactor: Redactor) -> Db2Session:
        """Connect, enter the URL's schema, and turn autocommit off: the store commits."""
        session = cls(driver, store=url.describe(), redactor=redactor)
        session._connection = session.call("CONNECT", driver.connect, url.connection_string(), "", "")
        try:
            if url.schema is not None:
                # Quoted: the schema is used exactly as written, as table names are.
                session.execute(f"SET SCHEMA {Db2Dialect().quote(url.schema)}")
            session.call("AUTOCOMMIT OFF", driver.autocommit, session._connection, driver.SQL_AUTOCOMMIT_OFF)
        except LoadError:
            session.close()
            raise
        return session

    def close(self) -> None:
        # Closing a connection that is already broken can fail; it is closed either way.
        with contextlib.suppress(Exception):
            self._driver.close(self._connection)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.run(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        batch = tuple(tuple(map(_bindable, row)) for row in rows)
        if batch:  # ibm_db refuses an empty batch
            self.prepare(sql)(batch)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        statement = self._statement(sql, params)
        rows = []
        while (row := self.call(sql, self._driver.fetch_tuple, statement)) is not False:
            rows.append(tuple(row))
        return rows

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute `sql` and return the number of rows it changed."""
        return self.call(sql, self._driver.num_rows, self._statement(sql, params))

    def prepare(self, sql: str) -> Callable[[Rows], int]:
        """Prepare `sql` once; the result runs it with ``execute_many`` for a batch of rows."""
        statement = self.call(sql, self._driver.prepare, self._connection, sql)

        def execute_many(rows: Rows) -> int:
            count = self.call(sql, self._driver.execute_many, statement, rows)
            return int(count)

        return execute_many

    def commit(self) -> None:
        self.call("COMMIT", self._driver.commit, self._connection)

    def rollback(self) -> None:
        self.call("ROLLBACK", self._driver.rollback, self._connection)

    def _statement(self, sql: str, params: Sequence[Any]) -> Any:
        if not params:
            return self.call(sql, self._driver.exec_immediate, self._connection, sql)
        statement = self.call(sql, self._driver.prepare, self._connection, sql)
        self.call(sql, self._driver.execute, statement, tuple(map(_bindable, params)))
        return statement

    def call(self, sql: str, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)``, with a driver failure raised as `LoadError`."""
        try:
            return function(*args)
        except Exception as exc:  # ibm_db raises plain Exception
            reason = str(exc) or self._driver.stmt_errormsg() or self._driver.conn_errormsg()
        # Raised outside the except block: the driver's text is in the message, masked;
        # chained, unmasked, it could show a password that the driver echoed.
        head = " ".join(sql.split())
        doing = f"{head[:60]}{'...' if len(head) > 60 else ''} failed"
        raise load_error(reason, doing, store=self._store, redactor=self._redactor)
