"""The webhook URL lets anyone post: it never shows in errors, answers, descriptions or logs."""

from __future__ import annotations

import logging
import traceback

import pytest
import spine
from spine.testing import DROP

from .slack_helpers import OK, SECRET, WEBHOOK_PATH, alert, slack_says

LIBRARY_LOGGERS = ("httpx", "httpcore", "spine")


@pytest.fixture
def logs(caplog):
    for name in LIBRARY_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def everything_logged(caplog):
    shown = [caplog.text]
    shown += [record.getMessage() for record in caplog.records]
    shown += [repr(vars(record)) for record in caplog.records]
    return shown


def shown_by(failure):
    return [str(failure), repr(failure), repr(failure.context), "".join(traceback.format_exception(failure))]


SCENARIOS = {
    "ok": lambda url: [OK],
    "retried": lambda url: [
        slack_says(500, "oops"),
        slack_says(429, "rate_limited", **{"Retry-After": "0"}),
        OK,
    ],
    "dropped": lambda url: [(200, {}, DROP), OK],
    "echoed by a 200": lambda url: [slack_says(200, f"posted to {url}")],
    "no_service": lambda url: [slack_says(404, "no_service")],
    "echoed by a 404": lambda url: [slack_says(404, f"no_service: {url} is gone")],
    "redirect to https": lambda url: [slack_says(301, "moved", Location=url.replace("http:", "https:"))],
    "gives up": lambda url: [slack_says(503, f"busy at {url}")] * 5,
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_url_is_in_no_answer_error_or_log_line(slack, clock, make_channel, logs, name):
    slack.answer(*SCENARIOS[name](slack.url))
    channel = make_channel(slack.url)
    try:
        shown = [channel.send(alert(), 60.0)]
    except spine.AlertError as failure:
        shown = shown_by(failure)
    channel.close()
    assert slack.messages, "Slack was called"
    assert [record for record in logs.records if record.name == "httpx"], "httpx logged its request"
    leaks = [text for text in shown + everything_logged(logs) if SECRET in text]
    assert leaks == []


def test_an_answer_that_echoes_the_url_is_masked(slack, make_channel):
    slack.answer(slack_says(200, f"posted to {slack.url}"))
    assert make_channel(slack.url).send(alert(), 10.0) == "posted to ***"


def test_a_network_failure_shows_no_url(clock, make_channel, server):
    url = server.to(WEBHOOK_PATH)
    server.close()
    with pytest.raises(spine.AlertError) as raised:
        make_channel(url, slack_max_attempts=2).send(alert(), 10.0)
    assert "ConnectError" in str(raised.value)
    assert [text for text in shown_by(raised.value) if SECRET in text] == []


def test_describe_and_repr_name_the_host_only(slack, make_channel):
    channel = make_channel(slack.url)
    assert channel.describe() == f"Slack webhook on 127.0.0.1:{slack.server.port}"
    assert repr(channel) == f"SlackChannel('Slack webhook on 127.0.0.1:{slack.server.port}')"
    assert (
        make_channel("https://hooks.slack.com" + WEBHOOK_PATH).describe()
        == "Slack webhook on hooks.slack.com"
    )


def test_secrets_are_the_url_and_its_path(make_channel):
    url = "https://hooks.slack.com" + WEBHOOK_PATH
    assert make_channel(url).secrets() == [url, WEBHOOK_PATH]
    odd = "HTTPS://Hooks.Slack.com/services/T0/B0/a%20b"
    assert set(make_channel(odd).secrets()) == {
        odd,
        "https://hooks.slack.com/services/T0/B0/a%20b",
        "/services/T0/B0/a%20b",
        "/services/T0/B0/a b",
    }


def test_httpx_log_lines_are_masked_only_while_the_channel_is_open(slack, make_channel):
    watched = [logging.getLogger(name) for name in ("httpx", "httpcore.http11")]
    before = [list(logger.filters) for logger in watched]
    channel = make_channel(slack.url)
    channel.send(alert(), 10.0)
    assert all(
        len(logger.filters) == len(filters) + 1 for logger, filters in zip(watched, before, strict=True)
    )
    channel.close()
    channel.close()
    assert [list(logger.filters) for logger in watched] == before
