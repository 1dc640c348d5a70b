"""Every option is validated: a wrong name or value is a ConfigError naming the option and what it expects."""

from __future__ import annotations

import pytest
import spine
from spine_source_file._options import parse_options
from spine_source_file._source import open_file

from .file_helpers import read, types, write


@pytest.fixture
def csv_file(tmp_path):
    return write(tmp_path / "d.csv", "a,b\n1,x\n")


def test_an_unknown_option_is_refused_with_the_closest_name(csv_file):
    with pytest.raises(spine.ConfigError) as caught:
        open_file(str(csv_file), delimeter=";")
    assert str(caught.value) == (
        "unknown file source option 'delimeter' (did you mean 'delimiter'?); the options are bad_quotes, "
        "columns, delimiter, encoding, field_size_limit, format, header, infer_rows, max_columns, "
        "max_element_bytes, max_line_bytes, quote, types"
    )
    assert caught.value.context == {"option": "delimeter"}
    with pytest.raises(spine.ConfigError, match="unknown file source option 'zzz'; the options"):
        open_file(str(csv_file), zzz="1")


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("format", "xml", "expected one of csv, tsv, psv, json, jsonl, parquet, got 'xml'"),
        ("delimiter", ";;", "expected a single character, or tab, pipe, comma, semicolon, got ';;'"),
        ("delimiter", "\n", "expected a single character"),
        ("delimiter", 44, "expected a single character"),
        ("quote", "''", "expected a single character, or none to read fields unquoted, got \"''\""),
        ("encoding", "klingon", "expected the name of a Python codec such as utf-8, latin-1 or cp1252"),
        ("encoding", "base64", "expected the name of a Python codec"),
        ("header", "maybe", "expected true or false, got 'maybe'"),
        ("header", 2, "expected true or false, got 2"),
        ("infer_rows", "-1", "expected a whole number >= 0, got '-1'"),
        ("infer_rows", "many", "expected a whole number >= 0, got 'many'"),
        ("infer_rows", True, "expected a whole number >= 0, got True"),
        ("infer_rows", "²", "expected a whole number >= 0, got '²'"),
        ("field_size_limit", "0", "expected a whole number >= 1, got '0'"),
        ("columns", "", "expected column names, each optionally name:type, got ''"),
        ("columns", [], "expected column names, each optionally name:type, got []"),
        ("columns", [1], "expected column names, each optionally name:type, got [1]"),
        ("columns", "a,1b", "invalid column name '1b'"),
        ("columns", "a:int", "column 'a': unknown type 'int'; expected one of string, integer"),
        ("columns", "a,A", "column 'A' appears twice"),
        ("types", "a", "expected column:type pairs separated by commas, like shares:decimal,day:date"),
        ("types", {"a": 1}, "expected column:type pairs"),
        ("types", "a:number", "column 'a': unknown type 'number'"),
        ("types", "a:date,A:integer", "column 'a' appears twice"),
    ],
)
def test_an_invalid_value_names_the_option_and_what_was_expected(csv_file, option, value, expected):
    with pytest.raises(spine.ConfigError) as caught:
        open_file(str(csv_file), **{option: value})
    assert str(caught.value).startswith(f"file source option {option!r}: ")
    assert expected in str(caught.value)
    assert caught.value.context == {"option": option}


def test_strings_from_the_command_line_and_values_from_code_mean_the_same():
    from_cli = parse_options(
        {"header": "No", "infer_rows": "5", "columns": "a:integer, b", "types": "b:date", "quote": "none"}
    )
    from_code = parse_options(
        {
            "header": False,
            "infer_rows": 5,
            "columns": [spine.Field("a", "integer"), "b"],
            "types": {"b": "date"},
        }
    )
    for name in ("header", "infer_rows", "columns", "types"):
        assert getattr(from_cli, name) == getattr(from_code, name)
    assert from_cli.quote is None
    assert parse_options({"quote": None}).quote is None
    assert parse_options({"delimiter": "TAB"}).delimiter == "\t"


def test_defaults(csv_file):
    options = parse_options({})
    assert (options.encoding, options.header, options.infer_rows, options.field_size_limit) == (
        "utf-8",
        True,
        1000,
        131072,
    )
    assert (options.quote_for(","), options.quote_for("\t"), options.quote_for("|")) == ('"', '"', None)
    assert parse_options({"quote": "'"}).quote_for("|") == "'"


@pytest.mark.parametrize(
    ("name", "text", "option"),
    [
        ("d.json", '[{"a": 1}]', {"delimiter": ","}),
        ("d.jsonl", '{"a": 1}\n', {"header": "true"}),
        ("d.jsonl", '{"a": 1}\n', {"quote": "none"}),
        ("d.json", '[{"a": 1}]', {"field_size_limit": "10"}),
    ],
)
def test_an_option_that_does_not_apply_to_the_format_is_refused(tmp_path, name, text, option):
    path = write(tmp_path / name, text)
    (option_name,) = option
    with pytest.raises(spine.ConfigError, match=f"option '{option_name}' does not apply to json"):
        open_file(str(path), **option)


def test_the_quote_and_the_delimiter_must_differ(csv_file):
    with pytest.raises(spine.ConfigError, match="the quote and the delimiter are both ';'"):
        open_file(str(csv_file), delimiter=";", quote=";")
    with pytest.raises(spine.ConfigError, match="both '\"'"):
        open_file(str(csv_file), delimiter='"')


def test_options_are_used_as_given(tmp_path):
    path = write(tmp_path / "d.dat", "x;y\n1;2\n")
    result = read(path, format="csv", delimiter="semicolon", header="yes", types="x:decimal", infer_rows="1")
    assert types(result.schema) == {"x": "decimal", "y": "integer"}
