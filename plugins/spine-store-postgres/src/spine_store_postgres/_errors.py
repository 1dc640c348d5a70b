"""psycopg errors as `spine.LoadError`: one line, no secrets, and whether a retry may help."""

from __future__ import annotations

import psycopg
from spine import LoadError, Redactor

# Serialization failure and deadlock (the transaction lost a race), too many
# connections; and every connection error (`is_connection_error`).
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "53300"})
# The server ended the session: administrator command, crash shutdown, starting up.
_SERVER_ENDED = frozenset({"57P01", "57P02", "57P03"})
DISK_FULL = "53100"


def is_retryable(error: psycopg.Error) -> bool:
    return error.sqlstate in _RETRYABLE_SQLSTATES or is_connection_error(error)


def is_connection_error(error: psycopg.Error) -> bool:
    """A connection refused, failed or lost, or ended by the server (shutting down,
    restarting, an administrator's command): a new connection may succeed."""
    state = error.sqlstate
    if state is None:
        # libpq's own errors carry no SQLSTATE: a refused, failed or lost connection.
        return isinstance(error, psycopg.OperationalError)
    return state.startswith("08") or state in _SERVER_ENDED  # class 08: connection exception


def one_line(error: Exception) -> str:
    """libpq's messages span lines (DETAIL, HINT); spine's errors are one line."""
    return " ".join(str(error).split())


def reason(error: psycopg.Error) -> str:
    # The server's own parts, without the statement excerpt ("LINE 1: ...") it quotes.
    diag = error.diag
    if diag.message_primary is None:  # raised by libpq or psycopg, not by the server
        return one_line(error)
    return " ".join(part for part in (diag.message_primary, diag.message_detail, diag.message_hint) if part)


def load_error(
    error: psycopg.Error,
    doing: str,
    *,
    store: str,
    redactor: Redactor,
    table: str | None = None,
    lost: bool = False,
) -> LoadError:
    """A `LoadError` saying what failed (`doing`), what happened in plain words when it is
    one of the common mishaps (the server's disk is full; the connection was `lost`), and
    the server's reason, on one line."""
    context: dict[str, object] = {"store": store, "sqlstate": error.sqlstate}
    if table is not None:
        context["table"] = table
    why = redactor.text(reason(error))
    if error.sqlstate == DISK_FULL:
        why = f"the database server's disk is full ({why})"
    elif lost:
        why = f"the connection to the server was lost ({why})"
    return LoadError(f"{doing} ({store}): {why}", context=context, retryable=lost or is_retryable(error))
