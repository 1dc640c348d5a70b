"""A stand-in for the ibm_db module that records every call and runs the statements on
PostgreSQL, so that tests can check both what the store sends and what it leaves in
the tables.

It behaves as ibm_db does where the store relies on it: plain ``Exception`` with
``SQLSTATE=... SQLCODE=...`` at the end of the text; autocommit on until switched
off; a failing statement rolls back alone while its transaction goes on, except
-911 (deadlock or lock timeout), which rolls back the whole transaction;
``execute_many`` wants a tuple of tuples with one Python type per column; BOOLEAN
comes back as 0 or 1.

Only the few Db2-only spellings the store uses are translated (`to_postgres`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg

SQL_AUTOCOMMIT_OFF = 0
SQL_AUTOCOMMIT_ON = 1

# PostgreSQL SQLSTATE -> what Db2 says for the same failure: SQLSTATE, SQLCODE, message.
_DB2_ERRORS = {
    "40P01": (
        "40001",
        -911,
        'SQL0911N  The transaction was rolled back: deadlock or timeout. Reason code "2".',
    ),
    "55P03": (
        "40001",
        -911,
        'SQL0911N  The transaction was rolled back: deadlock or timeout. Reason code "68".',
    ),
    "23505": ("23505", -803, "SQL0803N  Duplicate values for the index key are not allowed."),
    "23502": ("23502", -407, "SQL0407N  Assignment of a NULL value to a NOT NULL column is not allowed."),
    "42P01": ("42704", -204, "SQL0204N  An undefined name was used."),
    "42P07": ("42710", -601, "SQL0601N  The name of the object to be created already exists."),
    "42703": ("42703", -206, "SQL0206N  A column is not valid in the context where it is used."),
    "42601": ("42601", -104, "SQL0104N  An unexpected token was found."),
    "22001": ("22001", -433, "SQL0433N  A value is too long."),
    "22003": ("22003", -413, "SQL0413N  Overflow occurred during numeric data type conversion."),
}
# Two concurrent CREATE TABLEs of one name: the second fails on the unique index of
# PostgreSQL's catalog, where Db2 reports SQL0601N.
_CATALOG_NAMES = frozenset({"pg_type_typname_nsp_index", "pg_class_relname_nsp_index"})
_COMMUNICATION = ("08001", -30081, "SQL30081N  A communication error has been detected.")
_ROLLS_BACK_THE_TRANSACTION = -911


def db2_error(sqlstate: str, sqlcode: int, message: str) -> Exception:
    """An exception as ibm_db raises it."""
    return Exception(f"[IBM][CLI Driver][DB2/LINUXX8664] {message}  SQLSTATE={sqlstate} SQLCODE={sqlcode}")


# -- translation ---------------------------------------------------------------------

_DECLARE = re.compile(
    r"^DECLARE GLOBAL TEMPORARY TABLE SESSION\.(\"[^\"]+\") (\(.*\)) ON COMMIT .*$", re.DOTALL
)
_QUOTED_OR_MARKER = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|[?%]""")
_REWRITES = [
    (re.compile(r"\bSESSION\.\""), 'pg_temp."'),
    (re.compile(r"\bSYSCAT\.(\w+)"), r"pg_temp.syscat_\1"),
    (re.compile(r"\bCURRENT SCHEMA\b"), "current_schema"),
    (re.compile(r"^SET SCHEMA "), "SET search_path TO "),
    (re.compile(r"\bDOUBLE\b(?! PRECISION)"), "DOUBLE PRECISION"),
]


def _marker(match: re.Match[str]) -> str:
    token = match[0]
    return "%s" if token == "?" else "%%" if token == "%" else token


def to_postgres(sql: str) -> str:
    """Db2 SQL as the store writes it -> PostgreSQL.

    ``DECLARE GLOBAL TEMPORARY TABLE SESSION.x`` -> ``CREATE TEMP TABLE``, ``SESSION.x``
    -> ``pg_temp.x``, ``SYSCAT.X`` -> the views made by `_SYSCAT_VIEWS`, ``CURRENT
    SCHEMA`` -> ``current_schema``, ``SET SCHEMA`` -> ``SET search_path TO``, ``DOUBLE``
    -> ``DOUBLE PRECISION``, ``?`` -> ``%s``.
    """
    declared = _DECLARE.match(sql)
    if declared:
        name, columns = declared.groups()
        sql = f"DROP TABLE IF EXISTS pg_temp.{name}; CREATE TEMP TABLE {name} {columns}"
    for pattern, replacement in _REWRITES:
        sql = pattern.sub(replacement, sql)
    return _QUOTED_OR_MARKER.sub(_marker, sql)


# SYSCAT's columns that the store reads, over PostgreSQL's catalog; temporary, so each
# connection has its own and nothing is left in the database.
_SYSCAT_VIEWS = """
CREATE TEMP VIEW syscat_columns AS
SELECT table_schema::varchar AS tabschema, table_name::varchar AS tabname,
       column_name::varchar AS colname, (ordinal_position - 1)::int AS colno,
       (CASE data_type
          WHEN 'text' THEN 'VARCHAR' WHEN 'character varying' THEN 'VARCHAR'
          WHEN 'character' THEN 'CHARACTER' WHEN 'bigint' THEN 'BIGINT'
          WHEN 'integer' THEN 'INTEGER' WHEN 'smallint' THEN 'SMALLINT'
          WHEN 'numeric' THEN 'DECIMAL' WHEN 'double precision' THEN 'DOUBLE'
          WHEN 'real' THEN 'REAL' WHEN 'boolean' THEN 'BOOLEAN' WHEN 'date' THEN 'DATE'
          WHEN 'timestamp without time zone' THEN 'TIMESTAMP'
          ELSE upper(data_type)
        END)::varchar AS typename
FROM information_schema.columns;
CREATE TEMP VIEW syscat_indexes AS
SELECT n.nspname::varchar AS indschema, ic.relname::varchar AS indname,
       tn.nspname::varchar AS tabschema, t.relname::varchar AS tabname,
       CASE WHEN i.indisprimary THEN 'P' WHEN i.indisunique THEN 'U' ELSE 'D' END AS uniquerule
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace;
CREATE TEMP VIEW syscat_indexcoluse AS
SELECT n.nspname::varchar AS indschema, ic.relname::varchar AS indname, a.attname::varchar AS colname,
       k.position::int AS colseq, CASE WHEN k.position > i.indnkeyatts THEN 'I' ELSE 'A' END AS colorder
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, position)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum;
"""

# -- the module ------------------------------------------------------------------------


@dataclass
class Call:
    function: str
    sql: str | None
    args: tuple[Any, ...] = ()


@dataclass
class Connection:
    pg: psycopg.Connection[Any]
    dsn: dict[str, str]


@dataclass
class Statement:
    connection: Connection
    sql: str
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    rowcount: int = 0


@dataclass
class _Failure:
    function: str
    contains: str
    error: Exception
    errormsg: str


class FakeIbmDb:
    """One instance stands for the ibm_db module; every connection goes to `pg_url`."""

    SQL_AUTOCOMMIT_OFF = SQL_AUTOCOMMIT_OFF
    SQL_AUTOCOMMIT_ON = SQL_AUTOCOMMIT_ON

    def __init__(self, pg_url: str, *, lock_timeout_ms: int | None = None) -> None:
        self.pg_url, self.lock_timeout_ms = pg_url, lock_timeout_ms
        self.calls: list[Call] = []
        self.connections: list[Connection] = []
        self._failures: list[_Failure] = []
        self._errormsg = ""

    # what the tests look at ------------------------------------------------------------

    def statements(self) -> list[str]:
        """The SQL texts sent, in order (``exec_immediate`` and ``prepare``)."""
        return [call.sql for call in self.calls if call.sql is not None]

    def batches(self) -> list[tuple[tuple[Any, ...], ...]]:
        """The rows of every ``execute_many``, in order."""
        return [call.args[0] for call in self.calls if call.function == "execute_many"]

    def fail(self, function: str, contains: str = "", *, error: Exception, errormsg: str = "") -> None:
        """Raise `error` from the next call of `function` whose SQL (or DSN) contains `contains`.

        `errormsg` is what ``stmt_errormsg()`` and ``conn_errormsg()`` say afterwards
        (ibm_db sometimes raises an exception without text and keeps the reason there).
        """
        self._failures.append(_Failure(function, contains, error, errormsg or str(error)))

    def close_all(self) -> None:
        for connection in self.connections:
            connection.pg.close()

    # ibm_db's functions ----------------------------------------------------------------

    def connect(self, dsn: str, user: str, password: str) -> Connection:
        self._record("connect", None, dsn, user, password)
        self._injected("connect", dsn)
        keywords = dict(part.split("=", 1) for part in dsn.split(";") if part)
        try:
            pg = psycopg.connect(self.pg_url, autocommit=True)
        except psycopg.OperationalError as exc:
            raise self._error(*_COMMUNICATION, str(exc)) from None
        pg.execute(_SYSCAT_VIEWS)
        if self.lock_timeout_ms is not None:
            pg.execute(f"SET lock_timeout = {int(self.lock_timeout_ms)}")
        connection = Connection(pg, keywords)
        self.connections.append(connection)
        return connection

    def autocommit(self, connection: Connection, value: int | None = None) -> Any:
        self._record("autocommit", None, value)
        if value is None:
            return int(connection.pg.autocommit)
        connection.pg.autocommit = value == SQL_AUTOCOMMIT_ON
        return True

    def exec_immediate(self, connection: Connection, sql: str) -> Statement:
        self._record("exec_immediate", sql)
        statement = Statement(connection, sql)
        self._run("exec_immediate", statement, lambda cursor: cursor.execute(to_postgres(sql)))
        return statement

    def prepare(self, connection: Connection, sql: str) -> Statement:
        self._record("prepare", sql)
        self._injected("prepare", sql)
        return Statement(connection, sql)

    def execute(self, statement: Statement, params: tuple[Any, ...] = ()) -> bool:
        self._record("execute", None, params)
        self._run("execute", statement, lambda cursor: cursor.execute(to_postgres(statement.sql), params))
        return True

    def execute_many(self, statement: Statement, rows: tuple[tuple[Any, ...], ...]) -> int:
        self._record("execute_many", None, rows)
        self._check_homogeneous(rows)
        self._run(
            "execute_many", statement, lambda cursor: cursor.executemany(to_postgres(statement.sql), rows)
        )
        return statement.rowcount

    def fetch_tuple(self, statement: Statement) -> tuple[Any, ...] | bool:
        if not statement.rows:
            return False
        row = statement.rows.pop(0)
        return tuple(int(value) if isinstance(value, bool) else value for value in row)

    def num_rows(self, statement: Statement) -> int:
        return statement.rowcount

    def commit(self, connection: Connection) -> bool:
        self._record("commit", None)
        self._injected("commit", "")
        connection.pg.commit()
        return True

    def rollback(self, connection: Connection) -> bool:
        self._record("rollback", None)
        self._injected("rollback", "")
        connection.pg.rollback()
        return True

    def close(self, connection: Connection) -> bool:
        self._record("close", None)
        connection.pg.close()
        return True

    def stmt_errormsg(self, statement: Statement | None = None) -> str:
        return self._errormsg

    def conn_errormsg(self, connection: Connection | None = None) -> str:
        return self._errormsg

    # inside ------------------------------------------------------------------------------

    def _record(self, function: str, sql: str | None, *args: Any) -> None:
        self.calls.append(Call(function, sql, args))

    def _injected(self, function: str, text: str) -> None:
        for failure in self._failures:
            if failure.function == function and failure.contains in text:
                self._failures.remove(failure)
                self._errormsg = failure.errormsg
                raise failure.error

    def _run(
        self, function: str, statement: Statement, execute: Callable[[psycopg.Cursor[Any]], Any]
    ) -> None:
        self._injected(function, statement.sql)
        pg = statement.connection.pg
        # Db2 rolls back a failing statement, not its transaction: a savepoint per statement.
        savepoint = not pg.autocommit
        with pg.cursor() as cursor:
            try:
                if savepoint:
                    cursor.execute("SAVEPOINT fake_ibm_db")
                execute(cursor)
                statement.rowcount = cursor.rowcount
                statement.rows = cursor.fetchall() if cursor.description else []
                if savepoint:
                    cursor.execute("RELEASE SAVEPOINT fake_ibm_db")
            except psycopg.Error as exc:
                state = exc.sqlstate or ""
                if exc.diag.constraint_name in _CATALOG_NAMES:
                    state = "42P07"  # a table created meanwhile: Db2 says "already exists"
                error = _DB2_ERRORS.get(state, (state or "HY000", -99999, ""))
                if isinstance(exc, psycopg.OperationalError) and exc.sqlstate is None:
                    error = _COMMUNICATION
                if savepoint and not pg.closed and error[1] != _ROLLS_BACK_THE_TRANSACTION:
                    cursor.execute("ROLLBACK TO SAVEPOINT fake_ibm_db")
                elif not pg.closed:
                    pg.rollback()
                raise self._error(*error, str(exc)) from None

    def _error(self, sqlstate: str, sqlcode: int, message: str, postgres: str) -> Exception:
        detail = " ".join(postgres.split())
        error = db2_error(sqlstate, sqlcode, f"{message} (PostgreSQL: {detail})")
        self._errormsg = str(error)
        return error

    @staticmethod
    def _check_homogeneous(rows: tuple[tuple[Any, ...], ...]) -> None:
        """ibm_db's own checks of the rows, with its messages."""
        if not isinstance(rows, tuple) or not rows:
            raise Exception("Param is not a tuple")
        types: dict[int, type] = {}
        for number, row in enumerate(rows, start=1):
            if not isinstance(row, tuple):
                raise Exception(f"Error 1: Value parameter {number} is not a tuple")
            if len(row) != len(rows[0]):
                raise Exception(
                    f"Error 1: Value parameter tuple {number} has a different number of parameters"
                )
            for position, value in enumerate(row):
                if value is None:
                    continue
                if types.setdefault(position, type(value)) is not type(value):
                    raise Exception(
                        f"Error 1: Value parameter tuple {number} has types that are not homogeneous "
                        "with previous tuple"
                    )
