"""Type inference: the narrowest type that reads every sample without changing it, and a
warning naming the column and the first misfit when a column falls back to a wider type."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
import spine


def lines(*texts: str | None) -> list[tuple[str | None, int]]:
    """Samples as a file gives them: each text with its line, the first on line 2."""
    return [(text, line) for line, text in enumerate(texts, start=2)]


@pytest.mark.parametrize(
    ("samples", "expected"),
    [
        (["1", "-12", " 7 ", "0"], "integer"),
        (["1", "2.5", "-0.25", "0.5", "0"], "decimal"),
        (["1e3", "1"], "decimal"),
        (["9223372036854775808"], "decimal"),  # past 64 bits: exact as a decimal
        (["true", "no", "Y"], "boolean"),
        (["true", "1", "0"], "boolean"),  # 0 and 1 among words are booleans
        (["0", "1", "1"], "integer"),  # alone, they are numbers
        (["2026-11-16", "2026-01-01"], "date"),
        (["2026-11-16", "2026-11-16T09:30:00Z"], "timestamp"),
        (["abc", "1"], "string"),
        (["", " ", "3"], "integer"),  # blank samples are missing values
        ([], "string"),
        (["", "  "], "string"),
    ],
)
def test_infer_type_is_the_narrowest_type_that_reads_every_sample(samples, expected):
    assert spine.infer_type(samples) == expected
    assert spine.infer_column("c", ((text, 0) for text in samples)).type == expected


@pytest.mark.parametrize(
    "samples",
    [
        ["02134", "12345"],  # a zip code's leading zero is part of it
        ["007", "008"],
        ["-012", "5"],
        ["+012", "5"],
        [" 0012.50", "1.5"],
        ["00.5", "1.5"],
        ["1_000", "2"],  # int() and Decimal() read underscores: 1000
        ["١٢٣", "4"],  # non-ASCII digits: int() reads 123
    ],
)
def test_numbers_that_would_change_are_not_numbers(samples):
    assert spine.infer_type(samples) == "string"
    assert spine.infer_column("c", lines(*samples)).type == "string"


def test_zero_itself_and_fractions_of_one_are_numbers():
    assert spine.infer_type(["0", "0.5", "-0.25", "-0", "0e5"]) == "decimal"
    assert spine.infer_type(["0", "10", "-0"]) == "integer"


def test_integers_with_one_word_fall_back_to_string_with_a_warning():
    inferred = spine.infer_column("qty", lines("1", "2", "3", "4", "ten", "6"))
    assert inferred == spine.Inference(
        "string",
        "column qty is read as string: of the 6 values sampled, 1 does not read as an integer "
        "('ten' on line 6); declare the type with the types option (-o types=qty:integer) "
        "to reject such values instead",
    )


@pytest.mark.parametrize(
    ("texts", "wanted", "first"),
    [
        (
            ["2026-01-01", "2026-01-02", "2026-13-01", "2026-01-04"],
            "a date (YYYY-MM-DD)",
            "'2026-13-01' on line 4",
        ),
        (["true", "false", "maybe", "yes"], "true or false", "'maybe' on line 4"),
        (["1.5", "2", "n/a", "3.25"], "a decimal number", "'n/a' on line 4"),
        (
            ["2026-01-01T10:00", "2026-01-02", "soon", "2026-01-03"],
            "a timestamp (ISO 8601)",
            "'soon' on line 4",
        ),
    ],
)
def test_every_type_falls_back_with_a_warning(texts, wanted, first):
    inferred = spine.infer_column("c", lines(*texts))
    assert inferred.type == "string"
    assert inferred.warning is not None
    assert f"of the 4 values sampled, 1 does not read as {wanted} ({first})" in inferred.warning


def test_several_misfits_are_counted_and_the_first_is_quoted():
    texts = [str(n) for n in range(20)]
    texts[5], texts[9], texts[12] = "five", "nine", "n/a"
    inferred = spine.infer_column("count", lines(*texts))
    assert inferred.type == "string"
    assert inferred.warning == (
        "column count is read as string: of the 20 values sampled, 3 do not read as an integer "
        "(the first: 'five' on line 7); declare the type with the types option "
        "(-o types=count:integer) to reject such values instead"
    )


def test_zip_codes_some_with_a_leading_zero_stay_text_with_a_warning():
    inferred = spine.infer_column("zip", lines("10001", "02134", "94105", "60601", "00501", "73301"))
    assert inferred.type == "string"
    assert inferred.warning == (
        "column zip is read as string: of the 6 values sampled, 2 have a leading zero that an integer "
        "would drop (the first: '02134' on line 3); declare the type with the types option "
        "(-o types=zip:integer) only if they are numbers: the leading zeros are then dropped"
    )


def test_leading_zeros_and_words_are_told_apart():
    inferred = spine.infer_column("zip", lines("10001", "02134", "94105", "unknown", "60601", "73301"))
    assert inferred.warning is not None
    assert (
        "of the 6 values sampled, 1 does not read as an integer ('unknown' on line 5) "
        "and 1 has a leading zero that an integer would drop ('02134' on line 3); "
        "declare the type with the types option (-o types=zip:integer) to reject such values instead"
    ) in inferred.warning


def test_the_narrower_type_reading_the_most_samples_is_the_one_named():
    inferred = spine.infer_column("v", lines("1", "2", "2.5", "3", "4", "x"))
    assert inferred.warning is not None
    assert "1 does not read as a decimal number ('x' on line 7)" in inferred.warning
    assert "types=v:decimal" in inferred.warning


def test_a_warning_needs_two_thirds_of_the_samples_read_by_the_narrower_type():
    assert spine.infer_column("c", lines("1", "2", "x")).warning is not None  # 2 of 3
    assert spine.infer_column("c", lines("1", "x")).warning is None  # 1 of 2
    assert spine.infer_column("c", lines("1", "2", "3", "4", "5", "x", "y", "z")).warning is None  # 5 of 8
    assert (
        spine.infer_column("c", lines("1", "2", "3", "4", "5", "6", "y", "z")).warning is not None
    )  # 6 of 8


@pytest.mark.parametrize(
    "texts",
    [
        ["apple", "pear", "plum", "fig", "kiwi", "42"],  # text with a number in it
        ["007", "012", "0042"],  # codes: every one keeps its zeros
        ["1", "2", "2.5"],  # integers and decimals: decimal, nothing lost
        ["2026-01-01", "2026-01-02T10:00"],  # dates and timestamps: timestamp
        ["1", "", None, " ", "3"],
        [],
    ],
)
def test_no_warning_when_nothing_was_given_up(texts):
    assert spine.infer_column("c", lines(*texts)).warning is None


def test_missing_and_blank_samples_are_skipped_and_positions_kept():
    inferred = spine.infer_column("n", lines(None, "1", "", "2", "  ", "3", "oops"))
    assert inferred.warning is not None
    assert "of the 4 values sampled, 1 does not read as an integer ('oops' on line 8)" in inferred.warning


def test_where_words_the_position_of_the_first_misfit():
    samples = [("1", 1), ("2", 2), ("x", 3)]
    inferred = spine.infer_column("n", samples, where="record {} of page 1".format)
    assert inferred.warning is not None
    assert "('x' on record 3 of page 1)" in inferred.warning


def test_samples_may_be_any_iterable_read_once():
    def samples() -> Iterator[tuple[str | None, int]]:
        yield from lines("1", "2", "3", "x")

    assert spine.infer_column("n", samples()).type == "string"
    assert spine.infer_column("n", samples()).warning is not None


def test_a_long_misfit_is_cut_in_the_warning():
    inferred = spine.infer_column("n", lines("1", "2", "x" * 500))
    assert inferred.warning is not None
    assert repr("x" * 80) in inferred.warning
    assert "x" * 81 not in inferred.warning


def test_the_source_contract_has_no_warnings_and_no_progress_by_default():
    class Minimal(spine.Source):
        def schema(self) -> spine.Schema:
            return spine.Schema.of(("a", "string"))

        def batches(self, batch_size: int = spine.DEFAULT_BATCH_SIZE) -> Iterator[spine.Batch]:
            yield spine.Batch([("x",)], [1], "here")

    with Minimal() as source:
        assert source.warnings() == []
        assert source.progress() is None


# -- reading on past the samples ---------------------------------------------------------------


def test_an_inferred_number_column_refuses_a_later_value_it_would_change():
    schema = spine.Schema.of(("zip", "integer"), ("amount", "decimal"))
    zips = ["10001", "02134", "1_000", "٣", " 7 ", "-0", "", None]
    amounts = ["1.5", "0.5", "-0.25", "00.5", "0", "1e3", "", None]
    rows, failures = spine.text_rows(schema, inferred=["zip", "amount"])([zips, amounts])
    declare = (
        "the type was inferred from the first rows: declare it with the types option "
        "(-o types={}:string keeps such values)"
    )
    assert failures == {
        1: (
            0,
            "column zip: expected an integer, got '02134', whose leading zero it would drop; "
            + declare.format("zip"),
        ),
        2: (
            0,
            "column zip: expected an integer, got '1_000', which it would change; " + declare.format("zip"),
        ),
        3: (0, "column zip: expected an integer, got '٣', which it would change; " + declare.format("zip")),
    }
    assert [row[0] for row in rows] == [10001, None, None, None, 7, 0, None, None]
    # In record 3, 00.5 fails too: a record's reason is its first failing column.
    assert [row[1] for row in rows] == [
        Decimal(text) if text not in ("00.5", "") else None for text in amounts[:7]
    ] + [None]
    _, failed = spine.text_rows(schema, inferred=["amount"])([["1"], ["00.5"]])
    assert failed == {
        0: (
            1,
            "column amount: expected a decimal number, got '00.5', whose leading zero it would drop; "
            + declare.format("amount"),
        )
    }


def test_a_declared_number_column_reads_what_it_is_told():
    rows, failures = spine.text_rows(spine.Schema.of(("zip", "integer")))([["02134", "1_000"]])
    assert (rows, failures) == ([(2134,), (1000,)], {})


@pytest.mark.parametrize(
    "column",
    [
        ["1", "2", "3"],
        ["1", "007"],
        ["5", "\n007"],  # a line break in a quoted field: "\n"-joined, it looks like a new value
        ["5", " -012"],
        ["0", "-0", "+0"],
        ["1", None],
        ["1", ""],
    ],
)
def test_inferred_columns_read_whole_exactly_as_value_by_value(column):
    for type_name in ("integer", "decimal"):
        schema = spine.Schema.of(("v", type_name))
        whole = spine.text_rows(schema, inferred=["v"])([column])
        one_by_one = [spine.text_rows(schema, inferred=["v"])([[text]]) for text in column]
        assert [row for (row,) in whole[0]] == [rows[0][0] for rows, _ in one_by_one]
        assert sorted(whole[1]) == [number for number, (_, failures) in enumerate(one_by_one) if failures]
