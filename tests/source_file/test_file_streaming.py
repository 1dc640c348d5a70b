"""Memory stays flat whatever the file size: the source holds a batch, never the file."""

from __future__ import annotations

import tracemalloc

import pytest
from spine_source_file._source import open_file

from .file_helpers import FINRA_HEADER, finra_line

ROWS = 150_000
LIMIT = 5 * 1024 * 1024  # bytes; each file below is more than twice as large


def _peak_while_reading(path, batch_size=1000, **options):
    """The peak of memory allocated while reading every batch, and the rows read."""
    rows = 0
    tracemalloc.start()
    try:
        with open_file(str(path), **options) as source:
            for batch in source.batches(batch_size):
                rows += len(batch.rows)
        return tracemalloc.get_traced_memory()[1], rows
    finally:
        tracemalloc.stop()


def _write_lines(path, header, line, count, *, opening="", separator="\n", closing=""):
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(header + opening)
        for number in range(count):
            out.write((separator if number else "") + line(number))
        out.write(closing + "\n")
    assert path.stat().st_size > 2 * LIMIT, path
    return path


@pytest.fixture(scope="module")
def big_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("big")
    quoted = '{0},"Issue {0}, ""Class A"" & Co","a note on two lines:\nthe second line of it",{0}.5'.format
    obj = '{{"symbol": "S{0:06d}", "name": "Issue {0} & Co", "shares": {0}.25, "day": "2026-11-16"}}'.format
    return {
        "psv": _write_lines(folder / "week.psv", FINRA_HEADER + "\n", finra_line, ROWS),
        "csv": _write_lines(folder / "quoted.csv", "id,name,note,amount\n", quoted, ROWS),
        "json": _write_lines(
            folder / "array.json", "", obj, ROWS, opening="[\n", separator=",\n", closing="\n]"
        ),
        "jsonl": _write_lines(folder / "lines.jsonl", "", obj, ROWS),
    }


@pytest.mark.parametrize("kind", ["psv", "csv", "json", "jsonl"])
def test_memory_does_not_grow_with_the_file(big_files, kind):
    peak, rows = _peak_while_reading(big_files[kind])
    assert rows == ROWS
    assert peak < LIMIT, (
        f"peak {peak / 1e6:.1f} MB while reading a {big_files[kind].stat().st_size / 1e6:.0f} MB file"
    )


def test_the_bound_above_can_fail(big_files):
    """A batch as large as the file does hold the file: the measure sees it (guards the guard)."""
    peak, _ = _peak_while_reading(big_files["psv"], batch_size=ROWS)
    assert peak > LIMIT


def test_the_first_batch_arrives_before_the_file_is_read(big_files):
    with open_file(str(big_files["psv"])) as source:
        batches = source.batches(1000)
        first = next(batches)
        file = source._files[-1]  # type: ignore[attr-defined]
        assert len(first.rows) == 1000
        assert file.lines_read < ROWS / 10
        batches.close()
