"""Type mapping without a server: SQLAlchemy's types of each dialect (Db2's included: no Db2
server runs here, so Db2 is tested through its dialect's types and names), driver
descriptions, inferred types, and the conversion of values."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from ibm_db_sa import base as db2
from ibm_db_sa.ibm_db import DB2Dialect_ibm_db
from spine_source_sql._types import (
    Column,
    Kind,
    columns_of,
    from_mysql,
    from_postgres,
    from_sqlalchemy,
    from_values,
)
from sqlalchemy.dialects import mysql, postgresql, sqlite

DB2 = DB2Dialect_ibm_db()


@pytest.mark.parametrize(
    ("sql_type", "expected"),
    [
        (db2.BIGINT(), "integer"),
        (db2.SMALLINT(), "integer"),
        (db2.DECIMAL(31, 8), "decimal"),
        (db2.DOUBLE(), "float"),
        (db2.REAL(), "float"),
        (db2.DATE(), "date"),
        (db2.TIMESTAMP(), "timestamp"),
        (db2.VARCHAR(20), "string"),
        (db2.CHAR(3), "string"),
        (db2.CLOB(), "string"),
        (db2.BOOLEAN(), "boolean"),
    ],
)
def test_db2_types_map_to_spine_types(sql_type, expected):
    kind = from_sqlalchemy(sql_type, DB2)
    assert (kind.type, kind.known) == (expected, True)


def test_db2_decimal_keeps_its_digits_and_a_timestamp_has_no_time_zone():
    kind = from_sqlalchemy(db2.DECIMAL(31, 8), DB2)
    assert (kind.precision, kind.scale) == (31, 8)
    assert not from_sqlalchemy(db2.TIMESTAMP(), DB2).aware


@pytest.mark.parametrize("sql_type", [db2.BLOB(), db2.VARBINARY(10), db2.TIME()])
def test_db2_types_without_a_spine_type_are_text_with_a_warning(sql_type):
    kind = from_sqlalchemy(sql_type, DB2)
    assert (kind.type, kind.known) == ("string", False)


def test_db2_upper_case_names_are_kept_as_declared():
    from spine_source_sql._describe import declared

    assert declared("order_id", DB2) == "ORDER_ID"
    assert declared("MixedCase", DB2) == "MixedCase"
    assert declared("order_id", postgresql.dialect()) == "order_id"


@pytest.mark.parametrize(
    ("sql_type", "dialect", "expected", "aware"),
    [
        (postgresql.TIMESTAMP(timezone=True), postgresql.dialect(), "timestamp", True),
        (postgresql.TIMESTAMP(), postgresql.dialect(), "timestamp", False),
        (mysql.TIMESTAMP(), mysql.dialect(), "timestamp", True),
        (mysql.DATETIME(), mysql.dialect(), "timestamp", False),
        (sqlite.DATETIME(), sqlite.dialect(), "timestamp", False),
    ],
)
def test_timestamps_say_whether_they_carry_a_time_zone(sql_type, dialect, expected, aware):
    kind = from_sqlalchemy(sql_type, dialect)
    assert (kind.type, kind.aware) == (expected, aware)


@pytest.mark.parametrize(
    "sql_type", [postgresql.JSONB(), postgresql.UUID(), postgresql.INTERVAL(), postgresql.ARRAY(sa.Integer)]
)
def test_unknown_types_are_text_and_named(sql_type):
    kind = from_sqlalchemy(sql_type, postgresql.dialect())
    assert (kind.type, kind.known) == ("string", False)
    assert kind.sql


def test_driver_descriptions_map_to_spine_types():
    assert from_postgres("numeric", 20, 4) == Kind("decimal", "numeric", 20, 4)
    assert from_postgres("timestamptz", None, None).aware
    assert not from_postgres("json", None, None).known
    from pymysql.constants import FIELD_TYPE

    assert from_mysql(FIELD_TYPE.NEWDECIMAL).type == "decimal"
    assert from_mysql(FIELD_TYPE.TINY).type == "integer"
    assert from_mysql(FIELD_TYPE.TIMESTAMP).aware
    assert not from_mysql(FIELD_TYPE.JSON).known


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 2, None], "integer"),
        ([1, 2.5], "float"),
        ([Decimal("1.5"), 2], "decimal"),
        (["a", 1], "string"),
        ([None], "string"),
        ([b"\x00"], "string"),
        ([date(2026, 1, 1)], "date"),
    ],
)
def test_types_inferred_from_values_when_the_driver_says_nothing(values, expected):
    assert from_values(values).type == expected


def _column(kind: str, **options: object) -> Column:
    (column,), _ = columns_of(["c"], [Kind(kind, kind.upper(), **options)])  # type: ignore[arg-type]
    return column


def test_values_convert_exactly_and_those_that_do_not_fit_raise():
    assert _column("integer").convert(Decimal("12")) == 12
    with pytest.raises(ValueError, match="64-bit"):
        _column("integer").convert(2**63)
    assert _column("decimal").convert(Decimal("1.10")) == Decimal("1.10")
    assert _column("decimal").convert(0.1) == Decimal("0.1")
    with pytest.raises(ValueError, match="finite"):
        _column("decimal").convert(Decimal("NaN"))
    aware = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    assert _column("timestamp").convert(aware) == datetime(2026, 1, 1, 10)
    assert _column("timestamp").convert("2026-01-01 10:00:00+00:00") == datetime(2026, 1, 1, 10)
    with pytest.raises(ValueError, match="time of day"):
        _column("date").convert(datetime(2026, 1, 1, 10, tzinfo=UTC))
    assert _column("boolean").convert(1) is True
    text = _column("string")
    assert text.convert(memoryview(b"\x01\xff")) == "01ff" and text.binary_seen
    assert text.convert({"a": [1]}) == '{"a": [1]}'


def test_names_that_are_not_identifiers_are_made_ones_with_a_warning():
    columns, renamed = columns_of(["Order Date", "id"], [Kind("date", "DATE"), Kind("integer", "INT")])
    assert [column.field.name for column in columns] == ["order_date", "id"]
    assert [column.source_name for column in columns] == ["Order Date", "id"]
    assert renamed == [
        "column 'Order Date' is read as 'order_date': spine's names are letters, digits and underscores"
    ]
