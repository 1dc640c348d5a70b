"""Routing alerts: which channels get one, which repeats are held back, what each channel
answered (kept in the store), all within a time budget so alerting never holds up a run."""

from __future__ import annotations

import dataclasses
import logging
import socket
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .._errors import AlertError, ConfigError, SpineError
from .._records._results import RunResult
from .._records._statuses import RunStatus
from .._version import __version__
from ._history import AlertLog
from ._model import Alert, AlertChannel, Delivery, DeliveryStatus, Severity

if TYPE_CHECKING:
    from .._kernel import Spine
    from .._runs._runlog import RunLog

log = logging.getLogger("spine.alerting")

_RUN_SEVERITY = {
    RunStatus.FAILED: Severity.ERROR,
    RunStatus.PARTIAL: Severity.WARNING,
    RunStatus.SUCCEEDED: Severity.INFO,
}
# A channel that keeps to its timeout ends right at the deadline: its own answer beats ours.
_GRACE = 0.25


class AlertRouter:
    """The alert channels of one kernel, and the rules that choose among them."""

    def __init__(self, kernel: Spine) -> None:
        self.kernel = kernel
        self._opened: dict[str, AlertChannel | None] = {}
        self._lock = threading.Lock()

    # -- channels ------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Every installed channel."""
        return self.kernel.plugins.names("alert_channel")

    def channel(self, name: str) -> AlertChannel | None:
        """Channel `name`, opened on first use; None when it is installed but not configured.

        Raises `PluginError` for a channel no plugin provides, and `ConfigError` (or the
        channel's own `SpineError`) when its settings are invalid.
        """
        with self._lock:
            if name not in self._opened:
                spec = self.kernel.plugins.get("alert_channel", name)
                try:
                    channel = spec.load()(self.kernel)
                except SpineError:
                    raise
                except Exception as exc:
                    raise AlertError(
                        f"alert channel {name!r} cannot be opened: {type(exc).__name__}: {exc}",
                        context={"channel": name},
                    ) from exc
                for secret in channel.secrets() if channel is not None else ():
                    self.kernel.redactor.add(secret)
                self._opened[name] = channel
            return self._opened[name]

    def configured(self) -> list[str]:
        """The installed channels that are configured; one that cannot open is logged and left out."""
        names = []
        for name in self.names():
            try:
                if self.channel(name) is not None:
                    names.append(name)
            except SpineError as exc:
                log.warning("alert channel %s left out: %s", name, self.kernel.redactor.text(str(exc)))
        return names

    def close(self) -> None:
        with self._lock:
            for channel in self._opened.values():
                if channel is not None:
                    channel.close()
            self._opened.clear()

    # -- routing -------------------------------------------------------------------------

    def route(self, alert: Alert) -> list[str]:
        """The channels the ``alert_routes`` rules choose for `alert` (``*``: every configured one)."""
        routes = self.kernel.settings.alert_routes
        if not routes:
            return ["*"]
        chosen: list[str] = []
        for route in routes:
            if route.matches(alert):
                chosen += [name for name in route.channels if name not in chosen]
        return chosen

    def after_run(self, result: RunResult, runlog: RunLog | None) -> list[Delivery]:
        """The alert for a run that ended with a status named in ``alert_on``."""
        if result.status.value not in self.kernel.settings.alert_on:
            return []
        return self.dispatch(run_alert(result), runlog)

    def test(self, channel: str | None, runlog: RunLog | None) -> list[Delivery]:
        """A test alert to `channel` (default: every configured channel), past the rules,
        repeats and rate limits. Raises `ConfigError` when the named channel is not configured."""
        if channel is not None and self.channel(channel) is None:
            spec = self.kernel.plugins.get("alert_channel", channel)
            raise ConfigError(
                f"alert channel {channel!r} is not configured: {spec.description or 'see its documentation'}",
                context={"channel": channel},
            )
        host = socket.gethostname()
        alert = Alert(
            Severity.INFO,
            "spine test alert",
            f"A test alert from spine {__version__} on {host}: if you can read this, alerts reach you here.",
            fields={"Host": host, "Sent by": "spine alerts test"},
        )
        alert = dataclasses.replace(alert, dedup_key=f"test:{alert.alert_id}")
        return self.dispatch(alert, runlog, channels=[channel] if channel else ["*"], throttle=False)

    # -- delivering ----------------------------------------------------------------------

    def dispatch(
        self, alert: Alert, runlog: RunLog | None, *, channels: list[str] | None = None, throttle: bool = True
    ) -> list[Delivery]:
        """Deliver `alert` to `channels` (default: those the rules choose) and record each
        outcome in `runlog`'s store. Never raises: a problem is a failed delivery, logged."""
        try:
            return _Dispatch(self, self._prepared(alert), runlog, throttle).run(channels or self.route(alert))
        except Exception as exc:  # alerting must never break what raised the alert
            log.warning("alert %r not delivered: %s: %s", alert.title, type(exc).__name__, exc)
            return []

    def _prepared(self, alert: Alert) -> Alert:
        """`alert` with secrets masked and the link to its run."""
        redact = self.kernel.redactor.text
        url = alert.url or (self.kernel.settings.run_url(alert.run_id) if alert.run_id else None)
        return dataclasses.replace(
            alert,
            title=redact(alert.title),
            dedup_key=redact(alert.dedup_key),
            text=redact(alert.text),
            fields={label: redact(value) for label, value in alert.fields.items()},
            url=url and redact(url),
        )


class _Dispatch:
    """One alert on its way: open the channels, admit, send in parallel, record."""

    def __init__(self, router: AlertRouter, alert: Alert, runlog: RunLog | None, throttle: bool) -> None:
        self.router = router
        self.alert = alert
        self.throttle = throttle
        self.settings = router.kernel.settings
        self.history = AlertLog(runlog.store) if runlog is not None else None

    def run(self, names: list[str]) -> list[Delivery]:
        outcomes: dict[str, Delivery] = {}
        admitted: list[tuple[Delivery, AlertChannel]] = []
        opened = self._open(names)
        for name, channel, problem in opened:
            if channel is None:
                outcomes[name] = self._record(Delivery(self.alert, name, DeliveryStatus.FAILED, problem))
                continue
            delivery = self._admit(name)
            if delivery.status is DeliveryStatus.SENDING:
                admitted.append((delivery, channel))
            else:
                log.info("alert %r suppressed on %s: %s", self.alert.title, name, delivery.answer)
                outcomes[name] = delivery
        for delivery in self._send(admitted):
            outcomes[delivery.channel] = self._finish(delivery)
        return [outcomes[name] for name, _, _ in opened]

    def _open(self, names: list[str]) -> list[tuple[str, AlertChannel | None, str]]:
        expanded: list[str] = []
        for name in names:
            for one in self.router.configured() if name == "*" else [name]:
                if one not in expanded:
                    expanded.append(one)
        opened = []
        for name in expanded:
            try:
                channel = self.router.channel(name)
                problem = "" if channel is not None else "not configured"
            except SpineError as exc:
                channel, problem = None, self.router.kernel.redactor.text(exc.message)
            opened.append((name, channel, problem))
        return opened

    def _admit(self, name: str) -> Delivery:
        delivery = Delivery(self.alert, name, DeliveryStatus.SENDING, "")
        if self.history is None:
            return delivery
        try:
            if self.throttle:
                return self.history.admit(
                    self.alert,
                    name,
                    window=self.settings.alert_window,
                    rate_limit=self.settings.alert_rate_limit,
                )
            self.history.record(delivery)
        except Exception as exc:  # the store is down: deliver anyway, the alert may be about that
            self._lost_history(exc)
        return delivery

    def _send(self, admitted: list[tuple[Delivery, AlertChannel]]) -> list[Delivery]:
        """Send to every channel at once; a channel that has not answered by the deadline has failed."""
        timeout = self.settings.alert_timeout
        deadline = time.monotonic() + timeout
        answers: dict[int, tuple[DeliveryStatus, str]] = {}

        def send(index: int, delivery: Delivery, channel: AlertChannel) -> None:
            try:
                answer = channel.send(delivery.alert, max(deadline - time.monotonic(), 0.001))
                answers[index] = (DeliveryStatus.SENT, answer)
            except SpineError as exc:
                answers[index] = (DeliveryStatus.FAILED, exc.message)
            except Exception as exc:
                answers[index] = (DeliveryStatus.FAILED, f"{type(exc).__name__}: {exc}")

        workers = [
            threading.Thread(target=send, args=(i, *pair), name=f"spine-alert-{pair[0].channel}", daemon=True)
            for i, pair in enumerate(admitted)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(max(deadline + _GRACE - time.monotonic(), 0))
        finished = []
        for index, (delivery, _) in enumerate(admitted):
            status, answer = answers.get(
                index,
                (
                    DeliveryStatus.FAILED,
                    f"no answer within {timeout:g}s (alert_timeout); it may still arrive",
                ),
            )
            answer = self.router.kernel.redactor.text(answer)
            finished.append(dataclasses.replace(delivery, status=status, answer=answer, finished_at=_now()))
        return finished

    def _finish(self, delivery: Delivery) -> Delivery:
        if delivery.status is DeliveryStatus.FAILED:
            log.warning("alert %r to %s failed: %s", self.alert.title, delivery.channel, delivery.answer)
        else:
            log.debug("alert %r sent to %s: %s", self.alert.title, delivery.channel, delivery.answer)
        if self.history is not None:
            try:
                self.history.finish(delivery)
            except Exception as exc:
                self._lost_history(exc)
        return delivery

    def _record(self, delivery: Delivery) -> Delivery:
        delivery = dataclasses.replace(delivery, finished_at=_now())
        log.warning("alert %r to %s failed: %s", self.alert.title, delivery.channel, delivery.answer)
        if self.history is not None:
            try:
                self.history.record(delivery)
            except Exception as exc:
                self._lost_history(exc)
        return delivery

    def _lost_history(self, exc: Exception) -> None:
        log.warning(
            "alert history unavailable (%s: %s); delivering without checking for repeats",
            type(exc).__name__,
            self.router.kernel.redactor.text(str(exc)),
        )
        self.history = None


def _now() -> datetime:
    return datetime.now(UTC)


def run_alert(result: RunResult) -> Alert:
    """The alert for a run's outcome: its status, counts and error."""
    counts = result.counts
    fields = {
        "Status": result.status.value,
        "Rows read": f"{counts.rows_read:,}",
        "Rows written": f"{counts.rows_written:,}",
        "Rows rejected": f"{counts.rows_rejected:,}",
    }
    if result.duration_seconds is not None:
        fields["Duration"] = f"{result.duration_seconds:.1f}s"
    key = f"run:{result.pipeline}:{result.status.value}"
    if result.error is not None:
        text = str(result.error)
        key += f":{result.error.category}"
    elif counts.rows_rejected:
        text = f"{counts.rows_rejected:,} rows rejected: spine runs show {result.run_id[:12]}"
    else:
        text = ""
    return Alert(
        _RUN_SEVERITY[result.status],
        f"{result.pipeline} {result.status.value}",
        text,
        pipeline=result.pipeline,
        run_id=result.run_id,
        fields=fields,
        dedup_key=key,
    )
