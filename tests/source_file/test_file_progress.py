"""Source.progress: how far through its file the source has read, from 0.0 to 1.0."""

from __future__ import annotations

import os

import pytest
from spine_source_file._source import open_file

from .file_helpers import FINRA_HEADER, finra_line, write

ROWS = 20_000  # about 2 MB: many reads of the file, many batches


def progress_by_batch(
    path, batch_size: int = 1000, **options
) -> tuple[float, list[tuple[int, float]], float]:
    """The progress before the schema, (rows so far, progress) after each batch, and after close."""
    source = open_file(str(path), **options)
    before = source.progress()
    source.schema()
    seen, rows = [], 0
    for batch in source.batches(batch_size):
        rows += len(batch.rows)
        seen.append((rows, source.progress()))
    source.close()
    return before, seen, source.progress()


def finra_file(tmp_path, name: str, *, compress: bool = False):
    lines = "".join(finra_line(n) + "\n" for n in range(1, ROWS + 1))
    return write(tmp_path / name, FINRA_HEADER + "\n" + lines, compress=compress)


def assert_tracks_the_rows(seen: list[tuple[int, float]]) -> None:
    """Progress never goes back, ends at 1.0, and stays close to the share of rows read
    (lines are of nearly equal length, so bytes and rows go together)."""
    values = [value for _, value in seen]
    assert values == sorted(values)
    assert all(0.0 <= value <= 1.0 for value in values)
    assert values[-1] == 1.0
    for rows, value in seen:
        assert rows / ROWS - 0.1 <= value <= rows / ROWS + 0.1, (rows, value)


@pytest.mark.parametrize(("name", "options"), [("p.psv", {}), ("q.csv", {"delimiter": "|", "quote": '"'})])
def test_progress_is_the_share_of_the_file_read(tmp_path, name, options):
    before, seen, after = progress_by_batch(finra_file(tmp_path, name), **options)
    assert before == 0.0
    assert len(seen) == ROWS // 1000
    assert seen[0][1] < 0.2  # the first batch: the rows read ahead for inference, no more
    assert_tracks_the_rows(seen)
    assert after == 1.0


def test_gzip_progress_counts_the_compressed_bytes(tmp_path):
    path = finra_file(tmp_path, "p.psv.gz", compress=True)
    assert os.path.getsize(path) < ROWS * 50  # far smaller than the text: counting text would overshoot
    _, seen, after = progress_by_batch(path)
    assert_tracks_the_rows(seen)
    assert after == 1.0


def test_json_progress(tmp_path):
    lines = "".join(f'{{"id": {n}, "name": "item {n:06d}"}}\n' for n in range(1, ROWS + 1))
    _, seen, _ = progress_by_batch(write(tmp_path / "d.jsonl", lines))
    assert_tracks_the_rows(seen)


def test_progress_of_a_load_stopped_halfway_stays_where_it_was(tmp_path):
    source = open_file(str(finra_file(tmp_path, "p.psv")))
    batches = source.batches(1000)
    for _ in range(ROWS // 2000):
        next(batches)
    halfway = source.progress()
    source.close()
    assert 0.3 < halfway < 0.7
    assert source.progress() == halfway


def test_parquet_progress_counts_rows(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"n": list(range(1000))}), path, row_group_size=100)
    with open_file(str(path)) as source:
        assert source.progress() == 0.0
        seen = [source.progress() for _ in source.batches(250)]
    assert seen == [0.25, 0.5, 0.75, 1.0]
