"""``spine run`` and ``spine load``: start a run, show its progress, report its result."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ._common import (
    EXIT_FAILED,
    EXIT_OK,
    pairs,
    param_option,
    plugin_output_to_stderr,
    print_json,
    store_and_json,
)

if TYPE_CHECKING:
    from .._kernel import Spine
    from .._records._results import RunResult


def add_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``run`` and ``load`` to the ``spine`` command's sub-parsers."""
    run = commands.add_parser("run", help="run a registered pipeline", parents=[common])
    run.add_argument("pipeline")
    param_option(run, "pipeline parameter (see 'spine pipelines show PIPELINE')")
    _run_options(run)
    run.set_defaults(handler=_run)

    load = commands.add_parser("load", help="load a file or URL into a table", parents=[common])
    load.add_argument("source", help="a file path, or a URL that a source plugin reads")
    load.add_argument("--table", required=True, help="the table to write")
    load.add_argument("--mode", choices=["append", "replace", "merge"], default="append")
    load.add_argument(
        "--key",
        default="",
        metavar="COL,...",
        help="key columns (required for merge), as the header names them",
    )
    load.add_argument(
        "--allow-empty", action="store_true", help="let --mode replace empty the table when no row is loaded"
    )
    load.add_argument(
        "--schema-contract",
        choices=["evolve", "freeze"],
        help="input columns the table lacks: add them (evolve) or refuse (freeze); default: the setting",
    )
    load.add_argument(
        "-o", "--option", action="append", default=[], metavar="KEY=VALUE", help="source option"
    )
    _run_options(load)
    load.set_defaults(handler=_load)


def _run_options(parser: argparse.ArgumentParser) -> None:
    store_and_json(parser)
    parser.add_argument(
        "--max-rejects", metavar="N|P%", help="rejected rows that fail the run: a count, or a share like 5%%"
    )


def _run(args: argparse.Namespace, kernel: Spine) -> int:
    params = pairs(args.param, "-p")
    return _report_run(args, kernel, lambda **run: kernel.run(args.pipeline, params, **run))


def _load(args: argparse.Namespace, kernel: Spine) -> int:
    keys = [key.strip() for key in args.key.split(",") if key.strip()]
    options = pairs(args.option, "-o")
    return _report_run(
        args,
        kernel,
        lambda **run: kernel.load(
            args.source,
            args.table,
            mode=args.mode,
            keys=keys,
            options=options,
            allow_empty=args.allow_empty,
            schema_contract=args.schema_contract,
            **run,
        ),
    )


def _report_run(args: argparse.Namespace, kernel: Spine, start: Any) -> int:
    from ._progress import progress_line

    with progress_line(sys.stderr, enabled=not args.json) as progress, plugin_output_to_stderr():
        result: RunResult = start(store=args.store, max_rejects=args.max_rejects, progress=progress)
    if args.json:
        print_json(result.to_dict(traceback=args.debug))
    else:
        counts = result.counts
        print(
            f"{result.pipeline} {result.status.value}: {counts.rows_read:,} read, "
            f"{counts.rows_written:,} written, {counts.rows_rejected:,} rejected "
            f"in {result.duration_seconds or 0:.2f}s "
            f"(run {result.run_id}, store {kernel.runlog(args.store).store.describe()})"
        )
        for change in result.tables:
            print(change)
        for warning in result.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        if result.error:
            if args.debug and result.error.traceback:
                print(result.error.traceback, file=sys.stderr)
            print(f"error [{result.error.category}]: {result.error.message}", file=sys.stderr)
        if counts.rows_rejected:
            print(f"rejected rows: spine runs show {result.run_id[:12]}", file=sys.stderr)
    return EXIT_OK if result.ok else EXIT_FAILED
