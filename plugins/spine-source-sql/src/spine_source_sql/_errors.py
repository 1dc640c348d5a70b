"""A database's errors as `SourceError`s that say what happened, without the password."""

from __future__ import annotations

import re

import spine
import sqlalchemy as sa

# Said by the drivers when the server could not be reached (worth another try), as
# opposed to a refusal (wrong password, unknown database), which would be refused again.
_UNREACHABLE = re.compile(
    r"connection refused|could not connect|can't connect|timeout expired|timed out|"
    r"no route to host|name or service not known|could not translate host name|"
    r"network is unreachable|server closed the connection|connection reset|lost connection",
    re.IGNORECASE,
)


def source_error(exc: sa.exc.DBAPIError, doing: str, shown: str, secrets: list[str]) -> spine.SourceError:
    """`exc`, met while `doing` (``reading table x``) at `shown`, as a `SourceError`."""
    said = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    for secret in secrets:
        said = said.replace(secret, "***")
    retryable = bool(_UNREACHABLE.search(said)) or bool(exc.connection_invalidated)
    what = "cannot reach" if retryable and isinstance(exc, sa.exc.OperationalError) else "error"
    return spine.SourceError(
        f"sql source: {what} {shown} while {doing}: {said}",
        context={"location": shown},
        retryable=retryable,
    )
