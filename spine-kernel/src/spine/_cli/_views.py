"""Text views of records for the CLI: runs, workflow runs, alerts, schedules and their fires."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from .._alerts._model import Delivery
from .._data._sources import Reject
from .._errors import ConfigError
from .._orchestration._schedules import Fire, ScheduleState
from .._records._results import RunResult, WorkflowResult


def parse_moment(text: str | None, flag: str) -> datetime | None:
    """An ISO date or date-time from the command line; without an offset it is UTC."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"{flag}: expected a date or date-time like 2026-11-23T08:00, got {text!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _seconds(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.1f}s"


def table(rows: Sequence[tuple[str, ...]]) -> str:
    """Rows of cells in aligned columns; the first row is the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def _clipped(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def runs_table(runs: Sequence[RunResult | WorkflowResult], steps: dict[str, tuple[str, str, str]]) -> str:
    """Pipeline and workflow runs; `steps` says which pipeline runs were a workflow's steps."""
    if not runs:
        return "no runs recorded"
    rows = [
        ("RUN", "KIND", "NAME", "STATUS", "READ", "WRITTEN", "REJECTED", "STARTED (UTC)", "TOOK", "PART OF")
    ]
    for run in runs:
        if isinstance(run, WorkflowResult):
            done = sum(step.status.ok for step in run.steps)
            counts = (f"{done}/{len(run.steps)} steps", "", "")
            rows.append(
                (
                    run.run_id[:12],
                    "workflow",
                    run.workflow,
                    run.status.value,
                    *counts,
                    _when(run.started_at),
                    _seconds(run.duration_seconds),
                    "",
                )
            )
            continue
        step = steps.get(run.run_id)
        rows.append(
            (
                run.run_id[:12],
                "pipeline",
                run.pipeline,
                run.status.value,
                f"{run.counts.rows_read:,}",
                f"{run.counts.rows_written:,}",
                f"{run.counts.rows_rejected:,}",
                _when(run.started_at),
                _seconds(run.duration_seconds),
                f"{step[1]} {step[0][:12]} step {step[2]}" if step else "",
            )
        )
    return table(rows)


def workflow_details(run: WorkflowResult) -> str:
    lines = [
        f"run       {run.run_id}",
        f"workflow  {run.workflow}" + (f" ({run.source})" if run.source else ""),
        f"status    {run.status.value}",
        f"params    {json.dumps(run.params, sort_keys=True)}",
        f"started   {_when(run.started_at)} UTC",
        f"finished  {_when(run.finished_at)} UTC ({_seconds(run.duration_seconds)})",
        *([f"worker    {run.worker}"] if run.worker else []),
    ]
    if run.resumed_from:
        lines.append(f"resumes   {run.resumed_from}")
    lines += ["", steps_table(run)]
    return "\n".join(lines)


def steps_table(run: WorkflowResult) -> str:
    rows = [("STEP", "PIPELINE", "STATUS", "RUN", "TOOK", "DETAIL")]
    for step in run.steps:
        rows.append(
            (
                step.step,
                step.pipeline,
                step.status.value,
                (step.run_id or "-")[:12],
                _seconds(step.duration_seconds),
                _clipped(step.message, 90),
            )
        )
    return table(rows)


def alerts_table(deliveries: list[Delivery]) -> str:
    if not deliveries:
        return "no alerts recorded"
    rows = [("RAISED (UTC)", "CHANNEL", "STATUS", "SEVERITY", "PIPELINE", "TITLE", "ANSWER")]
    rows += [
        (
            _when(d.alert.raised_at),
            d.channel,
            d.status.value,
            d.alert.severity.value,
            d.alert.pipeline or "-",
            _clipped(d.alert.title, 40),
            _clipped(d.answer, 70) or "-",
        )
        for d in deliveries
    ]
    return table(rows)


def delivery_lines(deliveries: list[Delivery], not_configured: list[tuple[str, str]]) -> str:
    """What ``spine alerts test`` says about each channel."""
    lines = [f"{d.channel}: {d.status.value}: {d.answer}" for d in deliveries]
    lines += [f"{name}: not configured ({why})" for name, why in not_configured]
    return "\n".join(lines) if lines else "no alert channel is installed"


def run_details(
    run: RunResult,
    rejects: list[Reject],
    step: tuple[str, str, str] | None = None,
    *,
    traceback: bool = False,
) -> str:
    """A pipeline run: its envelope, what it said, its error (with the recorded traceback
    when asked), its first rejected rows."""
    lines = [
        f"run       {run.run_id}",
        f"pipeline  {run.pipeline}",
        *([f"part of   workflow {step[1]}, run {step[0]}, step {step[2]}"] if step else []),
        f"status    {run.status.value}",
        f"params    {json.dumps(run.params, sort_keys=True)}",
        f"rows      {run.counts.rows_read:,} read, {run.counts.rows_written:,} written, "
        f"{run.counts.rows_rejected:,} rejected",
        f"started   {_when(run.started_at)} UTC",
        f"finished  {_when(run.finished_at)} UTC ({_seconds(run.duration_seconds)})",
        *([f"worker    {run.worker}"] if run.worker else []),
    ]
    lines += [f"table     {change}" for change in run.tables]
    lines += [f"warning   {warning}" for warning in run.warnings]
    if run.error:
        lines.append(f"error     {run.error}")
        if traceback:
            lines.append(run.error.traceback or "(no traceback was recorded)")
    if rejects:
        shown = f"first {len(rejects)} of {run.counts.rows_rejected:,}"
        lines.append(f"\nrejected rows ({shown}):")
        for reject in rejects:
            lines.append(f"  {reject.origin}:{reject.position}: {reject.reason}")
            lines.append(f"      {reject.raw}")
    return "\n".join(lines)


def schedules_table(states: list[ScheduleState]) -> str:
    if not states:
        return "no schedules: declare some in the schedules setting, or install a plugin that has some"
    rows = [("NAME", "RUNS", "WHEN", "NEXT (UTC)", "NEXT (LOCAL)", "LAST FIRE (UTC)")]
    for state in states:
        schedule, last = state.schedule, state.last_fire
        kind, name = schedule.target
        params = " ".join(f"{key}={value}" for key, value in schedule.params.items())
        rows.append(
            (
                schedule.name,
                f"{kind} {name}" + (f" {params}" if params else ""),
                schedule.when,
                _when(state.next_fire),
                next_fire_local(state),
                f"{_when(last.due_at)} {last.status.value}" if last else "-",
            )
        )
    return table(rows)


def fires_table(fires: list[Fire]) -> str:
    if not fires:
        return "no fires recorded"
    rows = [("DUE (UTC)", "SCHEDULE", "STATUS", "RUN", "FIRED BY", "TOOK", "REASON")]
    for fire in fires:
        took = (
            (fire.finished_at - fire.started_at).total_seconds()
            if fire.started_at and fire.finished_at
            else None
        )
        rows.append(
            (
                _when(fire.due_at),
                fire.schedule,
                fire.status.value,
                (fire.run_id or "-")[:12],
                fire.fired_by or "-",
                _seconds(took),
                fire.reason or "-",
            )
        )
    return table(rows)


def next_fire_local(state: ScheduleState) -> str:
    if state.next_fire is None:
        return "never"
    return state.next_fire.astimezone(state.schedule.zone).strftime("%Y-%m-%d %H:%M:%S %Z")
