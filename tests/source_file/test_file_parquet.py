"""Parquet through pyarrow (the parquet extra); without pyarrow, a clear ConfigError."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import spine
from spine_source_file._source import open_file

from .file_helpers import read, types, write


@pytest.fixture
def pa():
    return pytest.importorskip("pyarrow")


@pytest.fixture
def typed_file(pa, tmp_path):
    import pyarrow.parquet as pq

    paris = timezone(timedelta(hours=1))
    table = pa.table(
        {
            "tradeId": pa.array([1, 2, None], pa.int64()),
            "symbol": pa.array(["A", "B", "C"], pa.string()).dictionary_encode(),
            "shares": pa.array([Decimal("1.50"), Decimal("-2.25"), None], pa.decimal128(12, 2)),
            "ratio": pa.array([0.5, None, 1.5], pa.float64()),
            "active": pa.array([True, False, None]),
            "day": pa.array([date(2026, 11, 16), None, date(2026, 11, 18)], pa.date32()),
            "seen": pa.array(
                [datetime(2026, 11, 16, 10, 0, tzinfo=paris), None, datetime(2026, 1, 1, tzinfo=UTC)],
                pa.timestamp("ns", tz="Europe/Paris"),
            ),
            "tags": pa.array([["x", "y"], [], None], pa.list_(pa.string())),
            "blob": pa.array([b"\x00\xff", None, b""], pa.binary()),
        }
    )
    path = tmp_path / "typed.parquet"
    pq.write_table(table, path, row_group_size=2)
    return path


def test_parquet_types_map_to_logical_types(typed_file):
    result = read(typed_file)
    assert types(result.schema) == {
        "trade_id": "integer",
        "symbol": "string",
        "shares": "decimal",
        "ratio": "float",
        "active": "boolean",
        "day": "date",
        "seen": "timestamp",
        "tags": "string",
        "blob": "string",
    }
    shares = result.schema.field("shares")
    assert (shares.precision, shares.scale) == (12, 2)
    assert result.rows == [
        (
            1,
            "A",
            Decimal("1.50"),
            0.5,
            True,
            date(2026, 11, 16),
            datetime(2026, 11, 16, 9, 0),
            '["x", "y"]',
            "00ff",
        ),
        (2, "B", Decimal("-2.25"), None, False, None, None, "[]", None),
        (None, "C", None, 1.5, None, date(2026, 11, 18), datetime(2026, 1, 1), None, ""),
    ]
    assert result.positions == [1, 2, 3]
    assert result.raw == [] and result.rejects == []


def test_batches_follow_the_batch_size_and_number_rows(typed_file):
    result = read(typed_file, batch_size=2)
    assert [len(batch.rows) for batch in result.batches] == [2, 1]
    assert [batch.positions for batch in result.batches] == [[1, 2], [3]]
    assert {batch.origin for batch in result.batches} == {str(typed_file)}


def test_columns_choose_which_columns_are_read(typed_file):
    result = read(typed_file, columns="symbol,trade_id")
    assert result.schema.names == ["symbol", "trade_id"]
    assert result.rows == [("A", 1), ("B", 2), ("C", None)]
    assert read(typed_file, columns=["tradeId"]).rows == [(1,), (2,), (None,)]
    with pytest.raises(spine.SourceError, match=r"parquet: no column 'volume'; the columns are tradeId"):
        open_file(str(typed_file), columns="volume")
    with pytest.raises(spine.ConfigError, match="Parquet columns carry their own types; give names only"):
        open_file(str(typed_file), columns="symbol:string")
    with pytest.raises(spine.ConfigError, match="option 'types' does not apply to parquet files"):
        open_file(str(typed_file), types="symbol:string")


def test_parquet_is_recognised_by_its_magic_bytes(typed_file, tmp_path):
    renamed = tmp_path / "export.bin"
    renamed.write_bytes(typed_file.read_bytes())
    with open_file(str(renamed)) as source:
        assert source.describe() == f"{renamed} (parquet)"
        assert len(source.schema().fields) == 9


def test_a_file_that_is_not_parquet_is_a_source_error(pa, tmp_path):
    path = write(tmp_path / "fake.parquet", "a,b\n1,2\n")
    with pytest.raises(spine.SourceError, match=r"fake\.parquet: cannot read as Parquet"):
        open_file(str(path))


def test_without_pyarrow_the_error_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # how Python marks a module as unavailable
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    path = write(tmp_path / "data.parquet", "PAR1")
    with pytest.raises(spine.ConfigError) as caught:
        open_file(str(path))
    assert str(caught.value) == (
        "reading Parquet files needs pyarrow: pip install 'spine-source-file[parquet]'"
    )
