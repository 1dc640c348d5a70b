"""`Db2Store`: the `spine.Store` for ``db2://`` URLs."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from spine import ConfigError, LoadError, Redactor, Schema, Store, Target, check_identifier

from ._dialect import Db2Dialect
from ._errors import connection_lost, sqlstate
from ._load import Batches, Load
from ._session import Db2Session, Driver, import_ibm_db
from ._sql import ADD_LOCK, COLUMNS, CREATE_LOCKS, LOCK_NAME_BYTES, TAKE_LOCK, UNIQUE_KEYS
from ._url import Db2Url

log = logging.getLogger("spine.store.db2")

_UNDEFINED_NAME = "42704"
_ALREADY_EXISTS = "42710"
_DUPLICATE_KEY = "23505"


class Db2Store(Store):
    """An IBM Db2 database, from ``db2://user:password@host:50000/DATABASE?schema=NAME&security=SSL``.

    Options: ``schema`` (tables are created and found there; case-sensitive, as table
    names are: Db2 schemas are usually upper case), ``security=SSL`` and
    ``sslservercertificate=PATH``. The port defaults to 50000. `driver` is the ibm_db
    module, imported on first connect; tests pass a stand-in. The connection is opened
    on first use and kept; a store object serves one thread at a time.

    `write` runs in one transaction, holding the named lock of the table (as
    ``transaction(lock=target.table)``): it creates the table when missing, inserts
    the rows with ``execute_many`` into a declared temporary table, locks the target
    (``LOCK TABLE ... IN EXCLUSIVE MODE``) and moves the rows with one statement:
    ``INSERT ... SELECT`` (append), ``DELETE`` then ``INSERT ... SELECT`` (replace),
    ``MERGE`` (merge: the last row of a key wins, rows already equal are left alone).

    `transaction(lock=name)` serialises transactions by name with a row of the table
    ``spine_locks``, created on first use: the transaction updates (or inserts) the
    row of its lock name, and Db2 keeps that row locked until commit or rollback.
    """

    dialect = Db2Dialect()

    def __init__(self, url: str, *, driver: Driver | None = None) -> None:
        self._url = Db2Url.parse(url)
        as_written = urlsplit(url).password  # before percent-decoding, as it may be echoed
        self._redactor = Redactor([secret for secret in (self._url.password, as_written) if secret])
        self._driver = driver
        self._connection: Db2Session | None = None
        self._in_transaction = False

    def describe(self) -> str:
        """The URL without its password."""
        return self._url.describe()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @contextmanager
    def transaction(self, lock: str | None = None) -> Iterator[Db2Session]:
        if self._in_transaction:
            raise LoadError(
                f"a transaction is already open on this store ({self.describe()}); "
                "Db2 has no nested transactions: use the session you have",
                context={"store": self.describe()},
            )
        if lock is not None:
            _check_lock_name(lock)
        session = self._connect()
        self._in_transaction = True
        try:
            if lock is not None:
                self._take_lock(session, lock)
            yield session
            session.commit()
        except BaseException as exc:
            self._abandon(session, exc)
            raise
        finally:
            self._in_transaction = False

    def declared_columns(self, table: str) -> list[tuple[str, str]]:
        """Each column's name and SYSCAT type name (``VARCHAR``, ``BIGINT``, ``DECIMAL``)."""
        return [(name, type_name) for name, type_name in self._catalog(COLUMNS, table)]

    def unique_keys(self, table: str) -> list[tuple[str, ...]]:
        """The columns of the primary key and of each unique constraint or index (SYSCAT.INDEXES
        unique rule P or U; INCLUDE columns are not part of a key)."""
        keys: dict[str, tuple[str, ...]] = {}
        for index, column in self._catalog(UNIQUE_KEYS, table):
            keys[index] = (*keys.get(index, ()), column)
        return list(keys.values())

    def _catalog(self, sql: str, table: str) -> list[tuple[Any, ...]]:
        """Rows of a catalog query about `table`: inside a transaction (a write's, or a
        caller's), as that unit of work sees it; otherwise in a unit of work of its own."""
        check_identifier(table, "table name")
        if self._in_transaction and self._connection is not None:
            return self._connection.query(sql, (table,))
        with self.transaction() as session:
            return session.query(sql, (table,))

    def write(self, target: Target, schema: Schema, batches: Batches) -> int:
        """Write `batches` into `target` in one transaction; return the rows given.

        The debug log also says how many rows the load inserted or changed: a merge
        leaves rows that are already equal untouched.
        """
        target.check(schema)
        load = Load(self.dialect, target, schema)
        started = time.perf_counter()
        try:
            with self.transaction(lock=target.table) as session:
                written = load.run(self, session, batches)
                target.committing(session)
        except LoadError as exc:
            exc.context.setdefault("table", target.table)
            raise
        written.log(log, self, target, time.perf_counter() - started)
        return written.rows

    def _connect(self) -> Db2Session:
        if self._connection is None:
            if self._driver is None:
                self._driver = import_ibm_db()
            log.debug("connecting to %s", self.describe())
            self._connection = Db2Session.open(self._driver, self._url, self._redactor)
        return self._connection

    def _abandon(self, session: Db2Session, error: BaseException) -> None:
        """Roll back after `error`; forget a connection that is lost or cannot roll back."""
        if isinstance(error, LoadError) and connection_lost(error):
            self.close()
            return
        try:
            session.rollback()
        except LoadError:
            self.close()

    def _take_lock(self, session: Db2Session, name: str) -> None:
        now = datetime.now(UTC).replace(tzinfo=None)
        # Each failure below is a statement failing alone: Db2 rolls back the
        # statement, not the transaction.
        try:
            if session.run(TAKE_LOCK, (now, name)):
                return
        except LoadError as exc:
            if sqlstate(exc) != _UNDEFINED_NAME:
                raise
            self._create_locks_table(session)
        try:
            session.execute(ADD_LOCK, (name, now))
        except LoadError as exc:
            if sqlstate(exc) != _DUPLICATE_KEY:
                raise
            session.run(TAKE_LOCK, (now, name))  # added meanwhile by another transaction: wait for it

    def _create_locks_table(self, session: Db2Session) -> None:
        try:
            session.execute(CREATE_LOCKS)
        except LoadError as exc:
            if sqlstate(exc) != _ALREADY_EXISTS:  # created meanwhile by another transaction
                raise


def _check_lock_name(name: str) -> None:
    if not isinstance(name, str) or not 0 < len(name.encode()) <= LOCK_NAME_BYTES:
        raise ConfigError(
            f"invalid lock name {str(name)[:80]!r}: expected 1 to {LOCK_NAME_BYTES} bytes of text",
            context={"lock": str(name)[:200]},
        )
