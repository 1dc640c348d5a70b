"""What every record log (runs, workflow runs, schedules, alerts) shares: bounded texts,
moments as stored and as told, ``WHERE`` clauses, ``IN`` lists, id prefixes, and closing
runs whose process died."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

from .._data._schema import naive_utc
from .._data._stores import Session, Store
from ._migrations import TEXT, TRACEBACK


def clip(text: str, limit: int = TEXT) -> str:
    # Stored texts are bounded (Db2's VARCHAR); the rest of a very long record is
    # of no use in a rejects table.
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip_start(text: str, limit: int = TRACEBACK) -> str:
    """`text` without its beginning when it is too long: a traceback's end says the most."""
    return text if len(text) <= limit else "…" + text[len(text) - limit + 1 :]


def naive_utc_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else naive_utc(moment)


def utc_text(moment: datetime | None) -> str:
    """A moment as the kernel's records tell it in words: ``2026-11-23 08:00:00 UTC`` (``an
    unknown time`` for None: a damaged record's)."""
    return "an unknown time" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def where_clause(
    quote: Callable[[str], str], conditions: Iterable[tuple[str, str, Any]], *raw: tuple[str, Any]
) -> tuple[str, list[Any]]:
    """`` WHERE ...`` for the (column, operator, value) conditions whose value is not None,
    and the raw (SQL, parameter) conditions; with the parameters, in order."""
    where = [sql for sql, _ in raw]
    params = [value for _, value in raw]
    for column, op, value in conditions:
        if value is not None:
            where.append(f"{quote(column)} {op} ?")
            params.append(value)
    return (" WHERE " + " AND ".join(where) if where else ""), params


Abandonment = Callable[[str | None, datetime | None], str | None]  # (worker, heartbeat_at) -> why dead
RunT = TypeVar("RunT")


def close_abandoned(
    store: Store,
    select: Callable[[Session], list[tuple[RunT, str | None, datetime | None]]],
    reason: Abandonment,
    close: Callable[[Session, RunT, str, datetime], RunT],
) -> list[RunT]:
    """Close the running runs `select` finds (each with its worker and heartbeat) that `reason`
    takes for dead, with `close`, and return them as closed.

    The runs are read first, without a lock: only when one is dead is the write lock taken,
    without waiting (a store busy with another writer, a SQLite load, is left for the next
    reader), and the runs read again under it, so that a run that ended meanwhile stays as
    it ended and two readers close a run once.
    """
    with store.transaction() as session:
        if not any(reason(worker, beat) for _, worker, beat in select(session)):
            return []
    now = datetime.now(UTC)
    with store.try_transaction(lock="spine_runs") as session:
        if session is None:
            return []
        closed = []
        for run, worker, beat in select(session):
            why = reason(worker, beat)
            if why is not None:
                closed.append(close(session, run, why, now))
        return closed


def in_chunks(ids: Iterable[str], size: int = 100) -> Iterator[tuple[list[str], str]]:
    """`ids` a hundred at a time, each chunk with its placeholders (``?, ?, ?``) for ``IN (...)``."""
    listed = list(ids)
    for start in range(0, len(listed), size):
        chunk = listed[start : start + size]
        yield chunk, ", ".join("?" * len(chunk))


def aware(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC)


def ids_starting(store: Store, table: str, prefix: str, limit: int) -> list[str]:
    """Up to `limit` run ids of `table` (spine_runs, spine_workflow_runs) starting with `prefix`."""
    q = store.dialect.quote
    pattern = prefix.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"
    with store.transaction() as session:
        rows = session.query(
            f"SELECT {q('run_id')} FROM {q(table)} WHERE {q('run_id')} LIKE ? ESCAPE '!' "
            f"ORDER BY {q('run_id')}" + store.dialect.limit(limit),
            (pattern,),
        )
    return [str(row[0]) for row in rows]
