"""One load: COPY straight into a table the load creates, or into a temporary staging
table and then one set-based statement into an existing one.

Staging keeps the fast path fast and the target's rules in force: COPY fills columns
of the unconstrained types spine sends, the target's own column types (lengths,
scales, NOT NULL, other columns' defaults) apply when the staged rows are inserted,
and a merge can pick the last row of each key before it touches the target. A table
the load creates has exactly the types COPY sends and needs none of that.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow
from spine import LoadError, Schema, Store, Target, WriteMode, Written, check_existing_table

from ._copy_text import Misfit, batch_text
from ._dialect import COPY_TYPES
from ._errors import reason
from ._session import PostgresSession

# Quoted names that no spine identifier can take (check_identifier allows letters,
# digits and underscores only), so they never meet a user's column or table.
SEQUENCE = '"spine:seq"'
TARGET = '"spine:target"'

# Where the server says a COPY failed: "COPY t, line 3, column n: ...", a line a row.
_COPY_LINE = re.compile(r"COPY .*?, line (\d+)")

Batches = Iterable[Sequence[tuple[Any, ...]]]


class Load:
    """One write of `schema` rows into `target`, on a cursor inside an open transaction."""

    def __init__(
        self, cursor: psycopg.Cursor[TupleRow], store: Store, target: Target, schema: Schema, staging: str
    ) -> None:
        self.cursor = cursor
        self.store = store
        self.target = target
        self.schema = schema
        self.staging = staging
        self.quote = store.dialect.quote
        self.merge = target.mode is WriteMode.MERGE

    def run(self, batches: Batches) -> Written:
        """Write every batch."""
        if check_existing_table(self.store, self.target, self.schema, PostgresSession(self.cursor)):
            return self._through_staging(self._qualified(), batches)
        return self._into_new_table(batches)

    def _into_new_table(self, batches: Batches) -> Written:
        # A table this transaction creates is seen by no one else until it commits:
        # the rows go straight in, and the key's index is built once, in bulk, at the
        # end, which costs a fraction of maintaining it row by row.
        self.cursor.execute(self.store.dialect.create_table(self.target.table, self.schema))
        table = self._qualified()
        given = self._copy(table, batches)
        if not self.target.keys:
            return Written(given, given)
        removed = 0
        try:
            with self.cursor.connection.transaction():
                self._add_primary_key(table)
        except psycopg.errors.UniqueViolation:
            if not self.merge:
                raise
            removed = self._keep_last_of_each_key(table)
            self._add_primary_key(table)
        return Written(given, given - removed)

    def _add_primary_key(self, table: str) -> None:
        keys = ", ".join(map(self.quote, self.target.keys))
        self.cursor.execute(f"ALTER TABLE {table} ADD PRIMARY KEY ({keys})")

    def _keep_last_of_each_key(self, table: str) -> int:
        """Delete all but the last row of each key; return how many went.

        The table was created and filled by one COPY in this transaction, so its rows
        lie in the order they were sent, and ctid order is arrival order.
        """
        keys = ", ".join(map(self.quote, self.target.keys))
        self.cursor.execute(
            f"DELETE FROM {table} WHERE ctid IN (SELECT ctid FROM (SELECT ctid, row_number() OVER "
            f"(PARTITION BY {keys} ORDER BY ctid DESC) AS later FROM {table}) AS rows WHERE later > 1)"
        )
        return self.cursor.rowcount

    def _through_staging(self, table: str, batches: Batches) -> Written:
        columns = [f"{self.quote(field.name)} {COPY_TYPES[field.type]}" for field in self.schema.fields]
        if self.merge:  # numbers the rows in the order they arrive, for "the last row of a key wins"
            columns.append(f"{SEQUENCE} bigint GENERATED ALWAYS AS IDENTITY")
        self.cursor.execute(f"CREATE TEMPORARY TABLE {self.staging} ({', '.join(columns)}) ON COMMIT DROP")
        # Planning the final statement now fails a load whose values cannot go into the
        # table's columns (text into a date column) before the source is read at all.
        self.cursor.execute("EXPLAIN " + self._insert(table))
        given = self._copy(self.staging, batches)
        if self.target.mode is WriteMode.REPLACE:
            # TRUNCATE rather than building a new table and renaming it over the old one:
            # views, grants, indexes, triggers and foreign keys stay attached to the table.
            # It comes after the COPY so that readers wait for the shortest time.
            self.cursor.execute(f"TRUNCATE {table}")
        if not self.merge:
            self.cursor.execute(self._insert(table))
            return Written(given, self.cursor.rowcount)
        alone = self._empty_and_ours(table)
        # Keys are nearly always unique within one load: insert as if they were, which
        # spares sorting the staged rows, and sort only when the database finds a key twice.
        try:
            with self.cursor.connection.transaction():
                self.cursor.execute(self._insert(table, alone, unique=True))
        except (psycopg.errors.UniqueViolation, psycopg.errors.CardinalityViolation):
            self.cursor.execute(self._insert(table, alone))
        return Written(given, self.cursor.rowcount)

    def _qualified(self) -> str:
        # The table in the current schema, named so that nothing earlier on the search
        # path (pg_catalog, pg_temp) can shadow it.
        row = self.cursor.execute("SELECT current_schema()").fetchone()
        assert row is not None and row[0] is not None, "called once the table exists"
        return f"{sql.Identifier(row[0]).as_string(self.cursor)}.{self.quote(self.target.table)}"

    def _empty_and_ours(self, table: str) -> bool:
        """True when `table` is empty and stays so for this transaction alone (a first load)."""
        if self._has_rows(table):
            return False
        # Readers go on; other writers wait until this load commits, which is soon: the
        # rows are staged already. Only empty tables are locked, so that merges into
        # tables with rows never hold other writers up.
        self.cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        return not self._has_rows(table)

    def _has_rows(self, table: str) -> bool:
        row = self.cursor.execute(f"SELECT EXISTS (SELECT FROM {table})").fetchone()
        return row is not None and bool(row[0])

    def _copy(self, table: str, batches: Batches) -> int:
        names = ", ".join(map(self.quote, self.schema.names))
        fields = self.schema.fields
        encoding = self.cursor.connection.info.encoding
        loaded = 0
        try:
            # An exception from `batches` leaves the block: psycopg then aborts the COPY
            # and the exception goes on, unchanged, to roll the transaction back.
            with self.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for batch in batches:
                    try:
                        copy.write(batch_text(batch, fields).encode(encoding))
                    except Misfit as exc:
                        raise self._misfit(loaded + exc.index + 1, str(exc)) from exc
                    except UnicodeEncodeError as exc:
                        line = exc.object[: exc.start].count("\n")
                        why = (
                            f"{exc.object[exc.start]!r} has no code in {encoding}, the connection's encoding"
                        )
                        raise self._misfit(loaded + line + 1, why) from exc
                    loaded += len(batch)
        except psycopg.Error as exc:
            # A value the server refused (a bigint out of range, say): SQLSTATE class 22
            # (data exception) or 23 (integrity constraint violation). A full disk or a
            # lost connection in the middle of a COPY is no fault of a row.
            found = _COPY_LINE.match(exc.diag.context or "")
            if found is None or (exc.sqlstate or "")[:2] not in ("22", "23"):
                raise
            raise self._misfit(int(found[1]), reason(exc)) from exc
        return loaded

    def _misfit(self, row: int, why: str) -> LoadError:
        columns = ", ".join(f"{field.name} {field.type}" for field in self.schema.fields)
        return LoadError(
            f"row {row} of the load into {self.target.table!r} does not fit its columns ({columns}): {why}",
            context={"store": self.store.describe(), "table": self.target.table, "row": row},
        )

    def _insert(self, table: str, alone: bool = False, *, unique: bool = False) -> str:
        """The statement from staging into `table`. `unique`: trust the staged keys to be
        unique instead of keeping the last row of each; `alone`: no row can conflict."""
        quote = self.quote
        columns = ", ".join(map(quote, self.schema.names))
        insert = f"INSERT INTO {table} AS {TARGET} ({columns}) "
        if not self.merge:
            return insert + f"SELECT {columns} FROM {self.staging}"
        keys = ", ".join(map(quote, self.target.keys))
        last_of_each_key = (
            f"DISTINCT ON ({keys}) {columns} FROM {self.staging} ORDER BY {keys}, {SEQUENCE} DESC"
        )
        statement = insert + f"SELECT {f'{columns} FROM {self.staging}' if unique else last_of_each_key}"
        if alone:
            # Nothing can conflict in an empty table no one else writes to, and ON
            # CONFLICT's speculative insertion would double the time of a first load.
            return statement
        statement += f" ON CONFLICT ({keys}) "
        others = [quote(name) for name in self.schema.names if name not in self.target.keys]
        if not others:
            return statement + "DO NOTHING"
        # Only rows that really differ are updated: re-loading the same data rewrites
        # nothing (no dead tuples, no WAL, no trigger calls) and counts nothing.
        return statement + (
            f"DO UPDATE SET {', '.join(f'{column} = EXCLUDED.{column}' for column in others)} "
            f"WHERE ROW({', '.join(f'{TARGET}.{column}' for column in others)}) "
            f"IS DISTINCT FROM ROW({', '.join(f'EXCLUDED.{column}' for column in others)})"
        )
