"""The kernel's store contract, run against PostgreSQL."""

from __future__ import annotations

import pytest
from spine.testing import StoreContract
from spine_store_postgres._store import PostgresStore


class TestPostgresStoreContract(StoreContract):
    @pytest.fixture
    def store(self, url):
        with PostgresStore(url) as store:
            yield store
