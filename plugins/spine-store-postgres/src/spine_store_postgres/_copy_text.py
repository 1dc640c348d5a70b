"""The text that COPY sends for dates and timestamps, in place of psycopg's own.

Loads send text COPY (see `Load._copy`). psycopg's text dumper for dates calls
``date.isoformat`` (a tenth of a row's whole cost in a FINRA load), and its dumper
for timestamps writes an aware datetime with its offset, which the server then drops
silently on the way into a ``timestamp`` column. Binary COPY refuses such a value;
so does `TimestampText`.
"""

from __future__ import annotations

from datetime import date, datetime

from psycopg.adapt import Dumper
from psycopg.postgres import types


class _DateTexts(dict[date, bytes]):
    """ISO dates, remembered: a load's dates repeat row after row. Bounded, so a
    column of unique dates cannot grow it."""

    LIMIT = 4096

    def __missing__(self, day: date) -> bytes:
        text = date.isoformat(day).encode()  # raises TypeError on anything but a date
        if len(self) >= self.LIMIT:
            self.clear()
        self[day] = text
        return text


_DATES = _DateTexts()


class DateText(Dumper):
    oid = types["date"].oid

    def dump(self, obj: date) -> bytes:
        return _DATES[obj]


class TimestampText(Dumper):
    oid = types["timestamp"].oid

    def dump(self, obj: datetime) -> bytes:
        if not isinstance(obj, datetime):
            raise TypeError(f"expected a datetime, got {type(obj).__name__}")
        if obj.tzinfo is not None:
            raise ValueError(f"{obj} has a time zone: spine's timestamps are naive and mean UTC")
        return obj.isoformat().encode()
