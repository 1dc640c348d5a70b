"""Reading the kernel's own records when a row is damaged: a command that lists or shows
records never fails on one.

The kernel writes every row of its tables itself, but a row can still be damaged: edited by
hand, written by a newer or broken version, or overwritten by a load from before the kernel
refused its tables as targets. A `RecordReader` converts the fields of one table's rows; a
value it cannot convert becomes a stand-in (`UNKNOWN` for a status, None for a moment, an
empty object for JSON, 0 for a count) and is reported once per store, table, record and
field, as a warning naming them.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .._data._stores import Store

log = logging.getLogger("spine.records")
Member = TypeVar("Member", bound=StrEnum)
StandIn = TypeVar("StandIn")
UNKNOWN = "unknown"  # the value of each status enum's stand-in member
_SHOWN = 60  # characters of a damaged value in the warning


class RecordReader:
    """The conversions of the fields of `table`'s rows, tolerant of damaged values.

    Each method takes the record's id (how the warning names the row) and the field's name
    with the value as stored.
    """

    def __init__(self, store: Store, table: str) -> None:
        self.table = table
        self._told = store.damage_reported

    def status(self, kind: type[Member], record: str, field: str, value: Any) -> Member:
        """`value` as a member of `kind`; its ``UNKNOWN`` member for NULL or another word."""
        try:
            return kind(value)
        except ValueError:
            return self._damaged(record, field, value, kind(UNKNOWN))

    def moment(self, record: str, field: str, value: Any, *, required: bool = False) -> datetime | None:
        """A stored moment (naive UTC, a datetime or ISO text) as an aware one; None for NULL,
        and for a value that is not a moment (reported, as is NULL when `required`)."""
        if value is None and not required:
            return None
        moment = _moment(value)
        return self._damaged(record, field, value, None) if moment is None else moment

    def key_moment(self, record: str, field: str, value: Any) -> datetime | None:
        """A moment that the record cannot be shown without (a fire's due time, when an alert
        was raised); None, reported with the record left out, when it is NULL or not a moment."""
        moment = _moment(value)
        if moment is None:
            self.left_out(record, field, value)
        return moment

    def key_choice(self, kind: type[Member], record: str, field: str, value: Any) -> Member | None:
        """`value` as a member of `kind`, when the record cannot be shown without it (an
        alert's severity); None, reported with the record left out, for another value."""
        try:
            return kind(value)
        except ValueError:
            self.left_out(record, field, value)
            return None

    def left_out(self, record: str, field: str, value: Any) -> None:
        """Report that the record is left out for its damaged `field`."""
        self._damaged(record, field, value, None, "the record is left out")

    def json_object(self, record: str, field: str, value: Any) -> dict[str, Any]:
        """A stored JSON object; empty for NULL or empty text, and for text that is not one."""
        if not value:
            return {}
        try:
            parsed = json.loads(value)
        except (TypeError, ValueError):
            parsed = None
        return parsed if isinstance(parsed, dict) else self._damaged(record, field, value, {})

    def json_list(self, record: str, field: str, value: Any) -> list[Any]:
        """A stored JSON list; empty for NULL or empty text, and for text that is not one."""
        if not value:
            return []
        try:
            parsed = json.loads(value)
        except (TypeError, ValueError):
            parsed = None
        return parsed if isinstance(parsed, list) else self._damaged(record, field, value, [])

    def count(self, record: str, field: str, value: Any) -> int:
        """A stored whole number; 0 for NULL and for a value that is not one (reported)."""
        try:
            return int(value)
        except (TypeError, ValueError):
            return self._damaged(record, field, value, 0)

    def text(self, record: str, field: str, value: Any) -> str:
        """A stored text that every record has; ``?`` for NULL (reported)."""
        return self._damaged(record, field, value, "?") if value is None else str(value)

    def _damaged(
        self, record: str, field: str, value: Any, stand_in: StandIn, outcome: str | None = None
    ) -> StandIn:
        key = (self.table, record, field)
        if key not in self._told:
            self._told.add(key)
            shown = "NULL" if value is None else repr(value)
            if len(shown) > _SHOWN:
                shown = shown[: _SHOWN - 1] + "…"
            log.warning(
                "damaged record in %s: %s has %s %s; %s",
                self.table,
                record,
                field,
                shown,
                outcome or f"shown as {_stand_in_text(stand_in)}",
            )
        return stand_in


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC)
    try:
        return datetime.fromisoformat(str(value)).replace(tzinfo=UTC) if value is not None else None
    except ValueError:
        return None


def _stand_in_text(stand_in: object) -> str:
    if stand_in is None:
        return "unknown (-)"
    return stand_in.value if isinstance(stand_in, StrEnum) else json.dumps(stand_in)
