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
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .._config._redact import Redactor
from .._config._sources import BootSettings, ConfigSources
from .._errors import ConfigError, PluginError, SpineError
from .._kernel import Spine
from .._version import __version__
from . import (
    _alert_commands,
    _inspect_commands,
    _pipeline_commands,
    _plugin_commands,
    _run_load_commands,
    _runs_commands,
    _schedule_commands,
    _workflow_commands,
)
from ._common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    EXIT_USAGE,
    Parser,
    UsageError,
    plugin_output_to_stderr,
)

_EPILOG = """exit codes: 0 ok (run succeeded or partial), 1 failed (run failed, doctor found
problems, plugin error in strict mode), 2 usage or configuration error, 130 interrupted
(SIGINT), 143 terminated (SIGTERM).
settings: flags > SPINE_* environment > spine.toml ($SPINE_CONFIG) > defaults."""

# In the order ``spine --help`` lists them.
_COMMAND_MODULES = (
    _plugin_commands,
    _run_load_commands,
    _inspect_commands,
    _runs_commands,
    _alert_commands,
    _pipeline_commands,
    _workflow_commands,
    _schedule_commands,
)


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
    common = Parser(add_help=False)
    _global_options(common, argparse.SUPPRESS)
    parser = Parser(prog="spine", description="spine: data pipelines from plugins.", epilog=_EPILOG)
    parser.add_argument("--version", action="version", version=f"spine {__version__}")
    _global_options(parser, None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True
    for module in _COMMAND_MODULES:
        module.add_commands(commands, common)
    return parser


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
            # doctor reports every problem itself, instead of stopping at the first
            _configure_logging(args.log_format or "auto", "error", redactor)
            from ._doctor import diagnose

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
    from .._config._logging import configure

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
