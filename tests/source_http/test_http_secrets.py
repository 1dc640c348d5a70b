"""Secrets (tokens, passwords, API keys, client secrets) never show, and never travel to another host."""

from __future__ import annotations

import base64
import contextlib
import logging

import pytest
import spine
from spine_source_http._source import open_http

from .http_helpers import items, linked_pages, read, rows_of

TOKEN = "tok-9f8e7d6c5b4a"
PASSWORD = "pw-Zq8!xK2#mV"
API_KEY = "key-3a4b5c6d7e8f"
CLIENT_SECRET = "cs-1q2w3e4r5t6y"
ACCESS_TOKEN = "at-0o9i8u7y6t5r"

CREDENTIALS = {
    "token": ({"token": TOKEN}, [TOKEN]),
    "basic": ({"username": "ann", "password": PASSWORD}, [PASSWORD]),
    "api-key-header": ({"api_key": API_KEY}, [API_KEY]),
    "api-key-query": ({"api_key": API_KEY, "api_key_in": "query"}, [API_KEY]),
    "oauth2": ({"client_id": "client-7", "client_secret": CLIENT_SECRET}, [CLIENT_SECRET]),
}


def troubled_api(server):
    """A token endpoint, and /items whose page 1 fails once (503) and whose page 2 is a 400."""
    server.route(
        "POST",
        "/oauth/token",
        lambda request: (200, {}, {"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 3600}),
    )
    state = {"failed": False}

    def handle(request):
        if request.query.get("page") == "2":
            return 400, {}, {"error": "bad request"}
        if not state["failed"]:
            state["failed"] = True
            return 503, {}, "busy"
        return 200, {"Link": '</items?page=2>; rel="next"'}, items(2)

    return server.route("GET", "/items", handle)


def options_for(name, server):
    options, secrets = CREDENTIALS[name]
    if name == "oauth2":
        options = {**options, "token_url": server.to("/oauth/token")}
    return options, secrets


@pytest.mark.parametrize("name", list(CREDENTIALS))
def test_secrets_are_in_no_log_record_and_in_no_error(server, caplog, name):
    url = troubled_api(server)
    options, secrets = options_for(name, server)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(spine.SourceError) as caught:
        read(url, **options)
    assert "400" in str(caught.value)
    shown = [str(caught.value), repr(caught.value.context), caplog.text]
    shown += [record.getMessage() for record in caplog.records]
    shown += [repr(vars(record)) for record in caplog.records]
    assert server.requests, "the API was called"
    for secret in [*secrets, ACCESS_TOKEN]:
        assert not [text for text in shown if secret in text], f"{secret} was shown"


@pytest.mark.parametrize("name", list(CREDENTIALS))
def test_describe_shows_no_secret_and_secrets_lists_them(server, name):
    options, secrets = options_for(name, server)
    with open_http(server.to("/items?status=open"), **options) as source:
        described = source.describe()
        given = set(source.secrets())
    assert "/items" in described
    for secret in secrets:
        assert secret not in described
        assert secret in given


def test_an_error_message_masks_a_query_api_key(server):
    url = server.route("GET", "/items", lambda request: (404, {}, {"error": "no such list"}))
    with pytest.raises(spine.SourceError) as caught:
        read(url, api_key=API_KEY, api_key_in="query")
    assert "/items" in str(caught.value)
    assert API_KEY not in str(caught.value)


def test_a_load_records_no_secret_in_its_run(kernel, server):
    url = troubled_api(server)
    result = kernel.load(url, "items", options={"token": TOKEN})
    assert result.status == "failed"
    stored = [repr(result.to_dict()), repr(kernel.runlog().run(result.run_id))]
    assert not [text for text in stored if TOKEN in text]


# -- env: secrets ----------------------------------------------------------------------------------


def test_an_env_secret_is_read_from_the_environment(server, monkeypatch):
    monkeypatch.setenv("SPINE_TEST_HTTP_TOKEN", TOKEN)
    url = linked_pages(server, "/items", [items(2), items(1, 3)])
    with open_http(url, token="env:SPINE_TEST_HTTP_TOKEN") as source:
        assert TOKEN in set(source.secrets())
        assert TOKEN not in source.describe()
        source.schema()
        assert [row for batch in source.batches() for row in batch.rows] == rows_of(items(3))
    assert [request.headers["authorization"] for request in server.requests] == [f"Bearer {TOKEN}"] * 2


@pytest.mark.parametrize("option", ["token", "password", "api_key", "client_secret"])
def test_every_secret_option_may_come_from_the_environment(server, monkeypatch, option):
    monkeypatch.setenv("SPINE_TEST_HTTP_SECRET", PASSWORD)
    companions = {
        "token": {},
        "password": {"username": "ann"},
        "api_key": {},
        "client_secret": {"client_id": "client-7", "token_url": server.to("/oauth/token")},
    }[option]
    with open_http(server.to("/items"), **{option: "env:SPINE_TEST_HTTP_SECRET"}, **companions) as source:
        assert PASSWORD in set(source.secrets())


def test_a_missing_environment_variable_is_a_config_error_naming_the_option_and_the_variable(
    server, monkeypatch
):
    monkeypatch.delenv("SPINE_TEST_HTTP_MISSING", raising=False)
    with pytest.raises(spine.ConfigError) as caught:
        open_http(server.to("/items"), token="env:SPINE_TEST_HTTP_MISSING")
    assert "token" in str(caught.value)
    assert "SPINE_TEST_HTTP_MISSING" in str(caught.value)
    assert server.requests == []


# -- another host ----------------------------------------------------------------------------------


def test_a_next_page_on_another_host_is_refused_when_credentials_are_set(server, other_server):
    elsewhere = linked_pages(other_server, "/items", [items(2, 3)])
    url = server.route(
        "GET", "/items", lambda request: (200, {"Link": f'<{elsewhere}>; rel="next"'}, items(2))
    )
    with pytest.raises(spine.SourceError) as caught:
        read(url, token=TOKEN)
    assert "127.0.0.2" in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert other_server.requests == []


def test_a_next_url_on_another_host_is_refused_for_a_query_api_key_too(server, other_server):
    elsewhere = linked_pages(other_server, "/items", [items(2, 3)])
    url = server.route("GET", "/items", lambda request: (200, {}, {"data": items(2), "next": elsewhere}))
    with pytest.raises(spine.SourceError):
        read(url, paginate="next_url", api_key=API_KEY, api_key_in="query")
    assert other_server.requests == []


def test_without_credentials_a_next_page_on_another_host_is_followed(server, other_server):
    elsewhere = linked_pages(other_server, "/items", [items(2, 3)])
    url = server.route(
        "GET", "/items", lambda request: (200, {"Link": f'<{elsewhere}>; rel="next"'}, items(2))
    )
    assert read(url).rows == rows_of(items(4))
    assert len(other_server.requests) == 1


@pytest.mark.parametrize("name", ["token", "basic", "api-key-header", "api-key-query"])
def test_a_redirect_to_another_host_never_carries_the_credentials(server, other_server, name):
    elsewhere = other_server.route("GET", "/items", lambda request: (200, {}, items(2)))
    url = server.route("GET", "/items", lambda request: (302, {"Location": elsewhere}, ""))
    options, secrets = options_for(name, server)
    with contextlib.suppress(spine.SourceError):  # refusing to follow is fine too
        read(url, **options)
    assert len(server.requests) == 1
    for request in other_server.requests:
        for secret in secrets:
            assert secret not in repr(request.headers) + request.target


def test_a_secret_in_the_url_itself_is_masked_in_describe_and_in_errors(server):
    server.route("GET", "/items", lambda request: (404, {}, {"error": "no such list"}))
    url = server.to(f"/items?status=open&access_token={TOKEN}")
    with open_http(url) as source:
        assert TOKEN not in source.describe()
    with pytest.raises(spine.SourceError) as caught:
        read(url)
    assert "/items" in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert server.requests[0].query["access_token"] == TOKEN  # sent all the same


# -- credentials echoed back -----------------------------------------------------------------------


def echoed_headers(server, status):
    """/items answering `status` with the request's headers, as some APIs do."""
    return server.route("GET", "/items", lambda request: (status, {}, {"received": request.headers}))


@pytest.mark.parametrize("status", [400, 401])
def test_basic_credentials_echoed_in_base64_are_masked_in_the_error(server, status):
    url = echoed_headers(server, status)
    pair = base64.b64encode(f"ann:{PASSWORD}".encode()).decode()
    with pytest.raises(spine.SourceError) as caught:
        read(url, username="ann", password=PASSWORD)
    assert server.requests[0].headers["authorization"] == f"Basic {pair}"
    assert "Basic ***" in str(caught.value)
    assert pair[:8] not in str(caught.value)  # not even the start of it, the excerpt cut short


def test_the_secrets_of_basic_and_oauth2_include_the_pairs_sent_in_base64(server):
    with open_http(server.to("/items"), username="ann", password=PASSWORD) as source:
        assert f"ann:{PASSWORD}" in source.secrets()
    oauth2 = {"client_id": "client-7", "client_secret": CLIENT_SECRET, "token_url": server.to("/oauth/token")}
    with open_http(server.to("/items"), **oauth2) as source:
        assert f"client-7:{CLIENT_SECRET}" in source.secrets()
