"""ibm_db errors as `spine.LoadError`: one line, no secrets, SQLSTATE and SQLCODE in the
context, and whether a retry may help.

ibm_db raises plain ``Exception`` whose text ends ``SQLSTATE=40001 SQLCODE=-911``
(CLI's own errors carry ``SQLCODE=-99999``); `execute_many` may raise one listing an
error per row (``Error 1: ...``), and sometimes one with no text at all, when the
reason is only in ``stmt_errormsg()``.
"""

from __future__ import annotations

import re

from spine import LoadError, Redactor

_SQLSTATE = re.compile(r"SQLSTATE=(\w{5})")
_SQLCODE = re.compile(r"SQLCODE=(-?\d+)")
_PASSWORD_KEYWORD = re.compile(r"(PWD=)[^;]*", re.IGNORECASE)

# -911 deadlock or lock timeout (rolled back), -913 the same (not rolled back),
# -30080/-30081 communication error, -30108 connection lost and re-routed,
# -1224 the server cannot take the request now.
_RETRYABLE_SQLCODES = frozenset({-911, -913, -30080, -30081, -30108, -1224})
# 40001 deadlock or serialization failure, 57033 deadlock or timeout, 08003 no
# connection, 08S01 communication link failure (CLI's own, without a SQLCODE).
_RETRYABLE_SQLSTATES = frozenset({"40001", "57033", "08003", "08S01"})
_LOST_CONNECTION_SQLCODES = frozenset({-30080, -30081, -30108, -1224})


def sqlstate(error: LoadError) -> str | None:
    """The SQLSTATE of a `LoadError` made by `load_error`."""
    state = error.context.get("sqlstate")
    return state if isinstance(state, str) else None


def connection_lost(error: LoadError) -> bool:
    """True when the connection behind `error` is gone (SQLSTATE class 08 and kin)."""
    state, code = sqlstate(error), error.context.get("sqlcode")
    return (state is not None and state.startswith("08")) or code in _LOST_CONNECTION_SQLCODES


def mask(text: str, redactor: Redactor) -> str:
    """`text` without the store's password, on one line."""
    return _PASSWORD_KEYWORD.sub(r"\1***", redactor.text(" ".join(text.split())))


def load_error(reason: str, doing: str, *, store: str, redactor: Redactor) -> LoadError:
    """A `LoadError` for a driver failure while `doing` something on `store`."""
    reason = mask(reason, redactor) or "no reason given by the driver"
    state = _SQLSTATE.search(reason)
    code = _SQLCODE.search(reason)
    context: dict[str, object] = {
        "store": store,
        "sqlstate": state[1] if state else None,
        "sqlcode": int(code[1]) if code else None,
    }
    retryable = context["sqlcode"] in _RETRYABLE_SQLCODES or context["sqlstate"] in _RETRYABLE_SQLSTATES
    return LoadError(f"{doing} ({store}): {reason}", context=context, retryable=retryable)
