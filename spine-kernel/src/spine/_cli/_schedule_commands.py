"""``spine schedules list|history`` and ``spine scheduler run``.

Imported whenever the command line is parsed (``spine plugins list`` included): the
scheduler and APScheduler are imported by the commands themselves.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from .._errors import ConfigError
from .._records._statuses import FireStatus, recorded
from ._common import EXIT_OK, command_group, print_json, store_and_json

if TYPE_CHECKING:
    from .._kernel import Spine


def add_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``schedules`` and ``scheduler`` to the ``spine`` command's sub-parsers."""
    schedule_commands = command_group(commands, "schedules", "schedules and their fires", common)
    listing = schedule_commands.add_parser(
        "list", help="every schedule with its next fire time and its last fire", parents=[common]
    )
    store_and_json(listing)
    listing.set_defaults(handler=_schedules_list)
    history = schedule_commands.add_parser("history", help="fires, latest due time first", parents=[common])
    history.add_argument("name", nargs="?", metavar="NAME", help="only this schedule's fires")
    history.add_argument("--status", choices=recorded(FireStatus))
    history.add_argument("--since", metavar="ISO", help="due at or after (2026-11-23T08:00)")
    history.add_argument("--until", metavar="ISO", help="due before")
    history.add_argument("--limit", type=int, default=50)
    store_and_json(history)
    history.set_defaults(handler=_schedules_history)

    scheduler_commands = command_group(commands, "scheduler", "the scheduler service", common)
    run = scheduler_commands.add_parser(
        "run",
        help="fire the schedules in the foreground until SIGINT or SIGTERM (then exit 0)",
        parents=[common],
    )
    run.add_argument(
        "--store", metavar="URL", help="store URL (default: SPINE_STORE_URL, else embedded SQLite)"
    )
    run.set_defaults(handler=_scheduler_run)


def _schedules_list(args: argparse.Namespace, kernel: Spine) -> int:
    from .._orchestration._scheduler import Scheduler
    from ._views import schedules_table

    states = Scheduler(kernel, store=args.store).schedules()
    if args.json:  # parameters may carry secrets the kernel knows of
        print_json(kernel.redactor.value([state.to_dict() for state in states]))
    else:
        print(kernel.redactor.text(schedules_table(states)))
    return EXIT_OK


def _schedules_history(args: argparse.Namespace, kernel: Spine) -> int:
    from .._orchestration._scheduler import Scheduler
    from ._views import fires_table, parse_moment

    fires = Scheduler(kernel, store=args.store).history(
        args.name,
        status=args.status,
        since=parse_moment(args.since, "--since"),
        until=parse_moment(args.until, "--until"),
        limit=args.limit,
    )
    if args.json:
        print_json([fire.to_dict() for fire in fires])
    else:
        print(fires_table(fires))
    return EXIT_OK


def _scheduler_run(args: argparse.Namespace, kernel: Spine) -> int:
    import signal
    import threading

    from .._orchestration._scheduler import Scheduler, log
    from ._views import next_fire_local

    scheduler = Scheduler(kernel, store=args.store)
    states = scheduler.schedules()
    if not states:
        raise ConfigError(
            "no schedules to fire: declare some in the schedules setting ([[schedules]] in spine.toml), "
            "or install a plugin that has some"
        )
    store = kernel.runlog(args.store).store.describe()
    log.info("scheduler started on %s as %s with %d schedule(s)", store, scheduler.fired_by, len(states))
    for state in states:
        log.info(
            "schedule %s: %s, next due %s", state.schedule.name, state.schedule.when, next_fire_local(state)
        )
    stop = threading.Event()

    def on_signal(number: int, _frame: object) -> None:
        if stop.is_set():  # a second signal: stop waiting for the running fires
            raise KeyboardInterrupt
        log.info(
            "%s: stopping; running fires have %ss to end (send it again to stop at once)",
            signal.Signals(number).name,
            f"{kernel.settings.scheduler_stop_timeout:g}",
        )
        stop.set()

    previous = {number: signal.signal(number, on_signal) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        scheduler.run_forever(stop)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    log.info("scheduler stopped")
    return EXIT_OK
