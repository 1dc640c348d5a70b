"""Incremental reads on a cursor column: the saved mark, the bounds of one run, the new mark.

The state is JSON: ``{"mark": TEXT, "at_mark": [[key values as text], ...]}``; the mark
is ISO 8601 for a timestamp cursor and the number for an integer one, ``at_mark`` the
keys of the rows read at the mark (``cursor_op=>=`` only, to skip them next time).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import spine

from ._options import SqlOptions, duration

CURSOR_TYPES = ("integer", "timestamp")


@dataclass
class Mark:
    """A mark and the keys of the rows read at it."""

    value: Any = None
    at_mark: set[tuple[str, ...]] = field(default_factory=set)

    @classmethod
    def loads(cls, saved: str | None, kind: str) -> Mark:
        if saved is None:
            return cls()
        try:
            state = json.loads(saved)
            text, keys = state["mark"], state.get("at_mark", [])
        except (ValueError, TypeError, KeyError):  # a plain mark
            text, keys = saved, []
        try:
            value = datetime.fromisoformat(text) if kind == "timestamp" else int(text)
        except (TypeError, ValueError):
            raise spine.SourceError(
                f"sql source: the saved mark {text!r} is not a {kind}: the cursor column's type changed?"
            ) from None
        return cls(value, {tuple(key) for key in keys})

    def dumps(self, keep_keys: bool) -> str | None:
        if self.value is None:
            return None
        text = self.value.isoformat() if isinstance(self.value, datetime) else str(self.value)
        state: dict[str, Any] = {"mark": text}
        if keep_keys:
            state["at_mark"] = sorted(list(key) for key in self.at_mark)
        return json.dumps(state)


def lag_of(options: SqlOptions, kind: str) -> timedelta | int | None:
    """The lag as the cursor's type takes it: a duration for timestamps, a count for integers."""
    text = options.cursor_lag
    if text is None:
        return None
    if kind == "timestamp":
        return timedelta(seconds=duration(text))
    if not text.strip().isdigit():
        raise spine.ConfigError(
            f"sql source option 'cursor_lag': the cursor {options.cursor!r} is an integer, so the lag "
            f"is a whole number (like 100), got {text!r}",
            context={"option": "cursor_lag"},
        )
    return int(text)


class Tracker:
    """The highest cursor value read, and the keys of the rows that hold it."""

    def __init__(self, saved: Mark, keep_keys: bool) -> None:
        self.saved = saved
        self.keep_keys = keep_keys
        self.high = Mark(saved.value, set(saved.at_mark))

    def seen_before(self, value: Any, key: tuple[str, ...]) -> bool:
        """Whether a row at the saved mark was read by the last run (``>=`` re-reads them)."""
        return value is not None and value == self.saved.value and key in self.saved.at_mark

    def add(self, value: Any, key: tuple[str, ...]) -> None:
        if value is None:
            return
        if self.high.value is None or value > self.high.value:
            self.high = Mark(value, {key} if self.keep_keys else set())
        elif value == self.high.value and self.keep_keys:
            self.high.at_mark.add(key)
