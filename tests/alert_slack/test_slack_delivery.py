"""Sending: what each Slack answer leads to, retries and backoff, pacing per webhook, the budget."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import spine
from spine.testing import DROP, HttpServer, RawAnswer
from spine_alert_slack._message import slack_message

from .slack_helpers import OK, FakeSlack, alert, slack_says

BROKEN = RawAnswer(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nok")  # cut short


def backoffs(count):
    """The nominal backoff before each retry: 0.5s doubling, capped at 8s."""
    return [min(8.0, 0.5 * 2**retry) for retry in range(count)]


def assert_backoff(sleeps, count):
    assert len(sleeps) == count, sleeps
    for slept, nominal in zip(sleeps, backoffs(count), strict=True):
        assert 0.9 * nominal <= slept <= nominal


# -- answers ---------------------------------------------------------------------------------------


def test_ok_is_the_answer_and_slack_receives_the_block_kit_message_as_json(slack, make_channel):
    sent = alert()
    answer = make_channel(slack.url).send(sent, 10.0)
    assert answer == "ok"
    (request,) = slack.server.seen(slack.path)
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json"
    assert request.body == slack_message(sent)
    assert request.headers["user-agent"] == f"spine/{spine.__version__} spine-alert-slack/0.1.2"


def test_another_200_answer_is_a_success_returning_its_body_clipped(slack, make_channel):
    slack.answer(slack_says(200, "posted, with a warning: " + "w" * 5_000))
    answer = make_channel(slack.url).send(alert(), 10.0)
    assert answer.startswith("posted, with a warning: www")
    assert len(answer) <= 300


def test_an_empty_2xx_answer_says_its_status(slack, make_channel):
    slack.answer((204, {}, None))
    assert make_channel(slack.url).send(alert(), 10.0) == "HTTP 204"


def test_one_channel_sends_many_alerts_on_one_connection(slack, make_channel):
    channel = make_channel(slack.url)
    assert [channel.send(alert(title=f"alert {number}"), 10.0) for number in range(3)] == ["ok"] * 3
    assert [message["blocks"][0]["text"]["text"] for message in slack.messages] == [
        f":red_circle: alert {number}" for number in range(3)
    ]


PERMANENT = [
    (400, "invalid_payload", "a spine bug, please report it"),
    (403, "action_prohibited", "restricted posting to this channel"),
    (404, "no_service", "the webhook was removed or the URL is wrong"),
    (404, "channel_not_found", "channel was deleted"),
    (410, "channel_is_archived", "unarchive the channel or make a new webhook"),
    (403, "invalid_token", "the webhook was revoked"),
    (404, "", "the webhook was removed or the URL is wrong"),
    (401, "something_new", None),
]


@pytest.mark.parametrize(("status", "error", "hint"), PERMANENT)
def test_a_4xx_answer_fails_at_once_with_slacks_error_and_a_hint(
    slack, clock, make_channel, status, error, hint
):
    slack.answer(slack_says(status, error))
    with pytest.raises(spine.AlertError) as raised:
        make_channel(slack.url).send(alert(), 10.0)
    failure = raised.value
    assert str(failure).startswith(f"Slack answered {status} {error or 'Not Found'}")
    if hint:
        assert hint in str(failure)
    else:
        assert str(failure) == f"Slack answered {status} {error}"
    assert failure.retryable is False
    assert failure.context == {"status": status, "error": error, "attempts": 1}
    assert len(slack.messages) == 1
    assert clock.sleeps == []


def test_a_long_error_answer_is_clipped(slack, make_channel):
    slack.answer(slack_says(400, "bad_thing " + "x" * 10_000))
    with pytest.raises(spine.AlertError) as raised:
        make_channel(slack.url).send(alert(), 10.0)
    assert len(raised.value.context["error"]) <= 300
    assert len(str(raised.value)) < 400


def test_a_redirect_is_not_followed(slack, server, make_channel):
    elsewhere = FakeSlack(server, "/elsewhere")
    slack.answer(slack_says(301, "moved", Location=elsewhere.url))
    with pytest.raises(spine.AlertError) as raised:
        make_channel(slack.url).send(alert(), 10.0)
    assert "Slack answered 301" in str(raised.value)
    assert "follows no redirect" in str(raised.value)
    assert raised.value.retryable is False
    assert elsewhere.messages == []


def test_an_answer_that_cannot_be_decoded_fails_at_once(slack, clock, make_channel):
    slack.answer((200, {"Content-Encoding": "gzip"}, "ok"))
    with pytest.raises(spine.AlertError) as raised:
        make_channel(slack.url).send(alert(), 10.0)
    assert str(raised.value).startswith("cannot send to Slack: DecodingError")
    assert raised.value.retryable is False
    assert len(slack.messages) == 1


# -- retries ---------------------------------------------------------------------------------------


def test_a_429_waits_as_long_as_retry_after_says_then_sends_again(slack, clock, make_channel):
    slack.answer(slack_says(429, "rate_limited", **{"Retry-After": "3"}))
    answer = make_channel(slack.url, slack_min_interval=1.0).send(alert(), 10.0)
    assert answer == "ok after 2 attempts"
    assert clock.sleeps == [3.0]
    assert slack.arrivals == [5000.0, 5003.0]
    assert slack.messages[0] == slack.messages[1]


def test_retry_after_may_be_an_http_date(slack, clock, make_channel):
    when = datetime.now(UTC) + timedelta(seconds=30)
    slack.answer(slack_says(429, "rate_limited", **{"Retry-After": format_datetime(when, usegmt=True)}))
    assert make_channel(slack.url).send(alert(), 60.0) == "ok after 2 attempts"
    (slept,) = clock.sleeps
    assert 27 <= slept <= 30


def test_a_429_without_retry_after_backs_off(slack, clock, make_channel):
    slack.answer(slack_says(429, "rate_limited"))
    assert make_channel(slack.url).send(alert(), 10.0) == "ok after 2 attempts"
    assert_backoff(clock.sleeps, 1)


def test_a_500_twice_then_ok_backs_off_twice(slack, clock, make_channel):
    slack.answer(slack_says(500, "oops"), slack_says(503, "busy"))
    assert make_channel(slack.url).send(alert(), 10.0) == "ok after 3 attempts"
    assert_backoff(clock.sleeps, 2)
    assert len(slack.messages) == 3


@pytest.mark.parametrize("failure", [DROP, BROKEN], ids=["dropped", "cut-short"])
def test_a_dropped_connection_or_a_cut_short_answer_is_retried(slack, clock, make_channel, failure):
    slack.answer((200, {}, failure))
    assert make_channel(slack.url).send(alert(), 10.0) == "ok after 2 attempts"
    assert_backoff(clock.sleeps, 1)


def test_it_gives_up_after_max_attempts_saying_what_slack_answered(slack, clock, make_channel):
    slack.answer(*[slack_says(500, "internal_error")] * 10)
    with pytest.raises(spine.AlertError) as raised:
        make_channel(slack.url, slack_max_attempts=4).send(alert(), 100.0)
    assert str(raised.value) == "Slack answered 500 internal_error, still after 4 attempts"
    assert raised.value.retryable is True
    assert raised.value.context == {"status": 500, "error": "internal_error", "attempts": 4}
    assert len(slack.messages) == 4
    assert_backoff(clock.sleeps, 3)


def test_the_backoff_doubles_up_to_8_seconds(slack, clock, make_channel):
    slack.answer(*[slack_says(502, "bad gateway")] * 10)
    with pytest.raises(spine.AlertError):
        make_channel(slack.url, slack_max_attempts=8).send(alert(), 1_000.0)
    assert_backoff(clock.sleeps, 7)
    assert max(clock.sleeps) <= 8.0 and clock.sleeps[-1] >= 7.2


def test_each_retry_is_logged_without_the_alert_failing(slack, clock, make_channel, caplog):
    slack.answer(slack_says(500, "oops"))
    make_channel(slack.url).send(alert(), 10.0)
    (record,) = [record for record in caplog.records if record.name == "spine.alert.slack"]
    assert record.levelname == "WARNING"
    assert record.getMessage().startswith("Slack answered 500 oops; trying again in 0.")
    assert record.getMessage().endswith("(attempt 2 of 5)")


def test_a_webhook_nobody_listens_on_fails_as_retryable(clock, make_channel):
    closed = HttpServer()
    url = closed.to("/services/T0/B0/X")
    closed.close()
    with pytest.raises(spine.AlertError) as raised:
        make_channel(url, slack_max_attempts=3).send(alert(), 10.0)
    assert str(raised.value).startswith("no answer from Slack (ConnectError")
    assert str(raised.value).endswith("still after 3 attempts")
    assert raised.value.retryable is True


# -- the budget ------------------------------------------------------------------------------------


def test_a_retry_after_longer_than_the_budget_fails_at_once(slack, clock, make_channel):
    slack.answer(slack_says(429, "rate_limited", **{"Retry-After": "120"}))
    with pytest.raises(spine.AlertError) as raised:
        make_channel(slack.url).send(alert(), 10.0)
    assert str(raised.value) == (
        "Slack answered 429 rate_limited; the alert budget of 10.0s ran out (the next try was due in 120.0s)"
    )
    assert raised.value.retryable is True
    assert clock.sleeps == []
    assert len(slack.messages) == 1


def test_backoff_that_would_pass_the_budget_stops_before_it(slack, clock, make_channel):
    slack.answer(*[slack_says(500, "oops")] * 10)
    with pytest.raises(spine.AlertError) as raised:
        make_channel(slack.url).send(alert(), 1.2)
    assert "Slack answered 500 oops; the alert budget of 1.2s ran out" in str(raised.value)
    assert raised.value.retryable is True
    assert len(slack.messages) == 2  # 0.5s of backoff fit, the 1s after did not
    assert sum(clock.sleeps) < 1.2


def silent(server):
    """A route that answers only after 5 seconds (or when the server closes)."""

    def answer(request):
        server.pause(5)
        return OK

    return answer


def test_a_slack_that_never_answers_is_given_up_within_the_budget(slack, server, make_channel):
    slack.answer(*[silent(server)] * 3)
    started = time.monotonic()
    with pytest.raises(spine.AlertError) as raised:
        make_channel(slack.url, slack_timeout=30).send(alert(), 0.5)
    elapsed = time.monotonic() - started
    assert elapsed < 1.5
    assert str(raised.value).startswith("no answer from Slack (ReadTimeout")
    assert "alert budget of 0.5s ran out" in str(raised.value)
    assert raised.value.retryable is True


def test_each_request_waits_at_most_slack_timeout(slack, server, make_channel):
    slack.answer(silent(server))
    started = time.monotonic()
    answer = make_channel(slack.url, slack_timeout=0.3).send(alert(), 5.0)
    assert answer == "ok after 2 attempts"
    assert time.monotonic() - started < 2.0


# -- pacing ----------------------------------------------------------------------------------------


def test_messages_to_one_webhook_start_at_least_min_interval_apart(slack, clock, make_channel):
    channel = make_channel(slack.url, slack_min_interval=1.0)
    channel.send(alert(), 10.0)
    channel.send(alert(), 10.0)
    clock.now += 0.25  # time spent elsewhere counts towards the interval
    channel.send(alert(), 10.0)
    assert slack.arrivals == [5000.0, 5001.0, 5002.0]
    assert clock.sleeps == [1.0, 0.75]


def test_pacing_holds_across_channels_on_the_same_webhook(slack, clock, make_channel):
    first, second = (
        make_channel(slack.url, slack_min_interval=2.0),
        make_channel(slack.url, slack_min_interval=2.0),
    )
    first.send(alert(), 10.0)
    second.send(alert(), 10.0)
    assert slack.arrivals == [5000.0, 5002.0]


def test_different_webhooks_are_not_paced_together(slack, server, clock, make_channel):
    other = FakeSlack(server, "/services/T1/B1/OTHER")
    make_channel(slack.url, slack_min_interval=1.0).send(alert(), 10.0)
    make_channel(other.url, slack_min_interval=1.0).send(alert(), 10.0)
    assert clock.sleeps == []
    assert (len(slack.messages), len(other.messages)) == (1, 1)


def test_no_pacing_with_a_min_interval_of_zero(slack, clock, make_channel):
    channel = make_channel(slack.url, slack_min_interval=0)
    for _ in range(3):
        channel.send(alert(), 10.0)
    assert clock.sleeps == []


def test_a_turn_past_the_budget_fails_without_sending_and_books_nothing(slack, clock, make_channel):
    channel = make_channel(slack.url, slack_min_interval=5.0)
    channel.send(alert(), 10.0)
    with pytest.raises(spine.AlertError) as raised:
        channel.send(alert(), 2.0)
    assert str(raised.value) == (
        "nothing was sent to Slack; the alert budget of 2.0s ran out (waiting for its turn on this webhook)"
    )
    assert raised.value.retryable is True
    assert len(slack.messages) == 1
    clock.now += 5.0
    assert channel.send(alert(), 2.0) == "ok"
    assert clock.sleeps == []
