"""The words run, step and fire records use for where each stands.

A module of its own, importing nothing else: the command line offers them as choices
(``spine runs list --status``), and building its parser must stay cheap.

``unknown`` is never written: it stands for a value read back from a damaged record
(NULL, or a word this version does not know; see `spine._records._damaged`).
"""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    RUNNING = "running"  # only in run records: started, not ended yet
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"  # an error ended it, or its process died without recording its end
    CANCELLED = "cancelled"  # stopped by the user (Ctrl-C, SIGTERM)
    UNKNOWN = "unknown"  # only read back: the record's status is damaged


class StepStatus(StrEnum):
    PENDING = "pending"  # not started yet (or the process died before it could)
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"  # its run was stopped by the user
    SKIPPED = "skipped"  # it depends on a step that failed (on_failure=stop), or the run stopped
    UNKNOWN = "unknown"  # only read back: the record's status is damaged

    @property
    def ok(self) -> bool:
        """The step's work is done: a resumed run does not run it again."""
        return self in (StepStatus.SUCCEEDED, StepStatus.PARTIAL)


def recorded(kind: type[StrEnum]) -> list[str]:
    """The values of `kind` that records are written with (every one but ``unknown``): what a
    filter on a status offers."""
    return [member.value for member in kind if member.value != "unknown"]


class FireStatus(StrEnum):
    """What became of one due time of a schedule."""

    CLAIMED = "claimed"  # taken by a scheduler, waiting for a worker
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"  # its run was stopped by the user
    SKIPPED = "skipped"  # not run: its previous fire was still running, or the scheduler stopped
    MISSED = "missed"  # not run: found later than scheduler_misfire_grace
    UNKNOWN = "unknown"  # only read back: the record's status is damaged
