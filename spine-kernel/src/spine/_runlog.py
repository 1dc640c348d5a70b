"""Run records, rejected rows and pipeline state, kept in the store next to the data."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from ._migrations import REJECTS, RUNS, STATE, TEXT, migrate
from ._results import ErrorInfo, RunCounts, RunResult, RunStatus
from ._schema import naive_utc
from ._sources import Reject
from ._stores import Store


def clip(text: str, limit: int = TEXT) -> str:
    # Stored texts are bounded (Db2's VARCHAR); the rest of a very long record is
    # of no use in a rejects table.
    return text if len(text) <= limit else text[: limit - 1] + "…"


def naive_utc_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else naive_utc(moment)


def utc_text(moment: datetime) -> str:
    """A moment as the kernel's records tell it in words: ``2026-11-23 08:00:00 UTC``."""
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


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


def aware(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC)


class RunLog:
    """The kernel's tables in one store; creating one migrates the store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        quote = store.dialect.quote
        self._q = quote
        self._runs, self._rejects, self._state = (
            quote("spine_runs"),
            quote("spine_rejects"),
            quote("spine_state"),
        )
        self._run_columns = ", ".join(map(quote, RUNS.names))
        migrate(store)

    def started(self, run_id: str, pipeline: str, params: Mapping[str, Any], started_at: datetime) -> None:
        """Record a run as ``running`` (it stays so if the process dies)."""
        row = (
            run_id,
            pipeline,
            RunStatus.RUNNING.value,
            clip(json.dumps(params, default=str, sort_keys=True)),
            0,
            0,
            0,
            naive_utc_or_none(started_at),
            None,
            None,
            None,
            None,
            None,
        )
        with self.store.transaction(lock="spine_runs") as session:
            session.execute(self.store.dialect.insert("spine_runs", RUNS), row)

    def finished(self, result: RunResult, rejects: Iterable[Reject]) -> None:
        """Record how a run ended, and its rejected rows, in one transaction."""
        q = self._q
        error = result.error
        with self.store.transaction(lock="spine_runs") as session:
            session.execute(
                f"UPDATE {self._runs} SET {q('status')} = ?, {q('rows_read')} = ?, {q('rows_written')} = ?, "
                f"{q('rows_rejected')} = ?, {q('finished_at')} = ?, {q('error_category')} = ?, "
                f"{q('error_retryable')} = ?, {q('error_message')} = ?, {q('error_context')} = ? "
                f"WHERE {q('run_id')} = ?",
                (
                    result.status.value,
                    result.counts.rows_read,
                    result.counts.rows_written,
                    result.counts.rows_rejected,
                    naive_utc_or_none(result.finished_at),
                    error.category if error else None,
                    error.retryable if error else None,
                    clip(error.message) if error else None,
                    clip(json.dumps(error.context, default=str, sort_keys=True)) if error else None,
                    result.run_id,
                ),
            )
            session.executemany(
                self.store.dialect.insert("spine_rejects", REJECTS),
                (
                    (
                        result.run_id,
                        seq,
                        clip(r.origin, 2000),
                        r.position,
                        clip(r.raw),
                        clip(r.reason, 2000),
                    )
                    for seq, r in enumerate(rejects, start=1)
                ),
            )

    def run(self, run_id: str) -> RunResult | None:
        """The run with this id, or with this unique id prefix (at least 6 characters)."""
        q = self._q
        with self.store.transaction() as session:
            rows = session.query(
                f"SELECT {self._run_columns} FROM {self._runs} WHERE {q('run_id')} = ?", (run_id,)
            )
            if not rows and len(run_id) >= 6:
                rows = session.query(
                    f"SELECT {self._run_columns} FROM {self._runs} WHERE {q('run_id')} LIKE ?",
                    (run_id + "%",),
                )
        return _result(rows[0]) if len(rows) == 1 else None

    def runs(
        self,
        *,
        pipeline: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        workflow: str | None = None,
    ) -> list[RunResult]:
        """Runs, newest first, filtered by pipeline, status and start time, and to the
        steps of `workflow`'s runs."""
        q = self._q
        steps_of_workflow = (
            f"{q('run_id')} IN (SELECT s.{q('run_id')} FROM {q('spine_workflow_steps')} s "
            f"JOIN {q('spine_workflow_runs')} w ON w.{q('run_id')} = s.{q('workflow_run_id')} "
            f"WHERE w.{q('workflow')} = ?)"
        )
        where, params = where_clause(
            q,
            (
                ("pipeline", "=", pipeline),
                ("status", "=", status),
                ("started_at", ">=", naive_utc_or_none(since)),
                ("started_at", "<", naive_utc_or_none(until)),
            ),
            *([(steps_of_workflow, workflow)] if workflow is not None else []),
        )
        sql = f"SELECT {self._run_columns} FROM {self._runs}{where}"
        sql += f" ORDER BY {q('started_at')} DESC, {q('run_id')} DESC" + self.store.dialect.limit(limit)
        with self.store.transaction() as session:
            rows = session.query(sql, params)
        return [_result(row) for row in rows]

    def rejects(self, run_id: str, limit: int | None = None) -> list[Reject]:
        q = self._q
        with self.store.transaction() as session:
            rows = session.query(
                f"SELECT {q('origin')}, {q('position')}, {q('raw')}, {q('reason')} FROM {self._rejects} "
                f"WHERE {q('run_id')} = ? ORDER BY {q('seq')}"
                + (self.store.dialect.limit(limit) if limit else ""),
                (run_id,),
            )
        return [Reject(*row) for row in rows]

    def state(self, pipeline: str, key: str) -> str | None:
        """A pipeline's saved value for `key` (a cursor, a high-water mark), or None."""
        q = self._q
        with self.store.transaction() as session:
            rows = session.query(
                f"SELECT {q('state_value')} FROM {self._state} "
                f"WHERE {q('pipeline')} = ? AND {q('state_key')} = ?",
                (pipeline, key),
            )
        return str(rows[0][0]) if rows else None

    def set_state(self, pipeline: str, key: str, value: str) -> None:
        q = self._q
        now = datetime.now(UTC).replace(tzinfo=None)
        with self.store.transaction(lock=f"spine_state:{pipeline}") as session:
            session.execute(
                f"DELETE FROM {self._state} WHERE {q('pipeline')} = ? AND {q('state_key')} = ?",
                (pipeline, key),
            )
            session.execute(
                self.store.dialect.insert("spine_state", STATE),
                (pipeline, key, clip(value), now),
            )


def _result(row: tuple[Any, ...]) -> RunResult:
    (run_id, pipeline, status, params, read, written, rejected, started, finished, *failure) = row
    category, retryable, message, context = failure
    error = None
    if category is not None:
        error = ErrorInfo(category, message or "", bool(retryable), json.loads(context) if context else {})
    return RunResult(
        run_id,
        pipeline,
        RunStatus(status),
        json.loads(params) if params else {},
        RunCounts(int(read), int(written), int(rejected)),
        aware(started),  # type: ignore[arg-type]
        aware(finished),
        error,
    )
