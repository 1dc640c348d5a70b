"""Request options (headers, parameters, method, body), the config file, and options refused by name."""

from __future__ import annotations

import pytest
import spine
from spine_source_http._source import open_http

from .http_helpers import items, offset_api, read, rows_of

ITEMS = items(5)


def test_headers_and_params_from_code_go_with_every_request(server):
    url = server.route("GET", "/items", offset_api(ITEMS))
    read(url, paginate="offset", page_size=2, headers={"X-Trace": "t-1"}, params={"status": "open"})
    assert len(server.requests) == 4
    assert all(request.headers.get("x-trace") == "t-1" for request in server.requests)
    assert all(request.query.get("status") == "open" for request in server.requests)


def test_header_and_param_options_from_the_command_line_mean_the_same(server):
    url = server.route("GET", "/items", offset_api(ITEMS))
    options = {"paginate": "offset", "page_size": "2", "header.X-Trace": "t-1", "param.status": "open"}
    assert read(url, **options).rows == rows_of(ITEMS)
    assert all(request.headers.get("x-trace") == "t-1" for request in server.requests)
    assert all(request.query.get("status") == "open" for request in server.requests)


def test_params_are_added_to_those_already_in_the_url(server):
    url = server.route("GET", "/items", lambda request: (200, {}, ITEMS))
    read(f"{url}?region=eu", params={"status": "open"})
    assert server.requests[0].query == {"region": "eu", "status": "open"}


def test_a_body_makes_a_post_and_json_text_means_the_same_as_a_dict(server):
    url = server.route("POST", "/search", lambda request: (200, {}, ITEMS))
    read(url, body={"filter": {"status": "open"}, "fields": ["id", "name"]})
    read(url, body='{"filter": {"status": "open"}, "fields": ["id", "name"]}')
    assert [request.method for request in server.requests] == ["POST", "POST"]
    assert [request.body for request in server.requests] == [
        {"filter": {"status": "open"}, "fields": ["id", "name"]}
    ] * 2
    assert all(request.headers["content-type"].startswith("application/json") for request in server.requests)


def test_the_method_is_get_by_default_and_post_when_asked(server):
    server.route("GET", "/items", lambda request: (200, {}, ITEMS))
    server.route("POST", "/items", lambda request: (200, {}, ITEMS))
    read(server.to("/items"))
    read(server.to("/items"), method="POST")
    assert [request.method for request in server.requests] == ["GET", "POST"]


def test_verify_false_is_accepted(server):
    url = server.route("GET", "/items", lambda request: (200, {}, ITEMS))
    assert read(url, verify="false").rows == rows_of(ITEMS)


# -- the config file -------------------------------------------------------------------------------

CONFIG = """\
paginate = "offset"
page_size = 2
max_page_size = 500
records = "data.items"
token = "env:SPINE_TEST_HTTP_TOKEN"

[header]
X-Trace = "from-file"

[param]
status = "open"
"""


def _enveloped(request):
    offset, limit = int(request.query["offset"]), int(request.query["limit"])
    return 200, {}, {"data": {"items": ITEMS[offset : offset + limit]}}


def test_a_toml_config_file_holds_options(server, tmp_path, monkeypatch):
    monkeypatch.setenv("SPINE_TEST_HTTP_TOKEN", "tok-from-env")
    (tmp_path / "fills.toml").write_text(CONFIG)
    url = server.route("GET", "/fills", _enveloped)
    assert read(url, config=str(tmp_path / "fills.toml")).rows == rows_of(ITEMS)
    assert [request.query for request in server.requests] == [
        {"offset": str(offset), "limit": "2", "status": "open"} for offset in (0, 2, 4, 5)
    ]
    assert {request.headers["x-trace"] for request in server.requests} == {"from-file"}
    assert {request.headers["authorization"] for request in server.requests} == {"Bearer tok-from-env"}


def test_options_given_beside_the_config_file_win(server, tmp_path, monkeypatch):
    monkeypatch.setenv("SPINE_TEST_HTTP_TOKEN", "tok-from-env")
    (tmp_path / "fills.toml").write_text(CONFIG)
    url = server.route("GET", "/fills", _enveloped)
    options = {"page_size": "3", "param.status": "closed", "header.X-Trace": "from-cli"}
    assert read(url, config=str(tmp_path / "fills.toml"), **options).rows == rows_of(ITEMS)
    assert [request.query for request in server.requests] == [
        {"offset": str(offset), "limit": "3", "status": "closed"} for offset in (0, 3, 5)
    ]
    assert {request.headers["x-trace"] for request in server.requests} == {"from-cli"}


@pytest.mark.parametrize(
    ("text", "named"),
    [(None, "config"), ("paginate = [", "config"), ('pagesize = "3"\n', "pagesize")],
    ids=["missing", "not-toml", "unknown-option"],
)
def test_a_bad_config_file_is_a_config_error(server, tmp_path, text, named):
    path = tmp_path / "api.toml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(spine.ConfigError, match=named):
        open_http(server.to("/items"), config=str(path))
    assert server.requests == []


# -- bad options -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("paginate", "sideways"),
        ("page_size", "0"),
        ("page_size", "lots"),
        ("max_page_size", "-5"),
        ("max_pages", "none"),
        ("start_page", "first"),
        ("retries", "-1"),
        ("retry_budget", "forever"),
        ("backoff", "-0.5"),
        ("backoff_max", "x"),
        ("rate_limit", "0"),
        ("timeout", "soon"),
        ("format", "xml"),
        ("method", "DELETE"),
        ("auth", "kerberos"),
        ("api_key_in", "cookie"),
        ("page_in", "header"),
        ("body", "{not json"),
        ("types", "amount:number"),
        ("verify", "/no/such/ca-bundle.pem"),
    ],
)
def test_a_bad_value_is_a_config_error_naming_the_option(server, option, value):
    with pytest.raises(spine.ConfigError) as caught:
        open_http(server.to("/items"), **{option: value})
    assert option in str(caught.value)
    assert server.requests == []


def test_an_unknown_option_is_a_config_error_naming_it(server):
    with pytest.raises(spine.ConfigError, match="pagesize"):
        open_http(server.to("/items"), pagesize="3")


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"paginate": "cursor"}, "cursor_path"),
        ({"auth": "bearer"}, "token"),
        ({"username": "ann"}, "password"),
        ({"client_id": "c", "client_secret": "s3cret-value"}, "token_url"),
        ({"since_param": "since"}, "incremental_field"),
    ],
)
def test_an_option_that_needs_another_names_the_one_missing(server, options, named):
    with pytest.raises(spine.ConfigError, match=named):
        open_http(server.to("/items"), **options)


def test_a_load_with_a_bad_option_fails_before_any_run_starts(kernel, server):
    with pytest.raises(spine.ConfigError, match="paginate"):
        kernel.load(server.to("/items"), "items", options={"paginate": "sideways"})
    assert kernel.runlog().runs() == []
    assert server.requests == []
