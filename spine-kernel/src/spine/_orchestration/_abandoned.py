"""Runs whose process died: found and closed as ``failed`` by whoever reads the records next.

A run is recorded with who runs it (``host:pid``) and keeps a heartbeat while it runs. A
process killed outright cannot record its end, so a reader decides for it: a process of
this host that no longer exists is gone; so is one whose heartbeat is older than
``run_lease`` (on stores that can take heartbeats during a load: a SQLite load holds the
only write lock for as long as it runs, so there only the process test applies).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .._config._sources import duration_text
from .._records._queries import Abandonment
from .._records._results import RunResult, WorkflowResult
from .._runs._processes import gone, this_process
from ._workflow_log import WorkflowLog

if TYPE_CHECKING:
    from .._data._stores import Store
    from .._kernel import Spine

log = logging.getLogger("spine.run")


def close_abandoned(kernel: Spine, store: str | None) -> list[RunResult | WorkflowResult]:
    """Close the abandoned pipeline and workflow runs of `store`; alert on each pipeline run."""
    runlog = kernel.runlog(store)
    reason = _abandonment(runlog.store, kernel.settings.run_lease)
    closed: list[RunResult | WorkflowResult] = [
        *runlog.close_abandoned(reason),
        *WorkflowLog(runlog.store).close_abandoned(reason),
    ]
    for run in closed:
        name, why = what_died(run)
        log.warning("run %s (%s) closed as failed: %s", run.run_id, name, why, extra={"run_id": run.run_id})
        if isinstance(run, RunResult):
            kernel.alerts.after_run(run, runlog)
    return closed


def what_died(run: RunResult | WorkflowResult) -> tuple[str, str]:
    """A closed run's pipeline (or ``workflow NAME``) and why it was taken for dead."""
    if isinstance(run, RunResult):
        return run.pipeline, run.error.message if run.error else "its process died"
    return f"workflow {run.workflow}", "its process died"


def _abandonment(store: Store, lease: float) -> Abandonment:
    """Why a run recorded as running by `worker`, alive at `heartbeat_at`, is taken for dead;
    None while it may be running (or nobody can tell: a record from before spine kept who
    runs a run)."""
    me, now = this_process(), datetime.now(UTC)

    def reason(worker: str | None, heartbeat_at: datetime | None) -> str | None:
        if worker is None:
            return None
        if gone(worker, me):
            return f"process died: {worker} ended without recording how the run ended"
        if store.single_writer or heartbeat_at is None:
            return None
        silent = (now - heartbeat_at).total_seconds()
        if silent <= lease:
            return None
        return (
            f"process died: no heartbeat from {worker} for {duration_text(round(silent))} "
            f"(longer than run_lease, {duration_text(lease)})"
        )

    return reason
