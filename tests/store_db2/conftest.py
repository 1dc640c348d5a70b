"""Fixtures: the Db2 store on the fake ibm_db, which runs its statements on PostgreSQL.

Each test gets a PostgreSQL schema of its own, which the store enters with
``?schema=``. Without a reachable server the tests that need one are skipped, or
fail when ``CI=true``. psycopg (the ``test`` extra of spine-store-db2) is imported
only by the tests that use the fake, so the others run without it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest
from spine_store_db2._store import Db2Store

from .urls import PG_URL, db2_url

if TYPE_CHECKING:
    from .fake_ibm_db import FakeIbmDb


@pytest.fixture(scope="session")
def pg_url() -> str:
    import psycopg

    try:
        psycopg.connect(PG_URL, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL at {PG_URL} is unreachable: {' '.join(str(exc).split())}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return PG_URL


@pytest.fixture
def pg_schema(pg_url: str) -> Iterator[str]:
    import psycopg

    schema = f"db2_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_url, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
        yield schema
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def fake(pg_url: str) -> Iterator[FakeIbmDb]:
    from .fake_ibm_db import FakeIbmDb

    driver = FakeIbmDb(pg_url)
    yield driver
    driver.close_all()


@pytest.fixture
def make_store(pg_schema: str, fake: FakeIbmDb) -> Iterator[Callable[..., Db2Store]]:
    """Stores on the test's schema: ``make_store()`` on `fake`, or ``make_store(driver=...)``."""
    stores: list[Db2Store] = []

    def make(driver: FakeIbmDb | None = None) -> Db2Store:
        store = Db2Store(db2_url(pg_schema), driver=driver or fake)
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


@pytest.fixture
def store(make_store: Callable[..., Db2Store]) -> Db2Store:
    return make_store()


@pytest.fixture
def other_store(make_store: Callable[..., Db2Store], pg_url: str) -> Iterator[Db2Store]:
    """A second store on the same schema, with a connection (and a driver) of its own."""
    from .fake_ibm_db import FakeIbmDb

    driver = FakeIbmDb(pg_url)
    yield make_store(driver)
    driver.close_all()
