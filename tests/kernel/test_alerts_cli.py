"""``spine alerts test`` and ``spine alerts history``, run the way a user would, with the good
plugin's channel (it writes alert titles to the file named by GOOD_ALERTS)."""

from __future__ import annotations

import json

# Only the good plugin, whatever else the environment has installed (a Slack channel, say).
ONLY_GOOD = {"SPINE_LOAD_PLUGINS": "good"}


def test_alerts_test_reaches_every_configured_channel_and_names_the_idle_ones(spine_cli, good_site, tmp_path):
    sink = tmp_path / "alerts.txt"
    sent = spine_cli("alerts", "test", site=good_site, env={**ONLY_GOOD, "GOOD_ALERTS": str(sink)})
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.splitlines() == ["good_alert: sent: written", "log: sent: logged"]
    assert sink.read_text() == "spine test alert\n"
    assert "alert [info] spine test alert" in sent.stderr  # the log channel's line

    idle = spine_cli("alerts", "test", site=good_site, env=ONLY_GOOD)
    assert idle.returncode == 0
    assert idle.stdout.splitlines() == [
        "log: sent: logged",
        "good_alert: not configured (see its documentation)",
    ]


def test_alerts_test_of_one_channel(spine_cli, good_site, tmp_path):
    sink = tmp_path / "alerts.txt"
    one = spine_cli(
        "alerts", "test", "--channel", "good_alert", "--json", site=good_site, env={"GOOD_ALERTS": str(sink)}
    )
    assert one.returncode == 0
    (delivery,) = json.loads(one.stdout)
    assert (delivery["channel"], delivery["status"], delivery["answer"]) == ("good_alert", "sent", "written")
    assert delivery["title"] == "spine test alert" and delivery["severity"] == "info"

    idle = spine_cli("alerts", "test", "--channel", "good_alert", site=good_site)
    assert idle.returncode == 2
    assert idle.stderr.strip().startswith("spine: error: alert channel 'good_alert' is not configured")
    assert "Traceback" not in idle.stderr

    unknown = spine_cli("alerts", "test", "--channel", "pager", site=good_site)
    assert unknown.returncode == 2
    assert "unknown alert_channel 'pager'" in unknown.stderr


def test_alerts_test_fails_with_the_channels_answer(spine_cli, good_site, tmp_path):
    refused = spine_cli(
        "alerts", "test", site=good_site, env={**ONLY_GOOD, "GOOD_ALERTS": str(tmp_path / "refuse")}
    )
    assert refused.returncode == 1
    assert "good_alert: failed: good_alert refused: told to by its path" in refused.stdout.splitlines()
    assert "log: sent: logged" in refused.stdout.splitlines()


def test_failed_runs_alert_once_and_the_history_shows_every_outcome(spine_cli, good_site, tmp_path):
    sink = tmp_path / "alerts.txt"
    env = {
        "GOOD_ALERTS": str(sink),
        "SPINE_ALERT_ROUTES": '[{"channels": ["good_alert"], "min_severity": "error"}]',
    }
    for _ in range(2):
        assert (
            spine_cli("run", "demo", "-p", "rows=5", "-p", "fail_at=2", site=good_site, env=env).returncode
            == 1
        )
    assert spine_cli("run", "demo", "-p", "rows=5", site=good_site, env=env).returncode == 0
    assert sink.read_text() == "demo failed\n"

    listed = spine_cli("alerts", "history", "--json", site=good_site, env=env)
    history = json.loads(listed.stdout)
    assert [(d["channel"], d["status"], d["title"]) for d in history] == [
        ("good_alert", "suppressed", "demo failed"),
        ("good_alert", "sent", "demo failed"),
    ]
    assert history[1]["answer"] == "written" and history[1]["fields"]["Status"] == "failed"
    assert history[0]["answer"].startswith("repeat of an alert sent at ")

    table = spine_cli("alerts", "history", "--status", "sent", site=good_site, env=env).stdout.splitlines()
    assert table[0].split() == [
        "RAISED",
        "(UTC)",
        "CHANNEL",
        "STATUS",
        "SEVERITY",
        "PIPELINE",
        "TITLE",
        "ANSWER",
    ]
    assert len(table) == 2 and "good_alert  sent" in table[1] and table[1].endswith("written")


def test_alerts_history_on_an_empty_store_and_bad_options(spine_cli):
    empty = spine_cli("alerts", "history")
    assert (empty.returncode, empty.stdout.strip()) == (0, "no alerts recorded")
    bad = spine_cli("alerts", "history", "--since", "last tuesday")
    assert bad.returncode == 2 and "--since: expected a date or date-time" in bad.stderr


def test_doctor_checks_the_alert_channels_and_routes(spine_cli, good_site):
    env = {**ONLY_GOOD, "SPINE_ALERT_ROUTES": '[{"channels": ["good_alert", "pager"]}]'}
    doctor = spine_cli("doctor", site=good_site, env=env)
    assert doctor.returncode == 1
    lines = doctor.stdout.splitlines()
    assert "ok     alert channel log: configured: log records of 'spine.alerts'" in lines
    assert any(
        line.startswith("ok     alert channel good_alert: installed, not configured") for line in lines
    )
    route = "error  alert route to good_alert: alert_routes sends alerts to channel 'good_alert', which"
    assert f"{route} is not configured" in lines
    assert (
        "error  alert route to pager: alert_routes sends alerts to channel 'pager', which is not installed"
        in lines
    )
