"""The parts that need no server: types, placeholders, lock keys, URLs."""

from __future__ import annotations

import pytest
from spine import ConfigError, Field
from spine_store_postgres._dialect import PostgresDialect
from spine_store_postgres._session import to_psycopg
from spine_store_postgres._store import PostgresStore, lock_key


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (Field("c", "string"), "text"),
        (Field("c", "string", length=200), "varchar(200)"),
        (Field("c", "integer"), "bigint"),
        (Field("c", "decimal"), "numeric"),
        (Field("c", "decimal", precision=20, scale=4), "numeric(20, 4)"),
        (Field("c", "decimal", precision=12), "numeric(12, 0)"),
        (Field("c", "decimal", scale=4), "numeric"),
        (Field("c", "float"), "double precision"),
        (Field("c", "boolean"), "boolean"),
        (Field("c", "date"), "date"),
        (Field("c", "timestamp"), "timestamp"),
    ],
)
def test_column_types(field, expected):
    assert PostgresDialect().column_type(field) == expected


@pytest.mark.parametrize(
    ("portable", "psycopg"),
    [
        ("SELECT ? FROM t WHERE a = ?", "SELECT %s FROM t WHERE a = %s"),
        ("SELECT 100 % 7, '50%' WHERE x LIKE ?", "SELECT 100 %% 7, '50%%' WHERE x LIKE %s"),
        (
            "SELECT '?', 'it''s ?', \"odd?name\" FROM t WHERE a = ?",
            "SELECT '?', 'it''s ?', \"odd?name\" FROM t WHERE a = %s",
        ),
        ("SELECT ? -- why? 100%\n, ?", "SELECT %s -- why? 100%%\n, %s"),
        ("SELECT /* a ? b % */ ?", "SELECT /* a ? b %% */ %s"),
        ("SELECT '%s', %s", "SELECT '%%s', %%s"),
    ],
)
def test_question_marks_become_psycopg_placeholders_and_percent_signs_are_escaped(portable, psycopg):
    assert to_psycopg(portable) == psycopg


def test_lock_keys_are_stable_signed_64_bit_integers():
    # Fixed values: a lock must mean the same in every process and every release.
    assert lock_key("spine_runs") == -1798105903542717482
    assert lock_key("t") == -3858497507135662890
    assert lock_key("t") != lock_key("T")
    assert all(-(2**63) <= lock_key(name) < 2**63 for name in ["", "a" * 1000, "ü"])


def test_describe_masks_the_password_in_the_userinfo_and_in_the_query():
    store = PostgresStore(
        "postgresql://spine:s3cr%40t-pw@db.example:5432/x?password=other-secret&sslmode=require"
    )
    assert store.describe() == "postgresql://spine:***@db.example:5432/x?password=***&sslmode=require"
    store.close()  # never connected: nothing to do


def test_an_invalid_url_is_a_config_error_without_the_password():
    with pytest.raises(ConfigError, match="invalid PostgreSQL URL") as failure:
        PostgresStore("postgresql://spine:s3cret-pw@db.example/x?no_such_parameter=1")
    assert "s3cret-pw" not in str(failure.value)
    assert str(failure.value).endswith('invalid URI query parameter: "no_such_parameter"')
    assert failure.value.__suppress_context__  # a traceback does not show libpq's own message
