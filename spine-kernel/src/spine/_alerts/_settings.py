"""The alerting settings that are more than a value: routing rules and the rate limit."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict

from .._config._sources import parse_duration
from .._errors import ConfigError
from ._model import Alert, Severity


class AlertRoute(BaseModel):
    """A routing rule: alerts of at least `min_severity` from a pipeline matching one of
    `pipelines` (shell patterns; an alert without a pipeline matches only ``*``) go to
    `channels` (``*``: every configured channel)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channels: list[str]
    min_severity: Severity = Severity.INFO
    pipelines: list[str] = ["*"]

    def matches(self, alert: Alert) -> bool:
        pipeline = alert.pipeline or ""
        return alert.severity.at_least(self.min_severity) and any(
            fnmatchcase(pipeline, pattern) for pattern in self.pipelines
        )


class RateLimit(NamedTuple):
    """At most `most` alerts sent per channel in any `seconds`."""

    most: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.most} per {self.seconds:g}s"


def parse_rate_limit(value: Any) -> RateLimit | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none", "off")):
        return None
    if isinstance(value, RateLimit):
        return value
    count, slash, period = str(value).partition("/")
    try:
        limit = RateLimit(int(count), parse_duration(period, field_name="alert_rate_limit"))
    except (ValueError, ConfigError):
        limit = None
    if not slash or limit is None or limit.most < 1 or limit.seconds <= 0:
        raise ValueError(f"expected a count per period like 30/1h or 10/15m, or none, got {value!r}")
    return limit
