"""Small things every plugin that calls an HTTP service needs alike (the HTTP source, Slack)."""

from __future__ import annotations

import importlib.metadata
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from .._version import __version__


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait as a server asks in a ``Retry-After`` header: whole or decimal
    seconds, or an HTTP date; None when there is no usable value."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)  # HTTP dates are in GMT
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def user_agent(distribution: str) -> str:
    """``spine/<kernel version> <distribution>/<its version>``, for a plugin's requests."""
    try:
        version = importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return f"spine/{__version__} {distribution}/{version}"
