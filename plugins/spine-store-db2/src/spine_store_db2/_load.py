"""One load: ``execute_many`` into a staging table, then one set-based statement into the target.

Staging keeps Db2's fast path (array inserts, one round trip per STAGE_ROWS rows) apart from
the target: the target is locked only for the statement that moves the rows, and a
merge can pick the last row of each key before it touches the target.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import chain, islice
from typing import Any

from spine import LoadError, Schema, Store, Target, Written, check_existing_table

from ._dialect import Db2Dialect, converter
from ._session import Db2Session
from ._sql import load_sql

Batches = Iterable[Sequence[tuple[Any, ...]]]
STAGE_ROWS = 10_000  # rows per execute_many


class Load:
    """A write of `schema` rows into `target`. Building one checks that Db2 can hold the schema."""

    def __init__(self, dialect: Db2Dialect, target: Target, schema: Schema) -> None:
        self.target, self.schema = target, schema
        self.sql = load_sql(dialect, target, schema)
        required = {*target.keys, *(field.name for field in schema.fields if not field.nullable)}
        self._converters = [converter(field, required=field.name in required) for field in schema.fields]

    def run(self, store: Store, session: Db2Session, batches: Batches) -> Written:
        """Write every batch inside the transaction `session` has open.

        A merge leaves rows that are already equal untouched: it changes nothing
        when the same rows are loaded again.
        """
        if not check_existing_table(store, self.target, self.schema, session):
            session.execute(self.sql.create_table)
        session.execute(self.sql.declare_staging)
        staged = self._stage(session, batches)
        # One table lock rather than a row lock per row moved: no lock escalation, and
        # readers wait only for the statement below.
        session.execute(self.sql.lock_table)
        changed = 0
        for statement in self.sql.move:
            changed = session.run(statement)
        session.execute(self.sql.drop_staging)
        return Written(staged, changed)

    def _stage(self, session: Db2Session, batches: Batches) -> int:
        # Rows are gathered across batches: a round trip per batch would cost more than
        # the insert itself when batches are small (the kernel keeps them cache-sized).
        insert = session.prepare(self.sql.insert_staging)
        numbered = (
            self._row(row, number) for number, row in enumerate(chain.from_iterable(batches), start=1)
        )
        staged = 0
        while rows := tuple(islice(numbered, STAGE_ROWS)):
            inserted = insert(rows)
            if inserted != len(rows):
                raise LoadError(
                    f"Db2 staged {inserted} of {len(rows)} rows of the load into {self.target.table!r}",
                    context={"table": self.target.table},
                )
            staged += len(rows)
        return staged

    def _row(self, row: Sequence[Any], number: int) -> tuple[Any, ...]:
        """The row as staged: its number in the load (the last of a key wins), then its values."""
        fields = self.schema.fields
        if len(row) != len(fields):
            raise LoadError(
                f"row {number} of the load into {self.target.table!r} has {len(row)} values "
                f"for {len(fields)} columns",
                context={"table": self.target.table, "row": number},
            )
        values = [number]
        for field, convert, value in zip(fields, self._converters, row, strict=True):
            try:
                values.append(convert(value))
            except ValueError as exc:
                raise LoadError(
                    f"row {number} of the load into {self.target.table!r}, column {field.name!r}: {exc}",
                    context={"table": self.target.table, "row": number, "column": field.name},
                ) from None
        return tuple(values)
