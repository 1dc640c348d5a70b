"""``spine schedules list|history`` and ``spine scheduler run``, run the way a user runs them."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from datetime import UTC, datetime

import pytest

from ._wheels import Dist, install
from .conftest import SPINE

CONFIG = """
store_url = "sqlite:///{store}"
scheduler_poll = "1s"

[[schedules]]
name = "often"
pipeline = "demo"
params = {{rows = 5}}
interval = "0.5s"

[[schedules]]
name = "paris"
pipeline = "demo"
cron = "30 2 * * *"
timezone = "Europe/Paris"
"""


@pytest.fixture
def configured(tmp_path, clean_env):
    """A spine.toml in the working folder with two schedules on the demo pipeline."""
    store = tmp_path / "spine.db"
    (tmp_path / "spine.toml").write_text(CONFIG.format(store=store))
    return store


def fires(store) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(store) as db:
        return db.execute(
            "SELECT schedule, status, run_id FROM spine_schedule_fires ORDER BY due_at"
        ).fetchall()


def demo_runs(store) -> set[str]:
    with sqlite3.connect(store) as db:
        return {row[0] for row in db.execute("SELECT run_id FROM spine_runs WHERE pipeline = 'demo'")}


def test_schedules_list_json_shows_each_schedule_with_its_next_fire(spine_cli, configured):
    result = spine_cli("--no-plugins", "schedules", "list", "--json")
    assert result.returncode == 0, result.stderr
    listing = {item["name"]: item for item in json.loads(result.stdout)}
    assert sorted(listing) == ["often", "paris"]
    paris = listing["paris"]
    assert (paris["pipeline"], paris["workflow"], paris["cron"], paris["timezone"], paris["interval"]) == (
        "demo",
        None,
        "30 2 * * *",
        "Europe/Paris",
        None,
    )
    next_utc = datetime.fromisoformat(paris["next_fire"])
    next_local = datetime.fromisoformat(paris["next_fire_local"])
    assert next_utc == next_local and next_utc > datetime.now(UTC)
    assert next_local.strftime("%H:%M") == "02:30" and next_local.utcoffset().total_seconds() in (3600, 7200)
    assert (paris["last_fire"], paris["origin"], listing["often"]["params"]) == (
        None,
        "settings",
        {"rows": "5"},
    )
    assert listing["often"]["interval"] == 0.5


def test_scheduler_run_fires_until_sigterm_then_exits_0_with_every_fire_recorded(configured, clean_env):
    service = subprocess.Popen(
        [SPINE, "--no-plugins", "--log-format", "json", "scheduler", "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env,
    )
    stopped = _stop_after_fires(service, configured, signal.SIGTERM)
    assert stopped.returncode == 0, stopped.stderr
    recorded = fires(configured)
    assert len(recorded) >= 2
    assert {status for _, status, _ in recorded} == {"succeeded"}
    assert {run_id for _, _, run_id in recorded} == demo_runs(configured)
    lines = [json.loads(line) for line in stopped.stderr.splitlines()]
    events = [line["event"] for line in lines if line["logger"] == "spine.scheduler"]
    assert events[0].startswith("scheduler started on sqlite:///")
    assert "schedule paris: cron 30 2 * * * (Europe/Paris), next due " in events[2]
    assert sum(event.startswith("schedule often succeeded (due ") for event in events) == len(recorded)
    assert events[-2].startswith("SIGTERM: stopping")
    assert events[-1] == "scheduler stopped"

    listed = json.loads(
        subprocess.run(
            [SPINE, "--no-plugins", "schedules", "list", "--json"],
            capture_output=True,
            text=True,
            env=clean_env,
        ).stdout
    )
    often = next(item for item in listed if item["name"] == "often")
    assert often["last_fire"]["status"] == "succeeded"
    assert datetime.fromisoformat(often["next_fire"]) > datetime.fromisoformat(often["last_fire"]["due_at"])


def test_scheduler_run_stops_cleanly_on_sigint_too(configured, clean_env):
    service = subprocess.Popen(
        [SPINE, "--no-plugins", "scheduler", "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env,
    )
    stopped = _stop_after_fires(service, configured, signal.SIGINT)
    assert stopped.returncode == 0, stopped.stderr
    assert "Traceback" not in stopped.stderr and "interrupted" not in stopped.stderr
    statuses = [status for _, status, _ in fires(configured)]
    assert len(statuses) >= 2 and "running" not in statuses and "claimed" not in statuses


def _stop_after_fires(service: subprocess.Popen, store, sent: int) -> subprocess.CompletedProcess:
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if store.exists() and sum(s == "succeeded" for _, s, _ in _fires_or_none(store)) >= 2:
                break
            assert service.poll() is None, service.communicate()[1]
            time.sleep(0.1)
        else:
            pytest.fail("the scheduler did not fire twice within a minute")
        service.send_signal(sent)
        out, err = service.communicate(timeout=60)
    finally:
        if service.poll() is None:
            service.kill()
    return subprocess.CompletedProcess(service.args, service.returncode, out, err)


def _fires_or_none(store) -> list[tuple[str, str, str | None]]:
    try:
        return fires(store)
    except sqlite3.OperationalError:  # the scheduler has not created its tables yet
        return []


def test_schedules_history_shows_the_fires_newest_first(spine_cli, configured, clean_env):
    service = subprocess.Popen(
        [SPINE, "--no-plugins", "scheduler", "run"], stderr=subprocess.PIPE, text=True, env=clean_env
    )
    _stop_after_fires(service, configured, signal.SIGTERM)
    history = spine_cli("--no-plugins", "schedules", "history", "often", "--json")
    assert history.returncode == 0, history.stderr
    fired = json.loads(history.stdout)
    assert len(fired) >= 2 and {f["status"] for f in fired} == {"succeeded"}
    assert fired[0]["due_at"] > fired[1]["due_at"]
    assert set(fired[0]) == {
        "schedule",
        "due_at",
        "status",
        "run_id",
        "fired_by",
        "recorded_at",
        "started_at",
        "finished_at",
        "reason",
    }
    table = spine_cli("--no-plugins", "schedules", "history", "--status", "succeeded", "--limit", "1")
    lines = table.stdout.splitlines()
    assert lines[0].split()[:4] == ["DUE", "(UTC)", "SCHEDULE", "STATUS"]
    assert len(lines) == 2 and "often" in lines[1] and "succeeded" in lines[1]
    assert spine_cli("--no-plugins", "schedules", "history", "paris").stdout.strip() == "no fires recorded"


def test_schedules_list_as_a_table(spine_cli, configured):
    result = spine_cli("--no-plugins", "schedules", "list")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == [
        "NAME",
        "RUNS",
        "WHEN",
        "NEXT",
        "(UTC)",
        "NEXT",
        "(LOCAL)",
        "LAST",
        "FIRE",
        "(UTC)",
    ]
    often, paris = rows
    assert often.split()[:6] == ["often", "pipeline", "demo", "rows=5", "every", "0.5s"]
    assert "cron 30 2 * * * (Europe/Paris)" in paris and ":30:00 CE" in paris and paris.endswith("-")


def test_scheduler_run_without_schedules_is_a_usage_error(spine_cli, tmp_path):
    result = spine_cli("--no-plugins", "scheduler", "run", "--store", f"sqlite:///{tmp_path}/s.db")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "spine: error: no schedules to fire: declare some in the schedules setting ([[schedules]] in "
        "spine.toml), or install a plugin that has some"
    )


def test_a_bad_cron_field_is_one_line_naming_the_schedule_entry_and_the_file(spine_cli, tmp_path):
    config = tmp_path / "spine.toml"
    config.write_text('[[schedules]]\nname = "nightly"\npipeline = "demo"\ncron = "0 25 * * *"\n')
    for command in (["scheduler", "run"], ["schedules", "list"]):
        result = spine_cli("--no-plugins", *command)
        assert result.returncode == 2
        assert result.stderr.strip() == (
            "spine: error: invalid settings: schedules[0].cron (from spine.toml): hour field '25': "
            "the last value (25) is higher than the maximum value (23); expected 0-23, ranges, lists or steps"
        )


def test_an_invalid_schedule_setting_is_a_usage_error(spine_cli):
    result = spine_cli(
        "--no-plugins", "schedules", "list", env={"SPINE_SCHEDULES": '[{"name": "x", "pipeline": "demo"}]'}
    )
    assert result.returncode == 2
    assert "schedules[0] (from SPINE_SCHEDULES): schedule 'x': give exactly one of cron and interval" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


# A pipeline that waits a minute, holding no lock in the store.
SLEEPY = Dist(
    "spine-sleepy",
    files={
        "spine_sleepy.py": """
import time
import spine

class Sleepy:
    def run(self, context):
        time.sleep(60)

@spine.hookimpl
def register_pipelines(register):
    register(spine.PipelineSpec("sleepy", lambda: Sleepy()))
"""
    },
    entry_points={"sleepy": "spine_sleepy"},
)

SLOW = """
store_url = "sqlite:///{store}"
scheduler_stop_timeout = "0.5s"
load_plugins = "spine-sleepy"

[[schedules]]
name = "sleepy"
pipeline = "sleepy"
interval = "0.5s"
"""


@pytest.fixture(scope="session")
def sleepy_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("sleepy")
    return install([SLEEPY], root / "site", root / "wheels")


@pytest.mark.parametrize(
    ("signals", "code", "reason"),
    [
        ([signal.SIGTERM], 0, "unfinished when the scheduler stopped (waited 0.5s)"),
        ([signal.SIGTERM, signal.SIGINT], 130, "unfinished when the scheduler was interrupted"),
    ],
)
def test_a_fire_still_running_when_the_scheduler_stops_is_recorded_failed(
    tmp_path, clean_env, sleepy_site, signals, code, reason
):
    store = tmp_path / "spine.db"
    (tmp_path / "spine.toml").write_text(SLOW.format(store=store))
    service = subprocess.Popen(
        [SPINE, "scheduler", "run"],
        stderr=subprocess.PIPE,
        text=True,
        env={**clean_env, "PYTHONPATH": str(sleepy_site)},
    )
    try:
        deadline = time.monotonic() + 60
        while not any(status == "running" for _, status, _ in _fires_or_none(store)):
            assert time.monotonic() < deadline and service.poll() is None, "no fire started"
            time.sleep(0.05)
        for sent in signals:
            service.send_signal(sent)
            time.sleep(0.1)
        _, err = service.communicate(timeout=60)
    finally:
        if service.poll() is None:
            service.kill()
    assert service.returncode == code, err
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT status, reason FROM spine_schedule_fires").fetchall() == [
            ("failed", reason)
        ]
        # the run itself was cut off with the process, as any killed run is; the fire links to it
        assert db.execute(
            "SELECT r.pipeline, r.status FROM spine_schedule_fires f JOIN spine_runs r ON r.run_id = f.run_id"
        ).fetchall() == [("sleepy", "running")]
    assert ("spine: interrupted" in err) == (code == 130)


def test_doctor_checks_the_schedules_as_the_scheduler_reads_them(spine_cli, configured):
    good = spine_cli("--no-plugins", "doctor")
    assert good.returncode == 0, good.stdout
    assert "ok     schedules: 2 valid: often, paris" in good.stdout.splitlines()
    text = (configured.parent / "spine.toml").read_text().replace("30 2 * * *", "30 25 * * *")
    (configured.parent / "spine.toml").write_text(text)
    bad = spine_cli("--no-plugins", "doctor")
    assert bad.returncode == 1
    assert any(
        line.startswith("error  schedules: invalid settings: schedules[1].cron (from ")
        and "hour field '25'" in line
        for line in bad.stdout.splitlines()
    )
