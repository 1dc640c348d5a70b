"""Alerts, and the contract of the channels that deliver them.

An `Alert` is what happened (severity, title, text, the pipeline and run it concerns,
labelled fields); the kernel's router (`_router`) decides which channels get it,
suppresses repeats and records every outcome as a `Delivery` in the store. A channel
plugin implements `AlertChannel` and registers an `AlertChannelSpec` whose factory is
called as ``factory(kernel)``: it returns the channel, or None when the channel is
installed but not configured (no webhook URL set).
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from .._errors import ConfigError


class Severity(StrEnum):
    """How bad it is, in increasing order: compare with `rank` or `at_least`."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank

    @classmethod
    def parse(cls, value: Any, what: str = "severity") -> Severity:
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise ConfigError(
                f"{what}: expected one of {', '.join(cls)}, got {value!r}", context={"field": what}
            ) from None


_RANKS = {severity: rank for rank, severity in enumerate(Severity)}


class DeliveryStatus(StrEnum):
    SENDING = "sending"  # only in the history: handed to the channel, no answer yet (or the process died)
    SENT = "sent"
    SUPPRESSED = "suppressed"  # a repeat within the window, or over the channel's rate limit
    FAILED = "failed"
    UNKNOWN = "unknown"  # only read back: the record's status is damaged (see spine._records._damaged)


@dataclass(frozen=True)
class Alert:
    """Something people should know about, for the channels the routing rules choose.

    ``dedup_key`` tells repeats apart: alerts with the same key within the window are
    sent once per channel (default: the pipeline and the title). ``fields`` are short
    labelled facts (``{"Rows read": "1,204"}``), in order. ``url`` links to the run
    when ``alert_run_url`` is set. The router fills ``suppressed`` (repeats of this
    alert held back since the last one sent, the first of them at ``suppressed_since``)
    and ``held_back`` (other alerts this channel dropped for its rate limit) on the copy
    each channel receives.
    """

    severity: Severity
    title: str
    text: str = ""
    pipeline: str | None = None
    run_id: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    dedup_key: str = ""
    url: str | None = None
    suppressed: int = 0
    suppressed_since: datetime | None = None
    held_back: int = 0
    raised_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    alert_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", Severity.parse(self.severity, "alert severity"))
        if not isinstance(self.title, str) or not self.title.strip():
            raise ConfigError("alert title: expected a non-empty text", context={"field": "title"})
        object.__setattr__(self, "fields", {str(k): str(v) for k, v in self.fields.items()})
        if not self.dedup_key:
            object.__setattr__(self, "dedup_key", f"{self.pipeline or '-'}:{self.title}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "alert_id": self.alert_id,
            "severity": self.severity.value,
            "title": self.title,
            "text": self.text,
            "pipeline": self.pipeline,
            "run_id": self.run_id,
            "fields": dict(self.fields),
            "dedup_key": self.dedup_key,
            "url": self.url,
            "suppressed": self.suppressed,
            "held_back": self.held_back,
            "raised_at": self.raised_at.isoformat(),
        }


@dataclass(frozen=True)
class Delivery:
    """What became of one alert on one channel: its status and the channel's answer
    (Slack's ``ok``, the error it answered, or why the alert was suppressed)."""

    alert: Alert
    channel: str
    status: DeliveryStatus
    answer: str
    finished_at: datetime | None = None

    @property
    def ok(self) -> bool:
        """True unless the channel failed: a suppressed alert is alerting working as asked."""
        return self.status is not DeliveryStatus.FAILED

    def to_dict(self) -> dict[str, Any]:
        """The JSON form printed by ``spine alerts history --json`` and ``spine alerts test --json``."""
        return {
            "channel": self.channel,
            "status": self.status.value,
            "answer": self.answer,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            **self.alert.to_dict(),
        }


class AlertChannel(ABC):
    """Delivers alerts to one destination (a Slack webhook, a log, a pager).

    The kernel calls `send` from a worker thread and gives up waiting after the
    timeout, so a channel must not block longer than it is given. A channel never
    puts a secret (a token, a webhook URL) in its answers, errors or `describe`;
    `secrets` lists them so that the kernel masks them everywhere else.
    """

    @abstractmethod
    def send(self, alert: Alert, timeout: float) -> str:
        """Deliver `alert` within `timeout` seconds and return the destination's answer
        (``"ok"``). Raise `AlertError` when it cannot, with what the destination
        answered and ``retryable`` set when trying again later may succeed."""

    def describe(self) -> str:
        """Where alerts go, without secrets (``"Slack webhook on hooks.slack.com"``)."""
        return type(self).__name__

    def secrets(self) -> list[str]:
        """Values the kernel must mask in everything it logs, records or prints."""
        return []

    def close(self) -> None:  # noqa: B027 - optional
        """Release connections; safe to call more than once."""
