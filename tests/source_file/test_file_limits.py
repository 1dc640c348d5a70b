"""Bounds under hostile input: wide and repeated headers, oversized JSON elements, input with
no usable columns, and options that name what the file does not have."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import spine
from spine_source_file._files import _READ_SIZE
from spine_source_file._source import open_file

from .file_helpers import read, source_error, write

SPINE = str(Path(sys.executable).with_name("spine"))


def _spine(tmp_path, *arguments):
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    return subprocess.run([SPINE, *arguments], capture_output=True, text=True, env=env)


def _runs(tmp_path, store):
    return json.loads(_spine(tmp_path, "runs", "list", "--store", store, "--json").stdout)


# -- wide and repeated headers -------------------------------------------------------------


def test_a_header_of_40000_copies_of_one_name_is_read_with_numbered_columns(tmp_path):
    # Numbering repeats, and converting the rows, took time quadratic in the columns.
    count = 40_000
    path = write(tmp_path / "wide.csv", ",".join(["a"] * count) + "\n" + ",".join(["1"] * count) + "\n")
    result = read(path, max_columns=count)
    assert result.schema.names[:3] == ["a", "a_2", "a_3"]
    assert result.schema.names[-1] == f"a_{count}"
    assert result.rows == [(1,) * count]


@pytest.mark.parametrize(
    ("name", "header", "options", "found"),
    [
        ("d.csv", ",".join(f"c{n}" for n in range(10_001)), {}, "the header has 10001 columns"),
        ("d.psv", "|".join(["a"] * 1_000_000), {}, "the header has 1000000 columns"),
        # Quoted: delimiters inside quotes are no separators, so the fields are counted.
        ("d.csv", ",".join(['"a"'] * 1_000_000), {}, "the header has more than 10000 columns"),
        ("d.csv", "a,b,c,d", {"max_columns": "3"}, "the header has 4 columns"),
        ("d.csv", "1,2,3,4", {"max_columns": 3, "header": "false"}, "the first record has 4 columns"),
    ],
)
def test_a_header_wider_than_max_columns_is_refused_naming_the_file_and_the_option(
    tmp_path, name, header, options, found
):
    path = write(tmp_path / name, "\n\n" + header + "\n1,2\n")
    limit = options.get("max_columns", 10_000)
    assert source_error(path, **options).startswith(
        f"{path}: line 3: {found}, more than max_columns ({limit}); raise it (-o max_columns=N)"
    )


def test_quoted_delimiters_do_not_count_as_columns(tmp_path):
    path = write(tmp_path / "q.csv", '"a,b,c,d",e\n1,2\n')
    assert read(path, max_columns=2).schema.names == ["a_b_c_d", "e"]
    spanning = write(tmp_path / "s.csv", 'a,"b\nc",d,e\n1,2,3,4\n')  # counted once parsed
    with pytest.raises(spine.SourceError, match=r"s\.csv: line 1: the header has 4 columns, more than"):
        read(spanning, max_columns=3)


def test_declared_columns_without_a_header_are_not_limited_by_the_first_record(tmp_path):
    path = write(tmp_path / "d.csv", "1,2,3,4,5\n1,2\n")
    result = read(path, header="false", columns="a:integer,b:integer", max_columns=3)
    assert result.rows == [(1, 2)]
    assert [reject.reason for reject in result.rejects] == ["expected 2 fields, found 5"]


def test_json_keys_beyond_max_columns_are_refused(tmp_path):
    path = write(tmp_path / "k.jsonl", '{"a": 1, "b": 2}\n{"c": 3}\n')
    assert source_error(path, max_columns=2).startswith(
        f"{path}: the keys of the first records make 3 columns, more than max_columns (2)"
    )
    assert read(path, max_columns=3).schema.names == ["a", "b", "c"]


def test_spine_load_of_a_too_wide_file_is_a_failed_run_naming_the_file(tmp_path):
    path = write(tmp_path / "wide.csv", ",".join(["x"] * 20_000) + "\n")
    store = f"sqlite:///{tmp_path / 'spine.db'}"
    loaded = _spine(tmp_path, "load", str(path), "--table", "t", "--store", store)
    assert loaded.returncode == 1
    assert f"error [source]: {path}: line 1: the header has 20000 columns, more than max_columns" in (
        loaded.stderr
    )
    assert "Traceback" not in loaded.stderr


# -- JSON elements over max_element_bytes ----------------------------------------------------


def test_a_json_element_over_the_default_limit_is_reported_as_such(tmp_path):
    big = "x" * (16 * 1024 * 1024 + 10)
    path = write(tmp_path / "big.json", '[\n{"a": 1},\n{"a": 2},\n{"a": "' + big + '"}\n]')
    assert source_error(path) == (
        f"{path}: line 4: array element 3 goes on past max_element_bytes (16777216 characters): "
        "raise it (-o max_element_bytes=N) if the elements are that large; otherwise the array is broken"
    )
    assert read(path, max_element_bytes=32 * 1024 * 1024).rows[2] == (big,)


def test_max_element_bytes_is_an_option_and_a_broken_element_is_still_malformed(tmp_path):
    long = "y" * 200_000
    path = write(tmp_path / "e.json", '[{"a": 1}, {"a": "' + long + '"}]')
    over = r"line 1: array element 2 goes on past max_element_bytes \(100000"
    with pytest.raises(spine.SourceError, match=over):
        read(path, max_element_bytes="100000")
    broken = write(tmp_path / "b.json", '[{"a": tru, "b": "' + long + '"}]')
    malformed = r"b\.json: line 1: malformed JSON: Expecting value near 'tru, "
    with pytest.raises(spine.SourceError, match=malformed):
        read(broken, max_element_bytes=100_000)
    with pytest.raises(spine.ConfigError, match="'max_element_bytes' does not apply to csv files"):
        read(write(tmp_path / "d.csv", "a\n1\n"), max_element_bytes=10)


# -- JSON with no usable columns ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "rejected"),
    [
        ("numbers.json", "[1, 2,\n 3]", [(1, "1", "a number"), (1, "2", "a number"), (2, "3", "a number")]),
        (
            "arrays.jsonl",
            '[1, 2]\n\n"x"\n[]\n',
            [(1, "[1, 2]", "an array"), (3, '"x"', "a string"), (4, "[]", "an array")],
        ),
    ],
)
def test_json_without_a_single_object_fails_the_load_and_keeps_every_record_as_a_reject(
    tmp_path, name, text, rejected
):
    path = write(tmp_path / name, text)
    store = f"sqlite:///{tmp_path / 'spine.db'}"
    loaded = _spine(tmp_path, "load", str(path), "--table", "t", "--store", store, "--json")
    assert loaded.returncode == 1
    envelope = json.loads(loaded.stdout)
    assert (envelope["error"]["category"], envelope["error"]["message"]) == (
        "source",
        f"{path}: no record is a JSON object with keys, so there are no columns to load "
        "(the records that are not are rejected)",
    )
    assert "Traceback" not in loaded.stderr
    assert (envelope["status"], envelope["rows_read"], envelope["rows_rejected"]) == ("failed", 3, 3)
    shown = json.loads(
        _spine(tmp_path, "runs", "show", envelope["run_id"], "--store", store, "--json").stdout
    )
    assert [(r["origin"], r["position"], r["raw"], r["reason"]) for r in shown["rejects"]] == [
        (str(path), line, raw, f"expected a JSON object, found {kind}") for line, raw, kind in rejected
    ]


def test_an_empty_json_array_is_refused_like_an_empty_file_not_as_sql(tmp_path):
    path = write(tmp_path / "empty.json", "[]")
    store = f"sqlite:///{tmp_path / 'spine.db'}"
    loaded = _spine(tmp_path, "load", str(path), "--table", "t", "--store", store)
    assert loaded.returncode == 1
    assert f"error [source]: {path}: the array is empty: no records, and so no columns" in loaded.stderr
    assert "syntax error" not in loaded.stderr
    declared = _spine(
        tmp_path, "load", str(path), "--table", "t", "--store", store, "-o", "columns=a:integer"
    )
    assert declared.returncode == 0, declared.stderr
    (failed, succeeded) = sorted(_runs(tmp_path, store), key=lambda run: run["status"])
    assert (failed["status"], succeeded["status"], succeeded["rows_written"]) == ("failed", "succeeded", 0)


def test_objects_without_keys_are_rejects_too(tmp_path):
    path = write(tmp_path / "o.json", "[{},\n5]")
    with pytest.raises(spine.SourceError, match="no record is a JSON object with keys"):
        read(path)
    source_rejects = []
    with open_file(str(path)) as source:
        assert source.schema().fields == ()
        with pytest.raises(spine.SourceError):
            for batch in source.batches():
                source_rejects.extend((r.position, r.raw, r.reason) for r in batch.rejects)
    assert source_rejects == [
        (1, "{}", "an object without keys, and no columns to load it into"),
        (2, "5", "expected a JSON object, found a number"),
    ]


# -- types naming a column the file does not have --------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "columns"),
    [("d.csv", "id,name\n1,a\n", "id, name"), ("d.jsonl", '{"id": 1, "name": "a"}\n', "id, name")],
)
def test_types_naming_an_unknown_column_is_a_usage_error_and_no_run(tmp_path, name, text, columns):
    path = write(tmp_path / name, text)
    store = f"sqlite:///{tmp_path / 'spine.db'}"
    loaded = _spine(tmp_path, "load", str(path), "--table", "t", "--store", store, "-o", "types=nmae:string")
    assert loaded.returncode == 2, loaded.stderr
    assert (
        f"spine: error: file source option 'types': no column named nmae; the columns are {columns}"
        in loaded.stderr
    )
    assert "Traceback" not in loaded.stderr
    assert _runs(tmp_path, store) == []
    good = _spine(tmp_path, "load", str(path), "--table", "t", "--store", store, "-o", "types=name:string")
    assert good.returncode == 0, good.stderr


def test_a_file_whose_columns_cannot_be_read_is_still_a_recorded_failed_run_with_types(tmp_path):
    path = write(tmp_path / "q.csv", 'id,"name\n1,a\n')
    store = f"sqlite:///{tmp_path / 'spine.db'}"
    loaded = _spine(tmp_path, "load", str(path), "--table", "t", "--store", store, "-o", "types=id:integer")
    assert loaded.returncode == 1
    assert "error [source]: " in loaded.stderr and "q.csv" in loaded.stderr
    assert [run["status"] for run in _runs(tmp_path, store)] == ["failed"]


# -- lines over max_line_bytes (delimited) and max_element_bytes (JSON Lines) -----------------


@pytest.mark.parametrize(
    ("name", "text", "options", "line", "option", "limit"),
    [
        ("h.csv", "a" * 1001 + "\n1\n", {"max_line_bytes": 1000}, 1, "max_line_bytes", 1000),
        ("d.psv", "a|b\n1|2\n\n" + "x|" * 600 + "\n", {"max_line_bytes": "1000"}, 4, "max_line_bytes", 1000),
        # The last line, with no line ending; and \r endings count as line ends.
        ("e.csv", "a,b\r1,2\r" + "3," * 600, {"max_line_bytes": 1000}, 3, "max_line_bytes", 1000),
        ("l.jsonl", '{"a": 1}\n\n{"a": "' + "y" * 200 + '"}\n', {"max_element_bytes": 100}, 3, None, 100),
        # The defaults: 16 MiB.
        ("big.psv", "a|b\n1|" + "z" * (16 * 1024 * 1024) + "\n", {}, 2, "max_line_bytes", 16 * 1024 * 1024),
        ("big.jsonl", '{"a": "' + "z" * (16 * 1024 * 1024) + '"}\n', {}, 1, None, 16 * 1024 * 1024),
    ],
)
def test_a_line_over_its_limit_is_refused_naming_the_file_the_line_and_the_option(
    tmp_path, name, text, options, line, option, limit
):
    path = write(tmp_path / name, text)
    option = option or "max_element_bytes"
    assert source_error(path, **options) == (
        f"{path}: line {line}: the line goes on past {option} ({limit} characters): "
        f"raise it (-o {option}=N) if the lines are that long"
    )


@pytest.mark.parametrize("ending", ["\n", "\r", "\r\n"])
@pytest.mark.parametrize("short", [2, 3, 4, 5])
def test_lines_are_split_alike_wherever_a_read_ends(tmp_path, ending, short):
    # Text is read _READ_SIZE characters at a time: a line, and "\r\n", may straddle two reads or more.
    length = _READ_SIZE - short
    lines = ["a", "x" * length, "", "y", "z" * 140_000, "w"]
    path = write(tmp_path / "d.csv", ending.join(lines) + ending)
    result = read(path, quote="none", field_size_limit=150_000)
    assert (result.rows, result.positions) == (
        [("x" * length,), ("y",), ("z" * 140_000,), ("w",)],
        [2, 4, 5, 6],
    )
    assert result.raw[0] == "x" * length


def test_a_line_at_its_limit_is_read(tmp_path):
    # The line ending is not counted, whichever it is.
    path = write(tmp_path / "d.csv", "a,b\r\n1," + "x" * 98 + "\r\n2,y\r")
    assert read(path, max_line_bytes=100).rows == [(1, "x" * 98), (2, "y")]
    lines = write(tmp_path / "l.jsonl", '{"a": 1}\r\n{"a": "' + "y" * 91 + '"}\r\n')
    assert read(lines, max_element_bytes=100).rows == [("1",), ("y" * 91,)]
    with pytest.raises(spine.ConfigError, match="'max_line_bytes' does not apply to jsonl files"):
        read(lines, max_line_bytes=10)


# The peak RSS from /proc (VmHWM, of this process only: ru_maxrss keeps the parent's across exec).
_PEAK_RSS = """
import sys
from spine_source_file._files import _READ_SIZE
from spine_source_file._source import open_file
from spine.testing import read_source
try:
    read = read_source(open_file(sys.argv[1]), 1000)
    print(read.rejects[0].reason if read.rejects else read.rows)
except Exception as exc:
    print(exc)
with open("/proc/self/status") as status:
    print(next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:")))
"""


def _read_in_a_process(path):
    """What reading `path` gave (the error, the first reject or the rows) and the reader's peak RSS."""
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    said, peak = done.stdout.splitlines()
    return said, int(peak)


@pytest.mark.parametrize(
    ("line", "said"),
    [
        # A header of 128 MB is never held whole: refused once max_line_bytes (16 MiB) of it is read.
        ("h" * 128_000_000 + "\n1\n", "line 1: the line goes on past max_line_bytes"),
        # A data line of 5 million fields, under max_line_bytes, is rejected without splitting it.
        ("a|b\n" + "ab|" * 5_000_000 + "\n", "expected 2 fields, found 5000001"),
    ],
)
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak RSS read from Linux's /proc")
def test_memory_stays_bounded_whatever_the_line(tmp_path, line, said):
    small, baseline = _read_in_a_process(write(tmp_path / "small.psv", "a|b\n1|2\n"))
    assert small == "[(1, 2)]"
    found, peak = _read_in_a_process(write(tmp_path / "big.psv", line))
    assert said in found
    # Holding the first line whole takes 128 MB, splitting the second makes 5 million strings
    # (over 250 MB): the read holds a few times max_line_bytes at most.
    assert peak - baseline < 100_000_000


def test_declared_columns_are_bounded_by_max_columns_too(tmp_path):
    path = write(tmp_path / "d.csv", "1,2,3\n")
    with pytest.raises(spine.ConfigError, match=r"'columns': 3 columns, more than max_columns \(2\)"):
        read(path, header="false", columns="a,b,c", max_columns=2)


def test_a_parquet_file_wider_than_max_columns_is_refused_from_its_footer(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "wide.parquet"
    pq.write_table(pa.table({f"c{n}": [n] for n in range(12)}), path)
    assert source_error(path, max_columns=11) == (
        f"{path}: the file has 12 columns, more than max_columns (11); raise it (-o max_columns=N) if the "
        "input is that wide, though a table holds at most 2000 columns in SQLite, 1600 in PostgreSQL"
    )
    assert len(read(path, max_columns="12").schema.names) == 12
