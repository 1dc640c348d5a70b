"""Text views of run records for ``spine runs list`` and ``spine runs show``."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ._errors import ConfigError
from ._results import RunResult
from ._sources import Reject


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


def _duration(run: RunResult) -> str:
    return "-" if run.duration_seconds is None else f"{run.duration_seconds:.1f}s"


def runs_table(runs: list[RunResult]) -> str:
    if not runs:
        return "no runs recorded"
    rows = [("RUN", "PIPELINE", "STATUS", "READ", "WRITTEN", "REJECTED", "STARTED (UTC)", "TOOK")]
    rows += [
        (
            run.run_id[:12],
            run.pipeline,
            run.status.value,
            f"{run.counts.rows_read:,}",
            f"{run.counts.rows_written:,}",
            f"{run.counts.rows_rejected:,}",
            _when(run.started_at),
            _duration(run),
        )
        for run in runs
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def run_details(run: RunResult, rejects: list[Reject]) -> str:
    lines = [
        f"run       {run.run_id}",
        f"pipeline  {run.pipeline}",
        f"status    {run.status.value}",
        f"params    {json.dumps(run.params, sort_keys=True)}",
        f"rows      {run.counts.rows_read:,} read, {run.counts.rows_written:,} written, "
        f"{run.counts.rows_rejected:,} rejected",
        f"started   {_when(run.started_at)} UTC",
        f"finished  {_when(run.finished_at)} UTC ({_duration(run)})",
    ]
    if run.error:
        lines.append(f"error     [{run.error.category}] {run.error.message}")
    if rejects:
        shown = f"first {len(rejects)} of {run.counts.rows_rejected:,}"
        lines.append(f"\nrejected rows ({shown}):")
        for reject in rejects:
            lines.append(f"  {reject.origin}:{reject.position}: {reject.reason}")
            lines.append(f"      {reject.raw}")
    return "\n".join(lines)
