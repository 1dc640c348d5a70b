"""The `spine.Session` that `PostgresStore.transaction` yields: portable ``?`` SQL on psycopg."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg

# What psycopg must not misread: quoted literals and identifiers and comments are
# kept whole (a "?" in them is text, not a placeholder), every "%" is doubled
# (psycopg reads "%" as the start of a placeholder anywhere in the statement).
_TOKEN = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/|[?%]""", re.DOTALL)


def _translate(match: re.Match[str]) -> str:
    token = match[0]
    return "%s" if token == "?" else token.replace("%", "%%")


@functools.lru_cache(maxsize=256)
def to_psycopg(sql: str) -> str:
    """``SELECT ? WHERE x LIKE '%?'`` -> ``SELECT %s WHERE x LIKE '%%?'``."""
    return _TOKEN.sub(_translate, sql)


class PostgresSession:
    """Statements with ``?`` placeholders, run on one cursor inside one transaction."""

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

    # Parameters are always passed, even when empty: psycopg turns "%%" back into
    # "%" only when it is given parameters.
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(to_psycopg(sql), tuple(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._cursor.executemany(to_psycopg(sql), rows)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._cursor.execute(to_psycopg(sql), tuple(params))
        return self._cursor.fetchall()
