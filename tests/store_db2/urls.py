"""Where the tests' databases are, and the store URLs that reach them."""

from __future__ import annotations

import os
from urllib.parse import quote

PG_URL = os.environ.get("SPINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "s3cr3t p@ss:w/rd"


def db2_url(schema: str) -> str:
    """A URL for the fake ibm_db: only the schema reaches PostgreSQL."""
    return f"db2://spine:{quote(PASSWORD, safe='')}@db2.test:50000/TESTDB?schema={schema}"
