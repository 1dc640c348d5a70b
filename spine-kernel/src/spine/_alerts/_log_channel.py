"""The built-in ``log`` alert channel: alerting that works with nothing else installed."""

from __future__ import annotations

import logging
from typing import Any

from ._model import Alert, AlertChannel, Severity

_LEVELS = {
    Severity.INFO: logging.INFO,
    Severity.WARNING: logging.WARNING,
    Severity.ERROR: logging.ERROR,
    Severity.CRITICAL: logging.CRITICAL,
}


class LogChannel(AlertChannel):
    """Alerts as records of the ``spine.alerts`` logger, at the alert's severity.

    The CLI prints them on stderr with the other log lines; an embedding application
    sends them wherever its logging goes. The message has every part of the alert on
    one line.
    """

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger("spine.alerts")

    def send(self, alert: Alert, timeout: float) -> str:
        self.logger.log(_LEVELS[alert.severity], "%s", line(alert))
        return "logged"

    def describe(self) -> str:
        return f"log records of {self.logger.name!r}"


def open_log(kernel: Any) -> LogChannel:
    """The channel's factory: it needs no settings, so it is always configured."""
    return LogChannel()


def line(alert: Alert) -> str:
    """Every part of an alert on one line."""
    parts = [f"alert [{alert.severity.value}] {alert.title}" + (f": {alert.text}" if alert.text else "")]
    if alert.pipeline:
        parts.append(f"pipeline {alert.pipeline}")
    if alert.run_id:
        parts.append(f"run {alert.run_id}")
    parts += [f"{label}: {value}" for label, value in alert.fields.items()]
    if alert.suppressed:
        since = f" since {alert.suppressed_since:%Y-%m-%d %H:%M} UTC" if alert.suppressed_since else ""
        parts.append(f"{alert.suppressed} similar alert(s) suppressed{since}")
    if alert.held_back:
        parts.append(f"{alert.held_back} other alert(s) held back by the rate limit")
    if alert.url:
        parts.append(alert.url)
    return " | ".join(" ".join(part.split()) for part in parts)
