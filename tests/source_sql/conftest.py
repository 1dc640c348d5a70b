"""Fixtures for the sql source tests: the databases (tests/sql_databases.py), a kernel with
only the sql source, and the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from spine import Spine

from ..fixtures import clean_env, spine_cli
from ..sql_databases import maria, maria_server, pg, pg_schema, pg_server, sqlite_db, target_schema

__all__ = [  # fixtures, used by name
    "clean_env",
    "maria",
    "maria_server",
    "pg",
    "pg_schema",
    "pg_server",
    "spine_cli",
    "sqlite_db",
    "target_schema",
]


@pytest.fixture
def kernel(tmp_path: Path) -> Iterator[Spine]:
    """A kernel with only the sql source registered, storing in a fresh SQLite file."""
    import spine_source_sql

    with Spine(
        entry_points=False,
        environ={"SPINE_STORE_URL": f"sqlite:///{tmp_path}/store.db"},
        plugins=[spine_source_sql],
    ) as k:
        yield k
