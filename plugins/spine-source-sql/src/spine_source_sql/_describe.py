"""What a sql source reads, described before a row is read: a table reflected (the columns=
of it, when named), a query's columns as its driver describes them (inferred from its first
rows where the driver does not say), the key; then the cursor and chunk options checked
against those columns, so that a wrong one is refused before the read starts.
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import spine
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ._chunks import CHUNK_KEY_TYPES
from ._incremental import CURSOR_TYPES, lag_of
from ._options import SqlOptions
from ._types import Column, columns_of, from_mysql, from_postgres, from_sqlalchemy, from_values

# Rows a query's types are inferred from, where the driver does not describe them.
_INFER_ROWS = 100


class Described(NamedTuple):
    """A table or query described: its columns in the schema's order, the table reflected
    (None for a query), the source names of its key columns, and what the schema warns about."""

    columns: list[Column]
    table: sa.Table | None
    keys: list[str]
    notes: list[str]


def describe_table(connection: Connection, options: SqlOptions, shown: str) -> Described:
    """The table ``options.table`` of the database `shown` reflected, its ``columns=`` chosen."""
    assert options.table is not None, "a table source"
    schema, _, name = options.table.rpartition(".")
    try:
        with reflecting(connection, name, schema or None) as unrecognized:
            table = sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=connection)
    except sa.exc.NoSuchTableError:
        raise _missing_table(connection, schema or None, name, options.table, shown) from None
    dialect = connection.dialect
    chosen = list(table.columns)
    if options.columns:
        by_name = {declared(column.name, dialect).lower(): column for column in table.columns}
        missing = [name for name in options.columns if name.lower() not in by_name]
        if missing:
            close = difflib.get_close_matches(missing[0].lower(), list(by_name), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise spine.ConfigError(
                f"sql source option 'columns': table {options.table} has no column {missing[0]!r}{hint}",
                context={"option": "columns"},
            )
        chosen = [by_name[name.lower()] for name in options.columns]
    columns, notes = columns_of(
        [declared(column.name, dialect) for column in chosen],
        [from_sqlalchemy(column.type, dialect, unrecognized.get(column.name)) for column in chosen],
    )
    for column, reflected in zip(columns, chosen, strict=True):
        column.source_name = reflected.name  # selected through SQLAlchemy's own name
    # The primary key tells rows apart when every one of its columns is read; key= otherwise.
    primary = [column.name for column in table.primary_key.columns]
    read = {column.name for column in chosen}
    keys = list(options.key) or (primary if read.issuperset(primary) else [])
    return Described(columns, table, keys, notes)


# SQLAlchemy's warning for a declared type it does not know (it then reflects NullType).
_UNRECOGNIZED = re.compile(r"Did not recognize type '(?P<type>[^']*)' of column '(?P<column>[^']*)'")


@contextmanager
def reflecting(connection: Connection, name: str, schema: str | None) -> Iterator[dict[str, str]]:
    """A block that reflects table `name`'s columns, SQLAlchemy's warnings about their types
    kept out of the log (the source says them itself, naming the column); gives, once it
    ends, each column whose declared type SQLAlchemy did not know, with that type: those it
    warned about, and on SQLite those it silently read as NUMERIC (`affinity_guesses`)."""
    unrecognized: dict[str, str] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", sa.exc.SAWarning)
        yield unrecognized
    for warning in caught:
        found = _UNRECOGNIZED.search(str(warning.message))
        if found is not None:
            unrecognized[found["column"]] = found["type"]
    unrecognized.update(affinity_guesses(connection, name, schema))


def affinity_guesses(connection: Connection, name: str, schema: str | None) -> dict[str, str]:
    """The columns of a SQLite table whose declared type SQLAlchemy does not know and reads
    as NUMERIC by SQLite's affinity rule (a UUID, a GEOMETRY), with that declared type: read
    as numbers, every value would be a reject."""
    dialect = connection.dialect
    if dialect.name != "sqlite":
        return {}
    quote = dialect.identifier_preparer.quote
    within = f"{quote(schema)}." if schema else ""
    declared_types = connection.exec_driver_sql(f"PRAGMA {within}table_info({quote(name)})").fetchall()
    return {column: sql for _, column, sql, *_ in declared_types if sql and _affinity_only(sql, dialect)}


def _affinity_only(sql: str, dialect: sa.engine.Dialect) -> bool:
    """Whether SQLite's `sql` type is one SQLAlchemy reads as NUMERIC only by affinity."""
    known = getattr(dialect, "ischema_names", {})
    name = sql.split("(")[0].strip().upper()
    affinity = ("INT", "CHAR", "CLOB", "TEXT", "BLOB", "REAL", "FLOA", "DOUB")
    return name not in known and not any(word in name for word in affinity)


def describe_query(connection: Connection, query: str, key: tuple[str, ...]) -> Described:
    """The columns of `query` (checked by `check_query`), with the key columns `key` names."""
    dialect = connection.dialect.name
    nothing = sa.select(sa.text("*")).select_from(query_from(query)).where(sa.false())
    sample = [] if dialect in ("postgresql", "mysql", "mariadb") else _sample(connection, query)
    result = connection.execute(nothing)
    description: list[Any] = list(result.cursor.description)  # the driver's own codes
    result.close()
    if dialect == "postgresql":
        from psycopg.postgres import types

        kinds = [from_postgres(_pg_name(types, item[1]), item[4], item[5]) for item in description]
    elif dialect in ("mysql", "mariadb"):
        kinds = [from_mysql(item[1]) for item in description]
    else:
        kinds = [from_values(row[index] for row in sample) for index in range(len(description))]
    columns, notes = columns_of([str(item[0]) for item in description], kinds)
    return Described(columns, None, list(key), notes)


def query_from(query: str) -> sa.Subquery:
    """`query` as the subquery a SELECT reads FROM."""
    return sa.text(query).columns().subquery("spine_query")


def check_options(columns: list[Column], keys: list[str], options: SqlOptions, what: str) -> None:
    """Refuse a ``cursor`` or ``chunk_rows`` the columns read (of `what`, as messages say it)
    cannot serve, with a `ConfigError` naming the option."""
    _check_cursor(columns, keys, options, what)
    _check_chunks(columns, keys, options, what)


def index_of(columns: list[Column], name: str, what: str) -> int:
    """Where the column `name` (its source name or its spine name, in any case) is in a row."""
    for index, column in enumerate(columns):
        if name.lower() in (column.source_name.lower(), column.field.name.lower()):
            return index
    raise spine.ConfigError(
        f"sql source option 'key': the {what} read has no column {name!r}",
        context={"option": "key"},
    )


def declared(name: str, dialect: sa.engine.Dialect) -> str:
    """The name as the database declares it: SQLAlchemy shows Db2's ``ORDER_ID`` as ``order_id``."""
    return str(dialect.denormalize_name(name)) if dialect.requires_name_normalize else name


def _missing_table(
    connection: Connection, schema: str | None, name: str, named: str, shown: str
) -> spine.SourceError:
    """No table `named` (``schema.name`` or ``name``) in `shown`; the closest one it has, if any."""
    inspector = sa.inspect(connection)
    try:
        known = inspector.get_table_names(schema) + inspector.get_view_names(schema)
    except sa.exc.DBAPIError:  # the schema itself is missing
        known = []
    close = difflib.get_close_matches(name, known, n=1) or difflib.get_close_matches(
        name.lower(), [table.lower() for table in known], n=1
    )
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return spine.SourceError(f"sql source: no table {named!r} in {shown}{hint}", context={"table": named})


def _sample(connection: Connection, query: str) -> list[tuple[Any, ...]]:
    statement = sa.select(sa.text("*")).select_from(query_from(query)).limit(_INFER_ROWS)
    return [tuple(row) for row in connection.execute(statement)]


def _pg_name(types: Any, oid: int) -> str:
    """PostgreSQL's name of a type (``int8``); an array's is its element's with ``[]``."""
    info = types.get(oid)
    if info is None:
        return str(oid)
    return str(info.name) if info.oid == oid else f"{info.name}[]"


def _check_cursor(columns: list[Column], keys: list[str], options: SqlOptions, what: str) -> None:
    cursor = options.cursor
    if cursor is None:
        return
    column = next((c for c in columns if c.field.name.lower() == cursor.lower()), None)
    if column is None:
        close = difflib.get_close_matches(cursor, [c.field.name for c in columns], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise spine.ConfigError(
            f"sql source option 'cursor': the {what} read has no column {cursor!r}{hint}",
            context={"option": "cursor"},
        )
    if column.kind.type not in CURSOR_TYPES:
        raise spine.ConfigError(
            f"sql source option 'cursor': column {cursor!r} is {column.kind.sql} "
            f"({column.kind.type}); a cursor is a timestamp or an increasing integer",
            context={"option": "cursor"},
        )
    lag_of(options, column.kind.type)  # a lag the type cannot take is refused now
    if options.cursor_op == ">=" and not keys:
        raise spine.ConfigError(
            f"sql source option 'cursor_op': >= re-reads the rows at the mark and needs key= to "
            f"tell them apart (the {what} has no primary key)",
            context={"option": "key"},
        )


def _check_chunks(columns: list[Column], keys: list[str], options: SqlOptions, what: str) -> None:
    if options.chunk_rows is None:
        return
    if not keys:
        raise spine.ConfigError(
            f"sql source option 'chunk_rows': table {options.table} has no primary key among the "
            "columns read to chunk on; name one with key=",
            context={"option": "key"},
        )
    for name in keys:
        kind = columns[index_of(columns, name, what)].kind
        if kind.type not in CHUNK_KEY_TYPES:
            raise spine.ConfigError(
                f"sql source option 'chunk_rows': key column {name!r} is {kind.sql} ({kind.type}); "
                "chunks are taken on integer or text keys",
                context={"option": "key"},
            )
