"""Bounds under hostile servers: pages that loop, redirects that loop, answers too big, servers too slow.

Every server here is real (127.0.0.1); the hostile ones misbehave on purpose, and the
limits are set small so that the tests stay quick. Nothing asserts a duration: each test
asserts the error, what it names, and what the server saw.
"""

from __future__ import annotations

import json
import threading

import pytest
import spine
from spine_source_http._source import open_http

from .hostile import RawServer, chunk, forever, head, trickle
from .http_helpers import items, link, read, rows_of

# -- pages that loop -------------------------------------------------------------------------------


def test_a_link_next_that_points_to_the_same_url_stops_at_once(server):
    def handle(request):
        return 200, {"Link": link(server.to("/items?page=1"))}, items(2)

    url = server.route("GET", "/items", handle)
    with pytest.raises(spine.SourceError) as caught:
        read(url + "?page=1")
    message = str(caught.value)
    assert "/items?page=1" in message
    assert "already asked for by page 1" in message
    assert "page 2" in message
    assert len(server.requests) == 1


def test_a_next_url_that_comes_back_after_others_stops_when_it_repeats(server):
    following = {"1": "2", "2": "3", "3": "2"}

    def handle(request):
        number = request.query["page"]
        return 200, {}, {"items": items(1, int(number)), "next": f"/items?page={following[number]}"}

    url = server.route("GET", "/items", handle)
    with pytest.raises(spine.SourceError, match=r"page=2 was already asked for by page 2"):
        read(url + "?page=1", paginate="next_url")
    assert [request.query["page"] for request in server.requests] == ["1", "2", "3"]


def test_a_cursor_that_repeats_stops_at_once_naming_the_cursor(server):
    following = {None: "A", "A": "B", "B": "A"}

    def handle(request):
        return 200, {}, {"data": items(1), "meta": {"next": following[request.query.get("cursor")]}}

    url = server.route("GET", "/items", handle)
    with pytest.raises(spine.SourceError) as caught:
        read(url, paginate="cursor", cursor_path="meta.next", records="data")
    message = str(caught.value)
    assert "the cursor 'A'" in message
    assert "already asked for by page 2" in message
    assert [request.query.get("cursor") for request in server.requests] == [None, "A", "B"]


def test_a_cursor_in_the_body_that_repeats_stops_too(server):
    def handle(request):
        return 200, {}, {"data": items(1), "next": "same"}

    url = server.route("POST", "/search", handle)
    with pytest.raises(spine.SourceError, match="the cursor 'same'"):
        read(url, body={"q": 1}, paginate="cursor", cursor_path="next", records="data")
    assert len(server.requests) == 2


def test_the_same_url_with_another_body_is_not_a_loop(server):
    def handle(request):
        offset = int(request.body["offset"])
        return 200, {}, items(7)[offset : offset + 3]

    url = server.route("POST", "/search", handle)
    assert read(url, body={"q": 1}, paginate="offset", page_size=3).rows == rows_of(items(7))


# -- redirects that loop ---------------------------------------------------------------------------


def test_a_redirect_loop_is_a_source_error_naming_the_url_and_the_hops(server):
    server.route("GET", "/a", lambda request: (302, {"Location": "/b"}, ""))
    server.route("GET", "/b", lambda request: (302, {"Location": "/a"}, ""))
    with pytest.raises(spine.SourceError) as caught:
        read(server.to("/a"), api_key="the-secret-key", api_key_in="query")
    message = str(caught.value)
    assert "page 1" in message
    # The first request carries the key in its query (masked); the redirects do not.
    hops = f"{server.url}/a?api_key=*** -> {server.url}/b -> {server.url}/a -> {server.url}/b"
    loop = "20 redirects followed without reaching an answer (they go round in a loop)"
    assert message.endswith(f"{loop}: {hops}")
    assert "the-secret-key" not in message
    assert not caught.value.retryable


def test_a_redirect_loop_through_the_cli_is_one_clear_line(server, spine_cli, tmp_path):
    server.route("GET", "/a", lambda request: (307, {"Location": "/a"}, ""))
    done = spine_cli("load", server.to("/a"), "--table", "t", "--store", f"sqlite:///{tmp_path}/s.db")
    assert done.returncode == 1
    assert "internal" not in done.stderr.lower()
    assert "TooManyRedirects" not in done.stderr
    assert f"{server.url}/a -> {server.url}/a" in done.stderr


# -- answers too big -------------------------------------------------------------------------------


@pytest.fixture
def raw_server():
    """Start a RawServer with the given answer; closed when the test ends."""
    started: list[RawServer] = []

    def start(answer):
        started.append(RawServer(answer))
        return started[-1]

    yield start
    for one in started:
        one.close()


def test_a_content_length_over_max_response_bytes_fails_before_the_body_is_read(raw_server):
    # The body never comes: reading it would hang until the test's time limit.
    hostile = raw_server(lambda connection: connection.sendall(head(Content_Length=10**12)))
    with pytest.raises(spine.SourceError) as caught:
        read(hostile.url + "/items", max_response_bytes=1000)
    message = str(caught.value)
    assert message.startswith(f"{hostile.url}/items page 1: ")
    assert "1,000,000,000,000 bytes (Content-Length)" in message
    assert "max_response_bytes (1,000)" in message
    assert caught.value.context["option"] == "max_response_bytes"


def test_a_body_without_a_length_fails_once_it_goes_past_max_response_bytes(raw_server):
    def endless(connection):
        connection.sendall(head(Content_Type="application/json", Transfer_Encoding="chunked"))
        connection.sendall(chunk(b"["))
        record = json.dumps({"id": 1, "name": "x" * 100}).encode() + b","
        trickle(connection, forever(chunk(record * 100)), hostile.closing, 0)

    hostile = raw_server(endless)
    with pytest.raises(spine.SourceError) as caught:
        read(hostile.url + "/items", max_response_bytes=200_000)
    assert "went past 200,000 bytes, more than max_response_bytes" in str(caught.value)
    assert f"{hostile.url}/items page 1" in str(caught.value)


def test_an_answer_within_max_response_bytes_loads(server):
    url = server.route("GET", "/items", lambda request: (200, {}, items(3)))
    size = len(json.dumps(items(3)))
    assert read(url, max_response_bytes=size).rows == rows_of(items(3))


# -- records too long ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        [{"id": 1}, {"id": 2, "notes": "n" * 5000}, {"id": 3}],
        {"meta": {"page": 1}, "data": [{"id": 1}, {"id": 2, "notes": "n" * 5000}]},
    ],
    ids=["array", "array-in-an-object"],
)
def test_a_json_record_over_max_element_bytes_is_said_to_be_over_the_limit(server, body):
    url = server.route("GET", "/items", lambda request: (200, {}, body))
    with pytest.raises(spine.SourceError) as caught:
        read(url, max_element_bytes=1000)
    message = str(caught.value)
    assert "record 2 of the answer" in message
    assert "longer than max_element_bytes (1,000)" in message
    assert "not valid JSON" not in message and "malformed" not in message
    assert caught.value.context["option"] == "max_element_bytes"


def test_another_value_of_the_answer_over_max_element_bytes_is_over_the_limit_too(server):
    body = {"data": [{"id": 1}], "debug": {"trace": "t" * 5000}}
    url = server.route("GET", "/items", lambda request: (200, {}, body))
    with pytest.raises(spine.SourceError, match=r"a value of the answer .* longer than max_element_bytes"):
        read(url, max_element_bytes=1000, records="data")


@pytest.mark.parametrize(
    ("content_type", "text"),
    [
        ("application/x-ndjson", '{"id": 1}\n\n{"id": 2, "notes": "' + "n" * 5000 + '"}\n'),
        ("text/csv", "id,notes\n1,a\n2," + "n" * 5000 + "\n"),
    ],
    ids=["json-lines", "csv"],
)
def test_a_line_over_max_element_bytes_is_said_to_be_over_the_limit(server, content_type, text):
    url = server.route("GET", "/items", lambda request: (200, {"Content-Type": content_type}, text))
    with pytest.raises(spine.SourceError) as caught:
        read(url, max_element_bytes=1000)
    assert f"{url} page 1: line 3 of the answer is longer than max_element_bytes (1,000)" in str(caught.value)
    assert caught.value.context["option"] == "max_element_bytes"


# -- servers too slow ------------------------------------------------------------------------------


def test_headers_trickled_a_byte_at_a_time_end_at_the_request_deadline(raw_server):
    def slow_headers(connection):
        connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        trickle(connection, forever(b"a"), hostile.closing, 0.02)  # never done, never silent long

    hostile = raw_server(slow_headers)
    with pytest.raises(spine.SourceError) as caught:
        read(hostile.url + "/items", request_deadline=0.5, timeout=5, retries=0)
    message = str(caught.value)
    deadline = "no complete answer within request_deadline (0.5s)"
    assert message.startswith(f"{hostile.url}/items page 1: {deadline}")
    assert caught.value.context["option"] == "request_deadline"
    assert hostile.requests == 1, "a deadline is not retried"


def test_a_body_trickled_a_byte_at_a_time_ends_at_the_request_deadline(raw_server):
    def slow_body(connection):
        connection.sendall(head(Content_Type="application/json", Content_Length=10**9) + b"[")
        trickle(connection, forever(b" "), hostile.closing, 0.02)

    hostile = raw_server(slow_body)
    with pytest.raises(spine.SourceError, match=r"page 1: no complete answer within request_deadline"):
        read(hostile.url + "/items", request_deadline=0.5, timeout=5)


def test_records_that_came_before_the_deadline_do_not_make_it_later(raw_server):
    # Two pages of records arrive at once, then the body stops short of its end: the wait
    # for the rest is bounded by the deadline, not by the records received.
    def half_a_body(connection):
        records = b",".join(json.dumps(item).encode() for item in items(3000))
        connection.sendall(head(Content_Type="application/json", Content_Length=10**9) + b"[" + records)
        hostile.closing.wait()

    hostile = raw_server(half_a_body)
    with pytest.raises(spine.SourceError, match=r"request_deadline \(0\.5s\)"):
        read(hostile.url + "/items", request_deadline=0.5, timeout=5)


def test_the_run_deadline_ends_a_read_of_many_slow_pages(server):
    def slow(request):
        number = int(request.query.get("page", "1"))
        server.pause(0.1)
        return 200, {"Link": link(server.to(f"/items?page={number + 1}"))}, items(1, number)

    url = server.route("GET", "/items", slow)
    with pytest.raises(spine.SourceError) as caught:
        read(url, run_deadline=0.5)
    assert "the read of the API passed run_deadline (0.5s)" in str(caught.value)
    assert caught.value.context["option"] == "run_deadline"


def test_a_retry_wait_that_would_pass_the_run_deadline_fails_at_once(server, waits):
    url = server.route("GET", "/items", lambda request: (503, {"Retry-After": "60"}, "busy"))
    with pytest.raises(spine.SourceError, match=r"waiting 60s more would pass run_deadline \(30s\)"):
        read(url, run_deadline=30)
    assert waits == []
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "option", ["request_deadline", "run_deadline", "max_response_bytes", "max_element_bytes"]
)
def test_the_limits_refuse_zero(option):
    with pytest.raises(spine.ConfigError, match=rf"option {option!r}: Input should be greater than"):
        read("http://127.0.0.1:9/items", **{option: "0"})


# -- answers read while they arrive ----------------------------------------------------------------


def _stalled(records, before, after, go_on):
    """An answer of JSON `before` + records + `after`, whose last records wait for `go_on`."""

    def answer(connection):
        texts = [json.dumps(record).encode() for record in records]
        half = len(texts) // 2
        connection.sendall(head(Content_Type="application/json", Transfer_Encoding="chunked"))
        connection.sendall(chunk(before + b",".join(texts[:half]) + b","))
        go_on.wait()
        connection.sendall(chunk(b",".join(texts[half:]) + after) + chunk(b""))

    return answer


@pytest.mark.parametrize(
    ("before", "after", "options"),
    [
        (b"[", b"]", {}),
        (b'{"meta": {"total": 20000}, "data": [', b'], "next": null}', {"records": "data"}),
        (b'{"meta": {"total": 20000}, "data": [', b'], "next": null}', {}),
    ],
    ids=["array", "records-path", "found-in-an-object"],
)
def test_the_first_batches_come_before_the_answer_has_ended(raw_server, before, after, options):
    go_on = threading.Event()
    records = [{"id": n, "name": f"item {n}", "tags": [{"k": "},{"}]} for n in range(1, 20001)]
    hostile = raw_server(_stalled(records, before, after, go_on))
    try:
        with open_http(hostile.url + "/items", **options) as source:
            source.schema()
            batches = source.batches(500)
            first = next(batches)  # a source that reads whole answers waits here until the time limit
            go_on.set()
            rows = first.rows + [row for batch in batches for row in batch.rows]
    finally:
        go_on.set()
    assert [row[0] for row in rows] == list(range(1, 20001))
    assert rows[0][2] == '[{"k": "},{"}]'


def test_a_connection_broken_after_records_were_handed_on_fails_naming_the_page(raw_server):
    def broken(connection):
        records = b",".join(json.dumps(item).encode() for item in items(40000))
        connection.sendall(head(Content_Type="application/json", Content_Length=10**9) + b"[" + records)

    hostile = raw_server(broken)
    with pytest.raises(spine.SourceError) as caught:
        read(hostile.url + "/items")
    message = str(caught.value)
    assert "page 1: the connection broke while the answer was read" in message
    assert "records of the page" in message
    assert caught.value.retryable
    assert hostile.requests == 1


def _nested(count):
    return [
        {"id": n, "name": f'item {n} says "}},{{" and \\ too', "tags": [{"k": n}, {"k": [n, {"deep": n}]}]}
        for n in range(1, count + 1)
    ]


@pytest.mark.parametrize("indent", [None, 2], ids=["compact", "pretty"])
def test_long_answers_of_nested_records_read_whole_across_reads(server, indent):
    records = _nested(6000)  # well over one read of the answer
    body = json.dumps({"meta": {"next": None}, "data": records, "total": 6000}, indent=indent)
    url = server.route("GET", "/items", lambda request: (200, {"Content-Type": "application/json"}, body))
    result = read(url, batch_size=700)
    assert [row[:2] for row in result.rows] == [(r["id"], r["name"]) for r in records]
    assert json.loads(result.rows[-1][2]) == records[-1]["tags"]
    assert result.positions == list(range(1, 6001))
    assert {len(batch.rows) for batch in result.batches[:-1]} == {700}


def test_malformed_json_deep_in_a_long_answer_is_named_with_its_place(server):
    text = json.dumps(_nested(6000))
    where = text.index('{"id": 3000,') + len('{"id": 3000,')
    broken = text[:where] + "," + text[where:]  # {"id": 3000,, "name": ...
    url = server.route("GET", "/items", lambda request: (200, {"Content-Type": "application/json"}, broken))
    with pytest.raises(spine.SourceError) as caught:
        read(url)
    message = str(caught.value)
    assert message.startswith(f"{url} page 1: the answer is not valid JSON: ")
    near = int(message.rsplit("near byte ", 1)[1].rstrip(")").replace(",", ""))
    assert abs(near - where) < 10


def test_the_columns_are_the_keys_of_the_first_1000_records(server):
    records = [*items(1000), {"id": 1001, "name": "x", "colour": "red"}]
    url = server.route("GET", "/items", lambda request: (200, {}, records))
    result = read(url)
    assert result.schema.names == ["id", "name"]
    (reject,) = result.rejects
    assert reject.position == 1001
    assert reject.reason.startswith(
        "key 'colour' is not among the columns (the keys of the first page's first 1,000 records)"
    )
