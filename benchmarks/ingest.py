"""Ingest throughput: ``spine load --mode merge`` of a FINRA-shaped pipe file, next to hand-written baselines.

    python benchmarks/ingest.py [--rows 1000000] [--postgres URL] [--no-4n] [--repeat 3]

Needs spine-kernel, spine-source-file and spine-store-postgres installed in the
running Python, and `psql` on the PATH. For N and 4N rows it times, in the same run:

  sqlite    spine load --mode merge into an empty SQLite file
  baseline  Python csv + sqlite3.executemany in one transaction
  postgres  spine load --mode merge into an empty table, then again (every row a conflict)
  baseline  psql \\copy of the same file into an equivalent table (no upsert)

and prints rows/s, the ratios and each process's peak RSS. Each measurement runs
`--repeat` times, interleaved; the ratios are given for the fastest rounds and as the
median of each round's ratio (spine against the baseline run next to it): on a shared
machine the same load varies by a third from one run to the next. Targets: PostgreSQL
merge >= 0.4x \\copy on an empty table and >= 0.2x on the re-load; SQLite merge
>= 0.7x the hand-written loop; peak RSS < 150 MB, and at 4N <= 1.2x that at N.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HEADER = (
    "tierDescription|issueSymbolIdentifier|issueName|marketParticipantName|MPID|"
    "totalWeeklyShareQuantity|totalWeeklyTradeCount|lastUpdateDate"
)
KEYS = "issue_symbol_identifier,mpid"  # the file's header, normalised by the file source
TIERS = ("NMS Tier 1", "NMS Tier 2", "OTC")

SQLITE_BASELINE = r"""
import csv, sqlite3, sys
path, database = sys.argv[1], sys.argv[2]
connection = sqlite3.connect(database)
connection.execute(
    "CREATE TABLE t (tier TEXT, symbol TEXT, name TEXT, participant TEXT, mpid TEXT,"
    " shares NUMERIC, trades INTEGER, updated DATE, PRIMARY KEY (symbol, mpid))"
)
with open(path, newline="", encoding="utf-8") as handle:
    reader = csv.reader(handle, delimiter="|", quoting=csv.QUOTE_NONE)
    next(reader)
    with connection:
        connection.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)", reader)
"""

PG_TABLE = (
    "CREATE TABLE {name} (tier text, symbol text, name text, participant text, mpid text,"
    " shares numeric, trades bigint, updated date)"
)


@dataclass
class Measure:
    seconds: float
    peak_rss_mb: float


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """`rows` unique (symbol, MPID) rows in FINRA's website-download format."""
    rng = random.Random(seed)
    venues = [f"{chr(65 + i % 26)}{chr(65 + i // 26 % 26)}X{i % 10}" for i in range(300)]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\n")
        for index in range(rows):
            symbol = f"S{index // len(venues):06d}"
            mpid = venues[index % len(venues)]
            shares = f"{rng.randint(1, 50_000_000)}.{rng.randint(0, 999999):06d}"
            name = f"Issue {symbol} Common Stock & Co. (Class {index % 3})"
            out.write(
                f"{TIERS[index % 3]}|{symbol}|{name}|{mpid} VENUE LLC|{mpid}|{shares}|"
                f"{rng.randint(1, 90_000)}|2026-11-16\n"
            )


def measure(command: list[str], env: dict[str, str] | None = None) -> Measure:
    """Wall time and peak RSS of one child process (from its own rusage)."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    stderr = child.stderr.read().decode() if child.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr}")
    return Measure(seconds, usage.ru_maxrss / 1024)


def psql(url: str, sql: str) -> None:
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], check=True, capture_output=True)


def run_size(rows: int, work: Path, postgres: str, repeat: int) -> dict[str, list[Measure]]:
    """Every measurement `repeat` times, the rounds interleaved so that a slow spell of
    the machine falls on spine and baselines alike."""
    data = work / f"finra_{rows}.psv"
    generate(data, rows)
    spine = str(Path(sys.executable).with_name("spine"))
    load = [spine, "--log-level", "error", "load", str(data), "--table", "finra_bench", "--mode", "merge"]
    load += ["--key", KEYS]
    copy = f"\\copy finra_copy FROM '{data}' WITH (FORMAT csv, DELIMITER '|', HEADER true, QUOTE E'\\x01')"
    results: dict[str, list[Measure]] = {}

    def record(name: str, measured: Measure) -> None:
        results.setdefault(name, []).append(measured)

    for round_ in range(repeat):
        database, baseline_db = work / f"spine_{rows}_{round_}.db", work / f"baseline_{rows}_{round_}.db"
        record("sqlite spine merge", measure([*load, "--store", f"sqlite:///{database}"]))
        record(
            "sqlite csv+executemany",
            measure([sys.executable, "-c", SQLITE_BASELINE, str(data), str(baseline_db)]),
        )
        database.unlink()
        baseline_db.unlink()

        psql(postgres, "DROP TABLE IF EXISTS finra_bench; DROP TABLE IF EXISTS finra_copy")
        record("postgres spine merge (empty)", measure([*load, "--store", postgres]))
        record("postgres spine merge (re-load)", measure([*load, "--store", postgres]))
        psql(postgres, PG_TABLE.format(name="finra_copy"))
        record("postgres psql \\copy", measure(["psql", postgres, "-v", "ON_ERROR_STOP=1", "-q", "-c", copy]))
        psql(postgres, "DROP TABLE IF EXISTS finra_bench; DROP TABLE IF EXISTS finra_copy")
    return results


def report(rows: int, results: dict[str, list[Measure]]) -> None:
    """Rows/s of each one's fastest round (the least disturbed by the machine), and the spread."""
    print(f"\n{rows:,} rows (fastest of {len(next(iter(results.values())))} rounds; all rounds in s)")
    for name, rounds in results.items():
        best = min(rounds, key=lambda m: m.seconds)
        spread = ", ".join(f"{m.seconds:.2f}" for m in rounds)
        print(
            f"  {name:<32} {rows / best.seconds:>11,.0f} rows/s  {best.seconds:7.2f} s  "
            f"peak RSS {max(m.peak_rss_mb for m in rounds):6.1f} MB   [{spread}]"
        )
    rate = {name: rows / min(m.seconds for m in rounds) for name, rounds in results.items()}

    def ratios(spine: str, baseline: str, target: float) -> str:
        # Also per round, spine against the baseline run next to it: the machine's speed
        # drifts over minutes, and the two fastest rounds may come from different spells.
        paired = sorted(b.seconds / s.seconds for s, b in zip(results[spine], results[baseline], strict=True))
        return (
            f"{rate[spine] / rate[baseline]:.2f}x fastest/fastest, "
            f"{statistics.median(paired):.2f}x median of rounds [{', '.join(f'{r:.2f}' for r in paired)}]"
            f"  (target >= {target}x)"
        )

    copy = "postgres psql \\copy"
    print("  sqlite merge / hand-written:    " + ratios("sqlite spine merge", "sqlite csv+executemany", 0.7))
    print("  postgres merge / \\copy:         " + ratios("postgres spine merge (empty)", copy, 0.4))
    print("  postgres re-load / \\copy:       " + ratios("postgres spine merge (re-load)", copy, 0.2))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("SPINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--no-4n", action="store_true", help="measure N only")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of every measurement (default 3)")
    args = parser.parse_args()
    sizes = [args.rows] if args.no_4n else [args.rows, 4 * args.rows]
    peaks: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="spine-bench-") as work:
        for rows in sizes:
            results = run_size(rows, Path(work), args.postgres, args.repeat)
            report(rows, results)
            peaks[rows] = max(
                m.peak_rss_mb for name, rounds in results.items() if "spine" in name for m in rounds
            )
    print(f"\npeak RSS of spine loads: {', '.join(f'{r:,} rows {mb:.1f} MB' for r, mb in peaks.items())}")
    if len(sizes) == 2:
        print(f"RSS at 4N / at N: {peaks[sizes[1]] / peaks[sizes[0]]:.2f}x  (target <= 1.2x, and < 150 MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
