"""``spine workflow run|list|check``: the CLI of workflows (wired into the parser by `_main`)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ._common import (
    EXIT_FAILED,
    EXIT_OK,
    command_group,
    pairs,
    param_option,
    plugin_output_to_stderr,
    print_json,
    store_and_json,
)

if TYPE_CHECKING:
    from .._kernel import Spine


def add_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``workflow`` and its commands to the CLI's sub-parsers."""

    workflow_commands = command_group(
        commands, "workflow", "run and inspect workflows (DAGs of pipelines)", common
    )
    run = workflow_commands.add_parser("run", help="run a workflow, or resume a run of it", parents=[common])
    run.add_argument("workflow", metavar="NAME|FILE", help="a workflow's name, or a YAML file")
    param_option(run, "run parameter (over the defaults)")
    run.add_argument(
        "--resume",
        metavar="RUN_ID",
        help="run again only the steps of RUN_ID that did not succeed, and what depends on them",
    )
    store_and_json(run)
    run.set_defaults(handler=_workflow_run)
    listing = workflow_commands.add_parser(
        "list", help="the workflows plugins and files define", parents=[common]
    )
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_workflow_list)
    check = workflow_commands.add_parser(
        "check", help="check a workflow without running it", parents=[common]
    )
    check.add_argument("workflow", metavar="NAME|FILE")
    param_option(check, "check as a run with these parameters would start (required ones included)")
    check.set_defaults(handler=_workflow_check)


def _workflow_run(args: argparse.Namespace, kernel: Spine) -> int:
    from ._views import steps_table

    with plugin_output_to_stderr():
        result = kernel.run_workflow(
            args.workflow, pairs(args.param, "-p"), store=args.store, resume=args.resume
        )
    if args.json:
        print_json(result.to_dict())
    else:
        counts: dict[str, int] = {}
        for step in result.steps:
            counts[step.status.value] = counts.get(step.status.value, 0) + 1
        summary = ", ".join(f"{count} {status}" for status, count in counts.items())
        print(
            f"{result.workflow} {result.status.value}: {summary} in {result.duration_seconds or 0:.2f}s "
            f"(run {result.run_id})"
        )
        print(steps_table(result))
        if not result.ok:
            print(
                "to run again what did not succeed: "
                f"spine workflow run {args.workflow} --resume {result.run_id[:12]}",
                file=sys.stderr,
            )
    return EXIT_OK if result.ok else EXIT_FAILED


def _workflow_list(args: argparse.Namespace, kernel: Spine) -> int:
    from ._views import table

    workflows = kernel.workflows()
    if args.json:
        print_json(
            [
                {
                    "name": w.name,
                    "description": w.description,
                    "source": w.source,
                    "steps": [step.name for step in w.steps],
                    "max_concurrency": w.max_concurrency,
                    "on_failure": w.on_failure,
                }
                for w in workflows
            ]
        )
    elif workflows:
        rows = [("NAME", "STEPS", "FROM", "DESCRIPTION")]
        rows += [(w.name, str(len(w.steps)), w.source or "a plugin", w.description) for w in workflows]
        print(table(rows))
    else:
        print(
            "no workflows: add YAML files to ./workflows (the workflow_paths setting), "
            "or install a plugin that has some"
        )
    return EXIT_OK


def _workflow_check(args: argparse.Namespace, kernel: Spine) -> int:

    workflow = kernel.workflow(args.workflow)
    kernel.check_workflow(workflow, pairs(args.param, "-p") if args.param else None)
    print(f"{workflow.name}: ok, {len(workflow.steps)} steps, up to {workflow.max_concurrency} at once")
    return EXIT_OK
