"""Running one pipeline: the run id, the lifecycle hooks and the result envelope."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ._errors import SpineError
from ._results import ErrorInfo, RunCounts, RunInfo, RunResult, RunStatus

if TYPE_CHECKING:
    from ._kernel import Spine

log = logging.getLogger("spine.run")


@dataclass(frozen=True)
class RunContext:
    """What a pipeline's ``run(context)`` receives."""

    run_id: str
    pipeline: str
    params: Mapping[str, Any]  # as given: secrets are not masked here
    kernel: Spine

    @property
    def log(self) -> logging.LoggerAdapter[logging.Logger]:
        return logging.LoggerAdapter(log, {"run_id": self.run_id, "pipeline": self.pipeline})


def run_pipeline(kernel: Spine, name: str, params: Mapping[str, Any]) -> RunResult:
    """Run pipeline `name`. An unknown pipeline raises before a run starts; once it
    has started, every error ends in a ``failed`` result instead of an exception."""
    spec = kernel.plugins.get("pipeline", name)
    redact = kernel.redactor
    info = RunInfo(uuid.uuid4().hex, name, redact.value(dict(params)), datetime.now(UTC))
    log.info("run started", extra={"run_id": info.run_id, "pipeline": name})
    kernel.plugins.notify("run_started", run=info)

    counts, error = RunCounts(), None
    try:
        pipeline = spec.load()()
        counts = pipeline.run(RunContext(info.run_id, name, params, kernel)) or RunCounts()
    except SpineError as exc:
        error = exc
    except KeyboardInterrupt:
        error = SpineError("interrupted")
        _finish(kernel, info, counts, error)
        raise
    except Exception as exc:  # a bug in a pipeline still ends as a recorded, failed run
        error = SpineError(f"{type(exc).__name__}: {exc}", context={"pipeline": name})
        error.__cause__ = exc
    return _finish(kernel, info, counts, error)


def _finish(kernel: Spine, info: RunInfo, counts: RunCounts, error: SpineError | None) -> RunResult:
    redact = kernel.redactor
    if error is not None:
        status = RunStatus.FAILED
        summary: ErrorInfo | None = ErrorInfo(
            error.category, redact.text(error.message), error.retryable, redact.value(error.context)
        )
    else:
        status = RunStatus.PARTIAL if counts.rows_rejected else RunStatus.SUCCEEDED
        summary = None
    result = RunResult(
        info.run_id, info.pipeline, status, info.params, counts, info.started_at, datetime.now(UTC), summary
    )
    level = {RunStatus.SUCCEEDED: logging.INFO, RunStatus.PARTIAL: logging.WARNING}.get(status, logging.ERROR)
    log.log(
        level,
        "run %s",
        status.value,
        extra={
            "run_id": info.run_id,
            "pipeline": info.pipeline,
            "rows_read": counts.rows_read,
            "rows_written": counts.rows_written,
            "rows_rejected": counts.rows_rejected,
        },
    )
    if error is not None:
        kernel.plugins.notify("run_failed", result=result, error=error)
    else:
        kernel.plugins.notify("run_finished", result=result)
    return result
