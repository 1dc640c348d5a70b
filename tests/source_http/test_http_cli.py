"""`spine load` on an http URL, run as a user would: no options, and secrets kept out of its output."""

from __future__ import annotations

import json
import sqlite3

import pytest

from .http_helpers import items, link, rows_of

TOKEN = "tok-9f8e7d6c5b4a"
PASSWORD = "pw-Zq8!xK2#mV"
API_KEY = "key-3a4b5c6d7e8f"
CLIENT_SECRET = "cs-1q2w3e4r5t6y"


def table_rows(db, table="t"):
    with sqlite3.connect(db) as connection:
        return connection.execute(f'SELECT "id", "name" FROM "{table}" ORDER BY "id"').fetchall()


def everything_stored(db):
    """Every value of every table of the store, as text."""
    with sqlite3.connect(db) as connection:
        tables = [
            name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        return repr([connection.execute(f'SELECT * FROM "{name}"').fetchall() for name in tables])


def test_spine_load_reads_a_paged_json_array_with_no_options_after_a_429(spine_cli, server, tmp_path):
    pages = [items(3), items(3, 4), items(2, 7)]
    throttled = []

    def handle(request):
        if not throttled:
            throttled.append(True)
            return 429, {"Retry-After": "1"}, {"error": "slow down"}
        number = int(request.query.get("page", "1"))
        headers = {"Link": link(server.to(f"/items?page={number + 1}"))} if number < len(pages) else {}
        return 200, headers, pages[number - 1]

    url = server.route("GET", "/items", handle)
    db = tmp_path / "store.db"
    result = spine_cli("load", url, "--table", "t", "--store", f"sqlite:///{db}")
    assert result.returncode == 0, result.stderr
    assert table_rows(db) == rows_of(items(8))
    assert [request.target for request in server.requests] == [
        "/items",
        "/items",
        "/items?page=2",
        "/items?page=3",
    ]


def test_spine_load_reads_a_secret_from_the_environment(spine_cli, server, tmp_path):
    url = server.route("GET", "/items", lambda request: (200, {}, items(2)))
    db = tmp_path / "store.db"
    result = spine_cli(
        "load", url, "--table", "t", "--store", f"sqlite:///{db}", "-o", "token=env:HTTP_TEST_TOKEN",
        env={"HTTP_TEST_TOKEN": TOKEN},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in result.stdout + result.stderr
    assert TOKEN not in everything_stored(db)


CREDENTIALS = {
    "token": ([f"token={TOKEN}"], TOKEN),
    "basic": (["username=ann", f"password={PASSWORD}"], PASSWORD),
    "api-key-query": ([f"api_key={API_KEY}", "api_key_in=query"], API_KEY),
    "oauth2": (["client_id=client-7", f"client_secret={CLIENT_SECRET}"], CLIENT_SECRET),
}


@pytest.mark.parametrize("name", list(CREDENTIALS))
def test_spine_load_json_shows_no_secret_when_a_load_fails(spine_cli, server, tmp_path, name):
    server.route(
        "POST",
        "/oauth/token",
        lambda request: (200, {}, {"access_token": "at-0o9i8u7y6t5r", "expires_in": 3600}),
    )

    def handle(request):
        if request.query.get("page") == "2":
            return 400, {}, {"error": "bad request"}
        return 200, {"Link": '</items?page=2>; rel="next"'}, items(2)

    url = server.route("GET", "/items", handle)
    given, secret = CREDENTIALS[name]
    options = [*given, f"token_url={server.to('/oauth/token')}"] if name == "oauth2" else given
    db = tmp_path / "store.db"
    args = ["load", url, "--table", "t", "--store", f"sqlite:///{db}", "--json", "--debug"]
    for option in options:
        args += ["-o", option]
    result = spine_cli(*args)
    assert result.returncode != 0
    envelope = json.loads(result.stdout)
    assert envelope["status"] == "failed"
    assert "400" in envelope["error"]["message"]
    assert len(server.seen("/items")) == 2
    for shown in (result.stdout, result.stderr, everything_stored(db)):
        assert secret not in shown
        assert "at-0o9i8u7y6t5r" not in shown
