"""The plugin as the kernel sees it: its entry point, a light entry module, and loads end to end."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from importlib.metadata import distribution
from pathlib import Path

import pytest
import spine
import spine_source_file
from packaging.requirements import Requirement
from spine.testing import modules_imported_by
from spine_source_file._text import TextSource

from .file_helpers import FINRA_HEADER, finra_line, write

SPINE = str(Path(sys.executable).with_name("spine"))


@pytest.fixture
def kernel(tmp_path):
    with spine.Spine(
        entry_points=False, environ={"HOME": str(tmp_path)}, plugins=[spine_source_file]
    ) as kernel:
        yield kernel


def test_the_distribution_declares_its_entry_point_and_kernel_range():
    dist = distribution("spine-source-file")
    assert dist.version == "0.1.2"
    (entry,) = [ep for ep in dist.entry_points if ep.group == "spine.plugins"]
    assert (entry.name, entry.value) == ("file", "spine_source_file")
    requires = {str(Requirement(text)) for text in dist.requires or []}
    assert requires == {"spine-kernel<0.2,>=0.1.4", 'pyarrow>=14; extra == "parquet"'}


def test_the_entry_module_imports_nothing_but_spine():
    assert modules_imported_by("spine_source_file") == ["spine_source_file"]


def test_the_kernel_opens_files_and_file_urls_with_it(kernel, tmp_path):
    path = write(tmp_path / "d.psv", "a|b\n1|x\n")
    for location in (str(path), path.as_uri()):
        with kernel.open_source(location, header="true") as source:
            assert isinstance(source, TextSource)
            assert [batch.rows for batch in source.batches()] == [[(1, "x")]]


def test_a_load_keeps_good_rows_and_records_rejects(kernel, tmp_path):
    lines = [finra_line(n) for n in range(1, 11)]
    lines[3] = lines[3].replace("|4|2026", "|four|2026")  # line 5
    path = write(tmp_path / "week.psv", FINRA_HEADER + "\n" + "\n".join(lines) + "\n")
    store = f"sqlite:///{tmp_path / 'spine.db'}"
    result = kernel.load(
        str(path), "otc", options={"types": "totalWeeklyTradeCount:integer"}, store=store, max_rejects="50%"
    )
    assert (result.status, result.counts.rows_written, result.counts.rows_rejected) == ("partial", 9, 1)
    (reject,) = kernel.runlog(store).rejects(result.run_id)
    reason = "column total_weekly_trade_count: expected an integer, got 'four'"
    assert reject == spine.Reject(str(path), 5, lines[3], f"{reason} ('totalWeeklyTradeCount' in the file)")
    with sqlite3.connect(tmp_path / "spine.db") as db:
        assert db.execute('SELECT count(*), sum("total_weekly_trade_count") FROM "otc"').fetchone() == (9, 51)


def test_the_command_lists_the_plugin_and_reports_errors_in_one_line(tmp_path):
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    listed = subprocess.run([SPINE, "plugins", "list", "--json"], capture_output=True, text=True, env=env)
    plugins = {plugin["name"]: plugin for plugin in json.loads(listed.stdout)}
    assert plugins["file"]["status"] == "ok"
    assert plugins["file"]["provides"]["source"] == ["file"]

    store = ["--store", f"sqlite:///{tmp_path / 'spine.db'}"]
    data = write(tmp_path / "d.csv", "a,b\n1,2\n")
    missing = subprocess.run(
        [SPINE, "load", str(tmp_path / "nope.csv"), "--table", "t", *store],
        capture_output=True,
        text=True,
        env=env,
    )
    assert missing.returncode == 1
    assert "error [source]: " + str(tmp_path / "nope.csv") + ": no such file" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad_option = subprocess.run(
        [SPINE, "load", str(data), "--table", "t", "-o", "delimeter=;", *store],
        capture_output=True,
        text=True,
        env=env,
    )
    assert bad_option.returncode == 2  # a usage error, found before the run starts
    assert (
        "spine: error: unknown file source option 'delimeter' (did you mean 'delimiter'?)"
        in bad_option.stderr
    )
    assert "Traceback" not in bad_option.stderr


def _load(tmp_path, path, *arguments):
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    store = ["--store", f"sqlite:///{tmp_path / 'spine.db'}"]
    command = [SPINE, "load", str(path), "--table", "t", "--json", *store, *arguments]
    return subprocess.run(command, capture_output=True, text=True, env=env)


def test_spine_load_keeps_zip_codes_as_text_in_a_new_table(tmp_path):
    data = write(tmp_path / "zips.csv", "zip,city\n02134,Boston\n10001,New York\n94105,San Francisco\n")
    loaded = _load(tmp_path, data)
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout)["rows_written"] == 3
    with sqlite3.connect(tmp_path / "spine.db") as db:
        assert [row[0] for row in db.execute('SELECT "zip" FROM "t" ORDER BY "city"')] == [
            "02134",
            "10001",
            "94105",
        ]


def test_spine_load_stops_at_an_unclosed_quote_or_rejects_it_when_asked(tmp_path):
    good = "".join(f"{n},name {n}\n" for n in range(1, 10))
    data = write(tmp_path / "open.csv", f'id,name\n{good}10,"unclosed\n11,b\n12,c\n')
    failed = _load(tmp_path, data)
    assert failed.returncode == 1
    assert "open.csv: line 11: the quote opened on line 11 is never closed" in failed.stderr
    assert "Traceback" not in failed.stderr
    rejected = _load(tmp_path, data, "-o", "bad_quotes=reject", "--max-rejects", "50%")
    assert rejected.returncode == 0, rejected.stderr
    result = json.loads(rejected.stdout)
    assert result["status"] == "partial"
    assert (result["rows_written"], result["rows_rejected"]) == (9, 1)


def test_spine_inspect_shows_a_files_columns_and_what_the_source_decided(tmp_path):
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    data = write(tmp_path / "zips.csv", "zip,city,n\n2134,Boston,1\n10001,New York,2\n10002,Bronx,x\n")
    shown = subprocess.run([SPINE, "inspect", str(data)], capture_output=True, text=True, env=env)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith(str(data))
    assert [line.split() for line in lines[1:5]] == [
        ["COLUMN", "TYPE"],
        ["zip", "integer"],
        ["city", "string"],
        ["n", "string"],
    ]
    assert lines[5].startswith("  warning: column n is read as string") and "('x' on line 4)" in lines[5]
    as_json = subprocess.run(
        [SPINE, "inspect", str(data), "-o", "types=n:integer", "--json"],
        capture_output=True,
        text=True,
        env=env,
    )
    (listed,) = json.loads(as_json.stdout)
    assert listed["columns"][2] == {"name": "n", "type": "integer"} and listed["warnings"] == []
    typo = subprocess.run(
        [SPINE, "inspect", str(data), "-o", "delimeter=;"], capture_output=True, text=True, env=env
    )
    assert typo.returncode == 2 and "did you mean 'delimiter'?" in typo.stderr
    assert not (tmp_path / ".local").exists()  # inspecting loads nothing, opens no store
