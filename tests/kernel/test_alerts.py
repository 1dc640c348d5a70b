"""Alerts through the kernel: routing rules, repeats and rate limits, history, the time
budget, and the alerts runs raise. Channels are plugins registered in code."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import spine
from spine import Alert, DeliveryStatus, Severity, Spine
from spine._alerts._log_channel import LogChannel
from spine.testing import AlertChannelContract, ChannelCase

SENT, SUPPRESSED, FAILED = DeliveryStatus.SENT, DeliveryStatus.SUPPRESSED, DeliveryStatus.FAILED
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


class Channel(spine.AlertChannel):
    """Keeps what it is sent; refuses, raises or hangs when told to."""

    def __init__(self, *, error: BaseException | None = None, hang: threading.Event | None = None) -> None:
        self.sent: list[Alert] = []
        self.error = error
        self.hang = hang
        self.closed = 0

    def send(self, alert: Alert, timeout: float) -> str:
        if self.hang is not None:
            self.hang.wait(30)
        if self.error is not None:
            raise self.error
        self.sent.append(alert)
        return "ok"

    def close(self) -> None:
        self.closed += 1


class Channels:
    """A plugin providing the channels given; None stands for installed but not configured."""

    def __init__(self, **channels: spine.AlertChannel | Exception | None) -> None:
        self.channels = channels

    @spine.hookimpl
    def register_alert_channels(self, register):
        for name, channel in self.channels.items():
            register(
                spine.AlertChannelSpec(name, lambda kernel, c=channel: _open(c), description=f"{name} d")
            )


def _open(channel):
    if isinstance(channel, Exception):
        raise channel
    return channel


class Pipelines:
    @spine.hookimpl
    def register_pipelines(self, register):
        register(spine.PipelineSpec("ok", lambda: Step()))
        register(spine.PipelineSpec("partial", lambda: Step(rejected=2)))
        register(spine.PipelineSpec("bad", lambda: Step(spine.LoadError("table t is locked"))))
        register(spine.PipelineSpec("finra.pages", lambda: Step(alert=("critical", "disk nearly full"))))


class Step:
    def __init__(self, error=None, *, rejected=0, alert=None):
        self.error, self.rejected, self.alert = error, rejected, alert

    def run(self, context):
        if self.alert:
            context.alert(*self.alert, fields={"Free": "2%"})
        if self.error is not None:
            raise self.error
        context.count(read=5, written=5 - self.rejected)
        for line in range(self.rejected):
            context.reject(spine.Reject("step", line + 1, "raw", "rejected by the test"))


@pytest.fixture
def make_kernel(tmp_path):
    kernels = []

    def make(*plugins, **settings) -> Spine:
        overrides = {"store_url": f"sqlite:///{tmp_path}/spine.db", **settings}
        kernel = Spine(entry_points=False, plugins=[Pipelines(), *plugins], overrides=overrides)
        kernels.append(kernel)
        return kernel

    yield make
    for kernel in kernels:
        kernel.close()


def alert(title="load failed", severity=Severity.ERROR, pipeline="finra.weekly", at=T0, **more) -> Alert:
    return Alert(severity, title, "the text", pipeline=pipeline, raised_at=at, **more)


def outcome(deliveries):
    return [(d.channel, d.status) for d in deliveries]


# -- the model ---------------------------------------------------------------------------


def test_severities_are_ordered_and_parsed():
    assert Severity.parse(" ERROR ") is Severity.ERROR
    assert Severity.CRITICAL.at_least(Severity.ERROR) and not Severity.INFO.at_least(Severity.WARNING)
    with pytest.raises(spine.ConfigError, match="expected one of info, warning, error, critical, got 'loud'"):
        Severity.parse("loud")


def test_an_alert_needs_a_title_and_its_key_defaults_to_pipeline_and_title():
    assert alert().dedup_key == "finra.weekly:load failed"
    assert Alert("warning", "x").severity is Severity.WARNING
    with pytest.raises(spine.ConfigError, match="alert title"):
        Alert(Severity.INFO, "  ")
    with pytest.raises(spine.ConfigError, match="alert severity"):
        Alert("urgent", "x")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("alert_routes", '[{"channel": ["x"]}]', "alert_routes[0].channels"),
        ("alert_routes", '[{"channels": ["x"], "min_severity": "loud"}]', "alert_routes[0].min_severity"),
        ("alert_routes", "slack", "expected a JSON list of routes"),
        ("alert_rate_limit", "ten", "expected a count per period like 30/1h"),
        ("alert_window", "soon", "expected a duration like 90, 90s, 15m, 1h or 1d"),
        ("alert_on", "failed,maybe", "alert_on[1]"),
    ],
)
def test_bad_alert_settings_name_the_setting_and_what_was_expected(name, value, message):
    kernel = Spine(entry_points=False, environ={f"SPINE_{name.upper()}": value})
    with pytest.raises(spine.ConfigError, match=rf"{name}.*\(from SPINE_{name.upper()}\)") as raised:
        _ = kernel.settings
    assert message in str(raised.value)


def test_alert_settings_from_the_environment():
    environ = {
        "SPINE_ALERT_ROUTES": '[{"channels": ["slack"], "min_severity": "error", "pipelines": ["finra.*"]}]',
        "SPINE_ALERT_RATE_LIMIT": "10/15m",
        "SPINE_ALERT_WINDOW": "30m",
        "SPINE_ALERT_ON": "failed",
        "SPINE_ALERT_TIMEOUT": "2.5",
    }
    settings = Spine(entry_points=False, environ=environ).settings
    assert settings.alert_routes[0].channels == ["slack"]
    assert settings.alert_routes[0].min_severity is Severity.ERROR
    assert (settings.alert_rate_limit.most, settings.alert_rate_limit.seconds) == (10, 900)
    assert (settings.alert_window, settings.alert_on, settings.alert_timeout) == (1800, ["failed"], 2.5)
    assert (
        Spine(entry_points=False, environ={"SPINE_ALERT_RATE_LIMIT": "none"}).settings.alert_rate_limit
        is None
    )


# -- routing -----------------------------------------------------------------------------


def test_without_routes_every_configured_channel_gets_every_alert(make_kernel):
    a, b = Channel(), Channel()
    kernel = make_kernel(Channels(a=a, b=b, idle=None))
    deliveries = kernel.alert(alert(severity=Severity.INFO))
    assert outcome(deliveries) == [("a", SENT), ("b", SENT), ("log", SENT)]
    assert [x.title for x in a.sent] == [x.title for x in b.sent] == ["load failed"]
    assert [d.answer for d in deliveries] == ["ok", "ok", "logged"]


def test_routes_choose_channels_by_severity_and_pipeline(make_kernel):
    a, b = Channel(), Channel()
    routes = [
        {"channels": ["a"], "min_severity": "error"},
        {"channels": ["b", "a"], "pipelines": ["finra.*"], "min_severity": "warning"},
    ]
    kernel = make_kernel(Channels(a=a, b=b), alert_routes=routes)
    assert outcome(kernel.alert(alert("one", Severity.WARNING, "finra.weekly"))) == [("b", SENT), ("a", SENT)]
    assert outcome(kernel.alert(alert("two", Severity.ERROR, "other"))) == [("a", SENT)]
    assert outcome(kernel.alert(alert("three", Severity.WARNING, "other"))) == []
    assert outcome(kernel.alert(alert("four", Severity.CRITICAL, None))) == [("a", SENT)]
    assert [x.title for x in a.sent] == ["one", "two", "four"]
    assert [x.title for x in b.sent] == ["one"]


def test_a_route_to_a_channel_that_is_unknown_unconfigured_or_broken_is_a_recorded_failure(
    make_kernel, caplog
):
    broken = spine.ConfigError("broken: webhook_url must be https")
    routes = [{"channels": ["idle", "gone", "broken", "log"]}]
    kernel = make_kernel(Channels(idle=None, broken=broken), alert_routes=routes)
    deliveries = kernel.alert(alert())
    assert outcome(deliveries) == [("idle", FAILED), ("gone", FAILED), ("broken", FAILED), ("log", SENT)]
    assert deliveries[0].answer == "not configured"
    assert "unknown alert_channel 'gone'" in deliveries[1].answer
    assert deliveries[2].answer == "broken: webhook_url must be https"
    assert [d.status for d in kernel.alert_history(status="failed")] == [FAILED] * 3
    assert "alert 'load failed' to gone failed" in caplog.text


# -- repeats and rate limits ---------------------------------------------------------------


def test_repeats_within_the_window_are_suppressed_counted_and_told(make_kernel):
    a = Channel()
    kernel = make_kernel(Channels(a=a), alert_routes=[{"channels": ["a"]}], alert_window="1h")
    assert outcome(kernel.alert(alert(at=T0))) == [("a", SENT)]
    second = kernel.alert(alert(at=T0 + timedelta(minutes=10)))
    assert outcome(second) == [("a", SUPPRESSED)]
    assert second[0].answer == "repeat of an alert sent at 2026-11-23 08:00:00 UTC (window 3600s)"
    assert outcome(kernel.alert(alert(at=T0 + timedelta(minutes=59)))) == [("a", SUPPRESSED)]
    assert outcome(kernel.alert(alert("another title", at=T0 + timedelta(minutes=30)))) == [("a", SENT)]
    assert outcome(kernel.alert(alert(at=T0 + timedelta(minutes=61)))) == [("a", SENT)]
    assert [(x.title, x.suppressed, x.suppressed_since) for x in a.sent] == [
        ("load failed", 0, None),
        ("another title", 0, None),
        ("load failed", 2, T0 + timedelta(minutes=10)),
    ]
    # counted once: the next repeat after the window starts from zero again
    kernel.alert(alert(at=T0 + timedelta(minutes=125)))
    assert a.sent[-1].suppressed == 0


def test_suppression_is_per_channel_and_a_failed_delivery_does_not_suppress_the_next(make_kernel):
    a, refusing = Channel(), Channel(error=spine.AlertError("Slack answered 404 no_service"))
    kernel = make_kernel(Channels(a=a, refusing=refusing), alert_routes=[{"channels": ["a", "refusing"]}])
    first = kernel.alert(alert(at=T0))
    assert outcome(first) == [("a", SENT), ("refusing", FAILED)]
    assert first[1].answer == "Slack answered 404 no_service"
    refusing.error = None
    assert outcome(kernel.alert(alert(at=T0 + timedelta(minutes=1)))) == [
        ("a", SUPPRESSED),
        ("refusing", SENT),
    ]


def test_the_rate_limit_holds_alerts_back_and_the_next_one_sent_says_how_many(make_kernel):
    a = Channel()
    kernel = make_kernel(Channels(a=a), alert_routes=[{"channels": ["a"]}], alert_rate_limit="2/1h")
    statuses = [kernel.alert(alert(f"problem {i}", at=T0 + timedelta(minutes=i)))[0].status for i in range(5)]
    assert statuses == [SENT, SENT, SUPPRESSED, SUPPRESSED, SUPPRESSED]
    assert (
        kernel.alert_history(status="suppressed")[0].answer == "over the channel's rate limit (2 per 3600s)"
    )
    # the first alert left the hour: room for one more
    assert kernel.alert(alert("later", at=T0 + timedelta(minutes=60, seconds=30)))[0].status is SENT
    assert [(x.title, x.held_back) for x in a.sent] == [("problem 0", 0), ("problem 1", 0), ("later", 3)]


def test_two_kernels_raising_the_same_alert_at_once_send_it_once(tmp_path):
    channels = [Channel(), Channel()]
    overrides = {"store_url": f"sqlite:///{tmp_path}/shared.db", "alert_routes": [{"channels": ["a"]}]}
    Spine(entry_points=False, overrides=overrides).runlog().store.close()  # migrated before the race
    start = threading.Barrier(2)
    results = {}

    def raise_it(index):
        # each in its own thread, with its own connection, as two processes would be
        with Spine(entry_points=False, plugins=[Channels(a=channels[index])], overrides=overrides) as kernel:
            kernel.runlog()
            start.wait()
            results[index] = kernel.alert(alert(at=T0))[0].status

    threads = [threading.Thread(target=raise_it, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == [SENT, SUPPRESSED]
    assert sum(len(c.sent) for c in channels) == 1


# -- history -------------------------------------------------------------------------------


def test_history_keeps_every_outcome_with_the_channels_answer(make_kernel):
    a = Channel()
    refusing = Channel(error=spine.AlertError("Slack answered 410 channel_is_archived"))
    kernel = make_kernel(Channels(a=a, refusing=refusing), alert_routes=[{"channels": ["a", "refusing"]}])
    kernel.alert(alert(at=T0, fields={"Rows read": "1,204"}, run_id="r" * 32))
    kernel.alert(alert(at=T0 + timedelta(minutes=1)))
    kernel.alert(alert("other", pipeline="p2", at=T0 + timedelta(minutes=2)))
    history = kernel.alert_history()
    assert [(d.alert.title, d.channel, d.status, d.answer) for d in history] == [
        ("other", "a", SENT, "ok"),
        ("other", "refusing", FAILED, "Slack answered 410 channel_is_archived"),
        ("load failed", "a", SUPPRESSED, "repeat of an alert sent at 2026-11-23 08:00:00 UTC (window 3600s)"),
        ("load failed", "refusing", FAILED, "Slack answered 410 channel_is_archived"),
        ("load failed", "a", SENT, "ok"),
        ("load failed", "refusing", FAILED, "Slack answered 410 channel_is_archived"),
    ]
    oldest = history[-2]
    assert oldest.alert.fields == {"Rows read": "1,204"} and oldest.alert.run_id == "r" * 32
    assert oldest.alert.raised_at == T0 and oldest.finished_at is not None
    assert [d.alert.title for d in kernel.alert_history(pipeline="p2")] == ["other", "other"]
    assert len(kernel.alert_history(channel="a", status="sent")) == 2
    window = kernel.alert_history(since=T0 + timedelta(seconds=30), until=T0 + timedelta(minutes=2))
    assert [d.status for d in window] == [SUPPRESSED, FAILED]
    assert len(kernel.alert_history(limit=1)) == 1
    assert history[0].to_dict()["status"] == "sent" and history[0].to_dict()["title"] == "other"


# -- never breaking a run ------------------------------------------------------------------


def test_a_channel_that_hangs_fails_after_the_timeout_and_the_others_still_deliver(make_kernel):
    release = threading.Event()
    hung, a = Channel(hang=release), Channel()
    kernel = make_kernel(
        Channels(hung=hung, a=a), alert_routes=[{"channels": ["hung", "a"]}], alert_timeout=0.3
    )
    try:
        started = time.monotonic()
        result = kernel.run("bad")
        took = time.monotonic() - started
    finally:
        release.set()
    assert result.status == "failed" and took < 5
    history = {d.channel: d for d in kernel.alert_history()}
    assert history["hung"].status is FAILED
    assert history["hung"].answer == "no answer within 0.3s (alert_timeout); it may still arrive"
    assert history["a"].status is SENT and [x.title for x in a.sent] == ["bad failed"]


def test_a_channel_raising_anything_is_a_failed_delivery_and_the_run_keeps_its_status(make_kernel):
    buggy = Channel(error=ZeroDivisionError("division by zero"))
    kernel = make_kernel(Channels(buggy=buggy), alert_on=["succeeded"])
    assert kernel.run("ok").status == "succeeded"
    (delivery,) = kernel.alert_history(channel="buggy")
    assert (delivery.status, delivery.answer) == (FAILED, "ZeroDivisionError: division by zero")


def test_an_alert_is_delivered_when_its_history_cannot_be_kept(make_kernel, tmp_path, caplog):
    a = Channel()
    kernel = make_kernel(Channels(a=a), alert_routes=[{"channels": ["a"]}])
    (tmp_path / "file").write_text("")
    unusable = f"sqlite:///{tmp_path}/file/spine.db"  # a folder that is a file
    assert outcome(kernel.alert(alert(), store=unusable)) == [("a", SENT)]
    assert "alert history unavailable" in caplog.text


def test_closing_the_kernel_closes_its_channels(make_kernel):
    a = Channel()
    kernel = make_kernel(Channels(a=a))
    kernel.alert(alert())
    kernel.close()
    assert a.closed == 1


# -- the alerts runs raise -------------------------------------------------------------------


def test_failed_and_partial_runs_raise_alerts_and_succeeded_ones_do_not(make_kernel):
    a = Channel()
    kernel = make_kernel(
        Channels(a=a), alert_routes=[{"channels": ["a"]}], alert_run_url="https://ops.example.com/spine/"
    )
    failed, partial, ok = kernel.run("bad"), kernel.run("partial"), kernel.run("ok")
    assert [(x.severity, x.title, x.run_id) for x in a.sent] == [
        (Severity.ERROR, "bad failed", failed.run_id),
        (Severity.WARNING, "partial partial", partial.run_id),
    ]
    first, second = a.sent
    assert first.text == "[load] table t is locked" and first.pipeline == "bad"
    assert first.fields["Status"] == "failed" and first.fields["Rows read"] == "0"
    assert first.url == f"https://ops.example.com/spine/runs/{failed.run_id}"
    assert second.text == f"2 rows rejected: spine runs show {partial.run_id[:12]}"
    assert second.fields["Rows rejected"] == "2"
    assert ok.status == "succeeded"


def test_alert_on_chooses_the_run_outcomes_that_alert(make_kernel):
    a = Channel()
    kernel = make_kernel(
        Channels(a=a),
        alert_routes=[{"channels": ["a"]}],
        alert_on=["succeeded"],
        alert_run_url="https://x/r?id={run_id}",
    )
    kernel.run("bad")
    result = kernel.run("ok")
    assert [(x.severity, x.title, x.url) for x in a.sent] == [
        (Severity.INFO, "ok succeeded", f"https://x/r?id={result.run_id}")
    ]
    quiet = Channel()
    make_kernel(Channels(a=quiet), alert_on=[]).run("bad")
    assert quiet.sent == []


def test_a_failing_pipeline_alerts_once_then_its_repeats_are_suppressed(make_kernel):
    a = Channel()
    kernel = make_kernel(Channels(a=a), alert_routes=[{"channels": ["a"]}])
    for _ in range(3):
        kernel.run("bad")
    assert len(a.sent) == 1
    assert [d.status for d in kernel.alert_history()] == [SUPPRESSED, SUPPRESSED, SENT]


def test_pipelines_and_lifecycle_hooks_raise_their_own_alerts(make_kernel):
    a = Channel()

    class Watcher:
        @spine.hookimpl
        def run_finished(self, result, alert):
            if result.counts.rows_written < 5:
                alert(Alert("warning", f"{result.pipeline} wrote few rows", pipeline=result.pipeline))

    kernel = make_kernel(Channels(a=a), Watcher(), alert_routes=[{"channels": ["a"]}], alert_on=[])
    result = kernel.run("finra.pages")
    kernel.run("partial")
    assert [(x.severity, x.title, x.pipeline, x.run_id, dict(x.fields)) for x in a.sent] == [
        (Severity.CRITICAL, "disk nearly full", "finra.pages", result.run_id, {"Free": "2%"}),
        (Severity.WARNING, "partial wrote few rows", "partial", None, {}),
    ]


def test_secrets_never_reach_a_channel_or_the_history(make_kernel):
    a = Channel()
    kernel = make_kernel(Channels(a=a), alert_routes=[{"channels": ["a"]}])
    kernel.redactor.add("hunter2-password")
    kernel.alert(
        Alert(
            "error",
            "login with hunter2-password failed",
            "postgresql://app:hunter2-password@db/prod refused",
            fields={"dsn": "postgresql://app:s3cr3t@db/prod"},
        )
    )
    (sent,) = a.sent
    assert sent.title == "login with *** failed"
    assert sent.text == "postgresql://app:***@db/prod refused"
    assert sent.fields == {"dsn": "postgresql://app:***@db/prod"}
    stored = kernel.alert_history()[0].alert
    assert "hunter2" not in repr(stored) and "s3cr3t" not in repr(stored)


# -- the built-in channel ---------------------------------------------------------------------


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.getMessage()}")


class TestLogChannelContract(AlertChannelContract):
    @pytest.fixture
    def channel_case(self):
        logger = logging.getLogger("spine.alerts.contract")
        handler = _Lines()
        logger.addHandler(handler)
        yield ChannelCase(lambda: LogChannel(logger), lambda: handler.lines)
        logger.removeHandler(handler)


def test_the_log_channel_logs_at_the_alerts_severity_on_one_line(caplog):
    caplog.set_level(logging.INFO, logger="spine.alerts")
    channel = LogChannel()
    for severity in Severity:
        channel.send(Alert(severity, f"{severity} title", "line one\nline two"), 1.0)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", "alert [info] info title: line one line two"),
        ("WARNING", "alert [warning] warning title: line one line two"),
        ("ERROR", "alert [error] error title: line one line two"),
        ("CRITICAL", "alert [critical] critical title: line one line two"),
    ]
