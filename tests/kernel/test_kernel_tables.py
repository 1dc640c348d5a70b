"""The store's own tables: no load writes into them, and a damaged record never fails a command.

Records are damaged with direct SQL on a real SQLite store; the commands run as a user runs them.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from spine._data._sqlite import SQLiteStore
from spine._data._stores import KERNEL_TABLE_PREFIX
from spine._runs._runlog import RunLog

WORKFLOW = """\
name: trial
steps:
  - {name: a, pipeline: demo, params: {rows: "3"}}
"""


@pytest.fixture
def store(tmp_path):
    return f"sqlite:///{tmp_path}/runs.db"


def sql(store, statement, params=()):
    with sqlite3.connect(store.removeprefix("sqlite:///")) as connection:
        return connection.execute(statement, params).fetchall()


def demo_run(spine_cli, store):
    ran = spine_cli("run", "demo", "-p", "rows=5", "--store", store, "--json")
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout)["run_id"]


def warnings_of(stderr):
    """The damaged-record warnings a command wrote (JSON log lines: stderr is not a terminal)."""
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return [line["event"] for line in lines if line.get("logger") == "spine.records"]


# -- no load writes into the kernel's tables -----------------------------------------------------


@pytest.mark.parametrize("table", ["spine_runs", "SPINE_RUNS", "Spine_Alerts", "spine_mine"])
def test_a_load_into_a_table_named_like_the_kernels_is_refused_before_anything_is_recorded(
    spine_cli, store, tmp_path, table
):
    before = demo_run(spine_cli, store)
    (tmp_path / "rows.csv").write_text("run_id,status\nx,y\n")
    refused = spine_cli(
        "load", str(tmp_path / "rows.csv"), "--table", table, "--mode", "replace", "--store", store
    )
    assert refused.returncode == 2, refused.stderr
    assert f"table {table!r} is refused: names starting with spine_" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert sql(store, 'SELECT "run_id", "status" FROM "spine_runs"') == [(before, "succeeded")]
    assert ("spine_mine",) not in sql(store, "SELECT name FROM sqlite_master WHERE type = 'table'")


def test_a_pipeline_writing_into_a_kernel_table_fails_and_leaves_the_run_history_intact(
    spine_cli, store, tmp_path
):
    before = demo_run(spine_cli, store)
    (tmp_path / "rows.csv").write_text("run_id,status\nx,y\n")
    params = ("-p", f"source={tmp_path / 'rows.csv'}", "-p", "table=spine_runs", "-p", "mode=replace")
    ran = spine_cli("run", "load", *params, "--store", store, "--json")
    assert ran.returncode != 0
    envelope = json.loads(ran.stdout)
    assert envelope["status"] == "failed"
    assert envelope["error"]["category"] == "config"
    assert "'spine_runs' is refused" in envelope["error"]["message"]
    listed = spine_cli("runs", "list", "--store", store, "--json")
    assert listed.returncode == 0, listed.stderr
    assert {(run["run_id"], run["status"]) for run in json.loads(listed.stdout)} == {
        (before, "succeeded"),
        (envelope["run_id"], "failed"),
    }


def test_every_table_the_kernel_makes_starts_with_the_refused_prefix(store):
    RunLog(SQLiteStore(store)).store.close()
    tables = [name for (name,) in sql(store, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert "spine_runs" in tables
    assert all(name.startswith(KERNEL_TABLE_PREFIX) for name in tables), tables


# -- damaged records ------------------------------------------------------------------------------


def test_runs_list_and_show_read_damaged_run_records_as_unknown_and_say_what_is_damaged(spine_cli, store):
    nulled, unknown, running = (demo_run(spine_cli, store) for _ in range(3))
    sql(
        store,
        'UPDATE "spine_runs" SET "status" = NULL, "params" = ?, "started_at" = ?, "rows_read" = ?, '
        '"error_category" = ?, "error_context" = ? WHERE "run_id" = ?',
        ("{not json", "yesterday", "many", "load", "[", nulled),
    )
    sql(
        store,
        'UPDATE "spine_runs" SET "status" = ?, "pipeline" = NULL, "finished_at" = ? WHERE "run_id" = ?',
        ("exploded", "garbage", unknown),
    )
    sql(
        store,
        # its worker stays the process that ran it, gone now: the run is closed
        'UPDATE "spine_runs" SET "status" = ?, "heartbeat_at" = ? WHERE "run_id" = ?',
        ("running", "not a time", running),
    )

    listed = spine_cli("runs", "list", "--store", store, "--json")
    assert listed.returncode == 0, listed.stderr
    runs = {run["run_id"]: run for run in json.loads(listed.stdout)}
    assert (runs[nulled]["status"], runs[nulled]["params"], runs[nulled]["started_at"]) == (
        "unknown",
        {},
        None,
    )
    assert runs[nulled]["rows_read"] == 0 and runs[nulled]["error"]["context"] == {}
    assert (runs[unknown]["status"], runs[unknown]["pipeline"], runs[unknown]["finished_at"]) == (
        "unknown",
        "?",
        None,
    )
    assert runs[running]["status"] == "failed"
    told = warnings_of(listed.stderr)
    for run_id, field in [
        (nulled, "status"),
        (nulled, "params"),
        (nulled, "started_at"),
        (nulled, "rows_read"),
        (nulled, "error_context"),
        (unknown, "status"),
        (unknown, "pipeline"),
        (unknown, "finished_at"),
        (running, "heartbeat_at"),
    ]:
        about = [event for event in told if f"{run_id} has {field} " in event]
        assert len(about) == 1, (run_id, field, told)  # once, though the run is read twice
        assert about[0].startswith("damaged record in spine_runs: ")
    assert "'exploded'" in next(event for event in told if f"{unknown} has status" in event)

    table = spine_cli("runs", "list", "--store", store)
    assert table.returncode == 0, table.stderr
    rows = {line.split()[0]: line.split() for line in table.stdout.splitlines()[1:]}
    assert rows[nulled[:12]][3] == "unknown" and rows[unknown[:12]][2:4] == ["?", "unknown"]

    for run_id in (nulled, unknown):
        shown = spine_cli("runs", "show", run_id, "--store", store)
        assert shown.returncode == 0, shown.stderr
        assert "status    unknown" in shown.stdout
        as_json = spine_cli("runs", "show", run_id, "--store", store, "--json")
        assert as_json.returncode == 0, as_json.stderr
        assert json.loads(as_json.stdout)["status"] == "unknown"
        assert any(f"{run_id} has status" in event for event in warnings_of(as_json.stderr))


def test_damaged_workflow_runs_and_steps_are_listed_and_shown(spine_cli, store, tmp_path):
    (tmp_path / "trial.yaml").write_text(WORKFLOW)
    ran = spine_cli("workflow", "run", str(tmp_path / "trial.yaml"), "--store", store, "--json")
    assert ran.returncode == 0, ran.stderr
    run_id = json.loads(ran.stdout)["run_id"]
    sql(
        store,
        'UPDATE "spine_workflow_runs" SET "status" = NULL, "params" = ?, "started_at" = ? WHERE "run_id" = ?',
        ("{", "soon", run_id),
    )
    sql(
        store,
        'UPDATE "spine_workflow_steps" SET "status" = ?, "depends_on" = ?, "params" = ? '
        'WHERE "workflow_run_id" = ?',
        ("weird", "oops", "[1]", run_id),
    )
    listed = spine_cli("runs", "list", "--store", store, "--json")
    assert listed.returncode == 0, listed.stderr
    (workflow,) = [run for run in json.loads(listed.stdout) if run["kind"] == "workflow"]
    assert (workflow["status"], workflow["params"], workflow["started_at"]) == ("unknown", {}, None)
    assert workflow["steps"][0]["status"] == "unknown" and workflow["steps"][0]["depends_on"] == []
    told = warnings_of(listed.stderr)
    assert any(
        event.startswith(f"damaged record in spine_workflow_runs: {run_id} has status NULL") for event in told
    )
    assert any(f"spine_workflow_steps: {run_id} step a has depends_on 'oops'" in event for event in told)
    assert spine_cli("runs", "list", "--store", store).returncode == 0
    shown = spine_cli("runs", "show", run_id, "--store", store)
    assert shown.returncode == 0, shown.stderr
    assert "status    unknown" in shown.stdout


def test_schedule_history_shows_damaged_fires_and_leaves_out_one_without_a_due_time(spine_cli, store):
    assert spine_cli("runs", "list", "--store", store).returncode == 0  # the store's tables
    columns = '"schedule", "due_at", "status", "recorded_at"'
    insert = f'INSERT INTO "spine_schedule_fires" ({columns}) VALUES (?, ?, ?, ?)'
    sql(store, insert, ("nightly", "2026-11-23 02:00:00", None, "later"))
    sql(store, insert, ("nightly", "2026-11-24 02:00:00", "exploded", None))
    sql(store, insert, ("nightly", "garbage", "succeeded", None))
    history = spine_cli("--no-plugins", "schedules", "history", "--store", store, "--json")
    assert history.returncode == 0, history.stderr
    fires = json.loads(history.stdout)
    assert [(fire["due_at"][:10], fire["status"]) for fire in fires] == [
        ("2026-11-24", "unknown"),
        ("2026-11-23", "unknown"),
    ]
    told = warnings_of(history.stderr)
    assert any("schedule nightly due garbage has due_at 'garbage'; the record is left out" in e for e in told)
    assert any("schedule nightly due 2026-11-23 02:00:00 has recorded_at 'later'" in e for e in told)
    table = spine_cli("--no-plugins", "schedules", "history", "--store", store)
    assert table.returncode == 0, table.stderr
    assert "unknown" in table.stdout


def test_alert_history_shows_damaged_deliveries_and_leaves_out_unreadable_ones(spine_cli, store):
    assert spine_cli("runs", "list", "--store", store).returncode == 0
    columns = ("alert_id", "channel", "status", "severity", "title", "fields", "suppressed", "raised_at")
    insert = f'INSERT INTO "spine_alerts" ({", ".join(map(repr, columns))}) VALUES ({", ".join("?" * 8)})'
    insert = insert.replace("'", '"')
    sql(store, insert, ("a1", "slack", "exploded", "error", "load failed", "{", "x", "2026-11-23 08:00:00"))
    sql(store, insert, ("a2", "slack", "sent", "apocalyptic", "load failed", None, 0, "2026-11-23 09:00:00"))
    sql(store, insert, ("a3", "slack", "sent", "error", "load failed", None, 0, None))
    sql(store, insert, ("a4", "slack", None, "error", None, None, 0, "2026-11-23 10:00:00"))
    history = spine_cli("alerts", "history", "--store", store, "--json")
    assert history.returncode == 0, history.stderr
    (shown,) = json.loads(history.stdout)
    assert (shown["status"], shown["fields"], shown["suppressed"]) == ("unknown", {}, 0)
    told = warnings_of(history.stderr)
    for record, field in [
        ("a1", "status"),
        ("a1", "fields"),
        ("a2", "severity"),
        ("a3", "raised_at"),
        ("a4", "title"),
    ]:
        assert any(f"spine_alerts: alert {record} on slack has {field} " in event for event in told), (
            record,
            field,
        )
    assert sum("the record is left out" in event for event in told) == 3
    assert spine_cli("alerts", "history", "--store", store).returncode == 0
