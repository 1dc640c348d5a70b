"""Runs that stop: stopped by the user (cancelled), killed outright (closed by the next reader),
and the records read while a load holds SQLite's only write lock."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest
import spine
from spine import Spine

from ._holding import Holding
from ._processes import started
from .conftest import SPINE

LONG = ("run", "demo", "-p", "rows=200000000")  # far longer than any test waits


@pytest.fixture
def store(tmp_path):
    return f"sqlite:///{tmp_path}/runs.db"


@pytest.mark.parametrize(
    ("sent", "named", "code", "said"),
    [
        (signal.SIGTERM, "SIGTERM", 143, "spine: terminated (SIGTERM)"),
        (signal.SIGINT, "SIGINT (Ctrl-C)", 130, "spine: interrupted"),
    ],
)
def test_a_run_stopped_by_the_user_is_cancelled_and_raises_no_alert(
    spine_cli, clean_env, store, sent, named, code, said
):
    spine_cli("run", "demo", "-p", "rows=10", "--store", store)  # the table exists, with 10 rows
    process, run = started([SPINE, *LONG, "--store", store], clean_env, store)
    process.send_signal(sent)
    _, err = process.communicate(timeout=60)
    assert process.returncode == code, err
    assert said in err
    shown = json.loads(spine_cli("runs", "show", run["run_id"], "--json", "--store", store).stdout)
    assert shown["status"] == "cancelled"
    assert shown["error"]["category"] == "cancelled"
    assert shown["error"]["message"] == f"stopped by {named}"
    assert json.loads(spine_cli("alerts", "history", "--json", "--store", store).stdout) == []
    with (
        spine.Spine(overrides={"store_url": store}) as kernel,
        kernel.runlog().store.transaction() as session,
    ):
        assert session.query('SELECT count(*) FROM "demo_trades"') == [(10,)]


def test_a_run_killed_outright_is_closed_by_the_next_reader(spine_cli, clean_env, store):
    process, run = started([SPINE, *LONG, "--store", store], clean_env, store)
    process.kill()
    process.communicate(timeout=60)
    listed = json.loads(spine_cli("runs", "list", "--json", "--store", store).stdout)
    (closed,) = [found for found in listed if found["run_id"] == run["run_id"]]
    assert closed["status"] == "failed"
    assert closed["error"]["category"] == "abandoned"
    assert closed["error"]["message"] == (
        f"process died: {run['worker']} ended without recording how the run ended"
    )
    assert closed["worker"] == run["worker"] and run["worker"].endswith(f":{process.pid}")
    alerts = json.loads(spine_cli("alerts", "history", "--json", "--store", store).stdout)
    assert [(alert["status"], alert["run_id"], alert["title"]) for alert in alerts] == [
        ("sent", run["run_id"], "demo failed")
    ]
    again = json.loads(spine_cli("runs", "show", run["run_id"], "--json", "--store", store).stdout)
    assert again["status"] == "failed" and again["finished_at"] == closed["finished_at"]  # closed once


def test_doctor_closes_and_reports_a_run_whose_process_died(spine_cli, clean_env, store):
    process, run = started([SPINE, *LONG, "--store", store], clean_env, store)
    process.kill()
    process.communicate(timeout=60)
    doctor = spine_cli("doctor", "--json", env={"SPINE_STORE_URL": store})
    checks = json.loads(doctor.stdout)["checks"]
    (found,) = [check for check in checks if check["subject"] == f"run {run['run_id']}"]
    assert "demo" in found["message"] and "process died" in found["message"]
    assert spine_cli("runs", "show", run["run_id"], "--store", store).stdout.count("status    failed") == 1


# -- in one process: records, heartbeats and readers --------------------------------------


def test_reading_commands_answer_while_a_load_holds_the_write_lock(spine_cli, store):
    holding = Holding()
    with Spine(entry_points=False, overrides={"store_url": store}, plugins=[holding]) as kernel:
        kernel.runlog()
        with holding.held(kernel) as results:
            env = {"SPINE_STORE_URL": store}
            # Each would wait for the writer (SQLite's busy timeout is 60s) if it needed the lock.
            listed = spine_cli("runs", "list", "--json", env=env)
            assert listed.returncode == 0, listed.stderr
            (running,) = json.loads(listed.stdout)
            assert (running["pipeline"], running["status"]) == ("holding", "running")
            assert spine_cli("runs", "show", running["run_id"][:6], env=env).returncode == 0
            assert spine_cli("alerts", "history", env=env).returncode == 0
            doctor = spine_cli("doctor", "--json", env=env)
            store_check = [c for c in json.loads(doctor.stdout)["checks"] if c["subject"] == "store"]
            assert store_check[0]["status"] == "ok", doctor.stdout
            assert holding.release.is_set() is False  # all of it while the load still held the lock
    assert results[0].status == "succeeded" and results[0].counts.rows_written == 2


def test_a_heartbeat_is_skipped_while_a_sqlite_load_writes_and_the_run_stays_open(store):
    holding = Holding()
    overrides = {"store_url": store, "run_heartbeat": 0.05, "run_lease": 0.1}
    with Spine(entry_points=False, overrides=overrides, plugins=[holding]) as kernel:
        kernel.runlog()
        with holding.held(kernel):
            assert kernel.runlog().beat([], datetime.now(UTC)) is False  # the load holds the lock
            # Past the lease without a heartbeat, but SQLite could not take one: still running.
            time.sleep(0.3)
            with Spine(entry_points=False, overrides=overrides) as reader:
                assert reader.close_abandoned() == []
                assert [run.status for run in reader.runs()] == ["running"]


def test_another_hosts_run_is_never_closed_by_its_heartbeat_on_sqlite(store):
    with Spine(entry_points=False, overrides={"store_url": store, "run_lease": 1}) as kernel:
        runlog = kernel.runlog()
        long_ago = datetime.now(UTC) - timedelta(days=1)
        runlog.started("elsewhere1", "demo", {}, long_ago, worker="another-host:4242")
        runlog.started("old-record", "demo", {}, long_ago)  # from before runs named their worker
        assert kernel.close_abandoned() == []
        assert {run.run_id: run.status for run in kernel.runs()} == {
            "elsewhere1": "running",
            "old-record": "running",
        }


def test_a_workflow_run_whose_process_died_is_closed_with_its_steps(spine_cli, clean_env, tmp_path, store):
    (tmp_path / "long.yaml").write_text(
        "steps:\n"
        "  - {name: first, pipeline: demo, params: {rows: '3'}}\n"
        "  - {name: long, pipeline: demo, params: {rows: '200000000'}, depends_on: [first]}\n"
        "  - {name: after, pipeline: demo, depends_on: [long]}\n"
    )
    process = subprocess.Popen(
        [SPINE, "workflow", "run", "long.yaml", "--store", store],
        env=clean_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        steps = json.loads(
            spine_cli("runs", "list", "--status", "running", "--json", "--store", store).stdout
        )
        if any(run["kind"] == "pipeline" for run in steps):  # the long step runs
            break
        time.sleep(0.1)
    process.kill()
    process.communicate(timeout=60)
    listed = json.loads(spine_cli("runs", "list", "--json", "--store", store).stdout)
    assert {run["status"] for run in listed} == {"succeeded", "failed"}
    (workflow,) = [run for run in listed if run["kind"] == "workflow"]
    assert [(step["step"], step["status"]) for step in workflow["steps"]] == [
        ("first", "succeeded"),
        ("long", "failed"),
        ("after", "skipped"),
    ]
    assert "process died" in workflow["steps"][1]["message"]
    assert workflow["steps"][2]["message"].startswith("not started: process died")
