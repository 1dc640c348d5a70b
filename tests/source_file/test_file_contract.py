"""The kernel's source contract, for every text format (and Parquet when pyarrow is installed)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from spine.testing import SourceCase, SourceContract
from spine_source_file._source import open_file

from .file_helpers import write

COLUMNS = ["id", "name", "amount", "day"]
ROWS = [
    (1, "Smith, John", Decimal("1.50"), date(2026, 11, 16)),
    (2, 'The "Best" Co', Decimal("-2"), None),
    (3, "", None, date(2026, 11, 18)),
]


def _case(path, **options):
    return SourceCase(lambda: open_file(str(path), **options), COLUMNS, ROWS)


class TestCsv(SourceContract):
    @pytest.fixture
    def source_case(self, tmp_path):
        text = (
            'id,name,amount,day\n1,"Smith, John",1.50,2026-11-16\n2,"The ""Best"" Co",-2,\n3,,,2026-11-18\n'
        )
        return _case(write(tmp_path / "data.csv", text))


class TestPsv(SourceContract):
    @pytest.fixture
    def source_case(self, tmp_path):
        text = 'id|name|amount|day\n1|Smith, John|1.50|2026-11-16\n2|The "Best" Co|-2|\n3|||2026-11-18\n'
        return _case(write(tmp_path / "data.psv.gz", text, compress=True))


class TestJsonLines(SourceContract):
    @pytest.fixture
    def source_case(self, tmp_path):
        text = (
            '{"id": 1, "name": "Smith, John", "amount": 1.50, "day": "2026-11-16"}\n'
            '{"id": 2, "name": "The \\"Best\\" Co", "amount": -2, "day": null}\n'
            '{"id": 3, "name": "", "day": "2026-11-18"}\n'
        )
        return _case(write(tmp_path / "data.jsonl", text), types="amount:decimal")


class TestJsonArray(SourceContract):
    @pytest.fixture
    def source_case(self, tmp_path):
        text = (
            '[{"id": 1, "name": "Smith, John", "amount": 1.50, "day": "2026-11-16"},\n'
            ' {"id": 2, "name": "The \\"Best\\" Co", "amount": -2, "day": null},\n'
            ' {"id": 3, "name": "", "day": "2026-11-18"}]\n'
        )
        return _case(write(tmp_path / "data.json", text), types="amount:decimal")


class TestParquet(SourceContract):
    @pytest.fixture
    def source_case(self, tmp_path):
        pa = pytest.importorskip("pyarrow")
        import pyarrow.parquet as pq

        columns = list(zip(*ROWS, strict=True))
        table = pa.table(
            {
                "id": pa.array(columns[0], pa.int64()),
                "name": pa.array(columns[1]),
                "amount": pa.array(columns[2], pa.decimal128(10, 2)),
                "day": pa.array(columns[3], pa.date32()),
            }
        )
        pq.write_table(table, tmp_path / "data.parquet")
        return _case(tmp_path / "data.parquet")
