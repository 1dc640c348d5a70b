"""spine-alert-slack: the ``slack`` alert channel (a Slack incoming webhook).

This module only registers the channel and declares its settings; httpx and the
settings are imported when the kernel needs them, so that listing plugins stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import spine

if TYPE_CHECKING:
    from collections.abc import Callable


@spine.hookimpl
def register_alert_channels(register: Callable[[spine.AlertChannelSpec], None]) -> None:
    register(
        spine.AlertChannelSpec(
            "slack",
            "spine_alert_slack._channel:open_slack",
            description="Slack incoming webhook (set SPINE_SLACK_WEBHOOK_URL)",
        )
    )


@spine.hookimpl
def register_settings(register: Callable[[spine.SettingsSpec], None]) -> None:
    register(
        spine.SettingsSpec(
            "slack",
            "spine_alert_slack._settings:SlackSettings",
            description="the webhook and how it is paced",
        )
    )
