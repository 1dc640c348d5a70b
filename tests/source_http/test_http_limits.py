"""Bounds under hostile servers: pages that loop, redirects that loop, answers too big, servers too slow.

Every server here is real (127.0.0.1); the hostile ones misbehave on purpose, and the
limits are set small so that the tests stay quick. Nothing asserts a duration: each test
asserts the error, what it names, and what the server saw.
"""

from __future__ import annotations

import pytest
import spine

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
