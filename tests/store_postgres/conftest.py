"""A real PostgreSQL server, and a schema of its own for every test.

The server is ``SPINE_TEST_POSTGRES_URL`` or the local default. When it cannot be
reached the tests are skipped, except on CI (``CI=true``), where they fail: CI must
never pass without having run them.
"""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest
from spine import Redactor
from spine_store_postgres._store import PostgresStore

from .pg_helpers import with_params

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def server_url():
    url = os.environ.get("SPINE_TEST_POSTGRES_URL") or DEFAULT_URL
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as exc:
        message = f"PostgreSQL is unreachable at {Redactor().text(url)}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return url


@pytest.fixture
def schema(server_url):
    name = f"spine_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{name}"')
    yield name
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute("SET lock_timeout = '30s'")  # fail rather than hang on a lock a test left
        admin.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture
def url(server_url, schema):
    """The server's URL with the test's schema as the whole search_path."""
    return with_params(server_url, options=f"-csearch_path={schema}")


@pytest.fixture
def store(url):
    with PostgresStore(url) as store:
        yield store


@pytest.fixture
def db(url):
    """A connection of its own to the test's schema, to look behind the store's back."""
    with psycopg.connect(url, autocommit=True) as connection:
        yield connection
