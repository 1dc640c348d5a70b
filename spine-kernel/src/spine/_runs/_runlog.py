"""Run records, rejected rows and pipeline state, kept in the store next to the data."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from .._data._sources import Reject
from .._data._stores import Session, Store
from .._errors import SourceError
from .._records._damaged import RecordReader
from .._records._migrations import REJECTS, RUN_NOTES, RUNS, STATE, TEXT, migrate
from .._records._queries import (
    Abandonment,
    clip,
    clip_start,
    close_abandoned,
    in_chunks,
    naive_utc_or_none,
    where_clause,
)
from .._records._results import ErrorInfo, RunCounts, RunResult, TableChange
from .._records._statuses import RunStatus

# What `RunLog.finished` sets, in this order.
_ENDED = (
    "status",
    "rows_read",
    "rows_written",
    "rows_rejected",
    "finished_at",
    "error_category",
    "error_retryable",
    "error_message",
    "error_context",
    "error_traceback",
)


_COUNTS = ("rows_read", "rows_written", "rows_rejected")  # the fields of RunCounts, in order


class RunLog:
    """The kernel's tables in one store; creating one migrates the store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._read = RecordReader(store, "spine_runs")
        quote = store.dialect.quote
        self._q = quote
        self._runs, self._rejects, self._state = (
            quote("spine_runs"),
            quote("spine_rejects"),
            quote("spine_state"),
        )
        self._run_columns = ", ".join(map(quote, RUNS.names))
        # Every run writes these: spelled once (quoting every column costs a run a tenth of
        # a millisecond, as much as its SQL).
        insert = store.dialect.insert
        self._insert_run, self._insert_note, self._insert_reject = (
            insert("spine_runs", RUNS),
            insert("spine_run_notes", RUN_NOTES),
            insert("spine_rejects", REJECTS),
        )
        ended = ", ".join(f"{quote(column)} = ?" for column in _ENDED)
        self._end_run = f"UPDATE {self._runs} SET {ended} WHERE {quote('run_id')} = ?"
        migrate(store)

    def started(
        self,
        run_id: str,
        pipeline: str,
        params: Mapping[str, Any],
        started_at: datetime,
        *,
        worker: str | None = None,
    ) -> None:
        """Record a run as ``running``, by `worker` (``host:pid``): if that process dies, the
        next reader of the records closes the run (`close_abandoned`)."""
        values = dict.fromkeys(RUNS.names)
        values.update(
            run_id=run_id,
            pipeline=pipeline,
            status=RunStatus.RUNNING.value,
            params=clip(json.dumps(params, default=str, sort_keys=True)),
            rows_read=0,
            rows_written=0,
            rows_rejected=0,
            started_at=naive_utc_or_none(started_at),
            worker=worker,
            heartbeat_at=naive_utc_or_none(started_at),
        )
        with self.store.transaction(lock="spine_runs") as session:
            session.execute(self._insert_run, tuple(values.values()))

    def finished(self, result: RunResult, rejects: Iterable[Reject]) -> None:
        """Record how a run ended, what it said (warnings, tables changed) and its rejected
        rows, in one transaction."""
        error = result.error
        ended = (
            result.status.value,
            result.counts.rows_read,
            result.counts.rows_written,
            result.counts.rows_rejected,
            naive_utc_or_none(result.finished_at),
            error.category if error else None,
            error.retryable if error else None,
            clip(error.message) if error else None,
            clip(json.dumps(error.context, default=str, sort_keys=True)) if error else None,
            clip_start(error.traceback) if error and error.traceback else None,
        )
        with self.store.transaction(lock="spine_runs") as session:
            session.execute(self._end_run, (*ended, result.run_id))
            session.executemany(
                self._insert_note,
                (
                    (result.run_id, seq, kind, clip(subject, 200), clip(message))
                    for seq, (kind, subject, message) in enumerate(_notes_of(result), start=1)
                ),
            )
            session.executemany(
                self._insert_reject,
                (
                    (result.run_id, seq, clip(r.origin, 2000), r.position, clip(r.raw), clip(r.reason, 2000))
                    for seq, r in enumerate(rejects, start=1)
                ),
            )

    def ended(
        self, session: Session, run_id: str, status: RunStatus, counts: RunCounts, at: datetime
    ) -> None:
        """Record in `session` (the transaction of a load, see `RunContext.load`) that the run
        ended with `status` and `counts`; `finished` records the rest of it afterwards."""
        ended = (
            status.value,
            counts.rows_read,
            counts.rows_written,
            counts.rows_rejected,
            naive_utc_or_none(at),
            *(None,) * 5,  # no error
        )
        session.execute(self._end_run, (*ended, run_id))

    def beat(self, run_ids: Iterable[str], now: datetime) -> bool:
        """Say that the running pipeline or workflow runs `run_ids` are alive at `now`; False
        when the store was busy with another writer (a SQLite load) and nothing was written."""
        q = self._q
        with self.store.try_transaction() as session:
            if session is None:
                return False
            for chunk, marks in in_chunks(run_ids):
                for table in (self._runs, q("spine_workflow_runs")):
                    session.execute(
                        f"UPDATE {table} SET {q('heartbeat_at')} = ? "
                        f"WHERE {q('status')} = ? AND {q('run_id')} IN ({marks})",
                        (naive_utc_or_none(now), RunStatus.RUNNING.value, *chunk),
                    )
        return True

    def close_abandoned(self, reason: Abandonment) -> list[RunResult]:
        """Close as ``failed`` the running runs whose process is gone, and return them.

        `reason(worker, heartbeat_at)` says why a run's process is taken for gone, or None
        when it may still be running (see `close_abandoned`)."""
        q = self._q
        running = f" WHERE {q('status')} = ?"

        def select(session: Session) -> list[tuple[RunResult, str | None, datetime | None]]:
            rows = session.query(
                f"SELECT {self._run_columns} FROM {self._runs}{running}", (RunStatus.RUNNING.value,)
            )
            beat = RUNS.index("heartbeat_at")
            runs = [(self._result(row), row[beat]) for row in rows]
            return [(run, run.worker, self._read.moment(run.run_id, "heartbeat_at", at)) for run, at in runs]

        def close(session: Session, run: RunResult, why: str, now: datetime) -> RunResult:
            error = ErrorInfo("abandoned", why, True)
            closing = (RunStatus.FAILED.value, naive_utc_or_none(now), error.category, True, clip(why))
            session.execute(
                f"UPDATE {self._runs} SET {q('status')} = ?, {q('finished_at')} = ?, "
                f"{q('error_category')} = ?, {q('error_retryable')} = ?, {q('error_message')} = ?"
                f"{running} AND {q('run_id')} = ?",
                (*closing, RunStatus.RUNNING.value, run.run_id),
            )
            return dataclasses.replace(run, status=RunStatus.FAILED, finished_at=now, error=error)

        return close_abandoned(self.store, select, reason, close)

    def run(self, run_id: str) -> RunResult | None:
        """The run with this id, with its warnings and tables changed."""
        q = self._q
        with self.store.transaction() as session:
            rows = session.query(
                f"SELECT {self._run_columns} FROM {self._runs} WHERE {q('run_id')} = ?", (run_id,)
            )
            return self._with_notes(session, [self._result(row) for row in rows])[0] if rows else None

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
            return self._with_notes(session, [self._result(row) for row in session.query(sql, params)])

    def _with_notes(self, session: Session, runs: list[RunResult]) -> list[RunResult]:
        """`runs` with the warnings and table changes recorded for each."""
        q = self._q
        notes: dict[str, list[tuple[str, str, str]]] = {}
        for chunk, marks in in_chunks(run.run_id for run in runs):
            rows = session.query(
                f"SELECT {q('run_id')}, {q('kind')}, {q('subject')}, {q('message')} "
                f"FROM {q('spine_run_notes')} WHERE {q('run_id')} IN ({marks}) "
                f"ORDER BY {q('run_id')}, {q('seq')}",
                chunk,
            )
            for run_id, kind, subject, message in rows:
                notes.setdefault(str(run_id), []).append((str(kind), subject or "", message or ""))
        return [_noted(run, notes.get(run.run_id, [])) for run in runs]

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
        """Keep `value` for a pipeline's `key`, in a transaction of its own."""
        with self.store.transaction(lock=f"spine_state:{pipeline}") as session:
            self.keep_state(session, pipeline, key, value)

    def keep_state(self, session: Session, pipeline: str, key: str, value: str) -> None:
        """Keep `value` for a pipeline's `key` in `session`: the transaction of the load whose
        rows it describes, so that both commit or neither does.

        A value longer than the column refuses the load (`SourceError`): a cut cursor would
        resume the next load from a place no source ever gave."""
        if len(value) > TEXT:
            raise SourceError(
                f"state {key!r} of pipeline {pipeline!r} is {len(value):,} characters, more than the "
                f"{TEXT:,} a store keeps: the load is not committed",
                context={"pipeline": pipeline, "state_key": key, "length": len(value)},
            )
        q = self._q
        now = datetime.now(UTC).replace(tzinfo=None)
        session.execute(
            f"DELETE FROM {self._state} WHERE {q('pipeline')} = ? AND {q('state_key')} = ?",
            (pipeline, key),
        )
        session.execute(self.store.dialect.insert("spine_state", STATE), (pipeline, key, value, now))

    def _result(self, row: tuple[Any, ...]) -> RunResult:
        """A run as recorded; a damaged field is read as unknown and reported (`RecordReader`)."""
        values = dict(zip(RUNS.names, row, strict=True))
        read, run_id = self._read, str(values["run_id"])
        error = None
        if values["error_category"] is not None:
            error = ErrorInfo(
                str(values["error_category"]),
                str(values["error_message"] or ""),
                bool(values["error_retryable"]),
                read.json_object(run_id, "error_context", values["error_context"]),
                values["error_traceback"],
            )
        return RunResult(
            run_id,
            read.text(run_id, "pipeline", values["pipeline"]),
            read.status(RunStatus, run_id, "status", values["status"]),
            read.json_object(run_id, "params", values["params"]),
            RunCounts(*(read.count(run_id, name, values[name]) for name in _COUNTS)),
            read.moment(run_id, "started_at", values["started_at"], required=True),
            read.moment(run_id, "finished_at", values["finished_at"]),
            error,
            worker=values["worker"],
        )


def _notes_of(result: RunResult) -> Iterator[tuple[str, str, str]]:
    """The notes rows of a run's warnings and table changes: (kind, subject, message)."""
    for warning in result.warnings:
        yield "warning", "", warning
    for change in result.tables:
        kind = "created" if change.created else "added"
        for name, type_name in change.columns.items():
            yield kind, change.table, f"{name} {type_name}"


def _noted(run: RunResult, notes: list[tuple[str, str, str]]) -> RunResult:
    """`run` with the warnings and table changes of its notes rows, in their order."""
    warnings = tuple(message for kind, _, message in notes if kind == "warning")
    tables: list[TableChange] = []
    for kind, table, message in notes:
        if kind not in ("created", "added"):
            continue
        name, _, type_name = message.partition(" ")
        created = kind == "created"
        if not tables or (tables[-1].table, tables[-1].created) != (table, created):
            tables.append(TableChange(table, created, {}))
        tables[-1].columns[name] = type_name
    return dataclasses.replace(run, warnings=warnings, tables=tuple(tables))
