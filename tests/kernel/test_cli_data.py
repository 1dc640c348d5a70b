"""spine run / load / runs through the command, on the embedded SQLite store."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from .conftest import SPINE, outcome, run_on_terminal


@pytest.fixture
def store(tmp_path):
    return f"sqlite:///{tmp_path}/runs.db"


def count(url, table="demo_trades"):
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        return connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]


def test_run_moves_the_demo_into_the_store_and_records_it(spine_cli, store):
    result = spine_cli("run", "demo", "-p", "rows=500", "-p", "reject_every=100", "--store", store, "--json")
    assert result.returncode == 0, result.stderr
    envelope = json.loads(result.stdout)
    assert outcome(envelope) == ("partial", 500, 495, 5)
    assert count(store) == 495
    listing = json.loads(spine_cli("runs", "list", "--store", store, "--json").stdout)
    assert [run["run_id"] for run in listing] == [envelope["run_id"]]
    shown = json.loads(spine_cli("runs", "show", envelope["run_id"][:10], "--store", store, "--json").stdout)
    assert shown["rejects"][0] == {
        "origin": "demo",
        "position": 100,
        "raw": shown["rejects"][0]["raw"],
        "reason": "shares: expected a decimal number, got 'n/a'",
    }
    assert len(shown["rejects"]) == 5


def test_the_store_comes_from_the_environment_when_not_given(spine_cli, tmp_path):
    url = f"sqlite:///{tmp_path}/env.db"
    assert spine_cli("run", "demo", "-p", "rows=7", env={"SPINE_STORE_URL": url}).returncode == 0
    assert count(url) == 7


def test_runs_show_as_text_lists_the_rejected_rows(spine_cli, store):
    run_id = json.loads(
        spine_cli("run", "demo", "-p", "rows=30", "-p", "reject_every=10", "--store", store, "--json").stdout
    )["run_id"]
    text = spine_cli("runs", "show", run_id, "--store", store, "--rejects", "2").stdout
    assert "status    partial" in text
    assert "rejected rows (first 2 of 3):" in text
    assert "demo:10: shares: expected a decimal number, got 'n/a'" in text
    listing = spine_cli("runs", "list", "--store", store).stdout
    assert listing.splitlines()[0].split()[:4] == ["RUN", "KIND", "NAME", "STATUS"]
    assert run_id[:12] in listing


def test_a_failed_run_exits_1_and_leaves_the_table_as_it_was(spine_cli, store):
    assert spine_cli("run", "demo", "-p", "rows=50", "--store", store).returncode == 0
    result = spine_cli("run", "demo", "-p", "rows=80", "-p", "fail_at=70", "--store", store)
    assert result.returncode == 1
    assert "error [source]: demo line 70: failure requested" in result.stderr
    assert count(store) == 50


def test_max_rejects_from_the_command_line(spine_cli, store):
    result = spine_cli(
        "run",
        "demo",
        "-p",
        "rows=100",
        "-p",
        "reject_every=10",
        "--max-rejects",
        "5",
        "--store",
        store,
        "--json",
    )
    assert result.returncode == 1
    assert "more than the 5 rows allowed" in json.loads(result.stdout)["error"]["message"]
    relaxed = spine_cli(
        "run", "demo", "-p", "rows=100", "-p", "reject_every=10", "--max-rejects", "10%", "--store", store
    )
    assert relaxed.returncode == 0
    bad = spine_cli("run", "demo", "--max-rejects", "lots", "--store", store)
    assert bad.returncode == 2
    assert "max rejects: expected a count (250) or a percentage (2.5%), got 'lots'" in bad.stderr


def test_load_without_a_source_plugin_exits_2_with_what_to_install(spine_cli, store, tmp_path):
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    result = spine_cli("--no-plugins", "load", str(tmp_path / "data.csv"), "--table", "t", "--store", store)
    assert result.returncode == 2
    assert "install spine-source-file" in result.stderr
    assert json.loads(spine_cli("runs", "list", "--store", store, "--json").stdout) == []


def test_load_usage_errors_exit_2(spine_cli, store):
    result = spine_cli("load", "x.csv", "--store", store)
    assert result.returncode == 2
    assert "--table" in result.stderr
    result = spine_cli("load", "x.csv", "--table", "t", "-o", "delimiter", "--store", store)
    assert result.returncode == 2
    assert "-o 'delimiter': expected KEY=VALUE" in result.stderr


def test_runs_show_of_an_unknown_run_exits_2(spine_cli, store):
    result = spine_cli("runs", "show", "deadbeefcafe", "--store", store)
    assert result.returncode == 2
    assert "no run 'deadbeefcafe'" in result.stderr


def test_runs_list_rejects_a_bad_time(spine_cli, store):
    result = spine_cli("runs", "list", "--since", "yesterday", "--store", store)
    assert result.returncode == 2
    assert "--since: expected a date or date-time" in result.stderr


def test_an_unreachable_store_url_never_shows_its_password(spine_cli):
    result = spine_cli("run", "demo", "--store", "mysql://admin:s3cr3t-pw@db.example.test/x")
    assert result.returncode == 2
    assert "s3cr3t-pw" not in result.stderr + result.stdout


def test_a_load_killed_half_way_leaves_the_previous_content_and_a_rerun_completes(clean_env, store):
    env = {**clean_env, "SPINE_STORE_URL": store}
    subprocess.run([SPINE, "run", "demo", "-p", "rows=1000"], env=env, check=True, capture_output=True)
    assert count(store) == 1000
    victim = subprocess.Popen(
        [SPINE, "run", "demo", "-p", "rows=5000000"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    database = store.removeprefix("sqlite:///")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until the big run is recorded, then give it time to write
        with sqlite3.connect(database) as connection:
            running = connection.execute(
                "SELECT COUNT(*) FROM spine_runs WHERE status = 'running'"
            ).fetchone()[0]
        if running:
            break
        time.sleep(0.05)
    time.sleep(1.5)
    assert victim.poll() is None, "the load finished before it could be killed; make it bigger"
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    assert count(store) == 1000
    rerun = subprocess.run(
        [SPINE, "run", "demo", "-p", "rows=2000", "--json"], env=env, capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stderr
    assert count(store) == 2000
    with sqlite3.connect(database) as connection:
        statuses = sorted(row[0] for row in connection.execute("SELECT status FROM spine_runs"))
    assert statuses == ["running", "succeeded", "succeeded"]  # the killed run stays visible as running


def test_progress_is_drawn_on_a_terminal_only(clean_env, store):
    env = {**clean_env, "SPINE_STORE_URL": store}
    command = [SPINE, "--log-level", "error", "run", "demo", "-p", "rows=150000"]
    returncode, terminal = run_on_terminal(command, env)
    assert returncode == 0
    assert "rows/s" in terminal
    piped = subprocess.run(command, capture_output=True, text=True, env=env)
    assert "rows/s" not in piped.stderr
    assert "\r" not in piped.stderr
