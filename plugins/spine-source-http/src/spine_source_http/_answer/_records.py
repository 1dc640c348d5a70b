"""A block of a page's records, which every format of answer is read into, and how a
decoded JSON value joins one: an object as a record, anything else as a reject."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import spine


class Records(NamedTuple):
    """A block of a page's records: objects (JSON) or lists of fields under a header
    (delimited text), each with its number on the page (from 1); `texts` holds each one's
    text as received when the format gives it for free (None: `text` makes it when asked)."""

    header: list[str] | None
    items: list[Any]
    positions: list[int]
    texts: list[str] | None
    rejects: list[spine.Reject]  # records that could not be read, their origin left blank

    @property
    def held(self) -> int:
        """How many records the block held, readable or not."""
        return len(self.items) + len(self.rejects)

    def text(self, index: int) -> str:
        """The text of record `index`, for the rejects table."""
        if self.texts is not None:
            return self.texts[index]
        return json.dumps(self.items[index], ensure_ascii=False, default=str)

    def split(self, count: int) -> tuple[Records, Records]:
        """The first `count` records (with the rejects before the next one), and the rest."""
        if count >= len(self.items):
            return self, no_records(self.header)
        cut = self.positions[count]
        texts = self.texts
        return (
            Records(
                self.header,
                self.items[:count],
                self.positions[:count],
                None if texts is None else texts[:count],
                [reject for reject in self.rejects if (reject.position or 0) < cut],
            ),
            Records(
                self.header,
                self.items[count:],
                self.positions[count:],
                None if texts is None else texts[count:],
                [reject for reject in self.rejects if (reject.position or 0) >= cut],
            ),
        )


def no_records(header: list[str] | None = None) -> Records:
    return Records(header, [], [], [], [])


def joined(blocks: list[Records]) -> Records:
    """One block of several of the same page."""
    if len(blocks) == 1:
        return blocks[0]
    texts = [block.texts for block in blocks]
    return Records(
        blocks[0].header,
        [item for block in blocks for item in block.items],
        [position for block in blocks for position in block.positions],
        None if None in texts else [text for block in texts if block for text in block],
        [reject for block in blocks for reject in block.rejects],
    )


def objects(items: list[Any], before: int) -> Records:
    positions = list(range(before + 1, before + len(items) + 1))
    if set(map(type, items)) <= {dict}:  # the usual block: nothing to sort out one by one
        return Records(None, items, positions, None, [])
    found = Records(None, [], [], None, [])
    for position, item in zip(positions, items, strict=True):
        keep(found, position, item, None)
    return found


def keep(found: Records, index: int, item: Any, text: str | None) -> None:
    if isinstance(item, dict):
        found.items.append(item)
        found.positions.append(index)
        if found.texts is not None and text is not None:
            found.texts.append(text)
    else:
        reason = f"expected a JSON object, got {type(item).__name__}"
        shown = json.dumps(item, ensure_ascii=False, default=str) if text is None else text
        found.rejects.append(spine.Reject("", index, shown, reason))
