"""Retries (429, 5xx, timeouts, dropped connections), their waits and budget, the rate limit, and the
errors that fail at once."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import spine
from spine.testing import DROP, RawAnswer

from .http_helpers import items, linked_pages, read, rows_of

ITEMS = items(4)


def flaky(*failures, then=None):
    """A route answering each of `failures` (status, headers, body) in turn, then `then` (the items)."""
    answers = list(failures)

    def handle(request):
        if answers:
            return answers.pop(0)
        return then or (200, {}, ITEMS)

    return handle


# -- what is retried -------------------------------------------------------------------------------


def test_a_429_waits_the_retry_after_seconds_then_goes_on(server, waits):
    url = server.route("GET", "/items", flaky((429, {"Retry-After": "7"}, {"error": "slow down"})))
    assert read(url).rows == rows_of(ITEMS)
    assert waits == [pytest.approx(7)]
    assert len(server.requests) == 2


def test_a_retry_after_given_as_an_http_date_is_honoured(server, waits):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    url = server.route("GET", "/items", flaky((429, {"Retry-After": when}, "")))
    assert read(url).rows == rows_of(ITEMS)
    (wait,) = waits
    assert 27 <= wait <= 31  # the date has whole seconds
    assert len(server.requests) == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_is_retried_after_a_short_backoff(server, waits, status):
    url = server.route("GET", "/items", flaky((status, {}, "try later")))
    assert read(url).rows == rows_of(ITEMS)
    assert len(server.requests) == 2
    (wait,) = waits
    assert 0 <= wait <= 0.5  # full jitter under the first backoff


def test_the_backoff_doubles_up_to_backoff_max(server, waits):
    url = server.route("GET", "/items", flaky(*[(503, {}, "busy")] * 5))
    assert read(url, backoff="1", backoff_max="3", retries="5").rows == rows_of(ITEMS)
    assert len(server.requests) == 6
    assert len(waits) == 5
    for wait, ceiling in zip(waits, [1, 2, 3, 3, 3], strict=True):
        assert 0 <= wait <= ceiling


def test_a_read_timeout_is_retried(server, waits):
    answered = []

    def handle(request):
        if not answered:
            answered.append("late")
            server.pause(2)  # the client gave up after 0.2 s
        return 200, {}, ITEMS

    url = server.route("GET", "/items", handle)
    started = time.monotonic()
    assert read(url, timeout="0.2").rows == rows_of(ITEMS)
    assert time.monotonic() - started < 1.5
    assert len(server.requests) == 2
    assert len(waits) == 1


def test_a_dropped_connection_is_retried(server, waits):
    url = server.route("GET", "/items", flaky((200, {}, DROP)))
    assert read(url).rows == rows_of(ITEMS)
    assert len(server.requests) == 2


def test_an_answer_cut_short_is_retried(server, waits):
    cut = RawAnswer(
        b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n[{"id": 1'
    )
    url = server.route("GET", "/items", flaky((200, {}, cut)))
    assert read(url).rows == rows_of(ITEMS)
    assert len(server.requests) == 2


def test_retries_apply_to_every_page(server, waits):
    pages = [ITEMS[:2], ITEMS[2:]]
    failed = set()

    def handle(request):
        number = int(request.query.get("page", "1"))
        if number not in failed:
            failed.add(number)
            return 503, {}, "busy"
        return 200, ({"Link": '</items?page=2>; rel="next"'} if number == 1 else {}), pages[number - 1]

    url = server.route("GET", "/items", handle)
    assert read(url).rows == rows_of(ITEMS)
    assert [request.target for request in server.requests] == ["/items"] * 2 + ["/items?page=2"] * 2


# -- when retrying stops ---------------------------------------------------------------------------


def test_when_retries_run_out_the_error_names_the_status_and_the_url(server, waits):
    url = server.route("GET", "/items", lambda request: (503, {}, "down for maintenance"))
    with pytest.raises(spine.SourceError) as caught:
        read(url, retries=2)
    assert "503" in str(caught.value)
    assert "/items" in str(caught.value)
    assert (caught.value.context["status"], caught.value.retryable) == (503, True)
    assert len(server.requests) == 3
    assert len(waits) == 2


def test_retries_0_tries_once(server, waits):
    url = server.route("GET", "/items", lambda request: (500, {}, "broken"))
    with pytest.raises(spine.SourceError, match="500"):
        read(url, retries="0")
    assert len(server.requests) == 1
    assert waits == []


def test_a_retry_after_longer_than_the_retry_budget_fails_at_once(server, waits):
    url = server.route("GET", "/items", flaky((429, {"Retry-After": "60"}, "")))
    with pytest.raises(spine.SourceError, match="429"):
        read(url, retry_budget=10)
    assert waits == []
    assert len(server.requests) == 1


def test_waits_add_up_against_the_retry_budget(server, waits):
    url = server.route("GET", "/items", lambda request: (429, {"Retry-After": "6"}, ""))
    with pytest.raises(spine.SourceError, match="429"):
        read(url, retry_budget="10")
    assert waits == [pytest.approx(6)]  # a second 6 s would go past the 10 s budget
    assert len(server.requests) == 2


# -- what fails at once ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "headers", "body", "excerpt"),
    [
        (400, {}, {"error": "unknown filter 'colour'"}, "unknown filter 'colour'"),
        (404, {"Content-Type": "text/plain"}, "no such dataset: fills", "no such dataset: fills"),
        (422, {}, {"errors": [{"field": "since", "message": "not a date"}]}, "not a date"),
    ],
)
def test_other_client_errors_fail_at_once_with_the_status_the_url_and_the_answer(
    server, waits, status, headers, body, excerpt
):
    url = server.route("GET", "/datasets/fills", lambda request: (status, headers, body))
    with pytest.raises(spine.SourceError) as caught:
        read(url)
    message = str(caught.value)
    assert str(status) in message
    assert "/datasets/fills" in message
    assert excerpt in message
    assert len(server.requests) == 1
    assert waits == []


def test_an_error_on_a_later_page_names_that_page(server, waits):
    def handle(request):
        if request.query.get("page") == "2":
            return 404, {}, {"error": "gone"}
        return 200, {"Link": '</items?page=2>; rel="next"'}, ITEMS

    url = server.route("GET", "/items", handle)
    with pytest.raises(spine.SourceError) as caught:
        read(url)
    assert "page 2" in str(caught.value)
    assert "404" in str(caught.value)


def test_a_long_error_answer_is_cut_to_its_start(server):
    body = "ERROR-START " + "x" * 20_000 + " ERROR-END"
    url = server.route("GET", "/items", lambda request: (400, {"Content-Type": "text/plain"}, body))
    with pytest.raises(spine.SourceError) as caught:
        read(url)
    assert "ERROR-START" in str(caught.value)
    assert "ERROR-END" not in str(caught.value)
    assert len(str(caught.value)) < 2000


@pytest.mark.parametrize("status", [401, 403])
def test_a_401_or_403_without_credentials_says_that_the_api_wants_some(server, waits, status):
    url = server.route("GET", "/items", lambda request: (status, {}, {"message": "Unauthorized"}))
    with pytest.raises(spine.SourceError) as caught:
        read(url)
    assert str(status) in str(caught.value)
    assert "credential" in str(caught.value).lower()
    assert len(server.requests) == 1
    assert waits == []


def test_a_401_with_a_token_fails_at_once(server, waits):
    url = server.route("GET", "/items", lambda request: (401, {}, {"message": "bad token"}))
    with pytest.raises(spine.SourceError, match="401"):
        read(url, token="expired-token-value")
    assert len(server.requests) == 1


def test_a_malformed_json_page_is_a_source_error_naming_the_url_and_the_page(server):
    def handle(request):
        if request.query.get("page") == "2":
            return 200, {"Content-Type": "application/json"}, '{"items": [{"id": 3}, {"id": '
        return 200, {"Link": '</items?page=2>; rel="next"'}, {"items": ITEMS[:2]}

    url = server.route("GET", "/items", handle)
    with pytest.raises(spine.SourceError) as caught:
        read(url)
    assert "/items" in str(caught.value)
    assert "page 2" in str(caught.value)


# -- the rate limit --------------------------------------------------------------------------------


def test_rate_limit_spaces_the_requests(server, waits):
    url = linked_pages(server, "/items", [[item] for item in items(5)])
    started = time.monotonic()
    assert read(url, rate_limit="2").rows == rows_of(items(5))
    elapsed = time.monotonic() - started
    assert len(server.requests) == 5
    # 5 requests at 2 a second span at least 2 s: what did not pass for real was waited for.
    assert sum(waits) >= 2.0 - elapsed - 0.05
    assert all(wait >= 0 for wait in waits)


def test_without_a_rate_limit_nothing_waits(server, waits):
    url = linked_pages(server, "/items", [[item] for item in items(5)])
    read(url)
    assert waits == []
