"""Every way of authenticating: bearer, basic, API keys (header or query), OAuth2 client credentials."""

from __future__ import annotations

import base64

import pytest
import spine

from .http_helpers import items, linked_pages, read, rows_of

ITEMS = items(6)
PAGES = [ITEMS[:2], ITEMS[2:4], ITEMS[4:]]


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_a_token_is_sent_as_a_bearer_authorization_on_every_page(server):
    url = linked_pages(server, "/items", PAGES)
    assert read(url, token="t0k-abc.123").rows == rows_of(ITEMS)
    assert [request.headers.get("authorization") for request in server.requests] == ["Bearer t0k-abc.123"] * 3


def test_a_username_and_password_are_sent_as_http_basic_on_every_page(server):
    url = linked_pages(server, "/items", PAGES)
    assert read(url, username="ann", password="pa:ss wörd").rows == rows_of(ITEMS)
    assert [request.headers.get("authorization") for request in server.requests] == [
        basic("ann", "pa:ss wörd")
    ] * 3


def test_an_explicit_auth_style_uses_the_credentials_given(server):
    url = linked_pages(server, "/items", PAGES)
    read(url, auth="basic", username="ann", password="secret-pw")
    assert {request.headers.get("authorization") for request in server.requests} == {
        basic("ann", "secret-pw")
    }


def test_an_api_key_goes_in_the_x_api_key_header_by_default(server):
    url = linked_pages(server, "/items", PAGES)
    assert read(url, api_key="k-123456").rows == rows_of(ITEMS)
    assert [request.headers.get("x-api-key") for request in server.requests] == ["k-123456"] * 3
    assert all("api_key" not in request.query for request in server.requests)
    assert all("authorization" not in request.headers for request in server.requests)


def test_the_api_key_header_can_be_renamed(server):
    url = linked_pages(server, "/items", PAGES)
    read(url, api_key="k-123456", api_key_name="X-Access-Key")
    assert [request.headers.get("x-access-key") for request in server.requests] == ["k-123456"] * 3
    assert all("x-api-key" not in request.headers for request in server.requests)


def test_an_api_key_in_the_query_is_sent_with_every_page_and_not_as_a_header(server):
    url = linked_pages(server, "/items", PAGES)  # the next links do not carry the key
    assert read(url, api_key="k-123456", api_key_in="query").rows == rows_of(ITEMS)
    assert [request.query.get("api_key") for request in server.requests] == ["k-123456"] * 3
    assert all("x-api-key" not in request.headers for request in server.requests)


def test_the_query_api_key_can_be_renamed(server):
    url = linked_pages(server, "/items", PAGES)
    read(url, api_key="k-123456", api_key_in="query", api_key_name="key")
    assert [request.query.get("key") for request in server.requests] == ["k-123456"] * 3
    assert all("api_key" not in request.query for request in server.requests)


def test_without_credentials_no_authorization_is_sent(server):
    url = linked_pages(server, "/items", PAGES)
    read(url)
    assert all("authorization" not in request.headers for request in server.requests)


# -- OAuth2 client credentials ---------------------------------------------------------------------

CLIENT_ID, CLIENT_SECRET = "client-7", "cl1ent-s3cret"


class OAuthApi:
    """A token endpoint (client credentials, HTTP basic client auth) and an API that wants its tokens.

    `expires_in` is what each token answer says; `refuse` lists tokens the API answers
    401 to (revoked early); `advance` moves the clock after each API page (by page number).
    """

    def __init__(self, server, *, expires_in=3600, refuse=(), clock=None, advance=None, busy=0):
        self.server, self.expires_in, self.refuse = server, expires_in, set(refuse)
        self.clock, self.advance = clock, advance or {}
        self.busy = busy  # how many token requests answer 503 first
        self.issued: list[str] = []
        server.route("POST", "/oauth/token", self.token)
        self.url = server.route("GET", "/items", self.api)

    def token(self, request):
        if self.busy:
            self.busy -= 1
            return 503, {}, "busy"
        if request.headers.get("authorization") != basic(CLIENT_ID, CLIENT_SECRET):
            return 401, {}, {"error": "invalid_client"}
        if not isinstance(request.body, dict) or request.body.get("grant_type") != "client_credentials":
            return 400, {}, {"error": "unsupported_grant_type"}
        self.issued.append(f"access-{len(self.issued) + 1}")
        return (
            200,
            {},
            {"access_token": self.issued[-1], "token_type": "Bearer", "expires_in": self.expires_in},
        )

    def api(self, request):
        given = request.headers.get("authorization", "")
        token = given.removeprefix("Bearer ")
        if not given.startswith("Bearer ") or token not in self.issued or token in self.refuse:
            return 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}, {"error": "invalid_token"}
        number = int(request.query.get("page", "1"))
        if number in self.advance:
            self.clock.now += self.advance[number]
        headers = {"Link": f'</items?page={number + 1}>; rel="next"'} if number < len(PAGES) else {}
        return 200, headers, PAGES[number - 1]

    def options(self, **more):
        return {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "token_url": self.server.to("/oauth/token"),
            **more,
        }

    def api_tokens(self):
        return [request.headers.get("authorization") for request in self.server.seen("/items")]


def test_oauth2_fetches_a_token_with_the_client_credentials_and_reuses_it_on_every_page(server, clock):
    api = OAuthApi(server)
    assert read(api.url, **api.options(scope="read:items")).rows == rows_of(ITEMS)
    (token_request,) = server.seen("/oauth/token")
    assert token_request.method == "POST"
    assert token_request.headers["authorization"] == basic(CLIENT_ID, CLIENT_SECRET)
    assert token_request.body["grant_type"] == "client_credentials"
    assert token_request.body["scope"] == "read:items"
    assert CLIENT_SECRET not in str(token_request.body)
    assert api.api_tokens() == ["Bearer access-1"] * 3


def test_oauth2_fetches_a_new_token_60_seconds_before_the_old_one_expires(server, clock):
    # page 1 takes 3000 s: the token (3600 s) is still good; page 2 takes 541 s more:
    # 3541 s is past 3600 - 60, so page 3 needs a new one.
    api = OAuthApi(server, clock=clock, advance={1: 3000, 2: 541})
    assert read(api.url, **api.options()).rows == rows_of(ITEMS)
    assert api.issued == ["access-1", "access-2"]
    assert api.api_tokens() == ["Bearer access-1", "Bearer access-1", "Bearer access-2"]


def test_oauth2_fetches_a_new_token_once_on_a_401_and_tries_the_request_again(server, clock, waits):
    api = OAuthApi(server, refuse={"access-1"})  # revoked before it expired
    assert read(api.url, **api.options()).rows == rows_of(ITEMS)
    assert api.issued == ["access-1", "access-2"]
    assert api.api_tokens() == ["Bearer access-1", "Bearer access-2", "Bearer access-2", "Bearer access-2"]
    assert [request.target for request in server.seen("/items")][:2] == ["/items", "/items"]


def test_oauth2_a_second_401_fails_with_a_source_error(server, clock):
    api = OAuthApi(server, refuse={"access-1", "access-2", "access-3"})
    with pytest.raises(spine.SourceError, match="401") as caught:
        read(api.url, **api.options())
    assert api.issued == ["access-1", "access-2"]
    assert len(server.seen("/items")) == 2
    assert CLIENT_SECRET not in str(caught.value)


def test_oauth2_a_token_endpoint_that_refuses_the_client_is_a_source_error(server, clock):
    api = OAuthApi(server)
    with pytest.raises(spine.SourceError, match="401") as caught:
        read(api.url, **api.options(client_secret="not-the-secret"))
    assert server.seen("/items") == []
    assert "not-the-secret" not in str(caught.value)


def test_oauth2_a_token_that_lives_under_two_minutes_is_used_for_half_its_life(server, clock):
    # expires_in 100: good for 50 s. Page 1 takes 55 s, so page 2 needs a new token.
    api = OAuthApi(server, expires_in=100, clock=clock, advance={1: 55})
    assert read(api.url, **api.options()).rows == rows_of(ITEMS)
    assert api.api_tokens()[:2] == ["Bearer access-1", "Bearer access-2"]


def test_oauth2_a_busy_token_url_is_tried_again(server, clock, waits):
    api = OAuthApi(server, busy=1)
    assert read(api.url, **api.options()).rows == rows_of(ITEMS)
    assert len(server.seen("/oauth/token")) == 2
    assert len(waits) == 1
    assert api.api_tokens() == ["Bearer access-1"] * 3
