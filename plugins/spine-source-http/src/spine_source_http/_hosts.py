"""Where the source's credentials may go: the API's host, and the token URL's for OAuth2,
never a host the user did not name, which a redirect or a next page may lead to."""

from __future__ import annotations

import httpx
import spine

from ._options import HttpOptions, secret_header


class CredentialGuard:
    """Keeps credentials on the hosts named: `url`'s, and the token URL's."""

    def __init__(self, url: httpx.URL, options: HttpOptions, secrets: list[str], shown: str) -> None:
        self._url = url
        self._secrets = secrets  # the source's own list, which a token obtained later joins
        self._shown = shown
        self._homes = {_origin(url), *([_origin(httpx.URL(options.token_url))] if options.token_url else [])}
        self._key_header = options.key_name.lower() if options.auth == "api_key" else None

    def refuse_other_hosts(self, target: httpx.URL, where: str) -> None:
        """Refuse a next page on another host while there are credentials that would go with it."""
        if _origin(target) != _origin(self._url) and self._secrets:
            raise spine.SourceError(
                f"{where}: the next page is on {target.scheme}://{target.host}, not on the host of "
                f"{self._shown}; spine does not send credentials to a host you did not name"
            )

    def keep_credentials_home(self, request: httpx.Request) -> None:
        """Strip credentials from a request to a host we did not name (a redirect
        elsewhere): httpx itself strips only Authorization."""
        if _origin(request.url) not in self._homes:
            for name in [name for name in request.headers if secret_header(name) or name == self._key_header]:
                del request.headers[name]


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port
