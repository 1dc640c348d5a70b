"""What every command module uses: exit codes, the parser's pieces (command groups,
``--store``/``--json``, ``-p KEY=VALUE``), and output (JSON, plugins' prints kept off stdout)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143


class UsageError(Exception):
    """Bad command-line input: exit code 2."""


class Parser(argparse.ArgumentParser):
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


def command_group(commands: Any, name: str, text: str, common: argparse.ArgumentParser) -> Any:
    """``spine NAME COMMAND``: a command that groups others (``runs list``, ``runs show``);
    returns the sub-parsers to add them to."""
    group = commands.add_parser(name, help=text, parents=[common])
    grouped = group.add_subparsers(dest=f"{name}_command", metavar="COMMAND", parser_class=Parser)
    grouped.required = True
    return grouped


def store_and_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store", metavar="URL", help="store URL (default: SPINE_STORE_URL, else embedded SQLite)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")


def param_option(parser: argparse.ArgumentParser, text: str) -> None:
    """``-p KEY=VALUE``, repeatable: parameters of a pipeline or a workflow run (see `pairs`)."""
    parser.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE", help=text)


def pairs(items: Sequence[str], flag: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{flag} {item!r}: expected KEY=VALUE")
        pairs[key.strip()] = value
    return pairs


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


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
