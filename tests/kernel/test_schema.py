"""Text to typed values: `text_rows` (whole columns at once) agrees with `text_parser` (value by value)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import spine

SAMPLES = {
    "string": ["", "abc", "abcdef", "  "],
    "integer": ["0", "-12", " 7 ", "9223372036854775807", "9223372036854775808", "1.5", "x", "", " "],
    "decimal": ["1.5", "-0.000001", "1e3", " 2 ", "NaN", "Infinity", "-inf", "1,5", "", " "],
    "float": ["1.5", "-2", "1e300", "nan", "abc", ""],
    "boolean": ["true", "F", "yes", "0", "maybe", ""],
    "date": ["2026-11-23", "2026-02-30", "23/11/2026", ""],
    "timestamp": ["2026-11-23T09:30:00", "2026-11-23 09:30:00+01:00", "2026-11-23T09:30:00Z", "noon", ""],
}


def reference(field: spine.Field, text: str | None) -> tuple[Any, str | None]:
    """What converting one value should give: (value, None) or (None, reason)."""
    if text is None:
        return None, None
    parse = spine.text_parser(field)
    try:
        return parse(text), None
    except ValueError as exc:
        return None, str(exc)


FIELDS = [
    spine.Field("v", type_name, nullable=nullable, length=length)
    for type_name in SAMPLES
    for nullable in (True, False)
    for length in ((None, 3) if type_name == "string" else (None,))
]


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f"{f.type}-{f.nullable}-{f.length}")
def test_whole_columns_convert_exactly_as_value_by_value(field: spine.Field) -> None:
    texts: list[str | None] = [*SAMPLES[field.type], None]
    # Every single value alone, every pair, and the clean values together (the fast path).
    columns = [[text] for text in texts] + [list(pair) for pair in itertools.combinations(texts, 2)]
    columns.append([text for text in texts if reference(field, text)[1] is None and text is not None])
    convert = spine.text_rows(spine.Schema((spine.Field("id", "integer"), field)))
    for column in columns:
        rows, failures = convert([[str(number) for number in range(len(column))], column])
        assert len(rows) == len(column)
        for number, text in enumerate(column):
            value, reason = reference(field, text)
            if reason is None:
                assert number not in failures, (column, number)
                # repr: NaN equals nothing, and it tells True from 1 and Decimal from float.
                assert rows[number][0] == number and repr(rows[number][1]) == repr(value)
            else:
                assert failures[number] == (1, reason), (column, number)


def test_the_first_failing_column_is_the_reason() -> None:
    convert = spine.text_rows(spine.Schema.of(("a", "integer"), ("b", "date"), ("c", "decimal")))
    rows, failures = convert([["1", "y", "3"], ["2026-01-01", "nope", "2026-01-02"], ["x", "z", "4.5"]])
    assert failures == {
        0: (2, "column c: expected a decimal number, got 'x'"),
        1: (0, "column a: expected an integer, got 'y'"),
    }
    assert rows[2] == (3, date(2026, 1, 2), Decimal("4.5"))


def test_clean_records_become_typed_tuples() -> None:
    schema = spine.Schema.of(("s", "string"), ("n", "integer"), ("t", "timestamp"), ("b", "boolean"))
    rows, failures = spine.text_rows(schema)([["x"], ["5"], ["2026-11-23T10:00:00+02:00"], ["y"]])
    assert failures == {}
    assert rows == [("x", 5, datetime(2026, 11, 23, 8, 0), True)]


def test_strings_only_and_no_records() -> None:
    convert = spine.text_rows(spine.Schema.of(("a", "string"), ("b", "string")))
    assert convert([["x", "y"], ["", None]]) == ([("x", ""), ("y", None)], {})
    assert convert([[], []]) == ([], {})


def test_columns_of_different_lengths_are_a_caller_error() -> None:
    with pytest.raises(ValueError):
        spine.text_rows(spine.Schema.of(("a", "integer"), ("b", "string")))([["1", "2"], ["x"]])


def test_column_names_are_normalised_and_repeats_numbered():
    long = "x" * 70
    assert spine.column_names(["tradeDate", "Trade Date", "TRADE_DATE", "id", long, long]) == [
        "trade_date",
        "trade_date_2",
        "trade_date_3",
        "id",
        "x" * 63,
        "x" * 56 + "_2",
    ]


def test_repeats_take_the_first_free_number_of_their_stem():
    names = ["a", "a_2", "a", "A", "a_3", "a"]
    assert spine.column_names(names) == ["a", "a_2", "a_3", "a_4", "a_3_2", "a_5"]
    longs = ["x" * 60 + "1", "x" * 60 + "2"] * 2  # cut to one stem when numbered
    assert spine.column_names(longs)[2:] == ["x" * 56 + "_2", "x" * 56 + "_3"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        ("a", "a"),
        (True, "true"),
        (7, "7"),
        (Decimal("1.10"), "1.10"),
        ({"a": [1, Decimal("2.5")]}, '{"a": [1, 2.5]}'),
        (["ü"], '["ü"]'),
    ],
)
def test_value_text_is_the_text_conversion_reads(value, text):
    assert spine.value_text(value) == text


def test_naive_utc_converts_an_aware_moment_and_leaves_a_naive_one():
    aware = datetime(2026, 1, 5, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert spine.naive_utc(aware) == datetime(2026, 1, 5, 14, 30)
    assert spine.naive_utc(datetime(2026, 1, 5, 9, 30)) == datetime(2026, 1, 5, 9, 30)
