"""The kernel's source contract, run against the sql source on a SQLite table (PostgreSQL's
query source runs it in test_sql_postgres.py)."""

from __future__ import annotations

import sqlite3

import pytest
from spine.testing import SourceCase, SourceContract
from spine_source_sql._source import open_sql

ROWS = [(1, "Smith, John"), (2, 'The "Best" Co'), (3, ""), (4, "ünïcödé ✓")]


class TestSqliteTable(SourceContract):
    @pytest.fixture
    def source_case(self, tmp_path):
        path = tmp_path / "contract.db"
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT)")
            connection.executemany("INSERT INTO people VALUES (?, ?)", ROWS)
        connection.close()
        return SourceCase(lambda: open_sql(f"sqlite:///{path}", table="people"), ["id", "name"], ROWS)
