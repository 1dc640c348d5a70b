"""Resumable full reads (``chunk_rows``): a table in keyset chunks on its key, the end of each
chunk kept as the load's checkpoint (`spine.Batch.checkpoint`), so that a copy that fails
resumes after its last committed chunk instead of from the start.

The state is JSON: ``{"after": [key values]}`` while a copy is under way (the key of the
last row of the last committed chunk), ``{"complete": true}`` once a copy read to the end,
after which the next load starts over.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import spine
import sqlalchemy as sa

# Key types whose values survive JSON as they are (an int, a text) and compare in the
# database as in the ORDER BY.
CHUNK_KEY_TYPES = ("integer", "string")
COMPLETE = json.dumps({"complete": True})


def start_after(saved: str | None, described: str) -> list[Any] | None:
    """The key the read resumes after, from the saved state; None: from the start."""
    if saved is None:
        return None
    try:
        state = json.loads(saved)
    except ValueError:
        state = None
    if isinstance(state, dict) and state.get("complete") is True:
        return None
    after = state.get("after") if isinstance(state, dict) else None
    if not isinstance(after, list) or not all(isinstance(value, int | str) for value in after):
        raise spine.SourceError(
            f"{described}: the saved chunk position {saved!r} is not one this source wrote; nothing was read",
            context={"state": saved},
        )
    return after


def checkpoint_after(key: Sequence[Any]) -> str:
    """The state that resumes a read after the row whose key is `key`."""
    return json.dumps({"after": list(key)})


def past(keys: Sequence[Any], after: Sequence[Any]) -> sa.ColumnElement[bool]:
    """Rows whose key sorts after `after`: ``k1 > a1 OR (k1 = a1 AND k2 > a2) ...``, spelled
    out because Db2 has no row-value comparison."""
    alternatives = []
    for index, key in enumerate(keys):
        equal = [keys[before] == sa.literal(after[before]) for before in range(index)]
        alternatives.append(sa.and_(*equal, key > sa.literal(after[index])))
    return sa.or_(*alternatives)
