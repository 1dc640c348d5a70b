"""JSON arrays (streamed element by element) and JSON Lines."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
import spine
from spine_source_file._source import open_file

from .file_helpers import read, source_error, types, write

ARRAY = """[
  {"id": 1, "symbol": "AAPL", "shares": 10.50, "day": "2026-11-16", "active": true,
   "tags": ["a", "b"], "extra": {"x": 1.5}},
  {"id": 2, "symbol": "BRK.B", "shares": 123456789012345678901234.125, "day": "2026-11-17",
   "active": false, "tags": [], "extra": null},
  {"symbol": "MSFT", "id": 3}
]
"""


def test_a_json_array_maps_keys_to_columns_and_infers_types(tmp_path):
    path = write(tmp_path / "trades.json", ARRAY)
    result = read(path)
    assert types(result.schema) == {
        "id": "integer",
        "symbol": "string",
        "shares": "decimal",
        "day": "date",
        "active": "boolean",
        "tags": "string",
        "extra": "string",
    }
    assert result.rows == [
        (1, "AAPL", Decimal("10.50"), date(2026, 11, 16), True, '["a", "b"]', '{"x": 1.5}'),
        (2, "BRK.B", Decimal("123456789012345678901234.125"), date(2026, 11, 17), False, "[]", None),
        (3, "MSFT", None, None, None, None, None),
    ]
    assert result.positions == [2, 4, 6]
    assert json.loads(result.raw[0])["symbol"] == "AAPL"
    assert result.raw[2] == '{"symbol": "MSFT", "id": 3}'
    assert result.rejects == []


def test_json_lines(tmp_path):
    path = write(
        tmp_path / "t.jsonl",
        '{"id": 1, "name": "a"}\n\n{"id": 2, "name": null}\r\n  {"name": "c", "id": 3}  \n{"id": 4}',
    )
    result = read(path)
    assert result.schema.names == ["id", "name"]
    assert result.rows == [(1, "a"), (2, None), (3, "c"), (4, None)]
    assert result.positions == [1, 3, 4, 5]
    assert result.raw[2] == '  {"name": "c", "id": 3}  '


def test_a_bad_json_line_is_rejected_with_its_line_and_reading_goes_on(tmp_path):
    lines = ['{"id": 1}', '{"id": 2,}', "[1, 2]", '"text"', '{"id": 5}']
    path = write(tmp_path / "t.ndjson", "\n".join(lines) + "\n")
    result = read(path)
    assert result.rows == [(1,), (5,)]
    assert [(r.origin, r.position, r.raw, r.reason) for r in result.rejects] == [
        (
            str(path),
            2,
            '{"id": 2,}',
            "not valid JSON: Expecting property name enclosed in double quotes at column 10",
        ),
        (str(path), 3, "[1, 2]", "expected a JSON object, found an array"),
        (str(path), 4, '"text"', "expected a JSON object, found a string"),
    ]


def test_a_non_object_array_element_is_rejected(tmp_path):
    path = write(tmp_path / "a.json", '[{"id": 1},\n 2,\n null,\n {"id": 4}]')
    result = read(path)
    assert result.rows == [(1,), (4,)]
    assert [(r.position, r.raw, r.reason) for r in result.rejects] == [
        (2, "2", "expected a JSON object, found a number"),
        (3, "null", "expected a JSON object, found null"),
    ]


def test_a_key_not_seen_in_the_first_records_rejects_the_record(tmp_path):
    lines = [json.dumps({"id": n}) for n in range(5)] + ['{"id": 5, "late": "x"}']
    result = read(write(tmp_path / "t.jsonl", "\n".join(lines)), infer_rows=3)
    assert len(result.rows) == 5
    assert [(r.position, r.reason) for r in result.rejects] == [
        (
            6,
            "key 'late' is not among the columns found in the first 3 records; "
            "declare the columns option (or raise infer_rows) to read it",
        )
    ]


def test_declared_columns_take_their_keys_and_ignore_the_others(tmp_path):
    path = write(
        tmp_path / "t.jsonl",
        '{"issueSymbolIdentifier": "A", "totalWeeklyShareQuantity": "1.5", "other": 1}\n'
        '{"issueSymbolIdentifier": "B", "ignored": [1]}\n',
    )
    result = read(path, columns="issue_symbol_identifier,total_weekly_share_quantity:decimal")
    assert types(result.schema) == {
        "issue_symbol_identifier": "string",
        "total_weekly_share_quantity": "decimal",
    }
    assert result.rows == [("A", Decimal("1.5")), ("B", None)]
    assert read(path, columns="issue_symbol_identifier", types="issue_symbol_identifier:string").rows == [
        ("A",),
        ("B",),
    ]


def test_values_of_the_wrong_type_are_rejected(tmp_path):
    path = write(tmp_path / "t.jsonl", '{"n": 1}\n{"n": 2.5}\n{"n": "x"}\n{"n": true}\n{"Total Count": 1}\n')
    result = read(path, types="n:integer", infer_rows=1)
    assert result.rows == [(1,)]
    assert [r.reason for r in result.rejects] == [
        "column n: expected an integer, got '2.5'",
        "column n: expected an integer, got 'x'",
        "column n: expected an integer, got 'true'",
        "key 'Total Count' is not among the columns found in the first 1 records; "
        "declare the columns option (or raise infer_rows) to read it",
    ]
    labelled = read(path, types="Total Count:date")
    assert [r.reason for r in labelled.rejects] == [
        "column total_count: expected a date (YYYY-MM-DD), got '1' ('Total Count' in the file)"
    ]


def test_an_empty_array_has_no_rows_and_no_columns_unless_declared(tmp_path):
    path = write(tmp_path / "e.json", " [ ] \n")
    assert source_error(path) == (
        f"{path}: the array is empty: no records, and so no columns; "
        "declare the columns option to load it as an empty input"
    )
    declared = read(write(tmp_path / "e2.json", "[]"), columns="a:integer")
    assert (declared.schema.names, declared.rows) == (["a"], [])
    with pytest.raises(spine.SourceError, match=r"b\.jsonl: only blank lines: no records, and so no columns"):
        read(write(tmp_path / "b.jsonl", "\n  \n\n"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"id": 1}\n', r"line 1: expected a JSON array of objects \('\['\), found '\{'; .*format=jsonl"),
        ("  \n\n  ", "line 3: expected a JSON array of objects .*found only white space"),
        (
            '[{"id": 1}\n {"id": 2}]',
            r"line 2: expected ',' or '\]' after the array element that starts on line 1",
        ),
        ('[{"id": 1},\n {"id": 2}', "line 2: expected ',' or ']' .* found the end of the file"),
        ('[{"id": 1},\n\n {"id": 2, "x": tru}]', "line 3: malformed JSON: Expecting value near 'tru}]'"),
        ('[{"id": 1},]', "line 1: malformed JSON: Expecting value near ']'"),
        ('[{"id": 1}]\n\nmore', "line 3: unexpected 'm' after the end of the JSON array"),
    ],
)
def test_a_malformed_array_is_a_source_error_with_the_line(tmp_path, text, message):
    path = write(tmp_path / "bad.json", text)
    with pytest.raises(spine.SourceError, match=f"bad.json: {message}"):
        read(path)


def test_an_array_is_streamed_across_reads(tmp_path):
    # Elements cross the 64 KiB reads, one is larger than a read, numbers end at read boundaries.
    texts = [f'{{"id": {n}, "amount": {n}.{n % 97:02d}, "text": "{"x" * (n % 300)}"}}' for n in range(3000)]
    texts[1500] = '{"id": 1500, "amount": 1500.45, "text": "' + "long " * 30_000 + '"}'
    result = read(write(tmp_path / "big.json", "[\n" + ",\n".join(texts) + "\n]"), batch_size=1000)
    assert [row[0] for row in result.rows] == list(range(3000))
    assert [row[1] for row in result.rows] == [Decimal(f"{n}.{n % 97:02d}") for n in range(3000)]
    assert result.rows[1500][2] == "long " * 30_000
    assert result.positions == list(range(2, 3002))
    assert result.raw == texts


def test_a_number_cut_by_the_end_of_a_read_is_read_whole(tmp_path):
    padding = "x" * (64 * 1024 - 15)  # puts "123456" across the first 64 KiB read
    result = read(write(tmp_path / "cut.json", f'[{{"a": "{padding}"}}, 123456]'))
    assert [(r.raw, r.reason) for r in result.rejects] == [
        ("123456", "expected a JSON object, found a number")
    ]


def test_json_gzip_bom_and_format_by_content(tmp_path):
    assert read(write(tmp_path / "a.json.gz", '[{"a": 1}]', compress=True)).rows == [(1,)]
    assert read(write(tmp_path / "b.json", '\ufeff[{"a": 1}]')).rows == [(1,)]
    assert read(write(tmp_path / "c.dat", '\n  [{"a": 1}]')).rows == [(1,)]
    assert read(write(tmp_path / "d.dat", '{"a": 1}\n{"a": 2}\n', compress=True)).rows == [(1,), (2,)]
    with open_file(str(tmp_path / "d.dat")) as source:
        assert source.describe() == f"{tmp_path / 'd.dat'} (jsonl, gzip)"


def test_bad_encoding_in_json_names_the_line(tmp_path):
    path = tmp_path / "l.jsonl"
    path.write_bytes(b'{"a": "x"}\n{"a": "Caf\xe9"}\n')
    with pytest.raises(spine.SourceError, match=r"l\.jsonl: line 2: cannot decode 0xe9 as utf-8"):
        read(path)
    assert read(path, encoding="latin-1").rows == [("x",), ("Café",)]


def test_json_nested_too_deeply(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    lines = read(write(tmp_path / "deep.jsonl", f'{{"a": 1}}\n{{"a": {deep}}}\n{{"a": 3}}\n'))
    assert lines.rows == [(1,), (3,)]
    assert [(r.position, r.reason) for r in lines.rejects] == [(2, "JSON nested too deeply to read")]
    with pytest.raises(spine.SourceError, match=r"deep\.json: line 2: JSON nested too deeply to read"):
        read(write(tmp_path / "deep.json", f'[{{"a": 1}},\n {{"a": {deep}}}]'))
