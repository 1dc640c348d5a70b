"""Inference in the file source: no value changed, and a warning when a column falls back to text."""

from __future__ import annotations

import json

import pytest
from spine_source_file._source import open_file

from .file_helpers import read, types, write


def warnings_of(path, **options) -> list[str]:
    with open_file(str(path), **options) as source:
        source.schema()
        return source.warnings()


def test_zip_codes_keep_their_leading_zeros_and_the_fallback_is_told(tmp_path):
    path = write(tmp_path / "zips.csv", "zip,city\n02134,Boston\n10001,New York\n94105,San Francisco\n")
    result = read(path)
    assert types(result.schema) == {"zip": "string", "city": "string"}
    assert [row[0] for row in result.rows] == ["02134", "10001", "94105"]
    assert warnings_of(path) == [
        "column zip is read as string: of the 3 values sampled, 1 has a leading zero that an integer "
        "would drop ('02134' on line 2); declare the type with the types option (-o types=zip:integer) "
        "only if they are numbers: the leading zeros are then dropped"
    ]


def test_codes_that_all_have_leading_zeros_are_text_without_a_warning(tmp_path):
    path = write(tmp_path / "codes.csv", "code\n007\n012\n0042\n")
    assert read(path).rows == [("007",), ("012",), ("0042",)]
    assert warnings_of(path) == []


def test_integers_with_one_word_name_its_line(tmp_path):
    path = write(tmp_path / "q.csv", "id,qty\n1,5\n2,7\n3,ten\n4,12\n")
    result = read(path)
    assert types(result.schema) == {"id": "integer", "qty": "string"}
    assert [row[1] for row in result.rows] == ["5", "7", "ten", "12"]  # nothing lost, nothing rejected
    assert result.rejects == []
    assert warnings_of(path) == [
        "column qty is read as string: of the 4 values sampled, 1 does not read as an integer "
        "('ten' on line 4); declare the type with the types option (-o types=qty:integer) "
        "to reject such values instead"
    ]
    # Doing as told: the word becomes a reject naming its line, the rest integers.
    declared = read(path, types="qty:integer")
    assert declared.rows == [(1, 5), (2, 7), (4, 12)]
    assert [(reject.position, reject.raw) for reject in declared.rejects] == [(4, "3,ten")]
    assert warnings_of(path, types="qty:integer") == []


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            ["2026-01-01", "2026-01-02", "2026-13-01"],
            "1 does not read as a date (YYYY-MM-DD) ('2026-13-01' on line 4)",
        ),
        (["true", "false", "maybe"], "1 does not read as true or false ('maybe' on line 4)"),
    ],
)
def test_dates_and_booleans_with_a_misfit_are_told(tmp_path, values, expected):
    path = write(tmp_path / "d.csv", "v\n" + "\n".join(values) + "\n")
    (warning,) = warnings_of(path)
    assert warning.startswith("column v is read as string: of the 3 values sampled, ")
    assert expected in warning


def test_positions_are_physical_lines_across_blank_lines_and_multi_line_records(tmp_path):
    path = write(tmp_path / "m.csv", 'n,note\n1,"two\nlines"\n\n2,x\n3,y\nfour,z\n5,w\n')
    (warning,) = warnings_of(path)
    assert "1 does not read as an integer ('four' on line 7)" in warning


def test_natural_widenings_and_text_columns_say_nothing(tmp_path):
    path = write(
        tmp_path / "w.csv",
        "n,day,name\n1,2026-01-01,apple\n2.5,2026-01-02T10:00:00,pear\n3,2026-01-03,42\n",
    )
    assert types(read(path).schema) == {"n": "decimal", "day": "timestamp", "name": "string"}
    assert warnings_of(path) == []


def test_only_the_sampled_rows_are_counted(tmp_path):
    lines = "".join(f"{n}\n" for n in range(1, 10)) + "ten\n"
    path = write(tmp_path / "s.csv", "n\n" + lines)
    assert "of the 10 values sampled, 1 does not read" in warnings_of(path)[0]
    assert warnings_of(path, infer_rows=5) == []  # the word is past the sample: a reject instead
    narrow = read(path, infer_rows=5)
    assert types(narrow.schema) == {"n": "integer"}
    assert [(reject.position, reject.raw) for reject in narrow.rejects] == [(11, "ten")]


def test_types_of_the_target_table_are_not_inferred_nor_warned_about(tmp_path):
    path = write(tmp_path / "q.csv", "qty\n1\n2\nten\n")
    with open_file(str(path)) as source:
        source.prefer_types({"qty": "integer"})
        assert types(source.schema()) == {"qty": "integer"}
        assert source.warnings() == []


def test_warnings_come_with_the_schema_and_stay(tmp_path):
    path = write(tmp_path / "q.csv", "qty\n1\n2\nten\n")
    with open_file(str(path)) as source:
        assert source.warnings() == []  # nothing decided yet
        source.schema()
        found = source.warnings()
        assert len(found) == 1
        list(source.batches())
        assert source.warnings() == found
        list(source.batches())  # reading again decides the same
        assert source.warnings() == found


def test_json_lines_infer_the_same_way_and_name_the_line(tmp_path):
    records = [{"id": n, "zip": z} for n, z in enumerate(["10001", "02134", "94105", "60601"], start=1)]
    records.insert(2, {"id": "three", "zip": "73301"})
    path = write(tmp_path / "z.jsonl", "\n".join(json.dumps(record) for record in records) + "\n")
    result = read(path)
    assert types(result.schema) == {"id": "string", "zip": "string"}
    assert [row[1] for row in result.rows] == ["10001", "02134", "73301", "94105", "60601"]
    assert [row[0] for row in result.rows] == ["1", "2", "three", "3", "4"]
    found = warnings_of(path)
    assert len(found) == 2
    assert (
        "column id is read as string: of the 5 values sampled, "
        "1 does not read as an integer ('three' on line 3)" in found[0]
    )
    assert "column zip is read as string: of the 5 values sampled, 1 has a leading zero" in found[1]
    assert "('02134' on line 2)" in found[1]


def test_a_json_array_names_the_line_each_object_starts_on(tmp_path):
    path = write(
        tmp_path / "a.json",
        '[\n  {"n": 1},\n  {"n": 2},\n  {\n    "n": "n/a"\n  },\n  {"n": 4}\n]\n',
    )
    (warning,) = warnings_of(path)
    assert "1 does not read as an integer ('n/a' on line 4)" in warning


def test_a_value_past_the_sample_that_an_inferred_number_would_change_is_rejected(tmp_path):
    lines = [f"{10000 + n},city {n}\n" for n in range(1500)]
    lines[1200] = "02134,Boston\n"  # line 1202: after the 1000 rows inference looked at
    path = write(tmp_path / "zips.csv", "Zip Code,city\n" + "".join(lines))
    result = read(path)
    assert types(result.schema) == {"zip_code": "integer", "city": "string"}
    assert len(result.rows) == 1499
    assert [(reject.position, reject.raw, reject.reason) for reject in result.rejects] == [
        (
            1202,
            "02134,Boston",
            "column zip_code: expected an integer, got '02134', whose leading zero it would drop; "
            "the type was inferred from the first rows: declare it with the types option "
            "(-o types=zip_code:string keeps such values) ('Zip Code' in the file)",
        )
    ]
    assert read(path, types="zip_code:string").rows[1200] == ("02134", "Boston")
    declared = read(path, types="zip_code:integer")  # told so: the number, as for any declared type
    assert (declared.rows[1200], declared.rejects) == ((2134, "Boston"), [])
