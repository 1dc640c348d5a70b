"""What a run reports: the envelope every run returns and the lifecycle hooks receive."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from ._errors import SpineError


class RunStatus(StrEnum):
    RUNNING = "running"  # only in run records: started, not ended (or the process died)
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"


@dataclass(frozen=True)
class ErrorInfo:
    """The structured, already-redacted summary of the error that failed a run."""

    category: str
    message: str
    retryable: bool = False
    context: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_error(cls, error: SpineError) -> ErrorInfo:
        return cls(error.category, error.message, error.retryable, dict(error.context))

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "message": self.message,
            "retryable": self.retryable,
            "context": self.context,
        }


@dataclass(frozen=True)
class RunCounts:
    """Row counts a pipeline reports back to the runner."""

    rows_read: int = 0
    rows_written: int = 0
    rows_rejected: int = 0


@dataclass(frozen=True)
class RunInfo:
    """A run as it starts: what `run_started` receives."""

    run_id: str
    pipeline: str
    params: dict[str, Any]
    started_at: datetime


@dataclass(frozen=True)
class RunResult:
    """The result envelope of one run.

    ``params`` and ``error`` are redacted: secrets never reach a result.
    """

    run_id: str
    pipeline: str
    status: RunStatus
    params: dict[str, Any]
    counts: RunCounts
    started_at: datetime
    finished_at: datetime | None  # None only for a recorded run that has not ended
    error: ErrorInfo | None = None

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def ok(self) -> bool:
        """True when the run succeeded or was partial (the CLI exits 0 for both)."""
        return self.status in (RunStatus.SUCCEEDED, RunStatus.PARTIAL)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form printed by ``spine run --json``."""
        return {
            "run_id": self.run_id,
            "pipeline": self.pipeline,
            "status": self.status.value,
            "params": self.params,
            "rows_read": self.counts.rows_read,
            "rows_written": self.counts.rows_written,
            "rows_rejected": self.counts.rows_rejected,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "duration_seconds": None if self.duration_seconds is None else round(self.duration_seconds, 6),
            "error": self.error.to_dict() if self.error else None,
        }
