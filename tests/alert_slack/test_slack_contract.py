"""The kernel's alert-channel contract, run against the Slack channel and a fake Slack on a real server."""

from __future__ import annotations

import pytest
from spine.testing import AlertChannelContract, ChannelCase

from .slack_helpers import FakeSlack, slack_says


class TestSlackContract(AlertChannelContract):
    @pytest.fixture
    def channel_case(self, server, slack, make_channel):
        gone = FakeSlack(server, "/services/T0SECRET/B0GONE/XXXXSECRETXXXX")
        gone.answer(*[slack_says(404, "no_service")] * 10)
        return ChannelCase(
            make=lambda: make_channel(slack.url),
            delivered=slack.delivered,
            make_failing=lambda: make_channel(gone.url),
        )
