"""What a run reports: the envelope every run returns and the lifecycle hooks receive."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .._errors import SpineError
from ._statuses import RunStatus, StepStatus


@dataclass(frozen=True)
class ErrorInfo:
    """The structured, already-redacted summary of the error that failed a run.

    ``traceback`` (redacted) is kept with the run for ``--debug``; it is left out of
    `to_dict` unless asked for.
    """

    category: str
    message: str
    retryable: bool = False
    context: dict[str, Any] = field(default_factory=dict)
    traceback: str | None = field(default=None, compare=False, repr=False)  # diagnostics, not identity

    def __str__(self) -> str:
        """``[load] table t is locked``: how alerts, workflow steps and schedules tell it."""
        return f"[{self.category}] {self.message}"

    @classmethod
    def from_error(cls, error: SpineError) -> ErrorInfo:
        return cls(error.category, error.message, error.retryable, dict(error.context))

    def to_dict(self, *, traceback: bool = False) -> dict[str, Any]:
        found = {
            "category": self.category,
            "message": self.message,
            "retryable": self.retryable,
            "context": self.context,
        }
        return {**found, "traceback": self.traceback} if traceback else found


@dataclass(frozen=True)
class RunCounts:
    """Row counts a pipeline reports back to the runner."""

    rows_read: int = 0
    rows_written: int = 0
    rows_rejected: int = 0


@dataclass(frozen=True)
class TableChange:
    """What a run did to a table's shape: created it with `columns`, or added `columns` to it
    (schema evolution). `columns` maps each column's name to its logical type, in order."""

    table: str
    created: bool
    columns: dict[str, str]

    def __str__(self) -> str:
        """``created table cities (zip string, population integer)``."""
        columns = ", ".join(f"{name} {type_name}" for name, type_name in self.columns.items())
        if self.created:
            return f"created table {self.table} ({columns})"
        return f"added column(s) {columns} to table {self.table}"

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "created": self.created, "columns": dict(self.columns)}


@dataclass(frozen=True)
class RunInfo:
    """A run as it starts: what `run_started` receives."""

    run_id: str
    pipeline: str
    params: dict[str, Any]
    started_at: datetime


class _Ended:
    """What the results of pipeline runs and workflow runs share."""

    status: RunStatus
    started_at: datetime | None  # None only for a damaged record (see spine._records._damaged)
    finished_at: datetime | None

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def ok(self) -> bool:
        """True when the run succeeded or was partial (the CLI exits 0 for both)."""
        return self.status in (RunStatus.SUCCEEDED, RunStatus.PARTIAL)


@dataclass(frozen=True)
class RunResult(_Ended):
    """The result envelope of one run.

    ``params`` and ``error`` are redacted: secrets never reach a result. ``warnings`` are
    what the run said it decided on its own (a column read as text because some values
    were not numbers); ``tables`` the tables it created or added columns to. ``worker``
    is the ``host:pid`` that ran it.
    """

    run_id: str
    pipeline: str
    status: RunStatus
    params: dict[str, Any]
    counts: RunCounts
    started_at: datetime | None  # None only for a damaged record (see spine._records._damaged)
    finished_at: datetime | None  # None only for a recorded run that has not ended
    error: ErrorInfo | None = None
    warnings: tuple[str, ...] = ()
    tables: tuple[TableChange, ...] = ()
    worker: str | None = None

    def to_dict(self, *, traceback: bool = False) -> dict[str, Any]:
        """The JSON form printed by ``spine run --json`` (the error's traceback only when asked)."""
        return {
            "kind": "pipeline",
            "run_id": self.run_id,
            "pipeline": self.pipeline,
            "status": self.status.value,
            "params": self.params,
            "rows_read": self.counts.rows_read,
            "rows_written": self.counts.rows_written,
            "rows_rejected": self.counts.rows_rejected,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "duration_seconds": _rounded(self.duration_seconds),
            "error": self.error.to_dict(traceback=traceback) if self.error else None,
            "warnings": list(self.warnings),
            "tables": [change.to_dict() for change in self.tables],
            "worker": self.worker,
        }


@dataclass(frozen=True)
class StepResult:
    """One step of a workflow run: its pipeline run (None when it did not run in this
    workflow run) and why it failed, was skipped, or was reused."""

    step: str
    pipeline: str
    status: StepStatus
    run_id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    started_at: datetime | None = None
    finished_at: datetime | None = None
    message: str = ""

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "pipeline": self.pipeline,
            "status": self.status.value,
            "run_id": self.run_id,
            "params": self.params,
            "depends_on": list(self.depends_on),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "duration_seconds": _rounded(self.duration_seconds),
            "message": self.message,
        }


@dataclass(frozen=True)
class WorkflowResult(_Ended):
    """The result envelope of one workflow run: its status and every step's.

    ``status`` is ``cancelled`` when the user stopped it, ``failed`` when a step failed (or
    was skipped for it), ``partial`` when a step was partial, else ``succeeded``;
    ``running`` only in records of a run that has not ended. ``resumed_from`` is the run
    whose succeeded steps this one reused.
    """

    run_id: str
    workflow: str
    status: RunStatus
    params: dict[str, Any]
    steps: tuple[StepResult, ...]
    started_at: datetime | None  # None only for a damaged record (see spine._records._damaged)
    finished_at: datetime | None = None
    resumed_from: str | None = None
    source: str | None = None
    worker: str | None = None  # host:pid of the process that runs it

    def step(self, name: str) -> StepResult:
        return next(step for step in self.steps if step.step == name)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form printed by ``spine workflow run --json`` and ``spine runs show --json``."""
        return {
            "kind": "workflow",
            "run_id": self.run_id,
            "workflow": self.workflow,
            "status": self.status.value,
            "params": self.params,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "duration_seconds": _rounded(self.duration_seconds),
            "resumed_from": self.resumed_from,
            "source": self.source,
            "worker": self.worker,
            "steps": [step.to_dict() for step in self.steps],
        }


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 6)
