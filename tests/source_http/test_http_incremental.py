"""Incremental loads: the high-water mark sent, saved once the load commits, and kept when it fails."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from spine import ConfigError
from spine_source_http._source import open_http

INCREMENTAL = {"incremental_field": "version", "since_param": "since"}


class Events:
    """GET /events: the events whose version is above ``since`` (every event without it).

    `fail_page2` makes the answer two pages, the second one a 404.
    """

    def __init__(self, server, events):
        self.server, self.events = server, list(events)
        self.fail_page2 = False
        self.url = server.route("GET", "/events", self.handle)

    def handle(self, request):
        if request.query.get("page") == "2":
            return 404, {}, {"error": "page expired"}
        since = request.query.get("since")
        found = [event for event in self.events if since is None or event["version"] > int(since)]
        headers = {"Link": '</events?page=2>; rel="next"'} if self.fail_page2 else {}
        return 200, headers, found

    def sent(self):
        """The `since` sent by each first page, in order (None: not sent)."""
        return [
            request.query.get("since")
            for request in self.server.seen("/events")
            if "page" not in request.query
        ]


def event(number, version):
    return {"id": number, "version": version, "what": f"event {number}"}


def run_load(kernel, url, table, options):
    """A run of the load pipeline, which reads each first page once (`Spine.load` reads it
    once more before the run, to check the keys: see the last test)."""
    params = {"source": url, "table": table, "mode": "merge", "key": "id"}
    return kernel.run("load", {**params, **{f"option.{name}": value for name, value in options.items()}})


def load(kernel, url, **options):
    return run_load(kernel, url, "events", {**INCREMENTAL, **options})


def mark(kernel, url, field="version"):
    with open_http(url, incremental_field=field, since_param="since") as source:
        key = source.state_key()
    return kernel.runlog().state("load", key)


def table(kernel):
    with kernel.runlog().store.transaction() as session:
        return session.query('SELECT "id", "version" FROM "events" ORDER BY "id"')


def test_the_state_key_names_the_host_the_path_and_the_field(server):
    url = server.to("/v2/events?status=open")
    with open_http(url, **INCREMENTAL) as source:
        assert re.fullmatch(r"http:127\.0\.0\.1(:\d+)?/v2/events:version", source.state_key())
    with open_http(url) as source:
        assert source.state_key() is None


def test_the_first_load_sends_no_mark_and_keeps_the_highest_value(kernel, server):
    api = Events(server, [event(1, 8), event(2, 10), event(3, 9)])
    result = load(kernel, api.url)
    assert result.status == "succeeded", result.error
    assert api.sent() == [None]
    assert mark(kernel, api.url) == "10"  # the highest, not the last and not the highest as text


def test_the_next_load_sends_the_saved_mark_and_moves_it(kernel, server):
    api = Events(server, [event(1, 8), event(2, 10), event(3, 9)])
    load(kernel, api.url)
    api.events.append(event(4, 11))
    result = load(kernel, api.url)
    assert (result.status, result.counts.rows_written) == ("succeeded", 1)
    assert api.sent() == [None, "10"]
    assert mark(kernel, api.url) == "11"
    assert table(kernel) == [(1, 8), (2, 10), (3, 9), (4, 11)]


def test_since_initial_is_sent_on_the_first_load_only(kernel, server):
    api = Events(server, [event(1, 8), event(2, 10)])
    load(kernel, api.url, since_initial="5")
    load(kernel, api.url, since_initial="5")
    assert api.sent() == ["5", "10"]


def test_a_load_that_fails_does_not_move_the_mark(kernel, server):
    api = Events(server, [event(1, 8), event(2, 10)])
    load(kernel, api.url)
    api.events += [event(3, 11), event(4, 12)]
    api.fail_page2 = True
    failed = load(kernel, api.url)
    assert failed.status == "failed"
    assert mark(kernel, api.url) == "10"
    api.fail_page2 = False
    assert load(kernel, api.url).status == "succeeded"
    assert api.sent() == [None, "10", "10"]
    assert mark(kernel, api.url) == "12"


def test_a_load_that_reads_nothing_keeps_the_mark(kernel, server):
    api = Events(server, [event(1, 8), event(2, 10)])
    load(kernel, api.url)
    empty = load(kernel, api.url)
    assert (empty.status, empty.counts.rows_read) == ("succeeded", 0), empty.error
    load(kernel, api.url)
    assert api.sent() == [None, "10", "10"]
    assert mark(kernel, api.url) == "10"


def test_marks_are_kept_per_field(kernel, server):
    api = Events(server, [event(1, 8), event(2, 10)])
    load(kernel, api.url)
    assert mark(kernel, api.url, field="id") is None


def test_a_timestamp_mark_is_the_latest_moment(kernel, server):
    records = [
        {"id": 1, "updated_at": "2026-11-20T09:30:00"},
        {"id": 2, "updated_at": "2026-11-21T08:00:00"},
        {"id": 3, "updated_at": "2026-11-20T23:59:59"},
    ]
    url = server.route("GET", "/changes", lambda request: (200, {}, records))
    options = {"incremental_field": "updated_at", "since_param": "updated_since"}
    run_load(kernel, url, "changes", options)
    run_load(kernel, url, "changes", options)
    first, second = (request.query.get("updated_since") for request in server.requests)
    assert first is None
    assert datetime.fromisoformat(second) == datetime(2026, 11, 21, 8, 0, 0)


def test_since_body_sends_the_mark_in_the_json_body_of_a_post(kernel, server):
    events = [event(1, 8), event(2, 10)]

    def handle(request):
        since = request.body["filter"].get("since")
        return 200, {}, {"results": [e for e in events if since is None or e["version"] > int(since)]}

    url = server.route("POST", "/search", handle)
    options = {
        "incremental_field": "version",
        "since_body": "filter.since",
        "body": {"filter": {"kind": "x"}},
    }
    run_load(kernel, url, "events", options)
    events.append(event(3, 12))
    result = run_load(kernel, url, "events", options)
    assert result.counts.rows_written == 1
    first, second = (request.body["filter"] for request in server.requests)
    assert first == {"kind": "x"}
    assert second["kind"] == "x"
    assert str(second["since"]) == "10"
    assert [request.query for request in server.requests] == [{}, {}]


@pytest.mark.parametrize(("saved", "sent"), [(None, None), ("10", "10")])
def test_the_source_resumes_from_the_mark_it_is_given_and_checkpoints_the_highest(server, saved, sent):
    api = Events(server, [event(1, 8), event(2, 12), event(3, 11)])
    with open_http(api.url, **INCREMENTAL) as source:
        source.resume(saved)
        source.schema()
        rows = [row for batch in source.batches() for row in batch.rows]
        assert source.checkpoint() == "12"
    assert len(rows) == (3 if saved is None else 2)
    assert api.sent() == [sent]


def test_spine_load_checks_its_keys_on_the_first_page_as_the_run_will_fetch_it(kernel, server):
    api = Events(server, [event(1, 8), event(2, 10)])
    kernel.load(api.url, "events", mode="merge", keys=["id"], options=INCREMENTAL)
    api.events.append(event(3, 11))
    assert (
        kernel.load(api.url, "events", mode="merge", keys=["ID"], options=INCREMENTAL).status == "succeeded"
    )
    assert api.sent() == [None, None, "10", "10"]  # the check's request, then the run's
    with pytest.raises(
        ConfigError, match="key column 'ident' is not among the columns of 'events': id, version"
    ):
        kernel.load(api.url, "events", mode="merge", keys=["ident"], options=INCREMENTAL)
    assert api.sent()[4:] == ["11"]  # the check's alone: no run
    assert len(kernel.runlog().runs()) == 2
