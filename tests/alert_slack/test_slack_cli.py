"""The Slack channel through the installed ``spine`` command, as a user runs it: test alerts,
a failed run alerting once, its repeat suppressed, the history, and the URL shown nowhere."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from .slack_helpers import SECRET, slack_says

ROUTE_DEMO_ERRORS = '[[alert_routes]]\nchannels = ["slack"]\nmin_severity = "error"\npipelines = ["demo"]\n'
ROUTE_FINRA_ERRORS = (
    '[[alert_routes]]\nchannels = ["slack"]\nmin_severity = "error"\npipelines = ["finra.*"]\n'
)


@pytest.fixture
def store(tmp_path):
    return tmp_path / "store.db"


@pytest.fixture
def slack_env(slack, store):
    return {"SPINE_SLACK_WEBHOOK_URL": slack.url, "SPINE_STORE_URL": f"sqlite:///{store}"}


def everything_stored(db):
    """Every value of every table of the store, as text."""
    with sqlite3.connect(db) as connection:
        tables = [
            name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        return repr([connection.execute(f'SELECT * FROM "{name}"').fetchall() for name in tables])


def assert_no_secret(*shown):
    assert [text for text in shown if SECRET in text] == []


def test_plugins_list_shows_the_slack_channel(spine_cli):
    result = spine_cli("plugins", "list", "--json")
    assert result.returncode == 0, result.stderr
    (plugin,) = [item for item in json.loads(result.stdout) if item["distribution"] == "spine-alert-slack"]
    assert (plugin["name"], plugin["status"]) == ("slack", "ok")
    assert plugin["provides"]["alert_channel"] == ["slack"]


def test_alerts_test_sends_a_test_alert_to_slack(spine_cli, slack, slack_env, store):
    result = spine_cli("alerts", "test", "--channel", "slack", env=slack_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "slack: sent: ok"
    (message,) = slack.messages
    assert message["blocks"][0]["text"]["text"] == ":information_source: spine test alert"
    assert "if you can read this" in json.dumps(message)
    assert_no_secret(result.stdout, result.stderr, everything_stored(store))


def test_alerts_test_json_gives_the_delivery(spine_cli, slack, slack_env):
    result = spine_cli("alerts", "test", "--channel", "slack", "--json", env=slack_env)
    assert result.returncode == 0, result.stderr
    (delivery,) = json.loads(result.stdout)
    assert (delivery["channel"], delivery["status"], delivery["answer"]) == ("slack", "sent", "ok")
    assert delivery["title"] == "spine test alert"
    assert len(slack.messages) == 1


def test_alerts_test_says_what_slack_refused_and_fails(spine_cli, slack, slack_env, store):
    slack.answer(slack_says(404, "no_service"))
    result = spine_cli("alerts", "test", "--channel", "slack", "--json", env=slack_env)
    assert result.returncode != 0
    (delivery,) = json.loads(result.stdout)
    assert delivery["status"] == "failed"
    assert delivery["answer"].startswith("Slack answered 404 no_service (the webhook was removed")
    assert len(slack.messages) == 1
    assert_no_secret(result.stdout, result.stderr, everything_stored(store))


def test_alerts_test_without_a_webhook_says_how_to_set_one(spine_cli, store):
    result = spine_cli("alerts", "test", "--channel", "slack", env={"SPINE_STORE_URL": f"sqlite:///{store}"})
    assert result.returncode != 0
    assert "SPINE_SLACK_WEBHOOK_URL" in result.stderr


def test_an_invalid_webhook_url_is_a_config_error_that_does_not_show_it(spine_cli, store):
    env = {
        "SPINE_SLACK_WEBHOOK_URL": "ftp://hooks.slack.com/services/T0SECRET",
        "SPINE_STORE_URL": f"sqlite:///{store}",
    }
    result = spine_cli("alerts", "test", "--channel", "slack", env=env)
    assert result.returncode != 0
    assert "slack_webhook_url" in result.stderr
    assert_no_secret(result.stdout, result.stderr)


def test_a_failed_run_alerts_slack_once_and_its_repeat_is_suppressed(spine_cli, slack, slack_env, store):
    Path("spine.toml").write_text(ROUTE_DEMO_ERRORS)
    first = spine_cli("run", "demo", "-p", "fail_at=3", "--json", env=slack_env)
    assert first.returncode != 0
    run = json.loads(first.stdout)
    assert run["status"] == "failed"
    (message,) = slack.messages
    shown = json.dumps(message)
    assert message["blocks"][0]["text"]["text"] == ":red_circle: demo failed"
    assert "fail_at=3" in shown and run["run_id"] in shown

    second = spine_cli("run", "demo", "-p", "fail_at=3", env=slack_env)
    assert second.returncode != 0
    assert len(slack.messages) == 1

    history = spine_cli("alerts", "history", "--json", env=slack_env)
    assert history.returncode == 0, history.stderr
    deliveries = json.loads(history.stdout)
    assert [(d["channel"], d["status"], d["pipeline"]) for d in deliveries] == [
        ("slack", "suppressed", "demo"),
        ("slack", "sent", "demo"),
    ]
    assert deliveries[1]["answer"] == "ok"
    assert deliveries[1]["run_id"] == run["run_id"]
    for result in (first, second, history):
        assert_no_secret(result.stdout, result.stderr)
    assert_no_secret(everything_stored(store))


def test_a_route_for_other_pipelines_sends_nothing_to_slack(spine_cli, slack, slack_env):
    Path("spine.toml").write_text(ROUTE_FINRA_ERRORS)
    result = spine_cli("run", "demo", "-p", "fail_at=3", env=slack_env)
    assert result.returncode != 0
    assert slack.messages == []
