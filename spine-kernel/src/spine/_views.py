"""Text views of records for the CLI: ``spine runs list/show`` and ``spine alerts history/test``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from ._alerts import Delivery
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


def table(rows: Sequence[tuple[str, ...]]) -> str:
    """Rows of cells in aligned columns; the first row is the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def _clipped(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


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
