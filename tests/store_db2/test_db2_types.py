"""Column types and the checks of values against them (no database needed)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from spine import ConfigError, Field, LoadError, Schema, Target, WriteMode
from spine_store_db2._dialect import Db2Dialect, converter
from spine_store_db2._load import Load
from spine_store_db2._store import Db2Store

DIALECT = Db2Dialect()


@pytest.mark.parametrize(
    ("field", "column_type"),
    [
        (Field("s", "string"), "VARCHAR(1000)"),
        (Field("s", "string", length=1), "VARCHAR(4)"),
        (Field("s", "string", length=200), "VARCHAR(800)"),
        (Field("s", "string", length=8168), "VARCHAR(32672)"),
        (Field("i", "integer"), "BIGINT"),
        (Field("d", "decimal"), "DECIMAL(31,8)"),
        (Field("d", "decimal", precision=10), "DECIMAL(10,0)"),
        (Field("d", "decimal", precision=31, scale=31), "DECIMAL(31,31)"),
        (Field("d", "decimal", scale=2), "DECIMAL(31,2)"),
        (Field("f", "float"), "DOUBLE"),
        (Field("b", "boolean"), "BOOLEAN"),
        (Field("d", "date"), "DATE"),
        (Field("t", "timestamp"), "TIMESTAMP"),
    ],
)
def test_column_types(field, column_type):
    assert DIALECT.column_type(field) == column_type


@pytest.mark.parametrize(
    ("field", "message"),
    [
        (Field("s", "string", length=8169), r"length 8169 is outside what Db2 VARCHAR holds \(1 to 8168"),
        (Field("s", "string", length=0), "length 0 is outside"),
        (
            Field("d", "decimal", precision=32),
            r"DECIMAL\(32,0\) is outside what Db2 holds \(at most 31 digits",
        ),
        (Field("d", "decimal", precision=5, scale=6), r"DECIMAL\(5,6\) is outside"),
    ],
)
def test_a_field_db2_cannot_hold_fails_the_load_before_connecting(field, message):
    store = Db2Store("db2://u:pw@nowhere.invalid/DB", driver=None)
    with pytest.raises(ConfigError, match=message):
        store.write(Target("t"), Schema((field,)), [])


def test_create_table_puts_the_primary_key_on_the_keys_and_quotes_every_name():
    schema = Schema((Field("select", "string", length=5), Field("Order", "integer"), Field("v", "decimal")))
    assert DIALECT.create_table("T", schema, ("select", "Order")) == (
        'CREATE TABLE "T" ("select" VARCHAR(20) NOT NULL, "Order" BIGINT NOT NULL, "v" DECIMAL(31,8), '
        'PRIMARY KEY ("select", "Order"))'
    )


@pytest.mark.parametrize(
    ("field", "value", "bound"),
    [
        (Field("s", "string", length=2), "😀😀", "😀😀"),
        (Field("s", "string"), "é" * 500, "é" * 500),
        (Field("i", "integer"), -(2**63), -(2**63)),
        (Field("d", "decimal", precision=5, scale=2), Decimal("-999.99"), Decimal("-999.99")),
        (Field("d", "decimal", precision=5, scale=2), Decimal("1.500000"), Decimal("1.500000")),
        (Field("d", "decimal", precision=5, scale=2), 12, Decimal(12)),
        (Field("d", "decimal", precision=5, scale=2), 0.25, Decimal("0.25")),
        (Field("f", "float"), 3, 3.0),
        (Field("f", "float"), Decimal("0.5"), 0.5),
        (Field("b", "boolean"), False, False),
        (Field("d", "date"), date(2026, 1, 5), date(2026, 1, 5)),
        (
            Field("t", "timestamp"),
            datetime(2026, 1, 5, 1, 0, tzinfo=timezone(timedelta(hours=2))),
            datetime(2026, 1, 4, 23, 0),
        ),
        (
            Field("t", "timestamp"),
            datetime(2026, 1, 5, 1, 0, 0, 999999),
            datetime(2026, 1, 5, 1, 0, 0, 999999),
        ),
        (Field("s", "string"), None, None),
    ],
)
def test_values_that_fit_are_bound_as_db2_takes_them(field, value, bound):
    converted = converter(field, required=False)(value)
    assert converted == bound
    assert type(converted) is type(bound)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (Field("s", "string", length=2), "abc", "3 characters, more than its length of 2"),
        (Field("s", "string"), "€" * 334, "1002 bytes in UTF-8, more than the 1000 of VARCHAR"),
        (Field("s", "string"), 5, "expected text, got int"),
        (Field("i", "integer"), 2**63, "outside the range of BIGINT"),
        (Field("i", "integer"), True, "expected an integer, got bool"),
        (Field("i", "integer"), 1.0, "expected an integer, got float"),
        (Field("d", "decimal", precision=5, scale=2), Decimal("1000"), "more than 3 digits before the point"),
        (Field("d", "decimal", precision=5, scale=2), Decimal("0.001"), "more than 2 digits after the point"),
        (Field("d", "decimal"), Decimal("1E+23"), r"DECIMAL\(31,8\): more than 23 digits before the point"),
        (Field("d", "decimal"), Decimal("Infinity"), "does not fit"),
        (Field("d", "decimal"), "1.5", "expected a decimal number, got str"),
        (Field("f", "float"), float("nan"), "Db2 DOUBLE has no NaN or infinity"),
        (Field("f", "float"), float("inf"), "Db2 DOUBLE has no NaN or infinity"),
        (Field("b", "boolean"), 1, "expected true or false, got int"),
        (Field("d", "date"), datetime(2026, 1, 5, 9, 30), "expected a date, got datetime"),
        (Field("t", "timestamp"), date(2026, 1, 5), "expected a timestamp, got date"),
    ],
)
def test_values_that_do_not_fit_are_refused_with_the_reason(field, value, message):
    with pytest.raises(ValueError, match=message):
        converter(field, required=False)(value)


def test_a_required_column_refuses_null():
    with pytest.raises(ValueError, match="a value is required"):
        converter(Field("k", "string"), required=True)(None)


def test_rows_are_staged_numbered_and_keys_and_not_null_fields_are_required():
    schema = Schema((Field("k", "string"), Field("n", "integer", nullable=False), Field("v", "string")))
    load = Load(DIALECT, Target("t", WriteMode.MERGE, ("k",)), schema)
    assert load._row(("a", 1, None), 7) == (7, "a", 1, None)
    for row, column in (((None, 1, "x"), "k"), (("a", None, "x"), "n")):
        with pytest.raises(
            LoadError, match=f"row 3 of the load into 't', column '{column}': a value is required"
        ):
            load._row(row, 3)
