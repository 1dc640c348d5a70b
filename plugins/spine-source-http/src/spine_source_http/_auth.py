"""The four ways of proving who we are, as httpx auth flows."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Generator

import httpx
import spine

from ._options import HttpOptions

monotonic = time.monotonic  # the token cache's clock (tests move it)

# A token is used until this long before it expires, so that it cannot lapse in flight.
EXPIRY_MARGIN = 60.0


class TokenUnavailable(Exception):
    """The token URL failed in a way worth retrying (429, 5xx)."""


class _Header(httpx.Auth):
    def __init__(self, name: str, value: str) -> None:
        self.name, self.value = name, value

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self.name] = self.value
        yield request


class _QueryKey(httpx.Auth):
    def __init__(self, name: str, value: str) -> None:
        self.name, self.value = name, value

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.url = request.url.copy_set_param(self.name, self.value)
        yield request


class ClientCredentials(httpx.Auth):
    """OAuth2 client credentials: a token from the token URL, kept until shortly before
    it expires, and fetched again once when the API answers 401 anyway."""

    requires_response_body = True  # the token URL's answer is read inside the flow

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        scope: str | None,
        fetched: Callable[[str], None],
    ) -> None:
        self.token_url, self.scope, self._fetched = token_url, scope, fetched
        pair = f"{client_id}:{client_secret}".encode()
        self._basic = "Basic " + base64.b64encode(pair).decode()
        self._token: str | None = None
        self._good_until = 0.0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._token is None or monotonic() >= self._good_until:
            yield from self._fetch_token()
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401:
            yield from self._fetch_token()
            request.headers["Authorization"] = f"Bearer {self._token}"
            yield request

    def _fetch_token(self) -> Generator[httpx.Request, httpx.Response, None]:
        form = {"grant_type": "client_credentials", **({"scope": self.scope} if self.scope else {})}
        response = yield httpx.Request(
            "POST",
            self.token_url,
            data=form,
            headers={"Authorization": self._basic, "Accept": "application/json"},
        )
        if response.status_code == 429 or response.status_code >= 500:
            raise TokenUnavailable(f"the token URL {self.token_url} answered {response.status_code}")
        try:
            reply = response.json()
            token, lifetime = reply["access_token"], float(reply.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError):
            token = None
        if response.status_code != 200 or not isinstance(token, str) or not token:
            raise spine.SourceError(
                f"the token URL {self.token_url} refused the client credentials: HTTP {response.status_code}"
                f" {response.reason_phrase}; expected 200 with a JSON access_token",
                context={"url": self.token_url, "status": response.status_code},
            )
        self._token = token
        self._fetched(token)  # a secret made during the run: masked from here on like the given ones
        # A short-lived token is used for half its life instead.
        self._good_until = monotonic() + max(lifetime - EXPIRY_MARGIN, lifetime / 2)


def sent_secrets(options: HttpOptions) -> list[str]:
    """The credentials given, and the ``id:secret`` pairs that HTTP basic authentication
    sends (in base64, which the redactor masks with every other form of a secret)."""
    pairs = []
    if options.auth == "basic" and options.password is not None:
        pairs.append(f"{options.username}:{options.password.get_secret_value()}")
    if options.auth == "oauth2" and options.client_secret is not None:
        pairs.append(f"{options.client_id}:{options.client_secret.get_secret_value()}")
    return options.secrets() + pairs


def make_auth(options: HttpOptions, fetched: Callable[[str], None]) -> httpx.Auth | None:
    """The auth flow of `options`; `fetched` is told each secret the flow obtains (OAuth2 tokens)."""

    def secret(option: str) -> str:
        return str(getattr(options, option).get_secret_value())

    if options.auth == "bearer":
        return _Header("Authorization", f"Bearer {secret('token')}")
    if options.auth == "basic":
        return httpx.BasicAuth(options.username or "", secret("password"))
    if options.auth == "api_key":
        if options.api_key_in == "header":
            return _Header(options.key_name, secret("api_key"))
        return _QueryKey(options.key_name, secret("api_key"))
    if options.auth == "oauth2":
        assert options.token_url and options.client_id, "checked by HttpOptions"
        return ClientCredentials(
            options.token_url, options.client_id, secret("client_secret"), options.scope, fetched
        )
    return None
