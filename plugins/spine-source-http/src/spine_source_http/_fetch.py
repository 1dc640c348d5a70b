"""Sending one page's request: retries with backoff, Retry-After, a budget, a rate, deadlines, and errors."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

import httpx
import spine

from ._answer import BrokenAnswer
from ._auth import TokenUnavailable, make_auth
from ._options import HttpOptions
from ._watch import Watchdog

sleep = time.sleep  # every wait goes through here (tests replace it)
log = logging.getLogger("spine.source.http")

_EXCERPT = 300
# Failures that another try may not meet: the server was busy, or the network was.
_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError, TokenUnavailable)
_ERROR_TEXT = 4096  # bytes of an error answer read, at most, for the excerpt

T = TypeVar("T")


class Fetcher:
    """Sends requests on one keep-alive client, retrying what is worth retrying."""

    def __init__(
        self,
        options: HttpOptions,
        client: httpx.Client,
        redactor: spine.Redactor,
        hops: list[httpx.URL],
        watch: Watchdog,
        fetched: Callable[[str], None],
    ) -> None:
        self.options = options
        self.client = client
        self.watch = watch
        self.hops = hops  # the URLs one request was sent to, redirects followed (the client's hooks add them)
        self.auth = make_auth(options, fetched)
        self.redactor = redactor
        self.waited = 0.0  # seconds of the retry budget spent
        self._last_start: float | None = None

    def open(self, request: httpx.Request, where: str, start: Callable[[httpx.Response], T]) -> T:
        """`start` called on the answer to `request` (2xx or 3xx, its body not read yet), or a
        `SourceError` naming `where` (URL and page). A `BrokenAnswer` that `start` raises is
        retried like a failed request."""
        attempt = 0
        while True:
            self._keep_rate(where)
            self.hops.clear()
            self.watch.new_request()
            # The connect timeout too ends at the deadline; later waits are the watchdog's to cut.
            timeout = min(self.options.timeout, self.watch.left(where))
            request.extensions["timeout"] = httpx.Timeout(timeout).as_dict()
            try:
                with self.watch.waiting(where):
                    auth = self.auth or httpx.USE_CLIENT_DEFAULT
                    response = self.client.send(request, auth=auth, stream=True)
            except httpx.TooManyRedirects:
                raise self._redirect_loop(where) from None
            except _TRANSIENT as exc:
                failure, wait = self.redactor.text(_describe(exc)), self._backoff(attempt)
                context: dict[str, object] = {}
            else:
                if response.status_code < 400:
                    try:
                        return start(response)
                    except BrokenAnswer as exc:
                        failure, wait, context = self.redactor.text(str(exc)), self._backoff(attempt), {}
                    except BaseException:
                        response.close()
                        raise
                    response.close()
                else:
                    if response.status_code != 429 and response.status_code < 500:
                        raise self._refused(response, where)
                    response.close()
                    failure = f"HTTP {response.status_code} {response.reason_phrase}"
                    context = {"status": response.status_code}
                    asked = spine.retry_after(response.headers.get("Retry-After"))
                    wait = self._backoff(attempt) if asked is None else asked
            attempt += 1
            if attempt > self.options.retries:
                raise spine.SourceError(
                    f"{where}: {failure}, still after {self.options.retries} retries",
                    retryable=True,
                    context={**context, "attempts": attempt},
                )
            left = self.options.retry_budget - self.waited
            if wait > left:
                raise spine.SourceError(
                    f"{where}: {failure}; the next try would be in {wait:g}s, more than the {left:g}s "
                    f"left of retry_budget ({self.options.retry_budget:g}s)",
                    retryable=True,
                    context={**context, "attempts": attempt},
                )
            self.watch.check(where, wait)
            self.waited += wait
            log.warning(
                "%s: %s; trying again in %.1fs (retry %d of %d)",
                where,
                failure,
                wait,
                attempt,
                self.options.retries,
            )
            sleep(wait)

    def _backoff(self, attempt: int) -> float:
        # Full jitter: clients that failed together do not retry together.
        return random.uniform(0, min(self.options.backoff_max, self.options.backoff * 2**attempt))

    def _keep_rate(self, where: str) -> None:
        if self.options.rate_limit is None:
            return
        now = time.monotonic()
        if self._last_start is not None:
            wait = self._last_start + 1 / self.options.rate_limit - now
            if wait > 0:
                self.watch.check(where, wait)
                sleep(wait)
                now += wait
        self._last_start = now

    def _redirect_loop(self, where: str) -> spine.SourceError:
        hops = [str(url) for url in self.hops]
        again = next((index for index, url in enumerate(hops) if url in hops[:index]), None)
        # A loop is shown once round; a long chain by its ends.
        shown = hops[: again + 1] if again is not None else [*hops[:3], "...", *hops[-2:]]
        return spine.SourceError(
            self.redactor.text(
                f"{where}: {self.client.max_redirects} redirects followed without reaching an answer"
                f"{' (they go round in a loop)' if again is not None else ''}: " + " -> ".join(shown)
            ),
            context={"redirects": len(hops) - 1},
        )

    def _refused(self, response: httpx.Response, where: str) -> spine.SourceError:
        status = response.status_code
        # Cut after masking, so that no secret is cut in two and half shown; whitespace
        # squeezed after that, so it counts at most twice the excerpt.
        start = self.redactor.excerpt(self._start_of(response, where), 2 * _EXCERPT)
        excerpt = " ".join(start.split())[:_EXCERPT]
        message = f"{where}: HTTP {status} {response.reason_phrase}"
        if status in (401, 403) and self.auth is None:
            message += " (the API wants credentials: see the auth options)"
        elif status == 401:
            message += " (the credentials were refused)"
        return spine.SourceError(
            message + (f"; the answer began: {excerpt}" if excerpt else ""),
            context={"status": status},
        )

    def _start_of(self, response: httpx.Response, where: str) -> str:
        """The start of an error answer, however long the answer is."""
        data = b""
        try:
            with self.watch.waiting(where):
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) >= _ERROR_TEXT:
                        break
        except (httpx.HTTPError, BrokenAnswer):
            pass  # what came is enough to show
        finally:
            response.close()
        return data.decode(response.encoding or "utf-8", "replace")


def _describe(exc: Exception) -> str:
    kinds: dict[type[Exception], str] = {
        httpx.ConnectTimeout: "connect timeout",
        httpx.ReadTimeout: "read timeout",
        httpx.WriteTimeout: "write timeout",
        httpx.PoolTimeout: "pool timeout",
    }
    kind = kinds.get(type(exc), type(exc).__name__)
    return f"{kind} ({exc})" if str(exc) else kind
