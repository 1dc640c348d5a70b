"""The check a ``query=`` passes before it runs: one SELECT (or WITH ... SELECT) that
changes nothing.

It looks at the words of the query outside string literals, quoted names and comments.
It is a courtesy that refuses early and says why; the guarantee is the read-only
transaction every query runs in, which the database enforces whatever the text.
"""

from __future__ import annotations

import re

import spine

# Strings, quoted names and comments, in the forms of the four databases: their words
# are data, not SQL. PostgreSQL's dollar quotes ($tag$...$tag$) included.
_OPAQUE = re.compile(
    r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]|--[^\n]*|\#[^\n]*|/\*.*?\*/"""
    r"""|(\$[A-Za-z_]?\w*\$).*?\1""",
    re.DOTALL,
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
# Words that write, lock, or run something else: refused wherever they appear.
_WRITES = frozenset(
    (
        *("insert", "update", "delete", "merge", "upsert", "truncate", "copy", "into", "lock"),
        *("create", "drop", "alter", "rename", "grant", "revoke", "comment", "vacuum", "analyze"),
        *("reindex", "cluster", "refresh", "call", "exec", "execute", "do", "handler", "prepare"),
        *("deallocate", "set", "reset", "begin", "commit", "rollback", "savepoint", "release"),
        *("listen", "notify", "outfile", "dumpfile"),
    )
)


def check_query(query: str) -> str:
    """`query` without a trailing semicolon, when it is one SELECT; else `ConfigError` saying why."""
    text = query.strip().rstrip(";").strip()
    bare = _OPAQUE.sub(" ", text)
    if ";" in bare:
        raise _refused("it holds more than one statement")
    words = [word.lower() for word in _WORD.findall(bare)]
    if not words or words[0] not in ("select", "with", "values"):
        first = words[0].upper() if words else "nothing"
        raise _refused(f"it starts with {first}, not SELECT or WITH")
    writes = sorted({word for word in words if word in _WRITES})
    if writes:
        raise _refused(f"it uses {', '.join(word.upper() for word in writes)}")
    return text


def _refused(why: str) -> spine.ConfigError:
    return spine.ConfigError(
        f"sql source option 'query': only a single SELECT (or WITH ... SELECT) is read, and {why}; "
        "the sql source only reads: to write into a database use --store",
        context={"option": "query"},
    )
