"""Fixtures for the Slack channel tests: a fake Slack on a real HTTP server, a fake clock, the CLI.

Every test talks to a real server on 127.0.0.1; nothing mocks the HTTP client. Tests
about pacing and backoff run on a fake clock whose sleeps only move it forward.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from spine.testing import HttpServer
from spine_alert_slack import _retry
from spine_alert_slack._channel import SlackChannel
from spine_alert_slack._settings import SlackSettings

from ..fixtures import clean_env, server, spine_cli, time_limit
from .slack_helpers import FakeSlack

__all__ = ["clean_env", "server", "spine_cli", "time_limit"]  # fixtures, used by name


@pytest.fixture(autouse=True)
def fresh_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    """No webhook was used before the test (a port of an earlier test's server may come back)."""
    monkeypatch.setattr(_retry, "PACING", _retry.Pacing())


@pytest.fixture
def slack(server: HttpServer) -> FakeSlack:
    """A Slack incoming webhook at /services/T0SECRET/B0SECRET/XXXXSECRETXXXX."""
    return FakeSlack(server)


class FakeClock:
    """A monotonic clock that moves only when something sleeps; the sleeps are kept."""

    def __init__(self) -> None:
        self.now = 5000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, f"asked to sleep {seconds}s"
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch, slack: FakeSlack) -> FakeClock:
    """The channel's clock and sleep, faked; the fake Slack stamps arrivals with it."""
    fake = FakeClock()
    monkeypatch.setattr(_retry, "monotonic", fake.monotonic)
    monkeypatch.setattr(_retry, "sleep", fake.sleep)
    slack.clock = fake.monotonic
    return fake


@pytest.fixture
def make_channel() -> Iterator[Callable[..., SlackChannel]]:
    """Build channels on a webhook URL (no pacing unless asked); all closed after the test."""
    made: list[SlackChannel] = []

    def make(url: str, **settings: Any) -> SlackChannel:
        channel = SlackChannel(SlackSettings(slack_webhook_url=url, **{"slack_min_interval": 0, **settings}))
        made.append(channel)
        return channel

    yield make
    for channel in made:
        channel.close()
