"""Running one pipeline: the run record, the lifecycle hooks and the result envelope."""

from __future__ import annotations

import gc
import logging
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ._alerts import Alert, Delivery, Severity
from ._errors import SpineError
from ._loading import Check, Progress, RejectSpool, RejectThreshold, RowStream, Transform, missing_keys
from ._results import ErrorInfo, RunCounts, RunInfo, RunResult, RunStatus
from ._sources import DEFAULT_BATCH_SIZE, Reject, Source
from ._stores import Store, Target

if TYPE_CHECKING:
    from ._kernel import Spine
    from ._runlog import RunLog

log = logging.getLogger("spine.run")


class RunContext:
    """What a pipeline's ``run(context)`` receives: its parameters, the store, and `load`."""

    def __init__(
        self,
        run_id: str,
        pipeline: str,
        params: Mapping[str, Any],
        kernel: Spine,
        runlog: RunLog,
        threshold: RejectThreshold,
        progress: Progress | None = None,
    ) -> None:
        self.run_id = run_id
        self.pipeline = pipeline
        self.params = params  # as given: secrets are not masked here
        self.kernel = kernel
        self.store: Store = runlog.store
        self.threshold = threshold
        self.rows_read = self.rows_written = 0
        self.rejects = RejectSpool()
        self._runlog = runlog
        self._progress = progress
        self.log = logging.LoggerAdapter(log, {"run_id": run_id, "pipeline": pipeline})

    @property
    def counts(self) -> RunCounts:
        return RunCounts(self.rows_read, self.rows_written, self.rejects.count)

    def load(
        self,
        source: Source,
        target: Target,
        *,
        transforms: Sequence[Transform] = (),
        checks: Sequence[Check] = (),
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> int:
        """Stream `source` through `transforms` and `checks` into `target`; return rows written.

        Rejected records are kept for the run's rejects table; too many of them
        (see `RejectThreshold`) raise `CheckError` before anything is committed.
        """
        with source:
            state_key = source.state_key()
            if state_key is not None:
                source.resume(self.state(state_key))
            source.prefer_types(self.store.column_types(target.table))
            schema = source.schema()
            for transform in transforms:
                schema = transform.schema(schema)
            target.check(schema)
            key_check = missing_keys(target.keys, schema).bind(schema) if target.keys else None
            rows = RowStream(
                source.batches(batch_size),
                transforms,
                [check.bind(schema) for check in checks],
                self.rejects,
                self.threshold,
                self._progress,
                key_check,
                [schema.index(key) for key in target.keys],
            )
            try:
                with _rare_collections:
                    written = self.store.write(target, schema, rows)
            finally:
                self.rows_read += rows.read
            # Kept only now that the rows have committed: a failed load resumes from
            # the same place next time.
            if state_key is not None and (reached := source.checkpoint()) is not None:
                self.set_state(state_key, reached)
        self.rows_written += written
        return written

    def count(self, *, read: int = 0, written: int = 0) -> None:
        """Add to the run's counts, for pipelines that move rows without `load`."""
        self.rows_read += read
        self.rows_written += written

    def reject(self, reject: Reject) -> None:
        """Keep a record the pipeline could not use, for the run's rejects table."""
        self.rejects.add(reject)

    def alert(
        self,
        severity: Severity | str,
        title: str,
        text: str = "",
        *,
        fields: Mapping[str, str] | None = None,
        dedup_key: str = "",
    ) -> list[Delivery]:
        """Raise an alert about this run through the kernel's routing rules (see `Spine.alert`)."""
        alert = Alert(
            Severity.parse(severity), title, text, self.pipeline, self.run_id, fields or {}, dedup_key
        )
        return self.kernel.alerts.dispatch(alert, self._runlog)

    def state(self, key: str) -> str | None:
        """This pipeline's saved value for `key` (a cursor, a high-water mark)."""
        return self._runlog.state(self.pipeline, key)

    def set_state(self, key: str, value: str) -> None:
        self._runlog.set_state(self.pipeline, key, value)


class _RareCollections:
    """While any load is writing, the cyclic garbage collector runs rarely.

    A load allocates containers (rows, lists of values) by the million and frees them
    batch by batch. At Python's default threshold the collector starts every 700 of
    them and walks each batch again and again, finding no garbage: rows hold no cycles.
    The first load in raises the threshold; the last one out puts the old one back.
    """

    THRESHOLD = 100_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._saved = gc.get_threshold()

    def __enter__(self) -> None:
        with self._lock:
            if self._running == 0:
                self._saved = gc.get_threshold()
                gc.set_threshold(self.THRESHOLD, *self._saved[1:])
            self._running += 1

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._running -= 1
            if self._running == 0:
                gc.set_threshold(*self._saved)


_rare_collections = _RareCollections()


def run_pipeline(
    kernel: Spine,
    name: str,
    params: Mapping[str, Any],
    *,
    store: str | None = None,
    max_rejects: RejectThreshold | None = None,
    progress: Progress | None = None,
    run_id: str | None = None,
) -> RunResult:
    """Run pipeline `name` (as run `run_id`, when the caller recorded it already). An
    unknown pipeline or an unusable store raises before the run starts; once it has
    started, every error ends in a ``failed`` result."""
    spec = kernel.plugins.get("pipeline", name)
    params = kernel.check_params(name, params)  # issue 15: declared params, parsed, before any record
    runlog = kernel.runlog(store)
    info = RunInfo(run_id or new_run_id(), name, kernel.redactor.value(dict(params)), datetime.now(UTC))
    runlog.started(info.run_id, name, info.params, info.started_at)
    log.info("run started", extra={"run_id": info.run_id, "pipeline": name})
    kernel.plugins.notify("run_started", run=info, alert=_alert_into(kernel, runlog))

    context: RunContext | None = None
    error: SpineError | None = None
    try:
        pipeline = spec.load()()
        threshold = max_rejects or getattr(pipeline, "max_rejects", None) or RejectThreshold()
        context = RunContext(info.run_id, name, params, kernel, runlog, threshold, progress)
        pipeline.run(context)
    except SpineError as exc:
        error = exc
    except KeyboardInterrupt:
        _finish(kernel, runlog, info, context, SpineError("interrupted"))
        raise
    except Exception as exc:  # a bug in a pipeline still ends as a recorded, failed run
        error = SpineError(f"{type(exc).__name__}: {exc}", context={"pipeline": name})
        error.__cause__ = exc
    return _finish(kernel, runlog, info, context, error)


def new_run_id() -> str:
    return uuid.uuid4().hex


def _finish(
    kernel: Spine, runlog: RunLog, info: RunInfo, context: RunContext | None, error: SpineError | None
) -> RunResult:
    redact = kernel.redactor
    counts = context.counts if context else RunCounts()
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
    try:
        runlog.finished(result, context.rejects if context else ())
    finally:
        if context:
            context.rejects.close()
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
    alert = _alert_into(kernel, runlog)
    if error is not None:
        kernel.plugins.notify("run_failed", result=result, error=error, alert=alert)
    else:
        kernel.plugins.notify("run_finished", result=result, alert=alert)
    kernel.alerts.after_run(result, runlog)
    return result


def _alert_into(kernel: Spine, runlog: RunLog) -> Callable[[Alert], list[Delivery]]:
    """The ``alert`` argument of the lifecycle hooks: alerts recorded in the run's store."""
    return lambda alert: kernel.alerts.dispatch(alert, runlog)
