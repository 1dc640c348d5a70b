"""Workflow runs and their steps, kept in the store next to the pipeline runs."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._records._damaged import RecordReader
from .._records._migrations import WORKFLOW_RUNS, WORKFLOW_STEPS
from .._records._queries import Abandonment, clip, close_abandoned, in_chunks, naive_utc_or_none, where_clause
from .._records._results import StepResult, WorkflowResult
from .._records._statuses import RunStatus, StepStatus

if TYPE_CHECKING:
    from .._data._stores import Session, Store


class WorkflowLog:
    """The ``spine_workflow_runs`` and ``spine_workflow_steps`` tables of one (migrated) store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._read, self._read_step = (
            RecordReader(store, "spine_workflow_runs"),
            RecordReader(store, "spine_workflow_steps"),
        )
        q = self._q = store.dialect.quote
        self._runs, self._steps = q("spine_workflow_runs"), q("spine_workflow_steps")
        self._run_columns = ", ".join(map(q, WORKFLOW_RUNS.names))
        self._step_columns = ", ".join(map(q, WORKFLOW_STEPS.names))

    def started(self, result: WorkflowResult, max_concurrency: int, on_failure: str) -> None:
        """Record a workflow run as ``running``, with every step as it stands; if its process
        (``result.worker``) dies, the next reader of the records closes it."""
        with self.store.transaction(lock="spine_runs") as session:
            session.execute(
                self.store.dialect.insert("spine_workflow_runs", WORKFLOW_RUNS),
                (
                    result.run_id,
                    result.workflow,
                    result.status.value,
                    clip(json.dumps(result.params, default=str, sort_keys=True)),
                    max_concurrency,
                    on_failure,
                    result.source and clip(result.source, 2000),
                    result.resumed_from,
                    naive_utc_or_none(result.started_at),
                    None,
                    result.worker,
                    naive_utc_or_none(result.started_at),
                ),
            )
            session.executemany(
                self.store.dialect.insert("spine_workflow_steps", WORKFLOW_STEPS),
                [_step_row(result.run_id, seq, step) for seq, step in enumerate(result.steps, start=1)],
            )

    def step(self, workflow_run_id: str, step: StepResult) -> None:
        """Record where a step stands now."""
        with self.store.transaction() as session:
            self._record_step(session, workflow_run_id, step)

    def _record_step(self, session: Session, workflow_run_id: str, step: StepResult) -> None:
        q = self._q
        changing = ("status", "run_id", "params", "started_at", "finished_at", "message")
        row = dict(zip(WORKFLOW_STEPS.names, _step_row(workflow_run_id, 0, step), strict=True))
        session.execute(
            f"UPDATE {self._steps} SET {', '.join(f'{q(name)} = ?' for name in changing)} "
            f"WHERE {q('workflow_run_id')} = ? AND {q('step')} = ?",
            (*(row[name] for name in changing), workflow_run_id, step.step),
        )

    def finished(self, result: WorkflowResult) -> None:
        q = self._q
        with self.store.transaction(lock="spine_runs") as session:
            session.execute(
                f"UPDATE {self._runs} SET {q('status')} = ?, {q('finished_at')} = ? WHERE {q('run_id')} = ?",
                (result.status.value, naive_utc_or_none(result.finished_at), result.run_id),
            )

    def run(self, run_id: str) -> WorkflowResult | None:
        """The workflow run with this id."""
        q = self._q
        with self.store.transaction() as session:
            rows = self._select_runs(session, f"WHERE {q('run_id')} = ?", (run_id,))
            return self._with_steps(session, rows)[0] if rows else None

    def close_abandoned(self, reason: Abandonment) -> list[WorkflowResult]:
        """Close as ``failed`` the running workflow runs whose process is gone (see
        `RunLog.close_abandoned`), their steps still pending ``skipped`` and those still
        running ``failed``; return them as closed."""
        q = self._q
        running = f" WHERE {q('status')} = ?"

        def select(session: Session) -> list[tuple[WorkflowResult, str | None, datetime | None]]:
            rows = self._select_runs(session, running, (RunStatus.RUNNING.value,))
            beat = WORKFLOW_RUNS.index("heartbeat_at")
            return [
                (run, run.worker, self._read.moment(run.run_id, "heartbeat_at", row[beat]))
                for run, row in zip(self._with_steps(session, rows), rows, strict=True)
            ]

        def close(session: Session, run: WorkflowResult, why: str, now: datetime) -> WorkflowResult:
            steps = tuple(_abandoned(step, why, now) for step in run.steps)
            for step in steps:
                self._record_step(session, run.run_id, step)
            session.execute(
                f"UPDATE {self._runs} SET {q('status')} = ?, {q('finished_at')} = ?{running} "
                f"AND {q('run_id')} = ?",
                (RunStatus.FAILED.value, naive_utc_or_none(now), RunStatus.RUNNING.value, run.run_id),
            )
            return dataclasses.replace(run, status=RunStatus.FAILED, finished_at=now, steps=steps)

        return close_abandoned(self.store, select, reason, close)

    def runs(
        self,
        *,
        workflow: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
    ) -> list[WorkflowResult]:
        """Workflow runs, newest first, filtered by workflow, status and start time."""
        q = self._q
        where, params = where_clause(
            q,
            (
                ("workflow", "=", workflow),
                ("status", "=", status),
                ("started_at", ">=", naive_utc_or_none(since)),
                ("started_at", "<", naive_utc_or_none(until)),
            ),
        )
        clause = (
            where + f" ORDER BY {q('started_at')} DESC, {q('run_id')} DESC" + self.store.dialect.limit(limit)
        )
        with self.store.transaction() as session:
            return self._with_steps(session, self._select_runs(session, clause, params))

    def steps_of(self, run_ids: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        """For each of `run_ids` that a workflow step started: its workflow run, workflow and step."""
        q = self._q
        found: dict[str, tuple[str, str, str]] = {}
        with self.store.transaction() as session:
            for chunk, marks in in_chunks(run_ids):
                rows = session.query(
                    f"SELECT s.{q('run_id')}, s.{q('workflow_run_id')}, r.{q('workflow')}, s.{q('step')} "
                    f"FROM {self._steps} s JOIN {self._runs} r ON r.{q('run_id')} = s.{q('workflow_run_id')} "
                    f"WHERE s.{q('run_id')} IN ({marks})",
                    chunk,
                )
                found.update({str(row[0]): (str(row[1]), str(row[2]), str(row[3])) for row in rows})
        return found

    def pipeline_run_ids(self, workflow: str) -> list[str]:
        """The pipeline runs that steps of `workflow` started."""
        q = self._q
        with self.store.transaction() as session:
            rows = session.query(
                f"SELECT s.{q('run_id')} FROM {self._steps} s JOIN {self._runs} r "
                f"ON r.{q('run_id')} = s.{q('workflow_run_id')} "
                f"WHERE r.{q('workflow')} = ? AND s.{q('run_id')} IS NOT NULL",
                (workflow,),
            )
        return [str(row[0]) for row in rows]

    def _select_runs(self, session: Session, clause: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return session.query(f"SELECT {self._run_columns} FROM {self._runs} {clause}", params)

    def _with_steps(self, session: Session, rows: list[tuple[Any, ...]]) -> list[WorkflowResult]:
        results = []
        q = self._q
        for row in rows:
            values = dict(zip(WORKFLOW_RUNS.names, row, strict=True))
            read, run_id = self._read, str(values["run_id"])
            steps = session.query(
                f"SELECT {self._step_columns} FROM {self._steps} "
                f"WHERE {q('workflow_run_id')} = ? ORDER BY {q('seq')}",
                (run_id,),
            )
            results.append(
                WorkflowResult(
                    run_id=run_id,
                    workflow=read.text(run_id, "workflow", values["workflow"]),
                    status=read.status(RunStatus, run_id, "status", values["status"]),
                    params=read.json_object(run_id, "params", values["params"]),
                    steps=tuple(self._step(run_id, step) for step in steps),
                    started_at=read.moment(run_id, "started_at", values["started_at"], required=True),
                    finished_at=read.moment(run_id, "finished_at", values["finished_at"]),
                    resumed_from=values["resumed_from"],
                    source=values["source"],
                    worker=values["worker"],
                )
            )
        return results

    def _step(self, run_id: str, row: tuple[Any, ...]) -> StepResult:
        """A step of workflow run `run_id` as recorded (a damaged field read as unknown)."""
        values = dict(zip(WORKFLOW_STEPS.names, row, strict=True))
        read, record = self._read_step, f"{run_id} step {values['step']}"
        return StepResult(
            step=str(values["step"]),
            pipeline=read.text(record, "pipeline", values["pipeline"]),
            status=read.status(StepStatus, record, "status", values["status"]),
            run_id=values["run_id"],
            params=read.json_object(record, "params", values["params"]),
            depends_on=tuple(read.json_list(record, "depends_on", values["depends_on"])),
            started_at=read.moment(record, "started_at", values["started_at"]),
            finished_at=read.moment(record, "finished_at", values["finished_at"]),
            message=str(values["message"] or ""),
        )


def _abandoned(step: StepResult, why: str, now: datetime) -> StepResult:
    """A step of a workflow run whose process died: one that had not started is skipped,
    one that was running failed with it; a step that had ended stays as it ended."""
    if step.status is StepStatus.PENDING:
        return dataclasses.replace(step, status=StepStatus.SKIPPED, message=f"not started: {why}")
    if step.status is StepStatus.RUNNING:
        return dataclasses.replace(step, status=StepStatus.FAILED, finished_at=now, message=why)
    return step


def _step_row(workflow_run_id: str, seq: int, step: StepResult) -> tuple[Any, ...]:
    return (
        workflow_run_id,
        seq,
        step.step,
        step.pipeline,
        json.dumps(list(step.depends_on)),
        step.status.value,
        step.run_id,
        clip(json.dumps(step.params, default=str, sort_keys=True)),
        naive_utc_or_none(step.started_at),
        naive_utc_or_none(step.finished_at),
        clip(step.message, 2000),
    )
