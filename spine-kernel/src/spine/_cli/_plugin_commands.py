"""``spine plugins list`` (every discovered plugin, its status and what it provides) and
``spine doctor`` (`_doctor` checks plugins and settings; imported only when it runs)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ._common import EXIT_OK, command_group, print_json

if TYPE_CHECKING:
    from .._kernel import Spine


def add_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``plugins`` and ``doctor`` to the ``spine`` command's sub-parsers. `main` runs
    ``doctor`` before plugins load, so that it can report every problem itself."""
    plugin_commands = command_group(commands, "plugins", "inspect installed plugins", common)
    listing = plugin_commands.add_parser("list", help="list discovered plugins", parents=[common])
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_plugins_list)
    doctor = commands.add_parser("doctor", help="check plugins and settings", parents=[common])
    doctor.add_argument("--json", action="store_true", help="print JSON")


def _plugins_list(args: argparse.Namespace, kernel: Spine) -> int:
    records = [record.to_dict() for record in kernel.plugins.records]
    for record in records:  # only the error text can carry a secret (a DSN in a message)
        record["error"] = record["error"] and kernel.redactor.text(record["error"])
    if args.json:
        print_json(records)
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
