"""spine-source-sql: the ``sql`` source (tables and queries of SQL databases, on SQLAlchemy Core).

This module only registers the source; SQLAlchemy and the drivers are imported when a
location is opened, so that listing plugins stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import spine

if TYPE_CHECKING:
    from collections.abc import Callable

# The URL schemes of the SQLAlchemy dialects this source is tested on; ``dialect+driver``
# forms (``postgresql+psycopg://``) are claimed with their dialect.
SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mariadb", "db2", "ibm_db_sa")


@spine.hookimpl
def register_sources(register: Callable[[spine.SourceSpec], None]) -> None:
    register(
        spine.SourceSpec(
            "sql",
            "spine_source_sql._source:open_sql",
            schemes=SCHEMES,
            description="tables and queries of SQLite, PostgreSQL, MariaDB/MySQL, Db2; streamed, incremental",
        )
    )
