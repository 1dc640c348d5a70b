"""spine-store-postgres: the PostgreSQL store for spine (``postgresql://`` store URLs).

This entry module only registers the store. psycopg is imported when a store is
first opened, so that ``spine plugins list`` stays light.
"""

from __future__ import annotations

from collections.abc import Callable

import spine


@spine.hookimpl
def register_stores(register: Callable[[spine.StoreSpec], None]) -> None:
    register(
        spine.StoreSpec(
            "postgres",
            "spine_store_postgres._store:PostgresStore",
            schemes=("postgresql", "postgres"),
            description="PostgreSQL (psycopg 3): COPY into a staging table, one set-based statement per load",
        )
    )
