"""The store's own tables on PostgreSQL: a load into one is refused, whatever its case, and a
damaged run record is read as unknown instead of failing the command."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize("table", ["spine_runs", "SPINE_RUNS"])
def test_a_load_into_a_kernel_table_is_refused_on_postgres(spine, postgres, tmp_path, table):
    url, look = postgres
    ran = spine("run", "demo", "-p", "rows=5", "--store", url, "--json")
    assert ran.returncode == 0, ran.stderr
    (tmp_path / "rows.csv").write_text("run_id,status\nx,y\n")
    refused = spine("load", str(tmp_path / "rows.csv"), "--table", table, "--mode", "replace", "--store", url)
    assert refused.returncode == 2
    assert f"table {table!r} is refused" in refused.stderr
    assert look.execute('SELECT "run_id" FROM "spine_runs"').fetchall() == [
        (json.loads(ran.stdout)["run_id"],)
    ]
    # PostgreSQL keeps quoted names as written: the upper-case twin was not created either.
    assert look.execute("SELECT to_regclass('\"SPINE_RUNS\"')").fetchone() == (None,)


def test_runs_list_reads_a_damaged_run_record_on_postgres(spine, postgres):
    url, look = postgres
    run_id = json.loads(spine("run", "demo", "-p", "rows=5", "--store", url, "--json").stdout)["run_id"]
    look.execute(
        'UPDATE "spine_runs" SET "status" = NULL, "params" = %s, "error_category" = %s, "error_context" = %s',
        ("{not json", "load", "["),
    )
    listed = subprocess_json(spine("runs", "list", "--store", url, "--json"))
    assert [(run["run_id"], run["status"], run["params"]) for run in listed] == [(run_id, "unknown", {})]
    shown = spine("runs", "show", run_id, "--store", url, "--log-level", "warning")
    assert shown.returncode == 0, shown.stderr
    assert "status    unknown" in shown.stdout
    assert f"damaged record in spine_runs: {run_id} has status NULL" in shown.stderr


def subprocess_json(completed):
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)
