"""The spine command, run in a subprocess the way a user runs it."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys

import pytest
import spine
from spine._config._logging import configure
from spine._config._redact import Redactor

from .conftest import SPINE, outcome, run_on_terminal

CONTRACT_KEYS = {"name", "distribution", "version", "status", "error", "provides"}


def by_name(listing):
    return {item["name"]: item for item in listing}


def test_version(spine_cli):
    result = spine_cli("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"spine {spine.__version__}")


def test_python_dash_m_spine_works_too(clean_env):
    result = subprocess.run(
        [sys.executable, "-m", "spine", "--version"], capture_output=True, text=True, env=clean_env
    )
    assert result.stdout.strip() == f"spine {spine.__version__}"


def test_plugins_list_json_follows_the_contract(spine_cli, plugin_site):
    result = spine_cli("plugins", "list", "--json", site=plugin_site)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    listing = json.loads(result.stdout)
    assert all(set(item) >= CONTRACT_KEYS for item in listing)
    assert all(item["status"] in ("ok", "error") for item in listing)
    plugins = by_name(listing)
    assert plugins["good"] == {
        "name": "good",
        "distribution": "spine-good",
        "version": "1.2.3",
        "status": "ok",
        "error": None,
        "provides": {
            "source": ["good_source"],
            "store": ["good_store"],
            "alert_channel": ["good_alert"],
            "pipeline": ["good.pipeline"],
            "workflow": [],
            "schedule": [],
            "settings": [],
        },
    }
    assert plugins["spine"]["distribution"] == "spine-kernel"
    assert plugins["spine"]["provides"]["pipeline"] == ["demo", "load"]
    assert plugins["spine"]["provides"]["store"] == ["sqlite"]
    for bad, reason in {
        "importerror": "import failed: ModuleNotFoundError",
        "raises": "register_sources raised RuntimeError",
        "misspelled": "unknown hook 'register_sorces'",
        "future": "requires spine-kernel>=99",
        "dup_a": "source 'dup' is also provided by dup_b (spine-dup-b 1.0)",
        "dup_b": "source 'dup' is also provided by dup_a (spine-dup-a 1.0)",
    }.items():
        assert plugins[bad]["status"] == "error"
        assert reason in plugins[bad]["error"]


def test_plugins_list_as_a_table(spine_cli, plugin_site):
    result = spine_cli("plugins", "list", site=plugin_site)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "DISTRIBUTION", "VERSION", "STATUS", "PROVIDES"]
    assert any(line.split()[:4] == ["good", "spine-good", "1.2.3", "ok"] for line in lines)
    assert "importerror: import failed: ModuleNotFoundError" in result.stdout


def test_doctor_fails_and_says_what_to_do_for_each_broken_plugin(spine_cli, plugin_site):
    result = spine_cli("doctor", site=plugin_site)
    assert result.returncode == 1
    out = result.stdout
    for bad in ("importerror", "raises", "misspelled", "future", "dup_a", "dup_b"):
        assert f"error  plugin {bad}:" in out
        assert f"SPINE_DISABLE_PLUGINS={bad}" in out
    assert "ok     plugin good: spine-good 1.2.3, 4 capabilities" in out
    assert "6 problem(s) found." in out


def test_doctor_passes_on_a_healthy_install(spine_cli, good_site):
    result = spine_cli("doctor", "--json", site=good_site)
    assert result.returncode == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["ok"] is True
    warnings = [check for check in report["checks"] if check["status"] != "ok"]
    # a pipeline declaring no params is accepted: a warning, not a failure
    assert [(check["subject"], check["status"]) for check in warnings] == [
        ("pipeline good.pipeline", "warning")
    ]
    text = spine_cli("doctor", site=good_site)
    assert (text.returncode, text.stdout.splitlines()[-1]) == (0, "No problems found. 1 warning(s).")
    assert "warning pipeline good.pipeline: declares no params (spine-good)" in text.stdout


def test_doctor_reports_bad_settings(spine_cli, tmp_path):
    (tmp_path / "spine.toml").write_text('log_levle = "info"\n')
    result = spine_cli("doctor")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    # the error every other command stops on, with the fix, and nothing saying the settings are valid
    assert (
        lines[1] == "error  settings: unknown setting 'log_levle' in spine.toml (did you mean 'log_level'?)"
    )
    assert lines[2].startswith("       fix: rename each unknown setting as suggested, or remove it")
    assert "ok     settings" not in result.stdout
    ran = spine_cli("run", "demo")
    assert ran.returncode == 2
    assert ran.stderr.strip() == f"spine: error: {lines[1].removeprefix('error  settings: ')}"
    (tmp_path / "spine.toml").unlink()
    broken = spine_cli("doctor", env={"SPINE_LOAD_PLUGINS": "not-installed"})
    assert broken.returncode == 1
    assert "plugin not-installed: named in load_plugins but not installed" in broken.stdout


def test_doctor_checks_the_params_of_scheduled_runs(spine_cli, tmp_path):
    (tmp_path / "spine.toml").write_text(
        '[[schedules]]\nname = "nightly"\npipeline = "demo"\nparams = {rows = "many"}\ncron = "0 2 * * *"\n'
    )
    result = spine_cli("doctor")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    at = lines.index(
        "error  schedule nightly: pipeline 'demo': param 'rows': expected an integer, got 'many'"
    )
    assert lines[at + 1] == "       fix: correct its params in the schedules setting"


def test_doctor_disabling_the_broken_plugins_makes_it_pass(spine_cli, plugin_site):
    disabled = "importerror,raises,misspelled,future,spine-dup-b"
    result = spine_cli("doctor", site=plugin_site, env={"SPINE_DISABLE_PLUGINS": disabled})
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("flag_position", ["before", "after"])
def test_no_plugins_loads_only_the_kernel(spine_cli, plugin_site, flag_position):
    args = ["--no-plugins", "plugins", "list", "--json"]
    if flag_position == "after":
        args = ["plugins", "list", "--json", "--no-plugins"]
    result = spine_cli(*args, site=plugin_site)
    assert [item["name"] for item in json.loads(result.stdout)] == ["spine"]


def test_load_plugins_from_the_environment(spine_cli, plugin_site):
    result = spine_cli(
        "plugins", "list", "--json", site=plugin_site, env={"SPINE_LOAD_PLUGINS": "good,spine-raises"}
    )
    assert [item["name"] for item in json.loads(result.stdout)] == ["spine", "good", "raises"]


def test_strict_plugins_fails_with_one_line_and_no_traceback(spine_cli, plugin_site):
    result = spine_cli("--strict-plugins", "plugins", "list", site=plugin_site)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    # In name order, the first failure is the conflict between dup_a and dup_b.
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("spine: error: source 'dup' is provided by both dup_a (spine-dup-a 1.0) and dup_b")
    )
    debug = spine_cli("--strict-plugins", "--debug", "plugins", "list", site=plugin_site)
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr


def test_run_prints_the_result_envelope(spine_cli):
    result = spine_cli("run", "demo", "-p", "rows=40", "-p", "reject_every=10", "--json")
    assert result.returncode == 0, result.stderr
    envelope = json.loads(result.stdout)
    assert outcome(envelope) == ("partial", 40, 36, 4)
    assert envelope["params"] == {"rows": 40, "reject_every": 10}  # parsed, as the pipeline received them


def test_a_failed_run_exits_1_with_the_error_in_the_envelope(spine_cli):
    result = spine_cli("run", "demo", "-p", "fail_at=5", "--json")
    assert result.returncode == 1
    envelope = json.loads(result.stdout)
    assert envelope["status"] == "failed"
    assert envelope["error"]["category"] == "source"
    text = spine_cli("run", "demo", "-p", "rows=-1")
    assert text.returncode == 1
    assert "error [config]: param 'rows': expected a whole number >= 0, got -1" in text.stderr


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["run", "dmeo"], {}, "spine: error: unknown pipeline 'dmeo'; did you mean 'demo'?"),
        (["run", "demo", "-p", "rows"], {}, "spine: error: -p 'rows': expected KEY=VALUE"),
        (
            ["run", "demo", "-p", "rows=many"],
            {},
            "spine: error: pipeline 'demo': param 'rows': expected an integer, got 'many'",
        ),
        (
            ["run", "demo", "-p", "row=5"],
            {},
            "spine: error: pipeline 'demo': unknown param 'row' (did you mean 'rows'?)",
        ),
        (["frobnicate"], {}, "spine: error: argument COMMAND: invalid choice: 'frobnicate'"),
        (
            ["plugins", "list"],
            {"SPINE_LOG_LEVEL": "loud"},
            "log_level (from SPINE_LOG_LEVEL): expected one of",
        ),
        (["--config", "missing.toml", "plugins", "list"], {}, "config file missing.toml does not exist"),
    ],
)
def test_usage_and_configuration_errors_exit_2_with_one_clear_line(spine_cli, args, env, message):
    result = spine_cli(*args, env=env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip().splitlines()[0]]
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_secrets_never_reach_output_or_logs(spine_cli, good_site):
    password, dsn_password = "hunter2-very-secret", "pw-in-the-url"
    result = spine_cli(
        "--log-level",
        "debug",
        "run",
        "good.pipeline",  # it declares no params: it takes these
        "-p",
        f"password={password}",
        "-p",
        f"target=postgresql://me:{dsn_password}@db/x",
        "--json",
        site=good_site,
    )
    assert result.returncode == 0, result.stderr
    for secret in (password, dsn_password):
        assert secret not in result.stdout
        assert secret not in result.stderr
    assert json.loads(result.stdout)["params"]["password"] == "***"
    refused = spine_cli("run", "demo", "-p", f"rows=postgresql://me:{dsn_password}@db/x")
    assert refused.returncode == 2
    assert "param 'rows': expected an integer, got 'postgresql://me:***@db/x'" in refused.stderr
    assert dsn_password not in refused.stderr


def test_logs_are_json_lines_when_asked(spine_cli):
    result = spine_cli("--log-format", "json", "run", "demo")
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert events[0]["event"] == "run started"
    assert events[-1]["event"] == "run succeeded"
    assert events[-1]["rows_read"] == 1000
    assert {"level", "logger", "timestamp", "run_id"} <= set(events[-1])


def test_console_logs_when_asked(spine_cli):
    result = spine_cli("--log-format", "console", "run", "demo")
    assert "run succeeded" in result.stderr
    assert "rows_read=1000" in result.stderr
    assert not result.stderr.lstrip().startswith("{")


def test_logs_are_console_lines_on_a_terminal(clean_env):
    returncode, terminal = run_on_terminal([SPINE, "run", "demo"], clean_env)
    assert returncode == 0
    assert "run succeeded" in terminal
    assert '"event"' not in terminal  # console lines, not JSON


def test_a_closed_pipe_ends_quietly(clean_env):
    with subprocess.Popen(
        [SPINE, "plugins", "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env
    ) as listing:
        listing.stdout.close()  # the reader is gone before spine writes
        stderr = listing.stderr.read().decode()
    assert "Traceback" not in stderr
    assert "BrokenPipeError" not in stderr


def test_doctor_checks_the_store(spine_cli, tmp_path):
    healthy = spine_cli("doctor", env={"SPINE_STORE_URL": f"sqlite:///{tmp_path}/ok.db"})
    assert "ok     store: sqlite:///" in healthy.stdout
    broken = spine_cli("doctor", env={"SPINE_STORE_URL": "mysql://me:pa55word-x@db/x"})
    assert broken.returncode == 1
    assert "error  store: no installed store reads mysql:// URLs" in broken.stdout
    assert "pa55word-x" not in broken.stdout + broken.stderr


@pytest.mark.parametrize("level", ["info", "debug"])
def test_libraries_info_lines_show_only_at_debug(level):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    try:
        configure(log_format="json", level=level, stream=stream, redactor=Redactor())
        logging.getLogger("httpx").info("HTTP Request: GET http://example.com/")
        logging.getLogger("httpx").warning("connection pool is full")
        logging.getLogger("spine.source.http").info("page 3")
    finally:
        root.handlers[:], root.level = saved
    events = [json.loads(line)["event"] for line in stream.getvalue().splitlines()]
    library_info = ["HTTP Request: GET http://example.com/"] if level == "debug" else []
    assert events == [*library_info, "connection pool is full", "page 3"]
