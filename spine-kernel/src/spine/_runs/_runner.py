"""Running one pipeline: the run record, the lifecycle hooks and the result envelope."""

from __future__ import annotations

import dataclasses
import gc
import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from .._alerts._model import Alert, Delivery, Severity
from .._data._loading import (
    Check,
    LoadProgress,
    Part,
    Progress,
    RejectSpool,
    RejectThreshold,
    RowStream,
    RunProgress,
    Transform,
    missing_keys,
    prepare_source,
)
from .._data._schema import Schema
from .._data._sources import DEFAULT_BATCH_SIZE, Batch, Reject, Source
from .._data._stores import Session, Store, Target
from .._data._tables import empty_replace_guard, needs_unique_key, unique_index_name
from .._errors import Cancelled, ConfigError, SourceError, SpineError
from .._records._queries import clip_start
from .._records._results import ErrorInfo, RunCounts, RunInfo, RunResult, TableChange
from .._records._statuses import RunStatus
from ._processes import this_process

if TYPE_CHECKING:
    from .._kernel import Spine
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
        progress: RunProgress | None = None,
    ) -> None:
        self.run_id = run_id
        self.pipeline = pipeline
        self.params = params  # checked and parsed against the pipeline's declaration; secrets not masked
        self.kernel = kernel
        self.store: Store = runlog.store
        self.threshold = threshold
        self.rows_read = self.rows_written = 0
        self.rejects = RejectSpool(kernel.redactor.known)
        self.warnings: list[str] = []
        self._returned_rejects = 0
        self.tables: list[TableChange] = []
        self._runlog = runlog
        self._progress = progress
        self.log = logging.LoggerAdapter(log, {"run_id": run_id, "pipeline": pipeline})

    @property
    def counts(self) -> RunCounts:
        return RunCounts(self.rows_read, self.rows_written, max(self.rejects.count, self._returned_rejects))

    def load(
        self,
        source: Source,
        target: Target,
        *,
        transforms: Sequence[Transform] = (),
        checks: Sequence[Check] = (),
        batch_size: int = DEFAULT_BATCH_SIZE,
        ends_run: bool = False,
    ) -> int:
        """Stream `source` through `transforms` and `checks` into `target`; return rows written.

        Rejected records are kept for the run's rejects table; too many of them
        (see `RejectThreshold`) raise `CheckError` before anything is committed, and so
        does a replace that would leave a table with rows empty (unless
        ``target.allow_empty``). `target`'s keys are matched to the columns with
        `Target.resolve`; its schema contract defaults to the ``schema_contract`` setting.
        What the source decided on its own (`Source.warnings`) becomes the run's warnings,
        and a table the load created, or columns it added, are recorded with the run.

        `ends_run`: this load is the run's last write. Its transaction then also records the
        run as ended (succeeded, or partial with rejects, and its counts), so that the rows
        and that record commit together: a process killed right after the commit leaves no
        new rows under a run recorded as running. The whole record (warnings, rejected rows)
        follows as for any run.
        """
        self._learn_secrets(source)  # a source the pipeline made, not `Spine.open_source`
        with source:
            try:
                written = self._load(source, target, transforms, checks, batch_size, ends_run)
            finally:
                for warning in source.warnings():
                    self.warn(warning)
        return written

    def _learn_secrets(self, source: Source) -> None:
        for secret in source.secrets():
            self.kernel.redactor.add(secret)

    def _batches(self, source: Source, batch_size: int) -> Iterator[Batch]:
        """The source's batches, its secrets asked again with each: a source may obtain one
        while reading (an OAuth2 token), which its records may echo."""
        for batch in source.batches(batch_size):
            self._learn_secrets(source)
            yield batch

    def _load(
        self,
        source: Source,
        target: Target,
        transforms: Sequence[Transform],
        checks: Sequence[Check],
        batch_size: int,
        ends_run: bool,
    ) -> int:
        state_key = source.state_key()
        declared = self.store.declared_columns(target.table)  # read once, for all that follows
        before = [name for name, _ in declared] or None
        schema = prepare_source(source, declared, self.state)
        if not schema.fields:  # no table can hold it: what the source rejected is kept, then the load fails
            for batch in self._batches(source, batch_size):  # the source may end with an error of its own
                self.rows_read += len(batch.rows) + len(batch.rejects)
                for reject in batch.rejects:
                    self.reject(reject)
            described = source.describe()
            raise SourceError(f"{described}: no columns to load", context={"source": described})
        for transform in transforms:
            schema = transform.schema(schema)
        target = target.resolve(schema, self.kernel.settings.schema_contract)
        unindexed = before is not None and needs_unique_key(self.store, target)
        key_check = missing_keys(target.keys, schema).bind(schema) if target.keys else None
        # What the store cannot hold as given is a reject of its row, like a failed check.
        checks = (*checks, *self.store.limits(schema))
        rows = RowStream(
            self._checkpointed(source, batch_size, target, state_key),
            transforms,
            [check.bind(schema) for check in checks],
            self.rejects,
            self.threshold,
            self._progress_of(source),
            key_check,
            [schema.index(key) for key in target.keys],
            refuse_empty=empty_replace_guard(self.store, target, exists=before is not None),
            passes=[check.bind_whole(schema) for check in checks],
        )
        stream, written = iter(rows), 0
        try:
            with _rare_collections:
                while True:  # one transaction per part: one, unless the source gives checkpoints
                    part = Part(rows, stream)
                    committing = partial(self._commit, target, part, source, state_key, rows, ends_run)
                    written += self.store.write(
                        dataclasses.replace(target, before_commit=committing), schema, part
                    )
                    rows.committed = written
                    if part.last:
                        break
        finally:
            self.rows_read += rows.read
            self.rows_written += written  # the parts that committed, even when a later one failed
        self._changed(target, schema, before, unindexed)
        return written

    def _checkpointed(
        self, source: Source, batch_size: int, target: Target, state_key: str | None
    ) -> Iterator[Batch]:
        """The source's batches, refused when one carries a checkpoint that cannot be kept."""
        for batch in self._batches(source, batch_size):
            if batch.checkpoint is not None and state_key is None:
                raise SourceError(
                    f"{source.describe()} gave a checkpoint without a state key to keep it under",
                    context={"source": source.describe()},
                )
            if batch.checkpoint is not None and target.mode == "replace":
                raise ConfigError(
                    f"{source.describe()} commits its rows a part at a time (its checkpoints), which a "
                    f"replace of table {target.table!r} cannot do: load with mode append or merge",
                    context={"table": target.table, "mode": target.mode},
                )
            yield batch

    def _commit(
        self,
        target: Target,
        part: Part,
        source: Source,
        state_key: str | None,
        rows: RowStream,
        ends_run: bool,
        session: Session,
    ) -> None:
        """What commits with a part's rows, in their transaction: the caller's `before_commit`,
        the source's state (so that a load that did not commit resumes from where the last
        committed one ended), and, for the last part of the run's last load, the run's end."""
        target.committing(session)
        if state_key is not None:
            reached = (source.checkpoint() or part.reached) if part.last else part.reached
            if reached is not None:
                self._runlog.keep_state(session, self.pipeline, state_key, reached)
        if ends_run and part.last:
            self._ended(session, rows)

    def _ended(self, session: Session, rows: RowStream) -> None:
        """Record, in the transaction that commits the rows of the run's last load, that the
        run ended as they make it end."""
        counts = RunCounts(self.rows_read + rows.read, self.rows_written + rows.kept, self.rejects.count)
        status = RunStatus.PARTIAL if counts.rows_rejected else RunStatus.SUCCEEDED
        self._runlog.ended(session, self.run_id, status, counts, datetime.now(UTC))

    def _progress_of(self, source: Source) -> Progress | None:
        """RowStream's progress (rows of this load) as the run's, with the source's own."""
        report = self._progress
        if report is None:
            return None
        described = source.describe()

        def load_progress(read: int, rejected: int) -> None:
            report(LoadProgress(self.rows_read + read, rejected, described, source.progress()))

        return load_progress

    def _changed(self, target: Target, schema: Schema, before: list[str] | None, unindexed: bool) -> None:
        """Keep what a load did to the shape of its table: created it, added columns, or
        (a merge into a table without a unique key on its keys) made that key's index."""
        had = {name.lower() for name in before or ()}
        columns = {field.name: field.type for field in schema.fields if field.name.lower() not in had}
        if columns:
            change = TableChange(target.table, before is None, columns)
            self.tables.append(change)
            self.log.log(logging.INFO if change.created else logging.WARNING, "%s", change)
        if unindexed:
            self.warn(
                f"table {target.table} had no unique key on ({', '.join(target.keys)}), which a merge "
                f"needs: its rows being unique on them, the load made the unique index "
                f"{unique_index_name(target.table, target.keys)}"
            )

    def count(self, *, read: int = 0, written: int = 0) -> None:
        """Add to the run's counts, for pipelines that move rows without `load`."""
        self.rows_read += read
        self.rows_written += written

    def reject(self, reject: Reject) -> None:
        """Keep a record the pipeline could not use, for the run's rejects table."""
        self.rejects.add(reject)

    def warn(self, message: str) -> None:
        """Say something the user should know about this run: it is logged as a warning,
        recorded with the run, and shown with its result."""
        self.warnings.append(message)
        self.log.warning("%s", message)

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

    def _returned(self, value: object) -> None:
        """Take what the pipeline's ``run`` returned: a `RunCounts` says how many rows it
        read and wrote (in place of what `load` and `count` counted), and how many it
        rejected when that is more than it recorded with `reject`; anything else is
        ignored, with a warning."""
        if value is None:
            return
        if not isinstance(value, RunCounts):
            self.warn(
                f"the pipeline returned a {type(value).__name__}, which spine ignores: "
                "return None or a spine.RunCounts"
            )
            return
        self.rows_read, self.rows_written = value.rows_read, value.rows_written
        self._returned_rejects = value.rows_rejected


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
    progress: RunProgress | None = None,
    run_id: str | None = None,
) -> RunResult:
    """Run pipeline `name` (as run `run_id`, when the caller recorded it already). An
    unknown pipeline or an unusable store raises before the run starts; once it has
    started, every error ends in a ``failed`` result, and a stop by the user (Ctrl-C,
    SIGTERM: `KeyboardInterrupt`) in a ``cancelled`` one, recorded, before it goes on."""
    spec = kernel.plugins.get("pipeline", name)
    params = kernel.check_params(name, params)  # parsed, with defaults, before anything is recorded
    runlog = kernel.runlog(store)
    info = RunInfo(run_id or new_run_id(), name, kernel.redactor.value(dict(params)), datetime.now(UTC))
    worker = this_process()
    runlog.started(info.run_id, name, info.params, info.started_at, worker=worker)
    log.info("run started", extra={"run_id": info.run_id, "pipeline": name})
    kernel.plugins.notify("run_started", run=info, alert=_alert_into(kernel, runlog))

    context: RunContext | None = None
    error: SpineError | None = None
    url = kernel.store_url(store)
    with kernel.heartbeat.running(url, info.run_id):
        try:
            pipeline = spec.load()()
            threshold = max_rejects or getattr(pipeline, "max_rejects", None) or RejectThreshold()
            context = RunContext(info.run_id, name, params, kernel, runlog, threshold, progress)
            context._returned(pipeline.run(context))
        except SpineError as exc:
            error = exc
        except KeyboardInterrupt as exc:
            _finish(kernel, url, info, worker, context, Cancelled(f"stopped by {_signal_of(exc)}"))
            raise
        except Exception as exc:  # a bug in a pipeline still ends as a recorded, failed run
            error = SpineError(f"{type(exc).__name__}: {exc}", context={"pipeline": name})
            error.__cause__ = exc
    return _finish(kernel, url, info, worker, context, error)


def new_run_id() -> str:
    return uuid.uuid4().hex


def _signal_of(interrupt: KeyboardInterrupt) -> str:
    """What stopped a run: the signal the CLI turned into `KeyboardInterrupt`, else Ctrl-C."""
    return str(getattr(interrupt, "signal_name", "") or "SIGINT (Ctrl-C)")


def _finish(
    kernel: Spine,
    url: str,
    info: RunInfo,
    worker: str,
    context: RunContext | None,
    error: SpineError | None,
) -> RunResult:
    redact = kernel.redactor
    runlog = kernel.runlog(url)
    counts = context.counts if context else RunCounts()
    if isinstance(error, Cancelled):
        status = RunStatus.CANCELLED
    elif error is not None:
        status = RunStatus.FAILED
    else:
        status = RunStatus.PARTIAL if counts.rows_rejected else RunStatus.SUCCEEDED
    summary = None
    if error is not None:
        summary = ErrorInfo(
            error.category,
            redact.text(error.message),
            error.retryable,
            redact.value(error.context),
            None if isinstance(error, Cancelled) else clip_start(redact.text(_traceback(error))),
        )
    result = RunResult(
        info.run_id,
        info.pipeline,
        status,
        info.params,
        counts,
        info.started_at,
        datetime.now(UTC),
        summary,
        tuple(redact.text(warning) for warning in context.warnings) if context else (),
        tuple(context.tables) if context else (),
        worker,
    )
    _log_end(result)
    unrecorded = _record(kernel, url, result, context)
    alert = _alert_into(kernel, runlog)
    if error is not None:
        kernel.plugins.notify("run_failed", result=result, error=error, alert=alert)
    else:
        kernel.plugins.notify("run_finished", result=result, alert=alert)
    kernel.alerts.after_run(result, runlog)
    if unrecorded is not None:
        # Said after the run's own error and its alert: when the store went away in the
        # middle of a load, what broke the load matters first.
        log.error(
            "run %s ended %s, but the store could not record it: %s; it is recorded once the store "
            "can be written again (or closed as failed by the next reader, should this process end first)",
            result.run_id,
            result.status.value,
            kernel.redactor.text(str(unrecorded)),
            extra={"run_id": result.run_id, "pipeline": result.pipeline},
        )
        kernel.heartbeat.unrecorded(url, result)
    return result


def _log_end(result: RunResult) -> None:
    """Log how the run ended, with its error, and at debug level its traceback."""
    error = result.error
    level = {RunStatus.SUCCEEDED: logging.INFO, RunStatus.PARTIAL: logging.WARNING}.get(
        result.status, logging.ERROR
    )
    counts = result.counts
    log.log(
        level,
        "run %s%s",
        result.status.value,
        f": [{error.category}] {error.message}" if error else "",
        extra={
            "run_id": result.run_id,
            "pipeline": result.pipeline,
            "rows_read": counts.rows_read,
            "rows_written": counts.rows_written,
            "rows_rejected": counts.rows_rejected,
        },
    )
    if error is not None and error.traceback:
        log.debug("run %s: %s", result.run_id, error.traceback, extra={"run_id": result.run_id})


def _record(kernel: Spine, url: str, result: RunResult, context: RunContext | None) -> Exception | None:
    """Record how the run ended; return why the store could not take it (the disk is full,
    the server went away), for the caller to say and to leave to the heartbeat thread."""
    try:
        kernel.runlog(url).finished(result, context.rejects if context else ())
    except Exception as exc:
        return exc
    finally:
        if context:
            context.rejects.close()
    return None


def _traceback(error: BaseException) -> str:
    """The traceback of `error`, and of what caused it (a bug wrapped in a SpineError)."""
    import traceback

    return "".join(traceback.format_exception(error)).rstrip()


def _alert_into(kernel: Spine, runlog: RunLog) -> Callable[[Alert], list[Delivery]]:
    """The ``alert`` argument of the lifecycle hooks: alerts recorded in the run's store."""
    return lambda alert: kernel.alerts.dispatch(alert, runlog)
