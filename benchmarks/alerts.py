"""What alerting costs a run, next to baselines measured in the same run.

    python benchmarks/alerts.py [--alerts 300] [--repeat 5] [--history 50000]

1. Dispatch: `Spine.alert` of distinct alerts to the ``log`` channel, each decided
   against the history and recorded in an embedded SQLite store, against a
   hand-written loop that does the least the same job needs (one INSERT in its own
   transaction and one log call per alert). With ``--history N`` the store already
   holds N alerts of earlier months, which must not make an alert dearer.
2. Repeats: the same alert again and again (each suppressed and recorded), against
   the same baseline.
3. The bound: a failed run whose only channel never answers, with alert_timeout=1s,
   against the same failed run with alerting off.

Prints the fastest time per alert of each, and the ratios.
"""

from __future__ import annotations

import argparse
import logging
import sqlite3
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import spine


class _Silent(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        record.getMessage()


class _Hangs(spine.AlertChannel):
    def __init__(self, release: threading.Event) -> None:
        self.release = release

    def send(self, alert: spine.Alert, timeout: float) -> str:
        self.release.wait(60)
        return "late"


def _kernel(folder: Path, name: str, *plugins: object, **settings: object) -> spine.Spine:
    overrides = {"store_url": f"sqlite:///{folder}/{name}.db", "alert_rate_limit": "none", **settings}
    return spine.Spine(entry_points=False, plugins=plugins, overrides=overrides)


def _alerts(count: int, same: bool) -> list[spine.Alert]:
    start = datetime(2026, 11, 23, tzinfo=UTC)
    return [
        spine.Alert(
            "error",
            "finra.otc_weekly failed" if same else f"finra.otc_weekly failed #{i}",
            "[load] table finra_otc_weekly is locked",
            pipeline="finra.otc_weekly",
            fields={"Status": "failed", "Rows read": "1,204"},
            raised_at=start + timedelta(seconds=i),
        )
        for i in range(count)
    ]


def _spine_seconds(folder: Path, name: str, alerts: list[spine.Alert], history: int = 0) -> float:
    with _kernel(folder, name) as kernel:
        _fill(kernel, history)
        started = time.perf_counter()
        for alert in alerts:
            kernel.alert(alert)
        return time.perf_counter() - started


def _fill(kernel: spine.Spine, count: int) -> None:
    """`count` alerts sent and suppressed in the months before the measured ones."""
    from spine._alerts._history import AlertLog

    store = kernel.runlog().store
    history = AlertLog(store)
    start = datetime(2026, 6, 1, tzinfo=UTC)
    with store.transaction() as session:
        for i in range(count):
            alert = spine.Alert("error", f"old #{i % 500}", raised_at=start + timedelta(seconds=i))
            status = spine.DeliveryStatus.SENT if i % 3 else spine.DeliveryStatus.SUPPRESSED
            history._insert(session, spine.Delivery(alert, "log", status, "logged"), None)


def _baseline_seconds(folder: Path, name: str, alerts: list[spine.Alert]) -> float:
    connection = sqlite3.connect(folder / f"{name}.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE alerts (alert_id TEXT, channel TEXT, title TEXT, raised_at TEXT)")
    logger = logging.getLogger("spine.alerts")
    started = time.perf_counter()
    for alert in alerts:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            "INSERT INTO alerts VALUES (?, ?, ?, ?)",
            (alert.alert_id, "log", alert.title, alert.raised_at.isoformat()),
        )
        connection.execute("COMMIT")
        logger.error("alert [error] %s: %s", alert.title, alert.text)
    seconds = time.perf_counter() - started
    connection.close()
    return seconds


def _bound(folder: Path) -> tuple[float, float]:
    class Failing:
        def run(self, context: spine.RunContext) -> None:
            raise spine.LoadError("table t is locked")

    class Plugin:
        @spine.hookimpl
        def register_pipelines(self, register):  # type: ignore[no-untyped-def]
            register(spine.PipelineSpec("fails", lambda: Failing()))

        @spine.hookimpl
        def register_alert_channels(self, register):  # type: ignore[no-untyped-def]
            register(spine.AlertChannelSpec("hangs", lambda kernel: _Hangs(release)))

    release = threading.Event()
    try:
        timings = []
        for settings in ({"alert_on": []}, {"alert_timeout": 1, "alert_routes": [{"channels": ["hangs"]}]}):
            with _kernel(folder, "bound", Plugin(), **settings) as kernel:
                kernel.runlog()
                started = time.perf_counter()
                kernel.run("fails")
                timings.append(time.perf_counter() - started)
    finally:
        release.set()
    return timings[0], timings[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--history", type=int, default=0, help="alerts already in the store")
    args = parser.parse_args()
    logging.getLogger("spine.alerts").addHandler(_Silent())
    logging.getLogger("spine.alerts").propagate = False
    logging.getLogger("spine.alerting").setLevel(logging.WARNING)
    results: dict[str, list[float]] = {"distinct": [], "repeats": [], "baseline": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for round_ in range(args.repeat):  # interleaved, so drift hits all alike
            distinct = _alerts(args.alerts, False)
            results["distinct"].append(_spine_seconds(folder, f"d{round_}", distinct, args.history))
            results["repeats"].append(_spine_seconds(folder, f"r{round_}", _alerts(args.alerts, True)))
            results["baseline"].append(_baseline_seconds(folder, f"b{round_}", _alerts(args.alerts, False)))
        quiet, hung = _bound(folder)
    per_alert = {name: min(values) / args.alerts * 1000 for name, values in results.items()}
    print(
        f"{args.alerts} alerts, fastest of {args.repeat} rounds, embedded SQLite store holding "
        f"{args.history:,} earlier alerts, log channel"
    )
    print(f"  hand-written INSERT + log call      {per_alert['baseline']:7.3f} ms/alert")
    labels = {"distinct": "Spine.alert, distinct alerts", "repeats": "Spine.alert, repeats suppressed"}
    for name, label in labels.items():
        ratio = per_alert[name] / per_alert["baseline"]
        print(f"  {label:<36}{per_alert[name]:7.3f} ms/alert  ({ratio:.1f}x the baseline)")
    print(f"a failed run, alerting off:            {quiet * 1000:7.1f} ms")
    print(f"the same run, a channel that hangs:    {hung * 1000:7.1f} ms  (alert_timeout=1s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
