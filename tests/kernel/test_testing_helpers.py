"""spine.testing helpers: HttpServer, the real HTTP server plugin tests talk to, and modules_imported_by."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from spine.testing import DROP, HttpServer


@pytest.fixture
def server():
    served = HttpServer()
    yield served
    served.close()


def test_a_route_answers_and_every_request_is_kept(server):
    url = server.route("POST", "/hook", lambda request: (201, {"X-Seen": request.query["n"]}, {"ok": True}))
    sent = urllib.request.Request(
        url + "?n=7", data=b'{"text": "hi"}', headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(sent) as answer:
        assert (answer.status, answer.headers["X-Seen"], json.load(answer)) == (201, "7", {"ok": True})
    (request,) = server.seen("/hook")
    assert (request.method, request.query, request.body, request.target) == (
        "POST",
        {"n": "7"},
        {"text": "hi"},
        "/hook?n=7",
    )


def test_an_unknown_route_is_a_404_and_a_dropped_answer_closes_the_connection(server):
    with pytest.raises(urllib.error.HTTPError, match="404"):
        urllib.request.urlopen(server.to("/nowhere"))
    server.route("GET", "/gone", lambda request: (200, {}, DROP))
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(server.to("/gone"))


def test_modules_imported_by_lists_what_an_entry_module_adds():
    from spine.testing import modules_imported_by

    assert modules_imported_by("spine._plugins._builtin") == [
        "spine._plugins._builtin"
    ]  # the kernel's own plugin: light
    assert "json.decoder" in modules_imported_by("json")
