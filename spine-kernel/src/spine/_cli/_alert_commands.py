"""``spine alerts test|history``: try the alert channels, and read what was sent."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ._common import EXIT_FAILED, EXIT_OK, command_group, plugin_output_to_stderr, print_json, store_and_json

if TYPE_CHECKING:
    from .._kernel import Spine


def add_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``alerts`` and its commands to the ``spine`` command's sub-parsers."""
    alerts_commands = command_group(commands, "alerts", "alert channels and alert history", common)
    alerts_test = alerts_commands.add_parser(
        "test", help="send a test alert and show what each channel answered", parents=[common]
    )
    alerts_test.add_argument(
        "--channel", metavar="NAME", help="only this channel (default: every configured one)"
    )
    store_and_json(alerts_test)
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
    store_and_json(alerts_history)
    alerts_history.set_defaults(handler=_alerts_history)


def _alerts_test(args: argparse.Namespace, kernel: Spine) -> int:
    from ._views import delivery_lines

    with plugin_output_to_stderr():
        deliveries = kernel.test_alerts(args.channel, store=args.store)
    if args.json:
        print_json([delivery.to_dict() for delivery in deliveries])
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
        print_json([delivery.to_dict() for delivery in deliveries])
    else:
        print(alerts_table(deliveries))
    return EXIT_OK
