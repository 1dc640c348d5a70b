"""The sql source: a table or a query, read in one read-only snapshot, streamed in batches
capped by rows and bytes.

`SqlSource` is the plugin's top: it keeps the spine.Source contract, the connection and
the SELECT of a run, and leaves the rest to its modules: `_describe` (the columns read, the
options checked against them), `_batching` (fetched rows into batches), `_catalog` (the
tables of a location), `_incremental` (a cursor's marks), `_chunks` (keyset chunks' state),
`_session` (the read-only transaction).
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import spine
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ._batching import Batcher
from ._catalog import list_tables
from ._chunks import COMPLETE, checkpoint_after, past, start_after
from ._describe import check_options, describe_query, describe_table, index_of, query_from
from ._errors import source_error
from ._incremental import Mark, Tracker, lag_of
from ._location import Location, engine, parse_location
from ._options import SqlOptions, parse_options
from ._query import check_query
from ._session import Read, read_transaction
from ._types import Column

_Select = sa.Select[*tuple[Any, ...]]


def open_sql(location: str, **options: Any) -> SqlSource:
    """The factory registered as the ``sql`` source: options are checked, nothing is read yet."""
    return SqlSource(location, parse_options(options))


class SqlSource(spine.Source):
    """Rows of a table or query of a SQL database; see the plugin's README for the options."""

    def __init__(self, location: str, options: SqlOptions) -> None:
        self.location: Location = parse_location(location)
        self.options = options
        self.query = None if options.query is None else check_query(options.query)
        self._engine: Engine | None = None
        self._columns: list[Column] | None = None
        self._table: sa.Table | None = None
        self._keys: list[str] = []  # source names of the key columns, for rejects and >=
        self._notes: list[str] = []  # warnings of the schema
        self._read_notes: list[str] = []  # warnings of the last read
        self._saved: str | None = None
        self._checkpoint: str | None = None
        self._reading: Generator[spine.Batch, None, None] | None = None

    # -- spine.Source --------------------------------------------------------------------

    def schema(self) -> spine.Schema:
        if self.options.table is None and self.query is None:
            raise spine.ConfigError(
                "sql source options: give table= or query=, what to read (spine inspect "
                f"{self.location.shown} lists the tables); the sql source only reads: to write into "
                "this database use --store",
                context={"option": "table"},
            )
        if self._columns is None:
            self._columns = self._describe()
        return spine.Schema(tuple(column.field for column in self._columns))

    def batches(self, batch_size: int = spine.DEFAULT_BATCH_SIZE) -> Iterator[spine.Batch]:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise spine.ConfigError(f"batch size: expected a whole number >= 1, got {batch_size!r}")
        self.schema()
        self._read_notes = []
        self._stop_reading()
        self._reading = reading = self._batches(self.options.batch_rows or batch_size)
        yield from reading

    def warnings(self) -> list[str]:
        notes = list(self._notes)
        for column in self._columns or []:
            notes += column.notes()
        return notes + self._read_notes

    def describe(self) -> str:
        return f"{self.location.shown} {self._what}"

    def secrets(self) -> list[str]:
        password = self.location.password
        return [password] if password else []

    def state_key(self) -> str | None:
        what = self.options.table or hashlib.sha256((self.query or "").encode()).hexdigest()[:16]
        if self.options.cursor is not None:
            return f"sql:{self.location.shown}:{what}:{self.options.cursor}"
        if self.options.chunk_rows is not None:
            return f"sql:{self.location.shown}:{what}:chunks"
        return None

    def resume(self, saved: str | None) -> None:
        self._saved = saved

    def checkpoint(self) -> str | None:
        return self._checkpoint

    def close(self) -> None:
        self._stop_reading()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def _stop_reading(self) -> None:
        """End a read left half done (a load that failed stops asking for batches): its
        transaction is rolled back and its connection closed now, not when collected."""
        if self._reading is not None:
            self._reading.close()
            self._reading = None

    # -- tables: what the location holds ------------------------------------------------

    def tables(self) -> list[spine.SourceTable] | None:
        """Every table and view of the location (schema-qualified where the database has
        schemas), with its columns as spine reads them and what it would warn about; None
        when the options name what to read (its columns are then `schema`'s)."""
        if self.options.table is not None or self.query is not None:
            return None
        with self._connected("listing tables") as (_, connection):
            return list_tables(connection)

    # -- describing -------------------------------------------------------------------------

    @property
    def _what(self) -> str:
        return f"table {self.options.table}" if self.options.table else "query"

    def _describe(self) -> list[Column]:
        with self._connected(f"describing the {self._what}") as (_, connection):
            if self.options.table is not None:
                described = describe_table(connection, self.options, self.location.shown)
            else:
                assert self.query is not None, "a query source"
                described = describe_query(connection, self.query, self.options.key)
        self._table, self._keys, self._notes = described.table, described.keys, described.notes
        check_options(described.columns, self._keys, self.options, self._what)
        return described.columns

    # -- reading -----------------------------------------------------------------------

    @contextmanager
    def _connected(self, doing: str) -> Iterator[tuple[Read, Connection]]:
        """A read transaction, with the database's errors said as `SourceError`s."""
        if self._engine is None:
            self._engine = engine(self.location)
        try:
            with read_transaction(self._engine, self.options.statement_timeout) as read:
                yield read, read.connection
        except sa.exc.DBAPIError as exc:
            raise source_error(exc, f"{doing}", self.location.shown, self.secrets()) from None

    def _batches(self, rows_cap: int) -> Generator[spine.Batch, None, None]:
        """One read: in keyset chunks with ``chunk_rows``, else in one snapshot."""
        assert self._columns is not None, "schema() described them"
        batcher = Batcher(
            self._columns, self._keys, self._what, self.describe(), rows_cap, self.options.batch_bytes
        )
        if self.options.chunk_rows is not None:
            yield from self._chunked(self.options.chunk_rows, batcher)
            return
        with self._connected("reading") as (read, connection):
            yield from self._read(read, connection, batcher)

    def _chunked(self, chunk_rows: int, batcher: Batcher) -> Generator[spine.Batch, None, None]:
        """The table in keyset chunks on its key, each read in a transaction of its own; the
        last batch of a chunk carries where the next one starts (`spine.Batch.checkpoint`),
        so the kernel commits up to it and a failed load resumes there."""
        assert self._columns is not None, "schema() described them"
        key_at = [index_of(self._columns, name, self._what) for name in self._keys]
        keys = [self._selected()[index] for index in key_at]
        after = start_after(self._saved, self.describe())
        while True:
            statement = self._select_table().order_by(*keys).limit(chunk_rows)
            if after is not None:
                statement = statement.where(past(keys, after))
            last: spine.Batch | None = None
            start = batcher.position
            with self._connected("reading") as (_, connection):
                result = connection.execution_options(stream_results=True).execute(statement)
                try:
                    for batch in batcher.batches(result):
                        if last is not None:
                            yield last
                        last = batch
                finally:
                    result.close()
            if batcher.position - start < chunk_rows:  # the table's end: the load's last part
                self._checkpoint = COMPLETE
                if last is not None:
                    yield last
                return
            after = [batcher.last_raw[index] for index in key_at]
            assert last is not None, "a full chunk yields a batch"
            yield last._replace(checkpoint=checkpoint_after(after))

    def _read(self, read: Read, connection: Connection, batcher: Batcher) -> Iterator[spine.Batch]:
        statement, cursor_at, tracker = self._statement(read, connection)
        result = connection.execution_options(stream_results=True).execute(statement)
        try:
            yield from batcher.batches(result, cursor_at, tracker)
            if tracker is not None:
                self._checkpoint = tracker.high.dumps(tracker.keep_keys)
        finally:
            # Left half read, a cursor is closed before its transaction ends; PyMySQL's
            # unbuffered one reads the rest of the result to do so.
            result.close()

    def _statement(self, read: Read, connection: Connection) -> tuple[_Select, int | None, Tracker | None]:
        """The SELECT of this run, with its cursor bounds; the cursor's position in a row;
        the tracker of the new mark."""
        assert self._columns is not None, "described"
        if self._table is not None:
            source: sa.FromClause = self._table
            statement = self._select_table()
        else:
            assert self.query is not None, "a query source"
            source = query_from(self.query)
            statement = sa.select(sa.text("*")).select_from(source)
        if self.options.cursor is None:
            return statement, None, None
        at = index_of(self._columns, self.options.cursor, self._what)
        column = self._columns[at]
        kind = column.kind.type
        typed = sa.DateTime() if kind == "timestamp" else sa.BigInteger()
        cursor = (
            source.c[column.source_name]
            if self._table is not None
            else sa.column(column.source_name, typed)  # the query's own column, FROM it alone
        )
        saved = Mark.loads(self._saved, kind)
        conditions = []
        if saved.value is not None:
            mark = sa.bindparam("mark", saved.value, type_=typed)
            conditions.append(cursor >= mark if self.options.cursor_op == ">=" else cursor > mark)
        upper = self._upper(read, connection, source, cursor, kind)
        if upper is not None:
            conditions.append(cursor <= sa.bindparam("upper", upper, type_=typed))
        condition = sa.and_(cursor.is_not(None), *conditions)
        if self.options.cursor_nulls == "include":
            condition = sa.or_(condition, cursor.is_(None))
        else:
            nulls = connection.execute(sa.select(sa.func.count()).select_from(source).where(cursor.is_(None)))
            count = nulls.scalar_one()
            if count:
                self._read_notes.append(
                    f"{count} rows have no value in the cursor column {column.field.name!r}: left out "
                    "(cursor_nulls=include reads them every run)"
                )
        tracker = Tracker(saved, self.options.cursor_op == ">=")
        return statement.where(condition), at, tracker

    def _selected(self) -> list[sa.Column[Any]]:
        """The table's columns this source reads, in the schema's order."""
        assert self._table is not None and self._columns is not None, "a described table"
        return [self._table.c[column.source_name] for column in self._columns]

    def _select_table(self) -> _Select:
        # Typeless: the values come as the driver gives them, and a value that does not
        # fit is a reject of ours, not an error of a SQLAlchemy result processor.
        assert self._columns is not None, "described"
        return sa.select(
            *(
                sa.type_coerce(selected, sa.types.NULLTYPE).label(column.field.name)
                for selected, column in zip(self._selected(), self._columns, strict=True)
            )
        )

    def _upper(
        self, read: Read, connection: Connection, source: sa.FromClause, cursor: Any, kind: str
    ) -> Any:
        """The highest cursor value this run reads: the database's time less the lag (a
        timestamp cursor), or the highest value less the lag (an integer), read in the
        same snapshot as the rows; None without a lag."""
        lag = lag_of(self.options, kind)
        if lag is None:
            return None
        if isinstance(lag, timedelta):
            return read.now - lag
        highest = connection.execute(sa.select(sa.func.max(cursor)).select_from(source)).scalar_one()
        return None if highest is None else int(highest) - lag
