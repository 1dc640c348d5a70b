"""The alert history in the store: every outcome on every channel, and the questions the
router asks of it before a delivery (was this sent lately? how many were held back?)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .._records._damaged import RecordReader
from .._records._migrations import ALERTS
from .._records._queries import aware, clip, naive_utc_or_none, utc_text, where_clause
from ._model import Alert, Delivery, DeliveryStatus, Severity

if TYPE_CHECKING:
    from .._data._stores import Session, Store
    from ._settings import RateLimit

DUPLICATE, RATE_LIMIT = "duplicate", "rate_limit"
_EPOCH = datetime(1970, 1, 1)
_DELIVERED = (DeliveryStatus.SENT.value, DeliveryStatus.SENDING.value)


class AlertLog:
    """The ``spine_alerts`` table of one (migrated) store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._read = RecordReader(store, "spine_alerts")
        self._q = store.dialect.quote
        self._table = self._q("spine_alerts")
        self._columns = ", ".join(map(self._q, ALERTS.names))

    def admit(self, alert: Alert, channel: str, *, window: float, rate_limit: RateLimit | None) -> Delivery:
        """Decide, and record, whether `alert` goes out on `channel`.

        Suppressed (status ``suppressed``) when an alert with the same key was sent on
        the channel less than `window` seconds earlier, or when the channel has sent
        `rate_limit` alerts already in the limit's period. Otherwise recorded as
        ``sending``, with the count of repeats suppressed since the key was last sent
        and of alerts the rate limit held back since the channel last sent. One
        transaction per channel, under a lock, so that two processes raising the same
        alert at once send it once.
        """
        now = alert.raised_at
        key = _key_hash(alert.dedup_key)
        with self.store.transaction(lock=f"spine_alerts:{channel}") as session:
            last_of_key = self._last_sent(session, channel, key)
            reason, answer = None, ""
            if last_of_key is not None and now - last_of_key < timedelta(seconds=window):
                reason = DUPLICATE
                answer = f"repeat of an alert sent at {utc_text(last_of_key)} (window {window:g}s)"
            elif rate_limit is not None and (
                self._sent_since(session, channel, now - timedelta(seconds=rate_limit.seconds))
                >= rate_limit.most
            ):
                reason, answer = RATE_LIMIT, f"over the channel's rate limit ({rate_limit})"
            if reason is None:
                suppressed, first = self._suppressed(session, channel, DUPLICATE, last_of_key, key)
                held_back, _ = self._suppressed(
                    session, channel, RATE_LIMIT, self._last_sent(session, channel)
                )
                alert = dataclasses.replace(
                    alert, suppressed=suppressed, suppressed_since=first, held_back=held_back
                )
                delivery = Delivery(alert, channel, DeliveryStatus.SENDING, "")
            else:
                delivery = Delivery(alert, channel, DeliveryStatus.SUPPRESSED, answer, now)
            self._insert(session, delivery, reason)
        return delivery

    def record(self, delivery: Delivery) -> None:
        """Record a delivery that did not go through `admit` (a test alert, a channel that
        could not be opened)."""
        with self.store.transaction() as session:
            self._insert(session, delivery, None)

    def finish(self, delivery: Delivery) -> None:
        """Record how an admitted delivery ended: ``sent`` or ``failed``, and the answer."""
        q = self._q
        with self.store.transaction() as session:
            session.execute(
                f"UPDATE {self._table} SET {q('status')} = ?, {q('answer')} = ?, {q('finished_at')} = ? "
                f"WHERE {q('alert_id')} = ? AND {q('channel')} = ?",
                (
                    delivery.status.value,
                    clip(delivery.answer, 2000),
                    naive_utc_or_none(delivery.finished_at),
                    delivery.alert.alert_id,
                    delivery.channel,
                ),
            )

    def history(
        self,
        *,
        channel: str | None = None,
        status: str | None = None,
        pipeline: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
    ) -> list[Delivery]:
        """Deliveries, newest first, filtered by channel, status, pipeline and time raised."""
        q = self._q
        where, params = where_clause(
            q,
            (
                ("channel", "=", channel),
                ("status", "=", status),
                ("pipeline", "=", pipeline),
                ("raised_at", ">=", naive_utc_or_none(since)),
                ("raised_at", "<", naive_utc_or_none(until)),
            ),
        )
        sql = f"SELECT {self._columns} FROM {self._table}{where}"
        sql += f" ORDER BY {q('raised_at')} DESC, {q('alert_id')} DESC, {q('channel')}"
        sql += self.store.dialect.limit(limit)
        with self.store.transaction() as session:
            rows = session.query(sql, params)
        return [delivery for row in rows if (delivery := self._delivery(row)) is not None]

    # -- what admit asks and writes ------------------------------------------------------

    def _insert(self, session: Session, delivery: Delivery, reason: str | None) -> None:
        alert = delivery.alert
        session.execute(
            self.store.dialect.insert("spine_alerts", ALERTS),
            (
                alert.alert_id,
                delivery.channel,
                delivery.status.value,
                reason,
                alert.severity.value,
                clip(alert.title, 2000),
                clip(alert.text),
                alert.pipeline,
                alert.run_id,
                clip(alert.dedup_key, 1000),
                _key_hash(alert.dedup_key),
                clip(json.dumps(dict(alert.fields))),
                alert.url and clip(alert.url, 2000),
                alert.suppressed,
                alert.held_back,
                naive_utc_or_none(alert.raised_at),
                naive_utc_or_none(delivery.finished_at),
                clip(delivery.answer, 2000),
            ),
        )

    def _last_sent(self, session: Session, channel: str, key: str | None = None) -> datetime | None:
        """When `channel` last sent an alert (with `key`)."""
        q = self._q
        sql = (
            f"SELECT {q('raised_at')} FROM {self._table} WHERE {q('channel')} = ? AND {q('status')} IN (?, ?)"
        )
        params: tuple[Any, ...] = (channel, *_DELIVERED)
        if key is not None:
            sql, params = sql + f" AND {q('dedup_hash')} = ?", (*params, key)
        # Newest first along the index, rather than MAX() over every row of the channel.
        rows = session.query(sql + f" ORDER BY {q('raised_at')} DESC" + self.store.dialect.limit(1), params)
        return aware(rows[0][0]) if rows else None

    def _sent_since(self, session: Session, channel: str, since: datetime) -> int:
        q = self._q
        rows = session.query(
            f"SELECT COUNT(*) FROM {self._table} WHERE {q('channel')} = ? "
            f"AND {q('status')} IN (?, ?) AND {q('raised_at')} > ?",
            (channel, *_DELIVERED, naive_utc_or_none(since)),
        )
        return int(rows[0][0])

    def _suppressed(
        self, session: Session, channel: str, reason: str, after: datetime | None, key: str | None = None
    ) -> tuple[int, datetime | None]:
        """How many alerts `channel` suppressed for `reason` after `after` (with `key`), and
        when the first of them was raised."""
        q = self._q
        sql = (
            f"SELECT COUNT(*), MIN({q('raised_at')}) FROM {self._table} "
            f"WHERE {q('channel')} = ? AND {q('reason')} = ? AND {q('raised_at')} > ?"
        )
        params: tuple[Any, ...] = (channel, reason, naive_utc_or_none(after) or _EPOCH)
        if key is not None:
            sql, params = sql + f" AND {q('dedup_hash')} = ?", (*params, key)
        count, first = session.query(sql, params)[0]
        return int(count), aware(first)

    def _delivery(self, row: tuple[Any, ...]) -> Delivery | None:
        """A delivery as recorded; a damaged field is read as unknown, and one without a
        readable severity, title or time raised is left out (both reported: `RecordReader`)."""
        values = dict(zip(ALERTS.names, row, strict=True))
        read, record = self._read, f"alert {values['alert_id']} on {values['channel']}"
        raised_at = read.key_moment(record, "raised_at", values["raised_at"])
        severity = read.key_choice(Severity, record, "severity", values["severity"])
        title = str(values["title"] or "")
        if not title.strip():
            read.left_out(record, "title", values["title"])
        if raised_at is None or severity is None or not title.strip():
            return None
        alert = Alert(
            severity=severity,
            title=title,
            text=values["text"] or "",
            pipeline=values["pipeline"],
            run_id=values["run_id"],
            fields=read.json_object(record, "fields", values["fields"]),
            dedup_key=values["dedup_key"],
            url=values["url"],
            suppressed=read.count(record, "suppressed", values["suppressed"] or 0),
            held_back=read.count(record, "held_back", values["held_back"] or 0),
            raised_at=raised_at,
            alert_id=values["alert_id"],
        )
        status = read.status(DeliveryStatus, record, "status", values["status"])
        finished_at = read.moment(record, "finished_at", values["finished_at"])
        return Delivery(alert, str(values["channel"]), status, values["answer"] or "", finished_at)


def _key_hash(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8")).hexdigest()
