"""The Slack channel: one incoming webhook, paced, retried within the kernel's budget, its URL never shown."""

from __future__ import annotations

import logging
import threading
from typing import Any, NamedTuple

import httpx
import spine

from . import _retry
from ._message import slack_message
from ._settings import SlackSettings

log = logging.getLogger("spine.alert.slack")

# The loggers that may show the URL while a request is in flight: httpx logs each
# request's URL, httpcore (at debug) the answer's headers, a redirect's Location included.
_LIBRARY_LOGS = (logging.getLogger("httpx"), logging.getLogger("httpcore.http11"))
_EXCERPT = 300
# Failures another try may not meet: Slack or the network was busy.
_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
_HINTS = {
    "invalid_payload": "Slack refused the message's shape: a spine bug, please report it",
    "no_service": "the webhook was removed or the URL is wrong: set SPINE_SLACK_WEBHOOK_URL to a new one",
    "channel_not_found": "the webhook's channel was deleted: make a new webhook",
    "channel_is_archived": "unarchive the channel or make a new webhook",
    "action_prohibited": "a workspace admin restricted posting to this channel",
    "invalid_token": "the webhook was revoked: make a new webhook",
}


def open_slack(kernel: spine.Spine) -> SlackChannel | None:
    """The factory registered as the ``slack`` channel: None while no webhook URL is set.

    Raises `spine.ConfigError` naming the setting (never its value) when a setting is invalid.
    """
    settings = kernel.plugin_settings(SlackSettings)
    return None if settings.slack_webhook_url is None else SlackChannel(settings)


class SlackChannel(spine.AlertChannel):
    """Posts alerts to a Slack incoming webhook as Block Kit messages."""

    def __init__(self, settings: SlackSettings) -> None:
        if settings.slack_webhook_url is None:
            raise spine.ConfigError("slack_webhook_url: expected a Slack incoming webhook URL, got none")
        self.settings = settings
        self._webhook = settings.slack_webhook_url.get_secret_value()
        self._url = httpx.URL(self._webhook)
        self._pace_key = _retry.Pacing.key(self._webhook)
        self._redactor = spine.Redactor(self.secrets())
        self._masking = spine.RedactingFilter(self._redactor)
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SlackChannel({self.describe()!r})"

    # -- spine.AlertChannel ----------------------------------------------------------------

    def send(self, alert: spine.Alert, timeout: float) -> str:
        deadline = _retry.monotonic() + timeout
        payload = slack_message(alert)
        client = self._open()
        failed: _Failed | None = None
        attempt = 0
        while True:
            if failed is not None:
                wait = _retry.backoff(attempt) if failed.asked is None else failed.asked
                if _retry.monotonic() + wait >= deadline:
                    raise self._out_of_time(timeout, failed, f"the next try was due in {wait:.1f}s")
                log.warning(
                    "%s; trying again in %.1fs (attempt %d of %d)",
                    failed.answered,
                    wait,
                    attempt + 1,
                    self.settings.slack_max_attempts,
                )
                _retry.sleep(wait)
            paced = _retry.PACING.reserve(self._pace_key, self.settings.slack_min_interval, deadline)
            if paced is None:
                raise self._out_of_time(timeout, failed, "waiting for its turn on this webhook")
            if paced:
                _retry.sleep(paced)
            left = deadline - _retry.monotonic()
            if left <= 0:
                raise self._out_of_time(timeout, failed, "no time was left for a request")
            attempt += 1
            outcome = self._try(client, payload, min(self.settings.slack_timeout, left), attempt)
            if isinstance(outcome, str):
                return outcome
            failed = outcome
            if attempt >= self.settings.slack_max_attempts:
                raise spine.AlertError(
                    f"{failed.answered}, still after {attempt} attempts",
                    retryable=True,
                    context=failed.context,
                )

    def describe(self) -> str:
        port = f":{self._url.port}" if self._url.port else ""
        return f"Slack webhook on {self._url.host}{port}"

    def secrets(self) -> list[str]:
        # A log line may show the whole URL, its normalised form, or only its path.
        path = self._url.raw_path.decode("ascii")
        found = [self._webhook, str(self._url), path, self._url.path]
        return [secret for index, secret in enumerate(found) if secret != "/" and secret not in found[:index]]

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
                for logger in _LIBRARY_LOGS:
                    logger.removeFilter(self._masking)

    # -- sending ---------------------------------------------------------------------------

    def _open(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                for logger in _LIBRARY_LOGS:
                    logger.addFilter(self._masking)
                self._client = httpx.Client(
                    follow_redirects=False, headers={"User-Agent": spine.user_agent("spine-alert-slack")}
                )
            return self._client

    def _try(self, client: httpx.Client, payload: Any, timeout: float, attempt: int) -> str | _Failed:
        """Slack's answer to one request; a `_Failed` when another try may succeed."""
        try:
            response = client.post(self._url, json=payload, timeout=timeout)
        except _TRANSIENT as exc:
            return _Failed(f"no answer from Slack ({self._describe_error(exc)})", {"attempts": attempt}, None)
        except httpx.HTTPError as exc:
            raise spine.AlertError(
                f"cannot send to Slack: {self._describe_error(exc)}", context={"attempts": attempt}
            ) from None
        status = response.status_code
        error = self._excerpt(response.text)
        if 200 <= status < 300:
            return _answer(status, error, attempt)
        if status != 429 and status < 500:
            raise self._refused(response, error, attempt)
        return _Failed(
            f"Slack answered {status} {error or response.reason_phrase}",
            {"status": status, "error": error, "attempts": attempt},
            spine.retry_after(response.headers.get("Retry-After")) if status == 429 else None,
        )

    def _refused(self, response: httpx.Response, error: str, attempt: int) -> spine.AlertError:
        status = response.status_code
        if 300 <= status < 400:
            hint = "spine follows no redirect: set the https:// webhook URL that Slack gave"
        else:
            hint = _HINTS.get(error) or (_HINTS["no_service"] if status == 404 else "")
        message = f"Slack answered {status} {error or response.reason_phrase}"
        if hint:
            message += f" ({hint})"
        return spine.AlertError(message, context={"status": status, "error": error, "attempts": attempt})

    def _out_of_time(self, timeout: float, failed: _Failed | None, why: str) -> spine.AlertError:
        answered = "nothing was sent to Slack" if failed is None else failed.answered
        return spine.AlertError(
            f"{answered}; the alert budget of {timeout:.1f}s ran out ({why})",
            retryable=True,
            context={} if failed is None else failed.context,
        )

    def _describe_error(self, exc: httpx.HTTPError) -> str:
        # httpx errors may hold the URL: only their masked text is shown.
        detail = self._excerpt(str(exc))
        return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__

    def _excerpt(self, text: str) -> str:
        # Masked before it is clipped: a clipped secret would no longer be recognised.
        text = " ".join(self._redactor.text(text).split())
        return text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"


class _Failed(NamedTuple):
    """A try worth repeating: what Slack answered, and the wait it asked for (None: back off)."""

    answered: str
    context: dict[str, Any]
    asked: float | None


def _answer(status: int, body: str, attempt: int) -> str:
    answer = body or f"HTTP {status}"
    return answer if attempt == 1 else f"{answer} after {attempt} attempts"
