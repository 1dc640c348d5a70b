"""The built-in SQLite store: the store contract, plus what is SQLite's own."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest
from spine import ConfigError, Field, LoadError, Schema, Target, WriteMode, check_existing_table, logical_type
from spine._data._sqlite import SQLiteStore, path_from_url
from spine.testing import StoreContract

from ..disks import small_disk

KEYED = Schema((Field("k", "string"), Field("n", "integer"), Field("v", "string")))


class TestSQLiteContract(StoreContract):
    @pytest.fixture
    def store(self, tmp_path):
        store = SQLiteStore(f"sqlite:///{tmp_path}/contract.db")
        yield store
        store.close()


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///relative/spine.db", "relative/spine.db"),
        ("sqlite:////absolute/spine.db", "/absolute/spine.db"),
        ("sqlite:///:memory:", ":memory:"),
        ("sqlite://", ":memory:"),
    ],
)
def test_urls(url, path):
    assert path_from_url(url) == path


def test_a_url_of_another_scheme_is_a_config_error():
    with pytest.raises(ConfigError, match=r"expected sqlite:///path/to/file\.db"):
        path_from_url("postgresql://localhost/db")


def test_the_folder_of_the_file_is_created(tmp_path):
    store = SQLiteStore(f"sqlite:///{tmp_path}/deep/er/spine.db")
    store.write(Target("t"), Schema.of(("a", "integer")), [[(1,)]])
    assert (tmp_path / "deep" / "er" / "spine.db").exists()
    store.close()


def test_decimals_are_numbers_in_sql_and_dates_sort_as_text(tmp_path):
    store = SQLiteStore(f"sqlite:///{tmp_path}/t.db")
    schema = Schema((Field("day", "date"), Field("shares", "decimal")))
    from datetime import date

    rows = [(date(2026, 1, 12), Decimal("10.5")), (date(2025, 12, 29), Decimal("0.25"))]
    store.write(Target("t"), schema, [rows])
    with store.transaction() as session:
        assert session.query('SELECT SUM("shares"), MIN("day") FROM "t"') == [(10.75, "2025-12-29")]
    store.close()


def test_a_decimal_sqlite_would_round_fails_the_load_naming_the_column_and_writes_nothing(tmp_path):
    store = SQLiteStore(f"sqlite:///{tmp_path}/t.db")
    schema = Schema((Field("id", "integer"), Field("amount", "decimal")))
    kept = [
        (1, Decimal("123456789012345")),  # 15 digits: exact
        (2, Decimal("-0.000000000000000001")),  # long text, one digit
        (3, Decimal("100.000000000000000000")),  # trailing zeros: 1 digit
        (4, None),
        (8, Decimal("2751403897.325948")),  # SQLite would parse this text as ...3259478: a float
        (9, Decimal("123456789012345678")),  # an integer: kept as one
    ]
    store.write(Target("t"), schema, [kept])
    with store.transaction() as session:
        assert session.query('SELECT COUNT(*) FROM "t" WHERE "amount" IS NOT NULL') == [(5,)]
        assert session.query('SELECT "amount" FROM "t" WHERE "id" >= 8 ORDER BY "id"') == [
            (2751403897.325948,),
            (123456789012345678,),
        ]
    rounded = [(5, Decimal("1.5")), (6, Decimal("1234567890123456.7")), (7, None)]
    with pytest.raises(LoadError, match=r"column 'amount': 1234567890123456\.7 cannot be kept exactly"):
        store.write(Target("t"), schema, [rounded])
    with store.transaction() as session:
        assert session.query('SELECT COUNT(*) FROM "t"') == [(6,)]  # the failed load wrote nothing
    store.close()


def test_dates_are_written_as_their_own_text_however_many_distinct_ones_there_are(tmp_path):
    from datetime import date, datetime, timedelta

    from spine._data._sqlite import _date_text

    store = SQLiteStore(f"sqlite:///{tmp_path}/t.db")
    days = [date(2000, 1, 1) + timedelta(days=n) for n in range(_date_text.cache_info().maxsize + 50)]
    rows = [(n, day) for n, day in enumerate(days)] + [(-1, datetime(2026, 1, 2, 3, 4)), (-2, days[0])]
    store.write(Target("t"), Schema.of(("n", "integer"), ("day", "date")), [rows[:100], rows[100:]])
    with store.transaction() as session:
        written = dict(session.query('SELECT "n", "day" FROM "t"'))
    assert written == {n: day.isoformat() for n, day in enumerate(days)} | {
        -1: "2026-01-02",
        -2: "2000-01-01",
    }
    store.close()
    with pytest.raises(TypeError):
        _date_text(None)


def test_columns_mixing_none_and_other_python_types_are_stored_value_by_value(tmp_path):
    from datetime import date, datetime

    store = SQLiteStore(f"sqlite:///{tmp_path}/t.db")
    schema = Schema((Field("n", "integer"), Field("amount", "decimal"), Field("at", "timestamp")))
    rows = [
        (1, Decimal("1.5"), datetime(2026, 1, 2, 3, 4, 5)),
        (2, None, None),
        (3, 7, date(2026, 1, 2)),  # from code: an int for a decimal, a date for a timestamp
    ]
    store.write(Target("t"), schema, [rows[:1], rows])
    with store.transaction() as session:
        assert session.query('SELECT "amount", "at" FROM "t" WHERE "n" > 1 ORDER BY "n"') == [
            (None, None),
            (7, "2026-01-02"),
        ]
        assert session.query('SELECT DISTINCT "amount", "at" FROM "t" WHERE "n" = 1') == [
            (1.5, "2026-01-02 03:04:05.000000")
        ]
    store.close()


def test_the_connection_caches_16_mib_of_pages_so_a_large_load_does_not_spill_to_the_wal(tmp_path):
    store = SQLiteStore(f"sqlite:///{tmp_path}/t.db")
    store.write(Target("t"), Schema.of(("a", "integer")), [[(1,)]])
    with store.transaction() as session:
        assert session.query("PRAGMA cache_size") == [(-16 * 1024,)]
    store.close()


def test_readers_are_not_blocked_by_a_load_in_progress(tmp_path):
    url = f"sqlite:///{tmp_path}/wal.db"
    writer, reader = SQLiteStore(url), SQLiteStore(url)
    schema = Schema.of(("a", "integer"))
    writer.write(Target("t"), schema, [[(1,)]])

    def slow_batches():
        yield [(2,)]
        # the write transaction is open here: a reader still sees the committed table
        with reader.transaction() as session:
            assert session.query('SELECT COUNT(*) FROM "t"') == [(1,)]
        yield [(3,)]

    writer.write(Target("t", WriteMode.APPEND), schema, slow_batches())
    with reader.transaction() as session:
        assert session.query('SELECT COUNT(*) FROM "t"') == [(3,)]
    writer.close()
    reader.close()


def test_a_locked_database_is_a_retryable_load_error(tmp_path, monkeypatch):
    import spine._data._sqlite as sqlite_store
    from spine import LoadError

    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT_SECONDS", 0.1)
    url = f"sqlite:///{tmp_path}/busy.db"
    holder = sqlite3.connect(f"{tmp_path}/busy.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    store = SQLiteStore(url)
    with pytest.raises(LoadError) as caught:
        store.write(Target("t"), Schema.of(("a", "integer")), [[(1,)]])
    assert caught.value.retryable
    assert "locked" in str(caught.value)
    holder.execute("ROLLBACK")
    store.close()


@pytest.mark.parametrize(
    ("sql_type", "logical"),
    [
        ("VARCHAR(20)", "string"),
        ("character varying", "string"),
        ("CHARACTER", "string"),
        ("text", "string"),
        ("INTEGER", "integer"),
        ("int8", "integer"),
        ("BIGINT", "integer"),
        ("numeric(12, 2)", "decimal"),
        ("DECIMAL(31,8)", "decimal"),
        ("double precision", "float"),
        ("DOUBLE", "float"),
        ("REAL", "float"),
        ("boolean", "boolean"),
        ("DATE", "date"),
        ("timestamp without time zone", "timestamp"),
        ("TIMESTAMP", "timestamp"),
        ("DATETIME", "timestamp"),
        ("timestamp with time zone", None),  # spine's timestamps are naive UTC: left to inference
        ("TIMESTAMPTZ", None),
        ("jsonb", None),
        ("BLOB", None),
        ("POINT", None),
        ("INTERVAL", None),
        ("", None),
    ],
)
def test_logical_types_of_sql_types(sql_type, logical):
    assert logical_type(sql_type) == logical


def test_column_types_of_a_table_made_by_hand(tmp_path):
    store = SQLiteStore(f"sqlite:///{tmp_path}/t.db")
    with store.transaction() as session:
        session.execute('CREATE TABLE "Hand" ("Code" VARCHAR(5), "n" INT, "blob" BLOB, "untyped")')
    assert store.column_types("Hand") == {"code": "string", "n": "integer"}
    store.close()


class _Busy:
    """A connection whose switch to WAL is refused `times` times, as when two processes
    open a new file at once."""

    def __init__(self, times: int, message: str = "database is locked") -> None:
        self.times, self.message, self.tries = times, message, 0

    def execute(self, sql: str) -> None:
        self.tries += 1
        if self.tries <= self.times:
            raise sqlite3.OperationalError(self.message)


def test_the_switch_to_wal_is_tried_again_while_the_file_is_locked():
    from spine._data._sqlite import _wal

    busy = _Busy(3)
    _wal(busy)  # type: ignore[arg-type]
    assert busy.tries == 4
    broken = _Busy(1, "disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        _wal(broken)  # type: ignore[arg-type]
    assert broken.tries == 1


def test_a_store_that_gives_no_session_cannot_have_columns_added_for_it(tmp_path):
    """`check_existing_table` as stores written before tables evolved call it: without a session."""
    store = SQLiteStore(f"sqlite:///{tmp_path}/t.db")
    store.write(Target("narrow"), Schema(KEYED.fields[:2]), [[("a", 1)]])
    assert check_existing_table(store, Target("narrow"), Schema(KEYED.fields[:2])) is True
    with pytest.raises(
        LoadError, match=r"table 'narrow' exists without column\(s\) v that the input has; add"
    ):
        check_existing_table(store, Target("narrow"), KEYED)
    assert check_existing_table(store, Target("missing"), KEYED) is False
    store.close()


def test_columns_of_types_spine_does_not_know_are_not_checked(tmp_path):
    store = SQLiteStore(f"sqlite:///{tmp_path}/t.db")
    with store.transaction() as session:
        session.execute('CREATE TABLE "hand" ("k" TEXT, "at" TIME, "doc" JSON)')
    schema = Schema((Field("k", "string"), Field("at", "string"), Field("doc", "integer")))
    store.write(Target("hand"), schema, [[("a", "09:30", 1)]])
    with store.transaction() as session:
        assert session.query('SELECT * FROM "hand"') == [("a", "09:30", 1)]
    store.close()


@pytest.fixture
def on_a_small_disk(tmp_path):
    """A store whose file is on a tmpfs of a few megabytes, and the file's path."""
    with small_disk(tmp_path / "disk") as disk:
        store = SQLiteStore(f"sqlite:///{disk}/spine.db")
        yield store, disk / "spine.db"
        store.close()


def _until_the_disk_is_full():
    """Rows for far more than the small disk holds."""
    for batch in range(1000):
        yield [(f"k{batch}-{row}", row, "v" * 200) for row in range(500)]


def test_a_full_disk_is_a_load_error_naming_the_folder_and_the_previous_rows_stay(on_a_small_disk):
    store, path = on_a_small_disk
    store.write(Target("t", WriteMode.MERGE, ("k",)), KEYED, [[("a", 1, "kept"), ("b", 2, "kept")]])
    with pytest.raises(LoadError) as caught:
        store.write(Target("t"), KEYED, _until_the_disk_is_full())
    error = caught.value
    assert error.category == "load" and not error.retryable
    assert str(error).startswith(f"disk full: no space left in {path.parent} for the database file {path} (")
    assert error.context == {"store": f"sqlite:///{path}", "table": "t", "path": str(path)}
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute('SELECT * FROM "t" ORDER BY "k"').fetchall() == [
            ("a", 1, "kept"),
            ("b", 2, "kept"),
        ]
    assert store.columns("t") == ["k", "n", "v"]  # the same store goes on


def test_a_rollback_that_sqlite_made_itself_is_not_made_again(tmp_path):
    """After some errors (a full disk among them) SQLite has rolled back already: the ROLLBACK
    that spine sends would fail, "no transaction is active", and hide the first error."""
    store = SQLiteStore(f"sqlite:///{tmp_path}/t.db")
    store.write(Target("t"), KEYED, [[("a", 1, "kept")]])

    def rolled_back_by_sqlite():
        yield [("b", 2, "lost")]
        store._connect().execute("ROLLBACK")  # what SQLite does by itself on a full disk
        raise sqlite3.OperationalError("database or disk is full")

    with pytest.raises(LoadError, match="database or disk is full"):
        store.write(Target("t"), KEYED, rolled_back_by_sqlite())
    with store.transaction() as session:
        assert session.query('SELECT * FROM "t"') == [("a", 1, "kept")]
    store.close()
