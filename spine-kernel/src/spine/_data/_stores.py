"""The store contract: tables in one database, written in one transaction per load.

A store plugin subclasses `Store` (and usually `Dialect`); its `StoreSpec` factory is
called as ``factory(url)``. The kernel uses four things from it: `write` for loads
(the store's fast path), `transaction` for the kernel's own small statements (run
records, rejects, state, migrations; SQL with ``?`` placeholders that the store
translates if its driver wants another style), and `declared_columns` and
`unique_keys` to inspect tables. What a load does with an existing table (new
columns, changed types, a merge's unique index) is the kernel's, the same for every
store: `write` calls `spine.check_existing_table` in its transaction.
"""

from __future__ import annotations

import functools
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

from .._errors import ConfigError
from ._schema import Field, Schema, check_identifier, normalize_identifier

if TYPE_CHECKING:
    from ._loading import Check

Choice = TypeVar("Choice", bound=StrEnum)

# The kernel's own tables (run records, rejects, state, alerts, schedules, workflows, and a
# store's lock table) all start with it; a load never writes into one, so that no input can
# replace or corrupt the records of what spine did.
KERNEL_TABLE_PREFIX = "spine_"


class WriteMode(StrEnum):
    APPEND = "append"  # add the rows
    REPLACE = "replace"  # the table holds exactly the loaded rows afterwards
    MERGE = "merge"  # upsert on the key columns: insert new keys, update existing ones


class SchemaContract(StrEnum):
    """What a load does with input columns that an existing table lacks."""

    EVOLVE = "evolve"  # add them to the table (nullable), in the load's transaction
    FREEZE = "freeze"  # refuse the load, naming them


@dataclass(frozen=True)
class Target:
    """Where a load writes: a table, a write mode and (for merge) the key columns.

    Tables the store creates get a primary key on `keys` when keys are given, and
    key columns are NOT NULL: a row with an empty key is rejected before it
    reaches the store. Within one merge load, the last row for a key wins.

    A load (`RunContext.load`) matches `keys` to the input's columns as header names
    become column names (`resolve`): ``MPID`` and ``issueSymbolIdentifier`` name the
    columns ``mpid`` and ``issue_symbol_identifier``. It refuses a replace that would
    leave a table with rows empty (no input row, or every row rejected) unless
    `allow_empty`. `schema_contract` says what happens to input columns the table
    lacks (None: the ``schema_contract`` setting, ``evolve`` by default).

    A table whose name starts with ``spine_`` in any case (`KERNEL_TABLE_PREFIX`) is
    refused with `ConfigError`: those names are kept for the kernel's own tables, and
    SQLite (and a store that folds case) takes ``SPINE_RUNS`` for ``spine_runs``.

    `before_commit`, when set, is what must commit with the rows or not at all: `Store.write`
    calls it (`committing`) in its transaction, with a session on it, after the rows and
    just before it commits. The kernel closes a run there whose load is its last write
    (see `RunContext.load`), so that a process killed between the commit and the run's
    record never leaves new rows under a run recorded as running.
    """

    table: str
    mode: WriteMode | str = WriteMode.APPEND  # a string is converted, or refused with ConfigError
    keys: tuple[str, ...] = ()
    allow_empty: bool = False
    schema_contract: SchemaContract | str | None = None  # a string is converted, or refused
    before_commit: Callable[[Session], None] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        check_identifier(self.table, "table name")
        if self.table.lower().startswith(KERNEL_TABLE_PREFIX):
            raise ConfigError(
                f"table {self.table!r} is refused: names starting with {KERNEL_TABLE_PREFIX} are kept for "
                "spine's own tables (run records, rejects, state, alerts, schedules); load into "
                "a table with another name",
                context={"table": self.table},
            )
        for key in self.keys:
            if not isinstance(key, str) or not key.strip():
                raise ConfigError(
                    f"invalid key column {key!r}: expected a column name", context={"column": str(key)[:200]}
                )
        object.__setattr__(self, "mode", _member(WriteMode, self.mode, "write mode"))
        if self.schema_contract is not None:
            contract = _member(SchemaContract, self.schema_contract, "schema contract")
            object.__setattr__(self, "schema_contract", contract)
        if self.mode is WriteMode.MERGE and not self.keys:
            raise ConfigError(f"merge into {self.table!r} needs key columns (--key COL,...)")

    def committing(self, session: Session) -> None:
        """What a store's `write` calls last in its transaction, with a session on it: runs
        `before_commit`, if any."""
        if self.before_commit is not None:
            self.before_commit(session)

    def check(self, schema: Schema) -> None:
        """Raise `ConfigError` when a key column is not in `schema` (by its exact name)."""
        for key in self.keys:
            if key not in schema.names:
                raise self._unknown_key(key, schema)

    def resolve(self, schema: Schema, schema_contract: SchemaContract | str | None = None) -> Target:
        """This target as a store takes it: each key named as `schema` names its column, and the
        schema contract decided (`schema_contract` when the target leaves it to the setting).

        A key matches a column of the same name, else the one column whose name normalises
        (`normalize_identifier`) to the key's normal form. Raises `ConfigError` for a key
        that matches no column, or several.
        """
        keys = tuple(self._column_of(key, schema) for key in self.keys)
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ConfigError(
                f"key column(s) {', '.join(repeated)} of {self.table!r} given twice: {', '.join(self.keys)}",
                context={"table": self.table, "keys": list(self.keys)},
            )
        contract = self.schema_contract or schema_contract or SchemaContract.EVOLVE
        return replace(self, keys=keys, schema_contract=contract)

    def _column_of(self, key: str, schema: Schema) -> str:
        if key in schema.names:
            return key
        wanted = normalize_identifier(key)
        found = [name for name in schema.names if normalize_identifier(name) == wanted]
        if len(found) > 1:
            raise ConfigError(
                f"key column {key!r} matches several columns of {self.table!r}: {', '.join(found)}; "
                "name one exactly",
                context={"table": self.table, "column": key},
            )
        if not found:
            raise self._unknown_key(key, schema)
        return found[0]

    def _unknown_key(self, key: str, schema: Schema) -> ConfigError:
        return ConfigError(
            f"key column {key!r} is not among the columns of {self.table!r}: {', '.join(schema.names)}",
            context={"table": self.table, "column": key},
        )


def _member(kind: type[Choice], value: str, what: str) -> Choice:
    """`value` as a member of `kind`, or `ConfigError` naming the choices."""
    try:
        return kind(value)
    except ValueError:
        *most, last = kind
        raise ConfigError(f"unknown {what} {value!r}; expected {', '.join(most)} or {last}") from None


class Dialect:
    """How one database spells things. Subclasses override `column_type` and `quote`."""

    name = "sql"

    def quote(self, identifier: str) -> str:
        """A checked, double-quoted identifier (ANSI SQL, understood by all three stores)."""
        return '"' + check_identifier(identifier) + '"'

    def column_type(self, field: Field) -> str:
        raise NotImplementedError

    def limit(self, count: int) -> str:
        """The clause that ends a SELECT after `count` rows (SQL:2008; SQLite overrides)."""
        return f" FETCH FIRST {int(count)} ROWS ONLY"

    def create_table(self, table: str, schema: Schema, keys: Sequence[str] = ()) -> str:
        """``CREATE TABLE`` for `schema`, with a primary key on `keys` (NOT NULL)."""
        columns = [
            f"{self.quote(f.name)} {self.column_type(f)}"
            + (" NOT NULL" if f.name in keys or not f.nullable else "")
            for f in schema.fields
        ]
        if keys:
            columns.append(f"PRIMARY KEY ({', '.join(self.quote(k) for k in keys)})")
        return f"CREATE TABLE {self.quote(table)} ({', '.join(columns)})"

    def add_column(self, table: str, field: Field) -> str:
        """``ALTER TABLE`` adding `field` to `table` (nullable: existing rows have no value)."""
        column = f"{self.quote(field.name)} {self.column_type(field)}"
        return f"ALTER TABLE {self.quote(table)} ADD COLUMN {column}"

    def insert(self, table: str, schema: Schema) -> str:
        """``INSERT`` of one row of `schema` into `table`, with ``?`` for each value."""
        columns = ", ".join(self.quote(name) for name in schema.names)
        return f"INSERT INTO {self.quote(table)} ({columns}) VALUES ({', '.join('?' * len(schema.fields))})"

    def create_index(self, table: str, name: str, columns: Sequence[str], *, unique: bool = False) -> str:
        """``CREATE [UNIQUE] INDEX`` `name` on `columns` of `table`."""
        return (
            f"CREATE {'UNIQUE ' if unique else ''}INDEX {self.quote(name)} ON {self.quote(table)} "
            f"({', '.join(self.quote(column) for column in columns)})"
        )


class Session(Protocol):
    """What `Store.transaction` yields: statements with ``?`` placeholders."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...


class Store(ABC):
    """A database that spine loads into and keeps its run records in.

    ``single_writer`` is True for a database with one writer at a time (SQLite): while a
    load writes, no other connection can, not even to say a run is still alive.
    """

    dialect: Dialect
    single_writer: bool = False

    @abstractmethod
    def write(self, target: Target, schema: Schema, batches: Iterable[Sequence[tuple[Any, ...]]]) -> int:
        """Write every batch into `target` in one transaction; return the rows written.

        Rows written are the rows given: a merge counts every row it upserted,
        whether or not the row's values changed.

        Creates the table from `schema` when it is missing; an existing one goes
        through `spine.check_existing_table` in the same transaction (it adds the
        input's new columns, or refuses them, refuses a changed type, and gives a
        merge its unique index). Two writes to the same table never interleave. If
        iterating `batches` raises, or anything else fails, the transaction is
        rolled back and the table is exactly as it was, columns and indexes
        included; the exception propagates.
        """

    def limits(self, schema: Schema) -> Sequence[Check]:
        """Checks for the values of `schema`'s columns that this store cannot hold as given
        (SQLite cannot keep some decimals exactly): a load applies them with its own,
        so that such a row is a reject naming the column, not a value changed without a
        word or a failed load. None by default."""
        return ()

    @abstractmethod
    def transaction(self, lock: str | None = None) -> AbstractContextManager[Session]:
        """A transaction, committed when the block ends normally and rolled back otherwise.

        With `lock`, transactions holding the same lock name are serialised.
        """

    @contextmanager
    def try_transaction(self, lock: str | None = None) -> Iterator[Session | None]:
        """Like `transaction`, but None instead of a session when it would first have to wait
        for another writer: for housekeeping that must not hold up a command that only reads.

        The default waits as `transaction` does; a store whose writers block each other for
        long (a SQLite load holds the only write lock) overrides it.
        """
        with self.transaction(lock) as session:
            yield session

    @abstractmethod
    def declared_columns(self, table: str) -> list[tuple[str, str]]:
        """Each column of `table` in order: its name and its type as the database names
        it (``VARCHAR(20)``, ``bigint``); empty when the table does not exist."""

    def unique_keys(self, table: str) -> list[tuple[str, ...]] | None:
        """The columns of each unique key of `table` that a merge can use (its primary key,
        unique constraints and unique indexes on plain columns, neither partial nor
        deferred); empty when it has none or does not exist. Inside a transaction, what
        that transaction sees.

        None (this default) means the store cannot tell: a merge into an existing table
        then relies on the store's own check instead of `check_existing_table` creating
        the unique index it needs.
        """
        return None

    def columns(self, table: str) -> list[str] | None:
        """The column names of `table`, or None when it does not exist."""
        return [name for name, _ in self.declared_columns(table)] or None

    def column_types(self, table: str) -> dict[str, str]:
        """The logical type of each column of `table` that has one (see `logical_type`),
        by lower-case column name; empty when the table does not exist.

        A load gives them to its source (`Source.prefer_types`), so that a file loaded
        into an existing table is read as the table stores it.
        """
        return logical_types(self.declared_columns(table))

    def describe(self) -> str:
        """The store's URL without secrets, for messages and records."""
        return self.dialect.name

    @functools.cached_property
    def damage_reported(self) -> set[tuple[str, str, str]]:
        """The (table, record, field) of the kernel's records found damaged in this store and
        reported already: each is reported once (see `spine._records._damaged`)."""
        return set()

    def lost_connection(self, error: BaseException) -> bool:
        """True when `error`, raised by this store, says its connection could not be made or
        was dropped (the server restarted since the connection's last use): the same work
        may succeed on a new one. The default, for stores without a connection to lose
        (a SQLite file), is False."""
        return False

    def close(self) -> None:  # noqa: B027 - optional
        """Close connections."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_LOGICAL_TYPES = {
    "integer": ("SMALLINT", "INTEGER", "INT", "BIGINT", "INT2", "INT4", "INT8", "TINYINT", "MEDIUMINT"),
    "decimal": ("NUMERIC", "DECIMAL", "DEC", "DECFLOAT"),
    "float": ("REAL", "FLOAT", "FLOAT4", "FLOAT8", "DOUBLE", "DOUBLE PRECISION"),
    "boolean": ("BOOLEAN", "BOOL"),
    "date": ("DATE",),
    "timestamp": ("TIMESTAMP", "DATETIME", "TIMESTAMP WITHOUT TIME ZONE"),
    "string": (
        *("TEXT", "VARCHAR", "CHAR", "CHARACTER", "CHARACTER VARYING", "BPCHAR", "CLOB", "CITEXT"),
        *("NCHAR", "NVARCHAR", "LONG VARCHAR", "GRAPHIC", "VARGRAPHIC", "NAME"),
    ),
}
_LOGICAL_TYPE_OF = {name: logical for logical, names in _LOGICAL_TYPES.items() for name in names}


def logical_types(declared: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The logical type of each of the `declared` columns (name, SQL type) that has one, by
    lower-case name: what `Store.column_types` gives."""
    typed = ((name.lower(), logical_type(sql_type)) for name, sql_type in declared)
    return {name: type_name for name, type_name in typed if type_name}


def logical_type(sql_type: str) -> str | None:
    """spine's logical type for a column of SQL type `sql_type`, as SQLite, PostgreSQL
    or Db2 name it (``VARCHAR(20)``, ``int8``, ``numeric(12, 2)``, ``DOUBLE``); None for a
    type with no match (JSON, UUID, binary, time zones...), which sources then infer."""
    name = " ".join(sql_type.split("(", 1)[0].upper().split())
    return _LOGICAL_TYPE_OF.get(name)


class Written(NamedTuple):
    """What one load did: the rows given (what `Store.write` returns) and the rows the
    database inserted or changed (a merge leaves rows that are already equal alone)."""

    rows: int
    changed: int

    def log(self, logger: logging.Logger, store: Store, target: Target, seconds: float) -> None:
        """The debug line a store writes after a load."""
        logger.debug(
            "wrote %d rows into %s (%s: %d inserted or changed) on %s in %.3fs",
            self.rows,
            target.table,
            target.mode,
            self.changed,
            store.describe(),
            seconds,
        )
