"""PostgresStore.write: types, write modes, what it counts, and what a failure leaves behind."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from spine import ConfigError, Field, LoadError, Schema, Target, WriteMode
from spine_store_postgres._store import PostgresStore

from .pg_helpers import KEYED, Broken, rows_of, with_params


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG, "spine.store.postgres")
    return caplog


TYPES = Schema(
    (
        Field("id", "integer", nullable=False),
        Field("label", "string"),
        Field("code", "string", length=10),
        Field("exact", "decimal"),
        Field("money", "decimal", precision=38, scale=18),
        Field("ratio", "float"),
        Field("flag", "boolean"),
        Field("day", "date"),
        Field("at", "timestamp"),
    )
)
TYPE_ROWS = [
    (
        1,
        "tab\there, newline\nhere, back\\slash, quote ' \" and NUL-free ünïcödé ✓",
        "BRK.B",
        Decimal("123456789012345678901234567890.123456789012345678901234567890"),
        Decimal("12345678901234567890.123456789012345678"),
        1.7976931348623157e308,
        True,
        date(1, 1, 1),
        datetime(2026, 3, 29, 1, 30, 0, 123456),  # in a DST gap in Europe; naive UTC for spine
    ),
    (
        2,
        "",
        "",
        Decimal("-0.000000000000000000000000000001"),
        Decimal("-1"),
        -0.0,
        False,
        date(9999, 12, 31),
        datetime(1, 1, 1),
    ),
    (3, None, None, None, None, None, None, None, None),
]


def test_every_type_round_trips_exactly_whatever_the_session_time_zone(server_url, schema):
    url = with_params(server_url, options=f"-csearch_path={schema} -cTimeZone=America/New_York")
    with PostgresStore(url) as store:
        assert store.write(Target("types"), TYPES, [TYPE_ROWS[:1], TYPE_ROWS[1:]]) == 3
        with store.transaction() as session:
            found = session.query('SELECT * FROM "types" ORDER BY "id"')
    assert found == TYPE_ROWS
    assert found[0][3].as_tuple() == TYPE_ROWS[0][3].as_tuple()  # every digit, not just an equal value
    assert found[1][1] == ""  # an empty string is not NULL


def test_created_tables_use_postgres_types_and_a_primary_key(store, db):
    store.write(Target("typed", WriteMode.MERGE, ("id",)), TYPES, [])
    columns = db.execute(
        "SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute"
        " WHERE attrelid = 'typed'::regclass AND attnum > 0 ORDER BY attnum"
    ).fetchall()
    assert columns == [
        ("id", "bigint", True),
        ("label", "text", False),
        ("code", "character varying(10)", False),
        ("exact", "numeric", False),
        ("money", "numeric(38,18)", False),
        ("ratio", "double precision", False),
        ("flag", "boolean", False),
        ("day", "date", False),
        ("at", "timestamp without time zone", False),
    ]
    (primary_key,) = db.execute(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = 'typed'::regclass AND contype = 'p'"
    ).fetchone()
    assert primary_key == "PRIMARY KEY (id)"


def test_the_target_tables_column_types_apply(store):
    store.write(Target("short"), TYPES, [])
    with pytest.raises(LoadError, match="value too long for type character varying\\(10\\)") as failure:
        store.write(Target("short"), TYPES, [[(1, "x", "x" * 11, None, None, None, None, None, None)]])
    assert failure.value.context["sqlstate"] == "22001"
    assert not failure.value.retryable


def test_append_twice_keeps_both_loads(store, db):
    rows = [("a", 1, "x"), ("b", 2, "y")]
    assert store.write(Target("t"), KEYED, [rows]) == 2
    assert store.write(Target("t"), KEYED, [rows]) == 2
    assert rows_of(db, "t") == sorted(rows * 2)


def test_replace_keeps_views_grants_and_indexes_of_the_table(store, db):
    store.write(Target("t"), KEYED, [[("a", 1, "old")]])
    db.execute('CREATE VIEW "t_view" AS SELECT "k", "v" FROM "t"')
    db.execute('CREATE INDEX "t_by_v" ON "t" ("v")')
    db.execute('GRANT SELECT ON "t" TO PUBLIC')
    (grants,) = db.execute("SELECT relacl FROM pg_class WHERE oid = 't'::regclass").fetchone()

    assert store.write(Target("t", WriteMode.REPLACE), KEYED, [[("b", 2, "new"), ("c", 3, "new")]]) == 2

    assert rows_of(db, "t_view") == [("b", "new"), ("c", "new")]
    assert db.execute("SELECT relacl FROM pg_class WHERE oid = 't'::regclass").fetchone() == (grants,)
    assert db.execute("SELECT to_regclass('t_by_v') IS NOT NULL").fetchone() == (True,)


def _changed(logs):
    """How many rows the last write inserted or changed, from its debug log line."""
    return int(re.findall(r": (\d+) inserted or changed\)", logs.text)[-1])


def test_merge_twice_rewrites_nothing(store, db, logs):
    target = Target("m", WriteMode.MERGE, ("k",))
    batches = [[("a", 1, "x"), ("b", 2, None)], [("c", 3, "z")]]
    assert store.write(target, KEYED, batches) == 3
    # xmin and ctid change whenever PostgreSQL rewrites a row.
    versions = db.execute('SELECT xmin::text, ctid::text, * FROM "m" ORDER BY "k"').fetchall()
    assert store.write(target, KEYED, batches) == 3  # the rows given, as the kernel counts
    assert _changed(logs) == 0
    assert db.execute('SELECT xmin::text, ctid::text, * FROM "m" ORDER BY "k"').fetchall() == versions


def test_merge_updates_non_key_columns(store, db, logs):
    target = Target("m", WriteMode.MERGE, ("k",))
    store.write(target, KEYED, [[("a", 1, "x"), ("b", 2, "y"), ("c", 3, None)]])
    rows = [("a", 1, "x"), ("b", 20, "y"), ("c", 3, "was null"), ("d", 4, "new")]
    assert store.write(target, KEYED, [rows]) == 4
    assert _changed(logs) == 3  # b and c changed, d inserted; a is identical
    assert rows_of(db, "m") == rows


def test_the_last_row_of_a_key_wins_within_one_load_across_batches(store, db, logs):
    target = Target("m", WriteMode.MERGE, ("k",))
    batches = [[("a", 1, "first"), ("b", 1, "only")], [("a", 2, "second")], [("a", 3, "last")]]
    assert store.write(target, KEYED, batches) == 4
    assert _changed(logs) == 2
    assert rows_of(db, "m") == [("a", 3, "last"), ("b", 1, "only")]
    store.write(target, KEYED, [[("b", 5, "newer"), ("b", 6, "newest")]])  # into an existing table too
    assert _changed(logs) == 1
    assert rows_of(db, "m") == [("a", 3, "last"), ("b", 6, "newest")]


def test_the_last_row_of_a_key_wins_in_an_empty_table_created_beforehand(store, db):
    db.execute('CREATE TABLE "m" ("k" text PRIMARY KEY, "n" bigint, "v" text)')
    store.write(Target("m", WriteMode.MERGE, ("k",)), KEYED, [[("a", 1, "first"), ("a", 2, "last")]])
    assert rows_of(db, "m") == [("a", 2, "last")]


def test_the_last_row_of_a_key_wins_across_many_pages_of_a_new_table(store, db, logs):
    # 30,000 rows fill hundreds of pages: the newest row of each key is far from its first.
    rows = [(f"key{number % 1000}", number, "x" * (number % 50)) for number in range(30_000)]
    batches = [rows[start : start + 7_000] for start in range(0, len(rows), 7_000)]
    assert store.write(Target("m", WriteMode.MERGE, ("k",)), KEYED, batches) == 30_000
    assert _changed(logs) == 1000
    assert rows_of(db, "m") == sorted(rows[-1000:])


def test_a_new_table_gets_its_key_as_primary_key_not_null(store, db):
    store.write(Target("m", WriteMode.MERGE, ("k", "n")), KEYED, [[("a", 1, "x")]])
    (definition,) = db.execute(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'm'::regclass AND contype = 'p'"
    ).fetchone()
    assert definition == "PRIMARY KEY (k, n)"
    not_null = db.execute(
        "SELECT attname, attnotnull FROM pg_attribute WHERE attrelid = 'm'::regclass AND attnum > 0"
        " ORDER BY attnum"
    ).fetchall()
    assert not_null == [("k", True), ("n", True), ("v", False)]


@pytest.mark.parametrize("mode", [WriteMode.APPEND, WriteMode.REPLACE])
def test_a_key_given_twice_to_a_new_table_fails_an_append_or_replace(store, db, mode):
    with pytest.raises(LoadError, match=r"Key \(k\)=\(a\) is duplicated") as failure:
        store.write(Target("t", mode, ("k",)), KEYED, [[("a", 1, "x"), ("b", 2, "y")], [("a", 3, "z")]])
    assert failure.value.context["sqlstate"] == "23505"
    assert db.execute("SELECT to_regclass('t')").fetchone() == (None,)


def test_merge_on_key_columns_only(store, db, logs):
    schema = Schema((Field("k", "string"), Field("n", "integer")))
    target = Target("keys_only", WriteMode.MERGE, ("k", "n"))
    store.write(target, schema, [[("a", 1), ("a", 1)]])
    assert _changed(logs) == 1
    store.write(target, schema, [[("a", 1), ("b", 2)]])
    assert _changed(logs) == 1
    assert rows_of(db, "keys_only") == [("a", 1), ("b", 2)]


@pytest.mark.parametrize(
    "ddl",
    [
        'CREATE UNIQUE INDEX ON "m" ("k")',
        'ALTER TABLE "m" ADD UNIQUE ("k")',
        'CREATE UNIQUE INDEX ON "m" ("k") INCLUDE ("n")',
    ],
)
def test_merge_accepts_any_unique_index_on_exactly_the_keys(store, db, ddl):
    db.execute('CREATE TABLE "m" ("k" text, "n" bigint, "v" text, "extra" text DEFAULT \'kept\')')
    db.execute(ddl)
    store.write(Target("m", WriteMode.MERGE, ("k",)), KEYED, [[("a", 1, "x")]])
    store.write(Target("m", WriteMode.MERGE, ("k",)), KEYED, [[("a", 2, "y")]])
    assert rows_of(db, "m") == [("a", 2, "y", "kept")]


@pytest.mark.parametrize(
    "ddl",
    [
        "",
        'CREATE UNIQUE INDEX ON "m" ("k", "n")',
        'CREATE UNIQUE INDEX ON "m" ("k") WHERE "n" > 0',
        'CREATE UNIQUE INDEX ON "m" (lower("k"))',
    ],
    ids=["no index", "more columns", "partial", "expression"],
)
def test_merge_without_a_usable_unique_key_creates_one_on_exactly_the_keys(store, db, ddl):
    db.execute('CREATE TABLE "m" ("k" text, "n" bigint, "v" text)')
    db.execute("INSERT INTO \"m\" VALUES ('a', 1, 'kept')")
    if ddl:
        db.execute(ddl)
    store.write(Target("m", WriteMode.MERGE, ("k",)), KEYED, [[("a", 2, "new"), ("b", 3, "y")]])
    assert rows_of(db, "m") == [("a", 2, "new"), ("b", 3, "y")]
    (definition,) = db.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'm_k_merge_key'").fetchone()
    assert definition.startswith("CREATE UNIQUE INDEX m_k_merge_key ON ")
    assert ("k",) in store.unique_keys("m")


def test_merge_on_the_columns_of_a_deferrable_unique_constraint_is_refused(store, db):
    db.execute('CREATE TABLE "m" ("k" text, "n" bigint, "v" text)')
    db.execute("INSERT INTO \"m\" VALUES ('a', 1, 'kept')")
    db.execute('ALTER TABLE "m" ADD UNIQUE ("k") DEFERRABLE')
    with pytest.raises(LoadError, match="ON CONFLICT does not support deferrable unique constraints"):
        store.write(Target("m", WriteMode.MERGE, ("k",)), KEYED, [[("a", 2, "lost")]])
    assert rows_of(db, "m") == [("a", 1, "kept")]
    assert db.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'm'").fetchone() == (1,)


def test_an_existing_table_missing_a_column_is_refused_naming_it_when_frozen(store, db):
    db.execute('CREATE TABLE "narrow" ("k" text, "v" text)')
    with pytest.raises(LoadError, match=r"'narrow' has no column\(s\) n that the input has") as failure:
        store.write(Target("narrow", schema_contract="freeze"), KEYED, [[("a", 1, "x")]])
    assert failure.value.context["missing"] == ["n"]
    assert store.columns("narrow") == ["k", "v"]


def test_tables_and_columns_named_with_reserved_words(store, db):
    schema = Schema((Field("select", "string"), Field("from", "integer"), Field("user", "string")))
    store.write(Target("order", WriteMode.MERGE, ("select",)), schema, [[("a", 1, "x")]])
    store.write(Target("order", WriteMode.MERGE, ("select",)), schema, [[("a", 2, "y")]])
    assert rows_of(db, "order", "select") == [("a", 2, "y")]


def test_names_that_try_sql_injection_never_reach_the_database(store, db):
    store.write(Target("t"), KEYED, [[("a", 1, "x")]])
    for name in ['t"; DROP TABLE "t"; --', "t' OR '1'='1", "t; DROP TABLE t"]:
        with pytest.raises(ConfigError):
            store.write(Target(name), KEYED, [])
        with pytest.raises(ConfigError):
            Schema((Field(name, "string"),))
        assert store.columns(name) is None  # a bound parameter, never SQL text
    assert rows_of(db, "t") == [("a", 1, "x")]


def test_a_table_that_shadows_a_catalog_name_is_the_one_in_the_current_schema(store, db, schema):
    names = Schema((Field("relname", "string"),))
    store.write(Target("pg_class"), names, [[("mine",)]])
    assert store.columns("pg_class") == ["relname"]
    store.write(Target("pg_class", WriteMode.APPEND), names, [[("again",)]])
    # Unqualified, "pg_class" is the catalog, searched before any schema of search_path.
    assert db.execute(f'SELECT * FROM "{schema}"."pg_class" ORDER BY 1').fetchall() == [("again",), ("mine",)]


# -- failures -------------------------------------------------------------------------------


def _failing(batches):
    yield from batches
    raise Broken("the source broke half-way")


@pytest.mark.parametrize("mode", list(WriteMode))
def test_a_source_failing_half_way_leaves_the_table_as_it_was(store, db, mode):
    before = [("a", 1, "kept"), ("b", 2, "kept")]
    store.write(Target("t", WriteMode.MERGE, ("k",)), KEYED, [before])
    # Enough rows that psycopg has already sent some of them to the server.
    half = [[(f"k{batch}-{row}", row, "lost") for row in range(5000)] for batch in range(10)]
    keys = ("k",) if mode is WriteMode.MERGE else ()
    with pytest.raises(Broken):
        store.write(Target("t", mode, keys), KEYED, _failing([[("a", 9, "lost")], *half]))
    assert rows_of(db, "t") == before
    # The same store, on the same connection, goes on working.
    assert store.write(Target("t", mode, keys), KEYED, [[("c", 3, "new")]]) == 1


def test_a_failure_after_the_copy_rolls_back_everything(store, db):
    store.write(Target("t", WriteMode.MERGE, ("k",)), KEYED, [[("a", 1, "kept")]])
    with pytest.raises(LoadError, match=r'"t_pkey" Key \(k\)=\(b\) already exists\.$') as failure:
        store.write(Target("t", WriteMode.REPLACE), KEYED, [[("b", 1, "x"), ("b", 2, "y")]])
    assert failure.value.context == {"store": store.describe(), "sqlstate": "23505", "table": "t"}
    assert not failure.value.retryable
    assert rows_of(db, "t") == [("a", 1, "kept")]


def test_input_that_cannot_go_into_the_tables_columns_fails_before_the_source_is_read(store, db):
    # A type spine does not know, so the server is the one to say that text does not go in.
    db.execute('CREATE TABLE "t" ("k" text, "n" bigint, "v" time)')
    read = []

    def rows():
        read.append("a batch")
        yield [("a", 1, "2026-11-16")]

    with pytest.raises(LoadError) as failure:
        store.write(Target("t"), KEYED, rows())
    assert str(failure.value).endswith(
        'column "v" is of type time without time zone but expression is of type text'
        " You will need to rewrite or cast the expression."
    )
    assert failure.value.context["sqlstate"] == "42804"
    assert read == []


def test_a_value_of_the_wrong_type_is_a_load_error_naming_the_row(store, db):
    store.write(Target("t"), KEYED, [[("a", 1, "kept")]])
    with pytest.raises(
        LoadError, match=r"row 3 of the load into 't' does not fit its columns \(k string, n integer"
    ):
        store.write(Target("t"), KEYED, [[("b", 2, "x"), ("c", 3, "y")], [("d", "four", "z")]])
    assert rows_of(db, "t") == [("a", 1, "kept")]


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        (("c", 2**70, "y"), 'value "1180591620717411303424" is out of range for type bigint'),  # the server's
        (("c", 3, "y\x00"), r"column 'v' \(string\): PostgreSQL text cannot hold a NUL \(0x00\) character"),
    ],
)
def test_a_value_postgres_cannot_hold_is_a_load_error_naming_its_row(store, db, bad, why):
    store.write(Target("t"), KEYED, [[("a", 1, "kept")]])
    with pytest.raises(LoadError, match=f"row 2 of the load into 't' does not fit .*: {why}$"):
        store.write(Target("t"), KEYED, [[("b", 2, "x"), bad], [("d", 4, "z"), ("e", 5, "z")]])
    assert rows_of(db, "t") == [("a", 1, "kept")]


@pytest.mark.parametrize(
    ("kind", "right", "wrong", "why"),
    [
        ("timestamp", datetime(2026, 1, 1, 3), date(2026, 1, 1), "expected a datetime, got date"),
        (
            "date",
            date(2026, 1, 1),
            "2026-01-02",
            "column 'at' \\(date\\): expected a date, got str",
        ),
    ],
)
def test_a_date_or_timestamp_of_the_wrong_kind_is_refused_not_guessed(store, db, kind, right, wrong, why):
    schema = Schema((Field("k", "string"), Field("at", kind)))
    store.write(Target("t"), schema, [[("a", right)]])
    with pytest.raises(LoadError, match=f"row 2 of the load into 't' does not fit .*{why}"):
        store.write(Target("t"), schema, [[("b", right), ("c", wrong)]])
    assert rows_of(db, "t") == [("a", right)]


STRINGS = Schema((Field("k", "string"), Field("v", "string")))
AWKWARD = ["\\N", "\\", "a\tb", "a\nb", "a\rb", "\\.", "|", "'", "✓ ünï"]


@pytest.mark.parametrize("with_nulls", [False, True], ids=["no NULLs", "a NULL among them"])
def test_strings_that_mean_something_to_copy_go_in_as_themselves(store, db, with_nulls):
    rows = [(str(n), text) for n, text in enumerate(AWKWARD)] + ([("null", None)] if with_nulls else [])
    store.write(Target("t"), STRINGS, [rows])
    assert dict(db.execute('SELECT "k", "v" FROM "t"').fetchall()) == dict(rows)


NUMBERS = Schema((Field("k", "string"), Field("i", "integer"), Field("d", "decimal"), Field("f", "float")))


def test_an_int_goes_into_any_number_column_and_a_decimal_or_float_into_decimal_and_float(store, db):
    rows = [("a", 1, 2, 3), ("b", None, 2.5, Decimal("3.25")), ("c", 7, Decimal("1E+3"), float("inf"))]
    store.write(Target("t"), NUMBERS, [rows])
    assert rows_of(db, "t") == [
        ("a", 1, Decimal(2), 3.0),
        ("b", None, Decimal("2.5"), 3.25),
        ("c", 7, Decimal(1000), float("inf")),
    ]


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        (("x", True, 1, 1.0), "column 'i' \\(integer\\): expected an int, got bool"),
        (("x", 1.0, 1, 1.0), "column 'i' \\(integer\\): expected an int, got float"),
        (("x", 1, False, 1.0), "column 'd' \\(decimal\\): expected a number, got bool"),
        (("x", 1, 1, "1.0"), "column 'f' \\(float\\): expected a number, got str"),
    ],
)
def test_a_bool_or_text_is_no_number(store, db, bad, why):
    with pytest.raises(LoadError, match=f"row 3 of the load into 't' does not fit .*: {why}$"):
        store.write(Target("t"), NUMBERS, [[("a", 1, 1, 1.0)], [("b", 2, 2, 2.0), bad]])
    assert db.execute("SELECT to_regclass('t')").fetchone() == (None,)


def test_the_first_row_that_does_not_fit_is_named_whichever_column_it_is_in(store):
    rows = [("a", 1, 1, 1.0), ("b", 2, 2, "late column, early row"), ("c", "early column, late row", 3, 3.0)]
    with pytest.raises(LoadError, match=r"row 2 of the load .*: column 'f' \(float\): expected a number"):
        store.write(Target("t"), NUMBERS, [rows])


def test_a_character_the_connections_encoding_lacks_is_named_by_its_row(server_url, schema, db):
    url = with_params(server_url, options=f"-csearch_path={schema} -cclient_encoding=LATIN1")
    with PostgresStore(url) as store:
        store.write(Target("t"), STRINGS, [[("a", "café")]])
        with pytest.raises(
            LoadError, match=r"row 3 of the load .*: '✓' has no code in iso8859-1, the connection's encoding$"
        ):
            store.write(Target("t"), STRINGS, [[("b", "é")], [("c", "x"), ("d", "tick ✓")]])
    assert rows_of(db, "t") == [("a", "café")]


def test_dates_go_in_as_themselves_however_many_distinct_ones_there_are(store, db):
    from spine_store_postgres._copy_text import _date_text

    days = [date(2000, 1, 1) + timedelta(days=n) for n in range(_date_text.cache_info().maxsize + 50)]
    rows = [(str(n), day) for n, day in enumerate(days)] + [
        ("x", datetime(2026, 1, 2, 23, 59)),
        ("y", days[0]),
    ]
    store.write(Target("t"), Schema((Field("k", "string"), Field("day", "date"))), [rows[:100], rows[100:]])
    written = dict(db.execute('SELECT "k", "day" FROM "t"').fetchall())
    assert written == {str(n): day for n, day in enumerate(days)} | {"x": date(2026, 1, 2), "y": days[0]}


def test_a_row_with_too_few_values_is_a_load_error(store, db):
    store.write(Target("t"), KEYED, [[("a", 1, "kept")]])
    with pytest.raises(
        LoadError, match=r"row 2 of the load into 't' does not fit .*: expected 3 values in row, got 2"
    ):
        store.write(Target("t"), KEYED, [[("b", 2, "x"), ("c", 3)]])
    assert rows_of(db, "t") == [("a", 1, "kept")]


def test_a_null_key_is_refused_and_nothing_is_written(store, db):
    target = Target("m", WriteMode.MERGE, ("k",))
    store.write(target, KEYED, [[("a", 1, "kept")]])
    with pytest.raises(LoadError, match="null value") as failure:
        store.write(target, KEYED, [[("b", 2, "x"), (None, 3, "y")]])
    assert failure.value.context["sqlstate"] == "23502"
    assert rows_of(db, "m") == [("a", 1, "kept")]
