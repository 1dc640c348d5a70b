"""``spine runs list|show``: the recorded pipeline and workflow runs."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from .._kernel import MIN_RUN_PREFIX
from .._records._statuses import RunStatus, recorded
from ._common import EXIT_OK, UsageError, command_group, print_json, store_and_json

if TYPE_CHECKING:
    from .._kernel import Spine


def add_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``runs`` and its commands to the ``spine`` command's sub-parsers."""
    runs_commands = command_group(commands, "runs", "recorded runs", common)
    runs_list = runs_commands.add_parser("list", help="recent runs, newest first", parents=[common])
    runs_list.add_argument("--pipeline")
    runs_list.add_argument("--workflow", help="that workflow's runs, and the pipeline runs of their steps")
    runs_list.add_argument("--status", choices=recorded(RunStatus))
    runs_list.add_argument(
        "--since", metavar="ISO", help="started at or after (2026-11-23 or 2026-11-23T08:00)"
    )
    runs_list.add_argument("--until", metavar="ISO", help="started before")
    runs_list.add_argument("--limit", type=int, default=50)
    store_and_json(runs_list)
    runs_list.set_defaults(handler=_runs_list)
    runs_show = runs_commands.add_parser(
        "show",
        help="one run: a pipeline run with its rejected rows, a workflow run with its steps",
        parents=[common],
    )
    runs_show.add_argument(
        "run_id", metavar="RUN_ID", help=f"a run id, or a unique prefix of {MIN_RUN_PREFIX}+ characters"
    )
    runs_show.add_argument("--rejects", type=int, default=20, metavar="N", help="rejected rows to show")
    store_and_json(runs_show)
    runs_show.set_defaults(handler=_runs_show)


def _runs_list(args: argparse.Namespace, kernel: Spine) -> int:
    from .._orchestration._workflow_log import WorkflowLog
    from ._views import parse_moment, runs_table

    runs = kernel.runs(
        pipeline=args.pipeline,
        workflow=args.workflow,
        status=args.status,
        since=parse_moment(args.since, "--since"),
        until=parse_moment(args.until, "--until"),
        limit=args.limit,
        store=args.store,
    )
    steps = WorkflowLog(kernel.runlog(args.store).store).steps_of([run.run_id for run in runs])
    if args.json:
        print_json([_with_step(run.to_dict(), steps.get(run.run_id)) for run in runs])
    elif runs:
        print(runs_table(runs, steps))
    else:
        filters = [
            f"--{name} {getattr(args, name)}"
            for name in ("pipeline", "workflow", "status", "since", "until")
            if getattr(args, name) is not None
        ]
        print(f"no runs match {' '.join(filters)}" if filters else "no runs recorded")
    return EXIT_OK


def _with_step(record: dict[str, Any], step: tuple[str, str, str] | None) -> dict[str, Any]:
    if record["kind"] == "pipeline":
        record["workflow"] = (
            None if step is None else {"run_id": step[0], "workflow": step[1], "step": step[2]}
        )
    return record


def _runs_show(args: argparse.Namespace, kernel: Spine) -> int:
    from .._orchestration._workflow_log import WorkflowLog
    from .._records._results import WorkflowResult
    from ._views import run_details, workflow_details

    runlog = kernel.runlog(args.store)
    run = kernel.find_run(args.run_id, store=args.store)
    if run is None:
        raise UsageError(f"no run {args.run_id!r} in {runlog.store.describe()} (see 'spine runs list')")
    if isinstance(run, WorkflowResult):
        print(json.dumps(run.to_dict(), indent=2, default=str) if args.json else workflow_details(run))
        return EXIT_OK
    rejects = runlog.rejects(run.run_id, limit=args.rejects)
    step = WorkflowLog(runlog.store).steps_of([run.run_id]).get(run.run_id)
    if args.json:
        envelope = _with_step(run.to_dict(traceback=args.debug), step)
        print_json({**envelope, "rejects": [r._asdict() for r in rejects]})
    else:
        print(run_details(run, rejects, step, traceback=args.debug))
    return EXIT_OK
