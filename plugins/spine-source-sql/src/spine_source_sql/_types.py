"""SQL types as spine's logical types, and each column's values converted to them.

A column's type comes from reflection (a table: SQLAlchemy's type objects), from the
driver's description of a query's result (PostgreSQL type names, MariaDB field types),
or, where the driver tells nothing (SQLite, other drivers), from the values of the
first rows read. What has no logical type (JSON, UUID, arrays, binary, intervals,
times) is read as text, and the source says so once per column.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from operator import is_not
from typing import Any, NamedTuple

import spine
import sqlalchemy as sa

_INT64 = (-(2**63), 2**63 - 1)
# The types a driver gives that a column keeps as they are (`Column.whole`).
_AS_IS: dict[str, set[type]] = {
    "string": {str},
    "integer": {int},
    "decimal": {Decimal},
    "float": {float},
    "boolean": {bool},
    "date": {date},
    "timestamp": {datetime},
}


class Kind(NamedTuple):
    """What a column is: its logical type, with the SQL type it was mapped from."""

    type: str
    sql: str  # the database's name for the type, for messages
    precision: int | None = None
    scale: int | None = None
    aware: bool = False  # timestamps with a time zone (converted to UTC)
    known: bool = True  # False: no logical type fits, read as text with a warning


def from_sqlalchemy(
    sql_type: sa.types.TypeEngine[Any], dialect: sa.engine.Dialect, unrecognized: str | None = None
) -> Kind:
    """The kind of a reflected column; `unrecognized`: the declared type SQLAlchemy did not know."""
    if unrecognized is not None:
        return Kind("string", unrecognized, known=False)
    try:
        sql = sql_type.compile(dialect=dialect)
    except Exception:  # a type this dialect cannot write back (NullType): its class says enough
        sql = type(sql_type).__name__
    if isinstance(sql_type, sa.Boolean):
        return Kind("boolean", sql)
    if isinstance(sql_type, sa.Integer):
        return Kind("integer", sql)
    # Some dialects (Db2's DOUBLE) make a binary floating point type a Numeric.
    if isinstance(sql_type, sa.Float) or type(sql_type).__name__ in ("DOUBLE", "DOUBLE_PRECISION", "REAL"):
        return Kind("float", sql)
    if isinstance(sql_type, sa.Numeric):
        return Kind("decimal", sql, sql_type.precision, sql_type.scale)
    if isinstance(sql_type, sa.DateTime):
        # MariaDB/MySQL TIMESTAMP is stored in UTC and read in the session's zone, which
        # the source sets to UTC: its values are instants, like PostgreSQL's timestamptz.
        mysql_instant = dialect.name in ("mysql", "mariadb") and type(sql_type).__name__ == "TIMESTAMP"
        return Kind("timestamp", sql, aware=bool(sql_type.timezone) or mysql_instant)
    if isinstance(sql_type, sa.Date):
        return Kind("date", sql)
    if isinstance(sql_type, sa.String) and not isinstance(sql_type, sa.Uuid):
        return Kind("string", sql)
    return Kind("string", sql, known=False)


_PG_NAMES = {
    **dict.fromkeys(("int2", "int4", "int8", "oid"), "integer"),
    "numeric": "decimal",
    **dict.fromkeys(("float4", "float8"), "float"),
    "bool": "boolean",
    "date": "date",
    **dict.fromkeys(("timestamp", "timestamptz"), "timestamp"),
    **dict.fromkeys(("text", "varchar", "bpchar", "char", "name", "citext"), "string"),
}


def from_postgres(name: str, precision: int | None, scale: int | None) -> Kind:
    """The kind of a query column PostgreSQL names by type (``int8``, ``timestamptz``)."""
    logical = _PG_NAMES.get(name)
    if logical is None:
        return Kind("string", name, known=False)
    if logical == "decimal":
        return Kind("decimal", name, precision, scale)
    return Kind(logical, name, aware=name == "timestamptz")


def _mysql_names() -> dict[int, str]:
    from pymysql.constants import FIELD_TYPE  # type: ignore[import-untyped]

    # CHAR and INTERVAL are old aliases of TINY and ENUM's codes.
    aliases = ("CHAR", "INTERVAL")
    return {code: name for name, code in vars(FIELD_TYPE).items() if name.isupper() and name not in aliases}


_MYSQL_TYPES = {
    **dict.fromkeys(("TINY", "SHORT", "LONG", "LONGLONG", "INT24", "YEAR"), "integer"),
    **dict.fromkeys(("DECIMAL", "NEWDECIMAL"), "decimal"),
    **dict.fromkeys(("FLOAT", "DOUBLE"), "float"),
    **dict.fromkeys(("DATE", "NEWDATE"), "date"),
    **dict.fromkeys(("DATETIME", "TIMESTAMP"), "timestamp"),
    **dict.fromkeys(
        ("VARCHAR", "VAR_STRING", "STRING", "ENUM", "SET", "BLOB", "TINY_BLOB", "MEDIUM_BLOB", "LONG_BLOB"),
        "string",
    ),
}


def from_mysql(code: int) -> Kind:
    """The kind of a query column MariaDB/MySQL describes by field type. Text and binary
    share the BLOB types; binary values are told apart as they arrive."""
    name = _mysql_names().get(code, str(code))
    logical = _MYSQL_TYPES.get(name)
    if logical is None:
        return Kind("string", name, known=False)
    return Kind(logical, name, aware=name == "TIMESTAMP")


def from_values(values: Iterable[Any]) -> Kind:
    """The kind of a column whose driver says nothing, from its first values: the
    narrowest type every one of them has (text when they differ)."""
    seen = {_value_type(value) for value in values if value is not None}
    if seen <= {"integer"} and seen:
        return Kind("integer", "INTEGER")
    if seen and seen <= {"integer", "float"}:
        return Kind("float", "REAL")
    if seen and seen <= {"integer", "decimal"}:
        return Kind("decimal", "NUMERIC")
    if len(seen) == 1 and seen <= {"boolean", "date", "timestamp"}:
        (only,) = seen
        return Kind(only, only.upper())
    if "binary" in seen:
        return Kind("string", "BLOB", known=False)
    return Kind("string", "TEXT")


def _value_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, Decimal):
        return "decimal"
    if isinstance(value, datetime):
        return "timestamp"
    if isinstance(value, date):
        return "date"
    if isinstance(value, bytes | bytearray | memoryview):
        return "binary"
    return "string"


@dataclass
class Column:
    """A column read: its name in the database, its spine field, and its conversion."""

    source_name: str  # as the database (or SQLAlchemy) names it, to select it by
    field: spine.Field
    kind: Kind
    binary_seen: bool = False

    def __post_init__(self) -> None:
        self.convert: Callable[[Any], Any] = getattr(self, f"_{self.kind.type}")

    def notes(self) -> list[str]:
        """What the source says about this column: read as text, or without a time zone."""
        said = []
        name, sql = self.field.name, self.kind.sql
        if not self.kind.known:
            said.append(f"column {name!r} ({sql}): no spine type fits, read as text")
        if self.binary_seen:
            said.append(f"column {name!r} ({sql}): binary values read as hexadecimal text")
        if self.kind.type == "timestamp" and not self.kind.aware:
            said.append(f"column {name!r} ({sql}): its values carry no time zone; kept as read")
        return said

    def whole(self, values: Sequence[Any]) -> Sequence[Any] | None:
        """A fetched chunk's `values` of this column as spine wants them, found at C speed when
        the driver gave them so already (its own type, in range): the usual case. None when
        one of them needs a look of its own (`convert`, value by value, rejects included)."""
        kind = self.kind.type
        types = set(map(type, values))
        types.discard(type(None))
        if not types <= _AS_IS[kind]:
            return None
        if not types:
            return values
        if kind == "integer":
            present = list(filter(partial(is_not, None), values))
            return values if _INT64[0] <= min(present) and max(present) <= _INT64[1] else None
        if kind == "decimal":
            return values if all(map(Decimal.is_finite, filter(partial(is_not, None), values))) else None
        if kind == "timestamp" and self.kind.aware:
            return [None if value is None else spine.naive_utc(value) for value in values]
        return values

    # -- conversions: a value that does not fit raises ValueError, which becomes a reject

    def _string(self, value: Any) -> Any:
        if value is None or type(value) is str:
            return value
        if isinstance(value, bytes | bytearray | memoryview):
            self.binary_seen = True
            return bytes(value).hex()
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False, default=str)
        return value.isoformat() if isinstance(value, date) else str(value)

    @staticmethod
    def _integer(value: Any) -> Any:
        if value is None:
            return None
        if type(value) is int:
            number = value
        elif isinstance(value, bool | Decimal | float) and value == value and int(value) == value:
            number = int(value)
        elif isinstance(value, str):
            number = int(value.strip())
        else:
            raise ValueError(f"{value!r} is not a whole number")
        if not _INT64[0] <= number <= _INT64[1]:
            raise ValueError(f"{number} does not fit a 64-bit integer")
        return number

    @staticmethod
    def _decimal(value: Any) -> Any:
        if value is None:
            return None
        if type(value) is Decimal:
            number = value
        elif isinstance(value, int | str) and not isinstance(value, bool):
            try:
                number = Decimal(value.strip() if isinstance(value, str) else value)
            except InvalidOperation:
                raise ValueError(f"{value!r} is not a number") from None
        elif isinstance(value, float):
            number = Decimal(repr(value))  # the shortest text that reads back as the float
        else:
            raise ValueError(f"{value!r} is not a number")
        if not number.is_finite():
            raise ValueError(f"{value} is not a finite number")
        return number

    @staticmethod
    def _float(value: Any) -> Any:
        if value is None or type(value) is float:
            return value
        if isinstance(value, int | Decimal | str) and not isinstance(value, bool):
            return float(value)
        raise ValueError(f"{value!r} is not a number")

    @staticmethod
    def _boolean(value: Any) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        text = str(value).strip().lower()
        if text in ("true", "t", "yes", "y", "1"):
            return True
        if text in ("false", "f", "no", "n", "0"):
            return False
        raise ValueError(f"{value!r} is not true or false")

    @staticmethod
    def _date(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, datetime):
            if value.time() != datetime.min.time():
                raise ValueError(f"{value.isoformat()} has a time of day")
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            return date.fromisoformat(value.strip())
        raise ValueError(f"{value!r} is not a date")

    @staticmethod
    def _timestamp(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, datetime):
            return spine.naive_utc(value)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day)
        if isinstance(value, str):
            return spine.naive_utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
        raise ValueError(f"{value!r} is not a timestamp")


def columns_of(names: Sequence[str], kinds: Sequence[Kind]) -> tuple[list[Column], list[str]]:
    """The columns for database names and kinds, with the field names spine can use: a name
    kept as declared (Db2's upper case too) when it is a valid identifier, else made one."""
    usable = all(_valid(name) for name in names) and len({n.lower() for n in names}) == len(names)
    fields = list(names) if usable else spine.column_names(list(names))
    renamed = [
        f"column {name!r} is read as {made!r}: spine's names are letters, digits and underscores"
        for name, made in zip(names, fields, strict=True)
        if name != made
    ]
    columns = [
        Column(name, spine.Field(made, kind.type, precision=kind.precision, scale=kind.scale), kind)
        for name, made, kind in zip(names, fields, kinds, strict=True)
    ]
    return columns, renamed


def _valid(name: str) -> bool:
    try:
        spine.check_identifier(name)
    except spine.ConfigError:
        return False
    return True
