"""Rows per second of the file source alone, over a generated FINRA-shaped pipe file.

    python benchmarks/file_source.py [ROWS] [--runs N] [--quoted]

The baseline, measured in the same run, is the csv module splitting the same file
without converting anything: the source does that work plus typing every row
(decimal, integer, date), keeping each row's line and text, and checking field sizes.
With ``--quoted`` the file is CSV written by the csv module (the issue names quoted,
as they hold commas and quotes): the source's quoted path, against ``csv.reader``.
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from spine_source_file._source import open_file

HEADER = (
    "tierDescription|issueSymbolIdentifier|issueName|marketParticipantName|MPID|"
    "totalWeeklyShareQuantity|totalWeeklyTradeCount|lastUpdateDate"
)
TYPES = "totalWeeklyShareQuantity:decimal,totalWeeklyTradeCount:integer,lastUpdateDate:date"
TIERS = ("NMS Tier 1", "NMS Tier 2", "OTC")


def generate(path: Path, rows: int, quoted: bool) -> None:
    generator = random.Random(7)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    with path.open("w", encoding="utf-8", newline="") as out:
        # Pipe files are unquoted (FINRA's are); CSV quotes what needs it, as the csv module writes it.
        write = csv.writer(out, lineterminator="\n").writerow if quoted else _pipe_line(out)
        write(HEADER.split("|"))
        for number in range(rows):
            symbol = "".join(generator.choices(letters, k=generator.randint(1, 5)))
            shares = f"{generator.randint(0, 10**9)}.{generator.randint(0, 99):02d}"
            write(
                [
                    TIERS[number % 3],
                    symbol,
                    f'{symbol} Holdings, Inc. Class A ("New") & Co',
                    "OTCN OTC LINK NQB IDQS",
                    "OTCN",
                    shares,
                    str(generator.randint(0, 10**6)),
                    "2026-11-16",
                ]
            )


def _pipe_line(out: TextIO) -> Callable[[list[str]], object]:
    return lambda fields: out.write("|".join(fields) + "\n")


def csv_only(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as text:
        if path.suffix == ".csv":
            return sum(1 for _ in csv.reader(text)) - 1
        return sum(1 for _ in csv.reader(text, delimiter="|", quoting=csv.QUOTE_NONE)) - 1


def source(path: Path) -> int:
    rows = 0
    with open_file(str(path), types=TYPES) as reader:
        for batch in reader.batches(10_000):
            rows += len(batch.rows)
            assert not batch.rejects
    return rows


def best_of(runs: int, read: Callable[[Path], int], path: Path) -> tuple[float, int]:
    """The fastest of `runs` reads (the least disturbed by anything else on the machine)."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        rows = read(path)
        timings.append(time.perf_counter() - started)
    return min(timings), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quoted", action="store_true", help="quoted CSV instead of a pipe file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("week.csv" if args.quoted else "week.psv")
        generate(path, args.rows, args.quoted)
        size = path.stat().st_size / 1e6
        baseline, _ = best_of(args.runs, csv_only, path)
        measured, rows = best_of(args.runs, source, path)
    print(f"{rows:,} rows of {path.suffix[1:]}, {size:.0f} MB, best of {args.runs}")
    print(f"csv.reader, no conversion (baseline): {rows / baseline:>10,.0f} rows/s")
    print(f"spine-source-file, typed rows:        {rows / measured:>10,.0f} rows/s")
    print(f"ratio to the baseline: {baseline / measured:.2f}")


if __name__ == "__main__":
    main()
