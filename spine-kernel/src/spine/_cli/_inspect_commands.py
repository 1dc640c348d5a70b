"""``spine inspect LOCATION``: what a source sees there (every table of a database, or a
file's or an API's columns) with the logical types it would load them as; nothing is loaded."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ._common import EXIT_OK, pairs, plugin_output_to_stderr, print_json

if TYPE_CHECKING:
    from .._kernel import Spine


def add_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``inspect`` to the ``spine`` command's sub-parsers."""
    inspect = commands.add_parser(
        "inspect", help="the tables and columns a source sees, with their types", parents=[common]
    )
    inspect.add_argument("location", metavar="SOURCE", help="a file path, or a URL a source plugin reads")
    inspect.add_argument(
        "-o", "--option", action="append", default=[], metavar="KEY=VALUE", help="source option"
    )
    inspect.add_argument("--json", action="store_true", help="print JSON")
    inspect.set_defaults(handler=_inspect)


def _inspect(args: argparse.Namespace, kernel: Spine) -> int:
    from ._views import table

    with plugin_output_to_stderr():
        listed = kernel.inspect(args.location, **pairs(args.option, "-o"))
    if args.json:
        print_json(
            [
                {
                    "name": kernel.redactor.text(item.name),
                    "columns": [{"name": field.name, "type": field.type} for field in item.schema.fields],
                    "warnings": [kernel.redactor.text(warning) for warning in item.warnings],
                }
                for item in listed
            ]
        )
        return EXIT_OK
    blocks = []
    for item in listed:
        rows = [("COLUMN", "TYPE"), *((field.name, field.type) for field in item.schema.fields)]
        lines = [kernel.redactor.text(item.name), *("  " + line for line in table(rows).splitlines())]
        lines += [f"  warning: {kernel.redactor.text(warning)}" for warning in item.warnings]
        blocks.append("\n".join(lines))
    print("\n\n".join(blocks) if blocks else "no tables")
    return EXIT_OK
