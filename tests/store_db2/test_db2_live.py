"""The Db2 store against a real Db2 and the real ibm_db, when ``SPINE_TEST_DB2_URL`` names one
(``db2://user:password@host:50000/DATABASE``); skipped otherwise, under CI too.

Each test gets a schema of its own (the user needs the privilege to create schemas),
dropped with its tables afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import pytest
from spine import LoadError, Target, WriteMode
from spine.testing import StoreContract
from spine_store_db2._store import Db2Store

from .behaviours import KEYED, MERGE, Db2Behaviours

LIVE_URL = os.environ.get("SPINE_TEST_DB2_URL", "")

pytestmark = pytest.mark.skipif(not LIVE_URL, reason="SPINE_TEST_DB2_URL is not set: no Db2 to test against")


def live_url(*, schema: str | None = None, password: str | None = None) -> str:
    """SPINE_TEST_DB2_URL with another schema or password."""
    parts = urlsplit(LIVE_URL)
    query = dict(parse_qsl(parts.query))
    if schema is not None:
        query["schema"] = schema
    netloc = parts.netloc
    if password is not None:
        netloc = f"{parts.username}:{quote(password, safe='')}@{netloc.rpartition('@')[2]}"
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query)))


@pytest.fixture
def live_schema() -> Iterator[str]:
    schema = f"SPINE_{uuid.uuid4().hex[:10].upper()}"
    with Db2Store(LIVE_URL) as admin:
        with admin.transaction() as session:
            session.execute(f'CREATE SCHEMA "{schema}"')
        yield schema
        with admin.transaction() as session:
            tables = session.query(
                "SELECT TABNAME FROM SYSCAT.TABLES WHERE TABSCHEMA = CAST(? AS VARCHAR(128)) AND TYPE = 'T'",
                (schema,),
            )
            for (table,) in tables:
                session.execute(f'DROP TABLE "{schema}"."{table}"')
            session.execute(f'DROP SCHEMA "{schema}" RESTRICT')


@pytest.fixture
def make_store(live_schema: str) -> Iterator[Callable[[], Db2Store]]:
    stores: list[Db2Store] = []

    def make() -> Db2Store:
        stores.append(Db2Store(live_url(schema=live_schema)))
        return stores[-1]

    yield make
    for store in stores:
        store.close()


@pytest.fixture
def store(make_store: Callable[[], Db2Store]) -> Db2Store:
    return make_store()


@pytest.fixture
def other_store(make_store: Callable[[], Db2Store]) -> Db2Store:
    return make_store()


class TestLiveContract(StoreContract):
    @pytest.fixture
    def store(self, make_store):
        return make_store()


class TestLiveBehaviours(Db2Behaviours):
    pass


def test_a_duplicate_key_is_sqlcode_803_and_not_retryable(store):
    store.write(MERGE, KEYED, [[("a", 1, "x")]])
    with pytest.raises(LoadError) as caught:
        store.write(Target("m", WriteMode.APPEND), KEYED, [[("a", 2, "y")]])
    assert (caught.value.context["sqlstate"], caught.value.context["sqlcode"]) == ("23505", -803)
    assert not caught.value.retryable


def test_a_lock_timeout_is_sqlcode_911_and_retryable(store, other_store):
    with store.transaction(lock="warm-up"):
        pass
    with other_store.transaction() as session:
        session.execute("SET CURRENT LOCK TIMEOUT 1")  # a special register: it outlives the transaction
    with (
        store.transaction(lock="busy"),
        pytest.raises(LoadError) as caught,
        other_store.transaction(lock="busy"),
    ):
        pass
    assert caught.value.context["sqlcode"] in (-911, -913)
    assert caught.value.retryable


def test_a_wrong_password_is_not_retryable_and_not_shown():
    wrong = "Wr0ng-passw0rd"
    with Db2Store(live_url(password=wrong)) as store, pytest.raises(LoadError) as caught:
        store.columns("t")
    assert not caught.value.retryable
    assert wrong not in f"{caught.value} {caught.value.context}"


def test_column_types_of_a_table_made_by_hand_leave_out_types_without_a_logical_match(store):
    with store.transaction() as session:
        session.execute(
            'CREATE TABLE "by_hand" ("id" INTEGER, "small" SMALLINT, "code" CHAR(3), "note" CLOB(1K), '
            '"r" REAL, "amount" DECFLOAT, "payload" BLOB(1K))'
        )
    assert store.columns("by_hand") == ["id", "small", "code", "note", "r", "amount", "payload"]
    assert store.column_types("by_hand") == {
        "id": "integer",
        "small": "integer",
        "code": "string",
        "note": "string",
        "r": "float",
        "amount": "decimal",
    }
