"""spine-store-db2: the IBM Db2 store for spine (``db2://`` store URLs).

This entry module only registers the store. ibm_db is imported when a store first
connects, so that ``spine plugins list`` stays light.
"""

from __future__ import annotations

from collections.abc import Callable

import spine


@spine.hookimpl
def register_stores(register: Callable[[spine.StoreSpec], None]) -> None:
    register(
        spine.StoreSpec(
            "db2",
            "spine_store_db2._store:Db2Store",
            schemes=("db2",),
            description="IBM Db2 (ibm_db): execute_many into a staging table, one MERGE per load",
        )
    )
