"""spine load of real files into SQLite and PostgreSQL, through the command."""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from ..disks import small_disk
from .conftest import SPINE

HEADER = (
    "tierDescription|issueSymbolIdentifier|issueName|marketParticipantName|MPID|"
    "totalWeeklyShareQuantity|totalWeeklyTradeCount|lastUpdateDate"
)
KEYS = "issue_symbol_identifier,mpid"


def finra_lines(count, start=0):
    return [
        f"NMS Tier 1|S{i:07d}|Issue {i} Inc. (Class A) & Co|VENU VENUE LLC|VEN{i % 7}|{i * 10}.5|{i}|"
        "2026-11-16"
        for i in range(start, start + count)
    ]


def write(path, lines, header=HEADER):
    with path.open("w", encoding="utf-8") as out:
        out.write(header + "\n")
        out.writelines(line + "\n" for line in lines)
    return path


def many_lines(count):
    """Like finra_lines, without holding them all in memory."""
    for start in range(0, count, 10_000):
        yield from finra_lines(min(10_000, count - start), start)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """A store URL and a function returning a table's rows."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/it.db"

        def rows(table, order="issue_symbol_identifier"):
            with sqlite3.connect(f"{tmp_path}/it.db") as connection:
                return connection.execute(f'SELECT * FROM "{table}" ORDER BY "{order}"').fetchall()

        return url, rows
    url, look = request.getfixturevalue("postgres")

    def rows(table, order="issue_symbol_identifier"):
        return look.execute(f'SELECT * FROM "{table}" ORDER BY "{order}"').fetchall()

    return url, rows


def test_merge_a_file_twice_leaves_an_identical_table(spine, store, tmp_path):
    url, rows = store
    data = write(tmp_path / "week.psv", finra_lines(50))
    args = ["load", str(data), "--table", "otc", "--mode", "merge", "--key", KEYS, "--store", url, "--json"]
    first = spine(*args)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["rows_written"] == 50
    before = rows("otc")
    assert len(before) == 50
    assert spine(*args).returncode == 0
    assert rows("otc") == before


def test_bad_rows_become_rejects_with_their_line_and_reason(spine, store, tmp_path):
    url, rows = store
    lines = finra_lines(40)
    lines[4] = lines[4].rsplit("|", 1)[0]  # line 6 of the file: a field short
    lines[9] = lines[9].replace("|9|2026", "|nine|2026")  # line 11: not an integer
    data = write(tmp_path / "week.psv", lines)
    declared = "total_weekly_trade_count:integer"  # inferred, the column would read "nine" as text
    load = ["load", str(data), "--table", "otc", "--mode", "merge", "--key", KEYS, "-o", f"types={declared}"]
    result = spine(*load, "--store", url, "--json")
    assert result.returncode == 0, result.stderr
    envelope = json.loads(result.stdout)
    assert (envelope["status"], envelope["rows_written"], envelope["rows_rejected"]) == ("partial", 38, 2)
    shown = json.loads(spine("runs", "show", envelope["run_id"], "--store", url, "--json").stdout)
    rejects = {reject["position"]: reject for reject in shown["rejects"]}
    assert set(rejects) == {6, 11}
    assert rejects[6]["origin"].endswith("week.psv")
    assert "expected 8 fields, found 7" in rejects[6]["reason"]
    assert "expected an integer" in rejects[11]["reason"]
    assert rejects[11]["raw"] == lines[9]
    assert len(rows("otc")) == 38


def test_too_many_bad_rows_fail_the_load_and_keep_the_table(spine, store, tmp_path):
    url, rows = store
    good = write(tmp_path / "good.psv", finra_lines(10))
    spine("load", str(good), "--table", "otc", "--mode", "merge", "--key", KEYS, "--store", url)
    before = rows("otc")
    bad = write(
        tmp_path / "bad.psv",
        [line.rsplit("|", 2)[0] for line in finra_lines(10, 100)],  # ragged, whatever the types
    )
    # Nothing to infer the types from, every row being bad: the table's own types govern.
    load = ["load", str(bad), "--table", "otc", "--mode", "merge", "--key", KEYS]
    result = spine(*load, "--store", url)
    assert result.returncode == 1
    assert "10 of 10 rows rejected" in result.stderr
    assert rows("otc") == before


@pytest.mark.parametrize(
    ("name", "make", "options", "expected"),
    [
        (
            "latin1.psv",
            lambda p: p.write_bytes(
                (HEADER + "\n" + finra_lines(3)[0] + "\nX|Caf\xe9|a|b|c|1|1|2026-11-16\n").encode("latin-1")
            ),
            [],
            ["latin1.psv", "line 3"],
        ),
        (
            "cut.psv.gz",
            lambda p: p.write_bytes(
                gzip.compress(("\n".join([HEADER, *finra_lines(3000)]) + "\n").encode())[:-2000]
            ),
            [],
            ["cut.psv.gz", "gzip"],
        ),
        (
            "wide.psv",
            lambda p: write(p, [*finra_lines(3), "NMS Tier 1|LONG|" + "x" * 500 + "|a|b|1|1|2026-11-16"]),
            ["-o", "field_size_limit=100"],
            ["wide.psv", "line 5"],
        ),
        (
            "header.psv",
            lambda p: write(p, finra_lines(3), header="symbol|shares"),
            ["-o", "columns=tier,symbol,name,participant,mpid,shares:decimal,trades:integer,updated:date"],
            ["header.psv", "line 1"],
        ),
    ],
)
def test_malformed_input_fails_with_the_file_and_line(spine, tmp_path, name, make, options, expected):
    make(tmp_path / name)
    store = f"sqlite:///{tmp_path}/it.db"
    result = spine("load", str(tmp_path / name), "--table", "t", *options, "--store", store)
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    for part in expected:
        assert part in result.stderr


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_file_is_read_as_the_existing_table_stores_it(spine, request, tmp_path, kind):
    ddl = 'CREATE TABLE "codes" ("code" {text}, "amount" {decimal}, "seen" DATE, "note" {text})'
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path}/it.db"
        with sqlite3.connect(f"{tmp_path}/it.db") as connection:
            connection.execute(ddl.format(text="TEXT", decimal="NUMERIC"))

        def rows():
            with sqlite3.connect(f"{tmp_path}/it.db") as connection:
                return connection.execute('SELECT * FROM "codes" ORDER BY "code"').fetchall()
    else:
        url, look = request.getfixturevalue("postgres")
        look.execute(ddl.format(text="varchar(10)", decimal="numeric(12, 2)"))

        def rows():
            return [
                (code, float(amount) if amount is not None else None, str(seen), note)
                for code, amount, seen, note in look.execute('SELECT * FROM "codes" ORDER BY "code"')
            ]

    # Read alone, "code" would be integers (00123 -> 123) and "amount" text, which
    # the table cannot take; the table's types say how to read them.
    data = tmp_path / "codes.csv"
    data.write_text(
        "code,amount,seen,note\n00123,5,2026-11-23,12\n00456,abc,2026-11-24,x\n07000,1.25,2026-11-25,\n"
    )
    result = spine("load", str(data), "--table", "codes", "--store", url, "--max-rejects", "1", "--json")
    assert result.returncode == 0, result.stderr
    envelope = json.loads(result.stdout)
    assert (envelope["status"], envelope["rows_written"], envelope["rows_rejected"]) == ("partial", 2, 1)
    (reject,) = json.loads(spine("runs", "show", envelope["run_id"], "--store", url, "--json").stdout)[
        "rejects"
    ]
    assert (reject["position"], reject["reason"]) == (
        3,
        "column amount: expected a decimal number, got 'abc'",
    )
    assert rows() == [("00123", 5, "2026-11-23", "12"), ("07000", 1.25, "2026-11-25", "")]
    # An explicit type that the table does not store is refused, naming both; the table stays.
    replace = ["--mode", "replace", "--max-rejects", "1", "-o", "types=code:integer"]
    declared = spine("load", str(data), "--table", "codes", "--store", url, *replace)
    assert declared.returncode == 1
    assert "table 'codes' stores code as string (" in declared.stderr
    assert "where the input has integer" in declared.stderr
    assert [row[0] for row in rows()] == ["00123", "07000"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["-o", "delimeter=;"], "file source option 'delimeter'"),
        (["-o", "header=perhaps"], "file source option 'header': expected"),
        (["-o", "sheet=2"], "'sheet'"),
    ],
)
def test_a_bad_source_option_exits_2_before_any_run(spine, tmp_path, options, expected):
    data = write(tmp_path / "otc.psv", finra_lines(2))
    store = f"sqlite:///{tmp_path}/it.db"
    result = spine("load", str(data), "--table", "otc", *options, "--store", store)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(spine("runs", "list", "--store", store, "--json").stdout) == []


def test_a_missing_file_is_a_recorded_failed_run(spine, tmp_path):
    store = f"sqlite:///{tmp_path}/it.db"
    result = spine("load", str(tmp_path / "absent.psv"), "--table", "otc", "--store", store)
    assert result.returncode == 1
    assert "absent.psv: no such file" in result.stderr
    (run,) = json.loads(spine("runs", "list", "--store", store, "--json").stdout)
    assert run["status"] == "failed"
    assert "no such file" in run["error"]["message"]


def test_names_from_input_cannot_inject_sql(spine, store, tmp_path):
    url, rows = store
    data = tmp_path / "evil.csv"
    data.write_text('id,"x""; DROP TABLE spine_runs; --",select\n1,a,b\n2,c,d\n')
    result = spine("load", str(data), "--table", "evil", "--store", url, "--json")
    assert result.returncode == 0, result.stderr
    assert sorted(rows("evil", order="id")) == [(1, "a", "b"), (2, "c", "d")]
    assert spine("runs", "list", "--store", url, "--json").returncode == 0  # spine_runs is still there
    refused = spine("load", str(data), "--table", "evil; DROP TABLE spine_runs", "--store", url)
    assert refused.returncode == 2
    assert "invalid table name" in refused.stderr


def test_a_postgres_load_killed_half_way_keeps_the_previous_content(env, postgres, tmp_path):
    url, look = postgres
    small = write(tmp_path / "small.psv", finra_lines(100))
    big = write(tmp_path / "big.psv", many_lines(1_500_000))
    base = [SPINE, "--log-level", "error", "load"]
    merge = ["--table", "otc", "--mode", "merge", "--key", KEYS, "--store", url]
    subprocess.run([*base, str(small), *merge], env=env, check=True, capture_output=True)
    victim = subprocess.Popen(
        [*base, str(big), *merge], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # killed while its COPY is under way
        copying = look.execute("SELECT count(*) FROM pg_stat_progress_copy").fetchone()[0]
        if copying:
            break
        time.sleep(0.05)
    time.sleep(0.5)
    assert victim.poll() is None, "the load ended before it could be killed"
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    assert look.execute('SELECT count(*) FROM "otc"').fetchone()[0] == 100
    rerun = subprocess.run([*base, str(small), *merge, "--json"], env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["status"] == "succeeded"


def test_what_inference_decided_is_printed_recorded_and_shown(spine, tmp_path):
    store = f"sqlite:///{tmp_path}/w.db"
    data = tmp_path / "zips.csv"
    data.write_text(
        "zip,qty,day\n02134,1,2026-01-05\n10001,2,2026-01-06\n94105,ten,2026-13-01\n60601,4,2026-01-08\n"
    )
    loaded = spine("load", str(data), "--table", "zips", "--store", store)
    assert loaded.returncode == 0, loaded.stderr
    assert "created table zips (zip string, qty string, day string)" in loaded.stdout
    warnings = [line for line in loaded.stderr.splitlines() if line.startswith("warning: ")]
    assert [line.split(":")[1].strip() for line in warnings] == [
        "column zip is read as string",
        "column qty is read as string",
        "column day is read as string",
    ]
    assert "'ten' on line 4" in warnings[1] and "-o types=qty:integer" in warnings[1]
    listed = json.loads(spine("runs", "list", "--json", "--store", store).stdout)
    (run,) = listed
    assert [warning.split(":")[0] for warning in run["warnings"]] == [
        "column zip is read as string",
        "column qty is read as string",
        "column day is read as string",
    ]
    assert run["tables"] == [
        {"table": "zips", "created": True, "columns": {"zip": "string", "qty": "string", "day": "string"}}
    ]
    shown = spine("runs", "show", run["run_id"], "--store", store).stdout
    assert "table     created table zips (zip string, qty string, day string)" in shown
    assert "warning   column day is read as string" in shown
    with sqlite3.connect(tmp_path / "w.db") as db:
        assert db.execute("SELECT zip FROM zips ORDER BY rowid").fetchall()[0] == ("02134",)


def test_a_runs_progress_counts_every_file_and_says_how_far_through_each(tmp_path):
    import spine as kernel_package

    first = write(tmp_path / "a.psv", finra_lines(1200))
    second = write(tmp_path / "b.psv", finra_lines(800, start=5000))
    seen = []

    class TwoFiles:
        def run(self, context):
            for path in (first, second):
                source = context.kernel.open_source(str(path), types={"totalWeeklyTradeCount": "integer"})
                context.load(source, kernel_package.Target("otc", "append"))

    class Plugin:
        @kernel_package.hookimpl
        def register_pipelines(self, register):
            register(kernel_package.PipelineSpec("two_files", TwoFiles))

    overrides = {"store_url": f"sqlite:///{tmp_path}/p.db"}
    with kernel_package.Spine(overrides=overrides, plugins=[Plugin()]) as kernel:
        result = kernel.run("two_files", progress=seen.append)
    assert result.counts.rows_read == 2000
    assert [progress.rows_read for progress in seen][-1] == 2000  # one counter for the run
    assert [progress.rows_read for progress in seen] == sorted(progress.rows_read for progress in seen)
    by_file = {}
    for progress in seen:
        by_file.setdefault(progress.source.split(" ")[0], []).append(progress.fraction)
    assert list(by_file) == [str(first), str(second)]
    for fractions in by_file.values():
        assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_keys_are_given_as_the_files_header_names_them(spine, store, tmp_path):
    url, rows = store
    data = write(tmp_path / "week.psv", finra_lines(5))
    args = ["load", str(data), "--table", "otc", "--mode", "merge", "--store", url]
    result = spine(*args, "--key", "issueSymbolIdentifier,MPID")
    assert result.returncode == 0, result.stderr
    assert spine(*args, "--key", "issueSymbolIdentifier,MPID").returncode == 0
    assert len(rows("otc")) == 5


def test_a_bad_key_exits_2_before_any_run_and_raises_no_alert(spine, store, tmp_path):
    url, _ = store
    data = write(tmp_path / "week.psv", finra_lines(5))
    result = spine(
        "load", str(data), "--table", "otc", "--mode", "merge", "--key", "symbol,MPID", "--store", url
    )
    assert result.returncode == 2
    assert (
        "key column 'symbol' is not among the columns of 'otc': tier_description, issue_symbol_identifier"
        in (result.stderr)
    )
    assert json.loads(spine("runs", "list", "--store", url, "--json").stdout) == []
    assert json.loads(spine("alerts", "history", "--store", url, "--json").stdout) == []


def test_a_header_only_file_cannot_empty_a_table_by_replace_unless_allowed(spine, store, tmp_path):
    url, rows = store
    spine("load", str(write(tmp_path / "week.psv", finra_lines(3))), "--table", "otc", "--store", url)
    empty = write(tmp_path / "empty.psv", [])
    replace = ["load", str(empty), "--table", "otc", "--mode", "replace", "--store", url]
    refused = spine(*replace)
    assert refused.returncode == 1
    assert "error [check]: replace would leave table 'otc' empty: the input had no rows" in refused.stderr
    assert "--allow-empty" in refused.stderr
    assert len(rows("otc")) == 3
    allowed = spine(*replace, "--allow-empty", "--json")
    assert allowed.returncode == 0, allowed.stderr
    assert json.loads(allowed.stdout)["params"]["allow_empty"] is True
    assert rows("otc") == []


def test_new_columns_are_added_unless_the_schema_contract_is_freeze(spine, store, tmp_path):
    url, rows = store
    cities = tmp_path / "cities.csv"
    cities.write_text("city,zip\nParis,75001\n")
    assert spine("load", str(cities), "--table", "cities", "--store", url).returncode == 0
    cities.write_text("city,zip,country\nLyon,69001,FR\n")
    load = ["load", str(cities), "--table", "cities", "--store", url]
    frozen = spine(*load, "--schema-contract", "freeze")
    assert frozen.returncode == 1
    assert (
        "table 'cities' has no column(s) country that the input has, and the schema contract is freeze"
        in (frozen.stderr)
    )
    assert spine(*load, extra_env={"SPINE_SCHEMA_CONTRACT": "freeze"}).returncode == 1
    assert rows("cities", order="city") == [("Paris", 75001)]
    evolved = spine(*load, "--schema-contract", "evolve", extra_env={"SPINE_SCHEMA_CONTRACT": "freeze"})
    assert evolved.returncode == 0, evolved.stderr
    assert rows("cities", order="city") == [("Lyon", 69001, "FR"), ("Paris", 75001, None)]
    # A type the table does not store that way is refused, naming the column and both types.
    changed = spine(*load, "-o", "types=zip:string")
    assert changed.returncode == 1
    assert "table 'cities' stores zip as integer (" in changed.stderr
    assert "where the input has string" in changed.stderr


def test_a_full_disk_fails_the_load_with_what_happened_and_the_table_stays_intact(spine, tmp_path):
    with small_disk(tmp_path / "disk") as disk:
        url = f"sqlite:///{disk}/spine.db"
        small = write(tmp_path / "small.psv", finra_lines(3))
        merge = ["--table", "otc", "--mode", "merge", "--key", KEYS, "--store", url]
        assert spine("load", str(small), *merge).returncode == 0
        big = write(tmp_path / "big.psv", many_lines(300_000))  # far more than the disk holds
        result = spine("load", str(big), *merge)
        assert result.returncode == 1
        assert f"disk full: no space left in {disk} for the database file {disk}/spine.db" in result.stderr
        assert "internal" not in result.stderr and "Traceback" not in result.stderr
        with sqlite3.connect(disk / "spine.db") as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert connection.execute('SELECT COUNT(*) FROM "otc"').fetchone() == (3,)
