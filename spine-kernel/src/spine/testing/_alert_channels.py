"""The alert channel contract: delivery, failures and limits, run against a plugin's own channel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from .._alerts._model import Alert, AlertChannel, DeliveryStatus, Severity
from .._errors import AlertError, LoadError
from .._plugins._descriptors import AlertChannelSpec
from .._plugins._hookspecs import hookimpl
from .._records._statuses import RunStatus


@dataclass(frozen=True)
class ChannelCase:
    """An alert channel under test.

    `make` builds a channel whose destination accepts every well-formed message (a
    destination that checks what the real one checks: Slack's size limits);
    `delivered` returns the text of every message the destination has received, in
    order (for a JSON payload, the JSON with non-ASCII characters as they are);
    `make_failing` builds a channel whose destination refuses every message for good
    (None for a channel whose destination cannot refuse, like a log).
    """

    make: Callable[[], AlertChannel]
    delivered: Callable[[], list[str]]
    make_failing: Callable[[], AlertChannel] | None = None


def _full_alert(**changes: Any) -> Alert:
    values: dict[str, Any] = {
        "severity": Severity.ERROR,
        "title": "finra.otc_weekly failed",
        "text": "load: table finra_otc_weekly is locked",
        "pipeline": "finra.otc_weekly",
        "run_id": "0123456789abcdef0123456789abcdef",
        "fields": {"Status": "failed", "Rows read": "1,204"},
        "url": "https://spine.example.com/runs/0123456789abcdef0123456789abcdef",
    }
    return Alert(**{**values, **changes})


class AlertChannelContract:
    """What every alert channel must do. Provide a `channel_case` fixture."""

    @pytest.fixture
    def channel_case(self) -> ChannelCase:
        raise NotImplementedError("subclasses provide a channel_case fixture")

    def _send(self, case: ChannelCase, alert: Alert) -> tuple[str, str]:
        before = len(case.delivered())
        channel = case.make()
        try:
            answer = channel.send(alert, 10.0)
        finally:
            channel.close()
        delivered = case.delivered()[before:]
        assert len(delivered) == 1, f"expected one message, the destination received {len(delivered)}"
        return answer, delivered[0]

    def test_delivers_every_part_of_an_alert(self, channel_case: ChannelCase) -> None:
        alert = _full_alert()
        answer, message = self._send(channel_case, alert)
        assert isinstance(answer, str) and answer
        for part in (alert.title, alert.text, alert.pipeline, alert.run_id, "Rows read", "1,204", alert.url):
            assert part and part in message, f"{part!r} is not in the message"

    def test_tells_how_many_alerts_were_suppressed(self, channel_case: ChannelCase) -> None:
        _, message = self._send(channel_case, _full_alert(suppressed=17, held_back=23))
        assert "17" in message and "23" in message

    def test_an_oversized_alert_is_cut_to_fit_and_delivered(self, channel_case: ChannelCase) -> None:
        alert = _full_alert(
            title="T" * 2000,
            text="a long error message. " * 10_000,
            fields={f"field {i}": "v" * 3000 for i in range(80)},
        )
        answer, message = self._send(channel_case, alert)
        assert answer
        assert "TTTT" in message and "a long error message." in message

    def test_unicode_arrives_intact(self, channel_case: ChannelCase) -> None:
        _, message = self._send(channel_case, _full_alert(title="Ünïcödé ✓ failed", text="naïve — ✗"))
        assert "Ünïcödé ✓ failed" in message and "naïve — ✗" in message

    def test_a_refusing_destination_raises_alert_error_without_secrets(
        self, channel_case: ChannelCase
    ) -> None:
        if channel_case.make_failing is None:
            pytest.skip("the channel's destination cannot refuse")
        channel = channel_case.make_failing()
        try:
            with pytest.raises(AlertError) as raised:
                channel.send(_full_alert(), 10.0)
            assert raised.value.message
            for secret in channel.secrets():
                assert secret not in str(raised.value) and secret not in repr(raised.value.context)
        finally:
            channel.close()

    def test_describe_and_answers_hold_no_secret(self, channel_case: ChannelCase) -> None:
        channel = channel_case.make()
        try:
            answer = channel.send(_full_alert(), 10.0)
            assert channel.describe()
            for secret in channel.secrets():
                assert secret not in channel.describe() and secret not in answer
        finally:
            channel.close()
            channel.close()  # closing twice is safe

    def test_the_kernel_routes_a_failed_run_to_the_channel(
        self, channel_case: ChannelCase, tmp_path: Any
    ) -> None:
        from .._kernel import Spine

        class Plugin:
            @hookimpl
            def register_alert_channels(self, register: Callable[[AlertChannelSpec], None]) -> None:
                register(AlertChannelSpec("under_test", lambda kernel: channel_case.make()))

        class Fails:
            def run(self, context: Any) -> None:
                raise LoadError("the table is locked")

        class Pipelines:
            @hookimpl
            def register_pipelines(self, register: Callable[[Any], None]) -> None:
                from .._plugins._descriptors import PipelineSpec

                register(PipelineSpec("contract.fails", lambda: Fails()))

        before = len(channel_case.delivered())
        overrides = {
            "store_url": f"sqlite:///{tmp_path}/alerts.db",
            "alert_routes": [{"channels": ["under_test"]}],
        }
        with Spine(entry_points=False, plugins=[Plugin(), Pipelines()], overrides=overrides) as kernel:
            result = kernel.run("contract.fails")
            history = kernel.alert_history()
        assert result.status == RunStatus.FAILED
        assert [(d.channel, d.status, d.alert.run_id) for d in history] == [
            ("under_test", DeliveryStatus.SENT, result.run_id)
        ]
        delivered = channel_case.delivered()[before:]
        assert len(delivered) == 1 and "the table is locked" in delivered[0]
