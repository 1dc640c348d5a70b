"""What a load does with a table that exists already: one implementation for every store.

A store's `write` calls `check_existing_table` inside its own transaction, with a
session on it: the statements it sends (``ALTER TABLE ... ADD COLUMN``, ``CREATE
UNIQUE INDEX``) are part of the load, and undone with it when the load fails.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from .._errors import LoadError
from ._schema import MAX_IDENTIFIER_LENGTH, Field, Schema
from ._stores import SchemaContract, Session, Store, Target, WriteMode, logical_type

# Input types that an existing column of another logical type holds without loss:
# (the input's type, the column's type).
WIDENINGS = frozenset({("integer", "decimal"), ("integer", "float"), ("date", "timestamp")})


def check_existing_table(
    store: Store, target: Target, schema: Schema, session: Session | None = None
) -> bool:
    """True when `target.table` exists and is ready for rows of `schema`; False when it is missing.

    A store calls it in its write's transaction, with `session` on that transaction.
    For an existing table:

    - a column whose type differs from the input's is refused (`LoadError` naming the
      column and both types), unless the input's type widens into it without loss (an
      integer into a decimal or float column, a date into a timestamp column). Columns
      of SQL types spine has no logical type for (`logical_type`) are not checked;
    - input columns the table lacks are added, nullable, when ``target.schema_contract``
      is evolve (or None), and refused, named, when it is freeze;
    - a merge into a table without a unique key on exactly ``target.keys``
      (`Store.unique_keys`) creates one, ``CREATE UNIQUE INDEX`` named by
      `unique_index_name`, when the table's rows are unique on the keys; otherwise
      `LoadError` says how many key values repeat and gives one, with its count.

    Without `session` (a store written before tables could evolve), new columns are
    refused and a merge's unique key is left to the store to check.
    """
    declared = store.declared_columns(target.table)
    if not declared:
        return False
    _check_types(target, schema, declared)
    have = {name.lower() for name, _ in declared}
    missing = [field for field in schema.fields if field.name.lower() not in have]
    if missing:
        _add_columns(store, target, missing, session)
    if target.mode is WriteMode.MERGE and session is not None:
        _ensure_unique_key(store, target, session)
    return True


def unique_index_name(table: str, keys: Sequence[str]) -> str:
    """The unique index a merge creates: ``<table>_<keys>_merge_key`` (unlike PostgreSQL's own
    ``<table>_<keys>_key``); a longer name than identifiers allow is cut and ends with a hash
    of the whole."""
    name = f"{table}_{'_'.join(keys)}_merge_key"
    if len(name) <= MAX_IDENTIFIER_LENGTH:
        return name
    digest = hashlib.blake2b(name.encode(), digest_size=4).hexdigest()
    return f"{name[: MAX_IDENTIFIER_LENGTH - len(digest) - 1]}_{digest}"


def empty_replace_guard(store: Store, target: Target, exists: bool) -> str | None:
    """The table that a load must not end up emptying: ``target.table`` for a replace (without
    ``allow_empty``) into a table that `exists` and holds rows; None otherwise.

    `RowStream` refuses to end without a row for it, from inside the write's transaction,
    so that the table is left as it was.
    """
    if target.mode is not WriteMode.REPLACE or target.allow_empty or not exists:
        return None
    with store.transaction() as session:
        found = session.query(f"SELECT 1 FROM {store.dialect.quote(target.table)}" + store.dialect.limit(1))
    return target.table if found else None


def _check_types(target: Target, schema: Schema, declared: list[tuple[str, str]]) -> None:
    stored = {name.lower(): sql_type for name, sql_type in declared}
    changed: dict[str, dict[str, str]] = {}
    for field in schema.fields:
        sql_type = stored.get(field.name.lower())
        column_type = None if sql_type is None else logical_type(sql_type)
        if column_type is None or column_type == field.type or (field.type, column_type) in WIDENINGS:
            continue
        changed[field.name] = {"input": field.type, "table": column_type, "sql_type": str(sql_type)}
    if changed:
        differences = "; ".join(
            f"{name} as {types['table']} ({types['sql_type']}) where the input has {types['input']}"
            for name, types in changed.items()
        )
        raise LoadError(
            f"table {target.table!r} stores {differences}. spine never changes a column's type: "
            "read the input with the table's types, or load into a new table",
            context={"table": target.table, "types": changed},
        )


def _add_columns(store: Store, target: Target, missing: list[Field], session: Session | None) -> None:
    names = ", ".join(field.name for field in missing)
    context = {"table": target.table, "missing": [field.name for field in missing]}
    if target.schema_contract is SchemaContract.FREEZE:
        raise LoadError(
            f"table {target.table!r} has no column(s) {names} that the input has, and the schema "
            "contract is freeze; add them to the table, or load with --schema-contract evolve",
            context=context,
        )
    if session is None:
        raise LoadError(
            f"table {target.table!r} exists without column(s) {names} that the input has; "
            "add them, or load into a new table",
            context=context,
        )
    for field in missing:
        session.execute(store.dialect.add_column(target.table, field))


def needs_unique_key(store: Store, target: Target) -> bool:
    """Whether a merge into the existing `target.table` finds no unique key on exactly its
    keys, so that `check_existing_table` makes one (False when the store cannot tell)."""
    if target.mode is not WriteMode.MERGE:
        return False
    usable = store.unique_keys(target.table)
    wanted = {key.lower() for key in target.keys}
    return usable is not None and not any({column.lower() for column in key} == wanted for key in usable)


def _ensure_unique_key(store: Store, target: Target, session: Session) -> None:
    if not needs_unique_key(store, target):
        return
    quote = store.dialect.quote
    keys = ", ".join(map(quote, target.keys))
    repeats = f"FROM {quote(target.table)} GROUP BY {keys} HAVING COUNT(*) > 1"
    ((count,),) = session.query(f"SELECT COUNT(*) FROM (SELECT {keys} {repeats}) AS {quote('repeats')}")
    if count:
        *values, rows = session.query(
            f"SELECT {keys}, COUNT(*) {repeats} ORDER BY COUNT(*) DESC, {keys}" + store.dialect.limit(1)
        )[0]
        example = ", ".join(f"{key}={_shown(value)}" for key, value in zip(target.keys, values, strict=True))
        raise LoadError(
            f"cannot merge into {target.table!r}: it has no primary key or unique index on "
            f"({', '.join(target.keys)}), and none can be made: {count} key value(s) repeat in its rows, "
            f"such as {example} ({rows} rows); remove the repeats, or load with --mode append or replace",
            context={"table": target.table, "keys": list(target.keys), "repeated": int(count)},
        )
    name = unique_index_name(target.table, target.keys)
    session.execute(store.dialect.create_index(target.table, name, target.keys, unique=True))


def _shown(value: Any) -> str:
    return "NULL" if value is None else repr(value) if isinstance(value, str) else str(value)
