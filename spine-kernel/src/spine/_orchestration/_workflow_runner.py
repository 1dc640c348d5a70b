"""Running a workflow: its steps in dependency order, up to `max_concurrency` at once,
each a recorded pipeline run, the workflow run recorded around them."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .._errors import ConfigError, SpineError
from .._records._results import RunResult, StepResult, WorkflowResult
from .._records._statuses import RunStatus, StepStatus
from .._runs._processes import this_process
from .._runs._runner import new_run_id, run_pipeline
from ._workflow_log import WorkflowLog
from ._workflows import Step, Workflow

if TYPE_CHECKING:
    from .._kernel import Spine

log = logging.getLogger("spine.workflow")

_STATUS_OF_RUN = {
    RunStatus.SUCCEEDED: StepStatus.SUCCEEDED,
    RunStatus.PARTIAL: StepStatus.PARTIAL,
    RunStatus.FAILED: StepStatus.FAILED,
    RunStatus.CANCELLED: StepStatus.CANCELLED,
}
# Steps whose dependents do not run under on_failure=stop, and that fail the workflow.
_NOT_DONE = (StepStatus.FAILED, StepStatus.CANCELLED, StepStatus.SKIPPED)


def run_workflow(
    kernel: Spine,
    workflow: Workflow,
    params: Mapping[str, Any],
    *,
    store: str | None = None,
    resume: str | None = None,
    run_id: str | None = None,
) -> WorkflowResult:
    """Run `workflow` (as run `run_id`, when the caller chose it); with `resume`, a new run
    that reuses the steps of run `resume` that succeeded (or were partial) and runs the
    others, and the steps that depend on them.
    Raises `ConfigError` before anything runs when the workflow is invalid or `resume`
    names no run of it."""
    history = WorkflowLog(kernel.runlog(store).store)
    run_params = dict(params)
    reused: dict[str, StepResult] = {}
    if resume is not None:
        earlier = kernel.find_run(resume, store=store)
        if not isinstance(earlier, WorkflowResult) or earlier.workflow != workflow.name:
            raise ConfigError(
                f"no run {resume!r} of workflow {workflow.name!r} to resume (see 'spine runs list --workflow "
                f"{workflow.name}')",
                context={"workflow": workflow.name, "run_id": resume},
            )
        run_params = {**earlier.params, **run_params}
        # What runs again: the steps that did not succeed, and everything downstream of
        # them, which would otherwise keep results made without their new output.
        again = {step.step for step in earlier.steps if not step.status.ok}
        again |= {later for name in set(again) for later in workflow.dependents(name)}
        reused = {step.step: step for step in earlier.steps if step.step not in again}
        resume = earlier.run_id
    kernel.check_workflow(workflow, run_params)
    return _Run(kernel, workflow, run_params, store, history, reused, resume, run_id).go()


class _Run:
    def __init__(
        self,
        kernel: Spine,
        workflow: Workflow,
        params: dict[str, Any],
        store: str | None,
        history: WorkflowLog,
        reused: dict[str, StepResult],
        resumed_from: str | None,
        run_id: str | None = None,
    ) -> None:
        self.kernel = kernel
        self.workflow = workflow
        self.params = params
        self.store = store
        self.history = history
        self.run_id = run_id or new_run_id()
        self.steps: dict[str, StepResult] = {}
        for step in workflow.steps:
            earlier = reused.get(step.name)
            self.steps[step.name] = (
                dataclasses.replace(earlier, message=f"reused from run {resumed_from}")
                if earlier is not None
                else StepResult(step.name, step.pipeline, StepStatus.PENDING, depends_on=step.depends_on)
            )
        self.started_at = datetime.now(UTC)
        self.resumed_from = resumed_from
        self.worker = this_process()

    def go(self) -> WorkflowResult:
        self.history.started(
            self._result(RunStatus.RUNNING), self.workflow.max_concurrency, self.workflow.on_failure
        )
        log.info("workflow started", extra={"workflow": self.workflow.name, "run_id": self.run_id})
        with self.kernel.heartbeat.running(self.kernel.store_url(self.store), self.run_id):
            try:
                self._run_steps()
            except BaseException as exc:  # interrupted: what never started is recorded as skipped
                for step in list(self.steps.values()):
                    if step.status is StepStatus.PENDING:
                        self._record(
                            dataclasses.replace(
                                step, status=StepStatus.SKIPPED, message="not started: the run stopped"
                            )
                        )
                self._end(stopped=isinstance(exc, KeyboardInterrupt))
                raise
        return self._end()

    def _run_steps(self) -> None:
        with ThreadPoolExecutor(self.workflow.max_concurrency, thread_name_prefix="spine-step") as pool:
            running: dict[Future[StepResult], str] = {}
            try:
                while True:
                    for step in self._startable(len(running)):
                        running[self._start(pool, step)] = step.name
                    if not running:
                        return
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        del running[future]
                        self._record(future.result())
            finally:  # interrupted: the steps already running end as they would, recorded
                for future in running:
                    self._record(future.result())

    def _start(self, pool: ThreadPoolExecutor, step: Step) -> Future[StepResult]:
        params = self.workflow.step_params(step, self.params, self.kernel.pipeline(step.pipeline).params)
        started = self._record(
            dataclasses.replace(
                self.steps[step.name],
                status=StepStatus.RUNNING,
                run_id=new_run_id(),
                params=self.kernel.redactor.value(params),
                started_at=datetime.now(UTC),
                message="",
            )
        )
        return pool.submit(self._run_step, started, params)

    def _startable(self, running: int) -> list[Step]:
        """Steps whose dependencies are done, up to the free slots; on the way, steps that
        depend on a failed one are skipped (on_failure=stop)."""
        chosen: list[Step] = []
        changed = True
        while changed:  # a skip can make further skips
            changed = False
            for step in self.workflow.steps:
                if self.steps[step.name].status is not StepStatus.PENDING or step in chosen:
                    continue
                needed = [self.steps[name] for name in step.depends_on]
                blocked = [s.step for s in needed if s.status in _NOT_DONE]
                if blocked and self.workflow.on_failure == "stop":
                    self._record(
                        dataclasses.replace(
                            self.steps[step.name],
                            status=StepStatus.SKIPPED,
                            message=f"skipped: depends on {', '.join(blocked)}, which did not succeed",
                        )
                    )
                    changed = True
                elif running + len(chosen) < self.workflow.max_concurrency and all(
                    s.status not in (StepStatus.PENDING, StepStatus.RUNNING) for s in needed
                ):
                    chosen.append(step)
        return chosen

    def _run_step(self, step: StepResult, params: dict[str, Any]) -> StepResult:
        """In a worker thread: the step's pipeline run (`params` unmasked, unlike the record's)."""
        try:
            result: RunResult = run_pipeline(
                self.kernel, step.pipeline, params, store=self.store, run_id=step.run_id
            )
        except SpineError as exc:  # the store could not be opened: the pipeline never started
            return dataclasses.replace(
                step, status=StepStatus.FAILED, run_id=None, finished_at=datetime.now(UTC), message=str(exc)
            )
        message = str(result.error or "")
        return dataclasses.replace(
            step, status=_STATUS_OF_RUN[result.status], finished_at=result.finished_at, message=message
        )

    def _record(self, step: StepResult) -> StepResult:
        self.steps[step.step] = step
        self.history.step(self.run_id, step)
        if step.status not in (StepStatus.PENDING, StepStatus.RUNNING):
            level = logging.WARNING if step.status in _NOT_DONE else logging.INFO
            log.log(
                level,
                "step %s %s",
                step.step,
                step.status.value,
                extra={"workflow": self.workflow.name, "run_id": self.run_id, "step_run_id": step.run_id},
            )
        return step

    def _result(self, status: RunStatus, finished_at: datetime | None = None) -> WorkflowResult:
        return WorkflowResult(
            self.run_id,
            self.workflow.name,
            status,
            self.kernel.redactor.value(self.params),
            tuple(self.steps[step.name] for step in self.workflow.steps),
            self.started_at,
            finished_at,
            self.resumed_from,
            self.workflow.source,
            self.worker,
        )

    def _end(self, *, stopped: bool = False) -> WorkflowResult:
        """Record the run's end: ``cancelled`` when the user `stopped` it, else as its steps say."""
        statuses = {step.status for step in self.steps.values()}
        if stopped:
            status = RunStatus.CANCELLED
        elif statuses & {*_NOT_DONE, StepStatus.PENDING, StepStatus.RUNNING}:
            status = RunStatus.FAILED
        elif StepStatus.PARTIAL in statuses:
            status = RunStatus.PARTIAL
        else:
            status = RunStatus.SUCCEEDED
        result = self._result(status, datetime.now(UTC))
        self.history.finished(result)
        log.log(
            logging.INFO if result.ok else logging.ERROR,
            "workflow %s",
            status.value,
            extra={"workflow": self.workflow.name, "run_id": self.run_id},
        )
        return result
