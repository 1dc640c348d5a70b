"""The plugin's settings, read by the kernel from overrides, ``SPINE_SLACK_*`` variables and spine.toml.

The kernel imports this module to learn the plugin's setting names whenever it validates
settings: httpx is imported only to check a webhook URL that is set.
"""

from __future__ import annotations

from typing import Any

import spine
from pydantic import Field, SecretStr, field_validator

_EXPECTED_URL = "expected an http:// or https:// URL with a host (a Slack incoming webhook)"


class SlackSettings(spine.SpineSettings):
    """Where alerts go (``SPINE_SLACK_WEBHOOK_URL``) and how patiently they are sent."""

    slack_webhook_url: SecretStr | None = None
    slack_timeout: float = Field(10.0, gt=0, allow_inf_nan=False)
    slack_min_interval: float = Field(1.0, ge=0, allow_inf_nan=False)
    slack_max_attempts: int = Field(5, ge=1)

    @field_validator("slack_webhook_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        # `SPINE_SLACK_WEBHOOK_URL=` is how a shell switches the channel off.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("slack_webhook_url")
    @classmethod
    def _webhook_url(cls, value: SecretStr | None) -> SecretStr | None:
        # The messages never hold the value: the URL is the secret that lets anyone post.
        if value is None:
            return None
        import httpx

        url = value.get_secret_value().strip()
        try:
            parsed = httpx.URL(url)  # what the client will send to: the same rules
        except httpx.InvalidURL:  # a malformed port or IPv6 address
            raise ValueError(_EXPECTED_URL) from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(_EXPECTED_URL)
        return SecretStr(url)
