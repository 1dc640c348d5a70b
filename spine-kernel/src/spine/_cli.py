"""The ``spine`` command: a thin layer over `Spine`.

Exit codes: 0 success (a run that succeeded or was partial), 1 failure (a failed
run, problems found by ``doctor``, a plugin failure in strict mode, an unexpected
error), 2 usage or configuration error (bad options, invalid settings, an unknown
pipeline), 130 interrupted (SIGINT, Ctrl-C), 143 terminated (SIGTERM: 128 + 15, as
shells and service managers expect). Errors are one line on stderr; ``--debug`` adds the
traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from typing import TYPE_CHECKING, Any

from ._config import BootSettings, ConfigSources
from ._errors import ConfigError, PluginError, SpineError
from ._kernel import MIN_RUN_PREFIX, Spine
from ._redact import Redactor
from ._statuses import RunStatus, recorded
from ._version import __version__

if TYPE_CHECKING:
    from ._results import RunResult

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143

_EPILOG = """exit codes: 0 ok (run succeeded or partial), 1 failed (run failed, doctor found
problems, plugin error in strict mode), 2 usage or configuration error, 130 interrupted
(SIGINT), 143 terminated (SIGTERM).
settings: flags > SPINE_* environment > spine.toml ($SPINE_CONFIG) > defaults."""


class UsageError(Exception):
    """Bad command-line input: exit code 2."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, stopping a command as Ctrl-C does: a run it stops ends ``cancelled``."""

    signal_name = "SIGTERM"


@contextmanager
def _sigterm_stops() -> Iterator[None]:
    """SIGTERM raises `Terminated` in the main thread while the command runs."""

    def terminate(signum: int, frame: object) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def plugin_output_to_stderr() -> Iterator[None]:
    """While plugins run, what they print (or anything else writes to stdout, a child
    process included) goes to stderr: stdout carries the command's own output alone, so
    that ``--json`` stays JSON."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        with redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 1)
        os.close(saved)


class _Parser(argparse.ArgumentParser):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(formatter_class=_HelpFormatter, **kwargs)

    def error(self, message: str) -> Any:  # argparse would print usage and exit itself
        raise UsageError(f"{message} (see '{self.prog} --help')")


class _HelpFormatter(argparse.HelpFormatter):
    # argparse asks shutil for the terminal width on every parser it builds; os is
    # already imported, shutil (and what it imports) is not.
    def __init__(self, prog: str) -> None:
        try:
            width = int(os.environ.get("COLUMNS", "")) or os.get_terminal_size().columns
        except (ValueError, OSError):
            width = 80
        super().__init__(prog, width=max(width, 40) - 2)


def _global_options(parser: argparse.ArgumentParser, default: Any) -> None:
    # Global options are accepted before and after the command; the outer parser
    # sets the defaults and the inner ones only override what they were given.
    parser.add_argument(
        "--debug", action="store_true", default=default, help="show tracebacks and debug logs"
    )
    parser.add_argument(
        "--no-plugins", action="store_true", default=default, help="load no entry-point plugins"
    )
    parser.add_argument(
        "--strict-plugins", action="store_true", default=default, help="fail when any plugin fails to load"
    )
    parser.add_argument(
        "--config", metavar="PATH", default=default, help="settings file (default ./spine.toml)"
    )
    parser.add_argument("--log-format", choices=["auto", "console", "json"], default=default)
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"], default=default)


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    _global_options(common, argparse.SUPPRESS)
    parser = _Parser(prog="spine", description="spine: data pipelines from plugins.", epilog=_EPILOG)
    parser.add_argument("--version", action="version", version=f"spine {__version__}")
    _global_options(parser, None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    plugin_commands = command_group(commands, "plugins", "inspect installed plugins", common)
    listing = plugin_commands.add_parser("list", help="list discovered plugins", parents=[common])
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_plugins_list)

    doctor = commands.add_parser("doctor", help="check plugins and settings", parents=[common])
    doctor.add_argument("--json", action="store_true", help="print JSON")

    run = commands.add_parser("run", help="run a registered pipeline", parents=[common])
    run.add_argument("pipeline")
    _param_option(run, "pipeline parameter (see 'spine pipelines show PIPELINE')")
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
    _store_and_json(runs_list)
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
    _store_and_json(runs_show)
    runs_show.set_defaults(handler=_runs_show)

    alerts_commands = command_group(commands, "alerts", "alert channels and alert history", common)
    alerts_test = alerts_commands.add_parser(
        "test", help="send a test alert and show what each channel answered", parents=[common]
    )
    alerts_test.add_argument(
        "--channel", metavar="NAME", help="only this channel (default: every configured one)"
    )
    _store_and_json(alerts_test)
    alerts_test.set_defaults(handler=_alerts_test)
    alerts_history = alerts_commands.add_parser(
        "history", help="alerts sent, suppressed and failed, newest first", parents=[common]
    )
    alerts_history.add_argument("--channel", metavar="NAME")
    alerts_history.add_argument("--status", choices=["sending", "sent", "suppressed", "failed"])
    alerts_history.add_argument("--pipeline")
    alerts_history.add_argument("--since", metavar="ISO", help="raised at or after (2026-11-23T08:00)")
    alerts_history.add_argument("--until", metavar="ISO", help="raised before")
    alerts_history.add_argument("--limit", type=int, default=50)
    _store_and_json(alerts_history)
    alerts_history.set_defaults(handler=_alerts_history)

    from . import _pipeline_commands

    _pipeline_commands.add_commands(commands, common)
    from . import _workflow_commands

    _workflow_commands.add_commands(commands, common)
    from . import _schedule_commands

    _schedule_commands.add_commands(commands, common)
    return parser


def command_group(commands: Any, name: str, text: str, common: argparse.ArgumentParser) -> Any:
    """``spine NAME COMMAND``: a command that groups others (``runs list``, ``runs show``);
    returns the sub-parsers to add them to."""
    group = commands.add_parser(name, help=text, parents=[common])
    grouped = group.add_subparsers(dest=f"{name}_command", metavar="COMMAND", parser_class=_Parser)
    grouped.required = True
    return grouped


def _store_and_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store", metavar="URL", help="store URL (default: SPINE_STORE_URL, else embedded SQLite)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")


def _param_option(parser: argparse.ArgumentParser, text: str) -> None:
    """``-p KEY=VALUE``, repeatable: parameters of a pipeline or a workflow run (see `_pairs`)."""
    parser.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE", help=text)


def _run_options(parser: argparse.ArgumentParser) -> None:
    _store_and_json(parser)
    parser.add_argument(
        "--max-rejects", metavar="N|P%", help="rejected rows that fail the run: a count, or a share like 5%%"
    )


def main(argv: Sequence[str] | None = None) -> int:
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    redactor = Redactor()
    try:
        args = _parser().parse_args(argv)
        debug = bool(args.debug)
        overrides = {
            "load_plugins": [] if args.no_plugins else None,
            "strict_plugins": True if args.strict_plugins else None,
            "log_format": args.log_format,
            "log_level": "debug" if debug else args.log_level,
        }
        if args.command == "doctor":
            from ._doctor import diagnose

            # doctor reports every problem itself, instead of stopping at the first
            _configure_logging(args.log_format or "auto", "error", redactor)
            return diagnose({**overrides, "strict_plugins": False}, args.config, as_json=args.json)
        config = ConfigSources.load(overrides, config_file=args.config)
        boot = BootSettings.from_sources(config)
        # Listing plugins logs nothing of its own (its output is the report), and
        # importing logging alone costs a tenth of its time budget.
        handler = (
            None
            if args.command == "plugins"
            else _configure_logging(boot.log_format, boot.log_level, redactor)
        )
        with _sigterm_stops():
            with plugin_output_to_stderr():
                kernel = Spine(config=config)
            redactor = kernel.redactor
            if handler is not None:
                handler.redactor = redactor
                # Every command but listing plugins (which must not pay for pydantic) stops on
                # wrong settings first: an unknown key, an invalid value.
                _ = kernel.settings
            return int(args.handler(args, kernel))
    except Terminated:
        print("spine: terminated (SIGTERM)", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("spine: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`spine plugins list | head -1`): stop quietly, and
        # keep Python from complaining when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except (UsageError, ConfigError) as exc:
        return _report(exc, redactor, debug, EXIT_USAGE)
    except PluginError as exc:
        # Unknown or ambiguous names are usage errors; a plugin failing in strict mode is not.
        code = EXIT_FAILED if exc.context.get("plugin") else EXIT_USAGE
        return _report(exc, redactor, debug, code)
    except Exception as exc:
        return _report(exc, redactor, debug, EXIT_FAILED)


def _configure_logging(log_format: str, level: str, redactor: Redactor) -> Any:
    from ._logging import configure

    return configure(log_format=log_format, level=level, stream=sys.stderr, redactor=redactor)


def _report(exc: BaseException, redactor: Redactor, debug: bool, code: int) -> int:
    if debug:
        import traceback

        print(redactor.text("".join(traceback.format_exception(exc))), file=sys.stderr, end="")
    if isinstance(exc, SpineError | UsageError):
        message = f"spine: error: {exc}"
    else:
        message = f"spine: internal error: {type(exc).__name__}: {exc}"
    if not debug:
        message += " (run with --debug for the traceback)" if code == EXIT_FAILED else ""
    print(redactor.text(message), file=sys.stderr)
    return code


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


# -- commands -------------------------------------------------------------------


def _plugins_list(args: argparse.Namespace, kernel: Spine) -> int:
    records = [record.to_dict() for record in kernel.plugins.records]
    for record in records:  # only the error text can carry a secret (a DSN in a message)
        record["error"] = record["error"] and kernel.redactor.text(record["error"])
    if args.json:
        _print_json(records)
        return EXIT_OK
    rows = [("NAME", "DISTRIBUTION", "VERSION", "STATUS", "PROVIDES")]
    for record in records:
        provides = ", ".join(f"{kind} {name}" for kind, names in record["provides"].items() for name in names)
        rows.append(
            (
                record["name"],
                record["distribution"] or "-",
                record["version"] or "-",
                record["status"],
                provides or "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[4])
    for record in records:
        if record["error"]:
            print(f"\n{record['name']}: {record['error']}")
    if kernel.plugins.skipped:
        names = ", ".join(sorted({ep.name for ep in kernel.plugins.skipped}))
        print(f"\nnot loaded (load_plugins / disable_plugins): {names}")
    return EXIT_OK


def _pairs(items: Sequence[str], flag: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{flag} {item!r}: expected KEY=VALUE")
        pairs[key.strip()] = value
    return pairs


def _run(args: argparse.Namespace, kernel: Spine) -> int:
    params = _pairs(args.param, "-p")
    return _report_run(args, kernel, lambda **run: kernel.run(args.pipeline, params, **run))


def _load(args: argparse.Namespace, kernel: Spine) -> int:
    keys = [key.strip() for key in args.key.split(",") if key.strip()]
    options = _pairs(args.option, "-o")
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
        _print_json(result.to_dict(traceback=args.debug))
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


def _runs_list(args: argparse.Namespace, kernel: Spine) -> int:
    from ._views import parse_moment, runs_table
    from ._workflow_log import WorkflowLog

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
        _print_json([_with_step(run.to_dict(), steps.get(run.run_id)) for run in runs])
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
    from ._results import WorkflowResult
    from ._views import run_details, workflow_details
    from ._workflow_log import WorkflowLog

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
        _print_json({**envelope, "rejects": [r._asdict() for r in rejects]})
    else:
        print(run_details(run, rejects, step, traceback=args.debug))
    return EXIT_OK


def _alerts_test(args: argparse.Namespace, kernel: Spine) -> int:
    from ._views import delivery_lines

    with plugin_output_to_stderr():
        deliveries = kernel.test_alerts(args.channel, store=args.store)
    if args.json:
        _print_json([delivery.to_dict() for delivery in deliveries])
    else:
        idle = [] if args.channel else _not_configured(kernel)
        print(delivery_lines(deliveries, idle))
    return EXIT_OK if deliveries and all(d.ok for d in deliveries) else EXIT_FAILED


def _not_configured(kernel: Spine) -> list[tuple[str, str]]:
    configured = kernel.alerts.configured()
    return [
        (name, kernel.plugins.get("alert_channel", name).description or "see its documentation")
        for name in kernel.alerts.names()
        if name not in configured
    ]


def _alerts_history(args: argparse.Namespace, kernel: Spine) -> int:
    from ._views import alerts_table, parse_moment

    deliveries = kernel.alert_history(
        store=args.store,
        channel=args.channel,
        status=args.status,
        pipeline=args.pipeline,
        since=parse_moment(args.since, "--since"),
        until=parse_moment(args.until, "--until"),
        limit=args.limit,
    )
    if args.json:
        _print_json([delivery.to_dict() for delivery in deliveries])
    else:
        print(alerts_table(deliveries))
    return EXIT_OK
