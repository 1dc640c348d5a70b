"""SQL source throughput: ``spine load`` of a FINRA-shaped PostgreSQL table into PostgreSQL
(another schema) and into SQLite, next to a ``\\copy`` pipe between two psql processes.

    python benchmarks/sql_source.py [--rows 1000000] [--postgres URL] [--no-4n] [--repeat 2]

Needs spine-kernel, spine-source-sql (with its ``postgresql`` extra) and
spine-store-postgres installed in the running Python, and `psql` on the PATH. For N and
4N rows it times, in the same run, the rounds interleaved:

  floor       psql -c "\\copy (SELECT ...) TO STDOUT" | psql -c "\\copy ... FROM STDIN"
  pg -> pg    spine load postgresql://... -o table=spine_bench_src.weekly into schema spine_bench_dst
  pg -> sqlite the same into an empty SQLite file

and prints rows/s, each spine load's ratio to the floor (fastest rounds, and the median of
each round's ratio) and its peak RSS. Targets: PG -> PG >= 0.5x the pipe; peak RSS
< 150 MB, and at 4N <= 1.2x that at N.

Each `spine load` is a new process: without compiled bytecode (a venv made by uv, with
PYTHONDONTWRITEBYTECODE set) every one compiles SQLAlchemy and psycopg first, about a
second; run ``python -m compileall -q <venv>/lib`` once before measuring.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from ingest import Measure, measure, psql

SOURCE, TARGET = "spine_bench_src", "spine_bench_dst"
COLUMNS = "tier, symbol, name, participant, mpid, shares, trades, updated"
TABLE = (
    "CREATE TABLE {name} (tier text, symbol text, name text, participant text, mpid text,"
    " shares numeric(20, 6), trades bigint, updated date, PRIMARY KEY (symbol, mpid))"
)
# N rows made by the server itself: unique (symbol, MPID), 300 venues, FINRA-like values.
FILL = f"""
INSERT INTO {SOURCE}.weekly
SELECT (ARRAY['NMS Tier 1', 'NMS Tier 2', 'OTC'])[i % 3 + 1],
       'S' || lpad((i / 300)::text, 6, '0'),
       'Issue S' || lpad((i / 300)::text, 6, '0') || ' Common Stock & Co. (Class ' || i % 3 || ')',
       'V' || i % 300 || ' VENUE LLC', 'V' || i % 300,
       round((random() * 50000000)::numeric, 6), (random() * 90000)::bigint, date '2026-11-16'
FROM generate_series(0, {{rows}} - 1) AS i
"""


def _with_schema(url: str, schema: str) -> str:
    """`url` whose connections use `schema` (the PostgreSQL store's documented way)."""
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def prepare(url: str, rows: int) -> None:
    psql(url, f"DROP SCHEMA IF EXISTS {SOURCE} CASCADE; CREATE SCHEMA {SOURCE}")
    psql(url, TABLE.format(name=f"{SOURCE}.weekly"))
    psql(url, FILL.format(rows=rows) + f"; ANALYZE {SOURCE}.weekly")


def fresh_target(url: str) -> None:
    psql(url, f"DROP SCHEMA IF EXISTS {TARGET} CASCADE; CREATE SCHEMA {TARGET}")
    psql(url, TABLE.format(name=f"{TARGET}.weekly_copy"))


def run_size(rows: int, work: Path, url: str, repeat: int) -> dict[str, list[Measure]]:
    prepare(url, rows)
    spine = str(Path(sys.executable).with_name("spine"))
    load = [spine, "--log-level", "error", "load", url, "-o", f"table={SOURCE}.weekly", "--table", "weekly"]
    pipe = (
        f"psql '{url}' -q -c \"\\copy (SELECT {COLUMNS} FROM {SOURCE}.weekly) TO STDOUT\" | "
        f"psql '{url}' -q -c \"\\copy {TARGET}.weekly_copy FROM STDIN\""
    )
    results: dict[str, list[Measure]] = {"floor": [], "pg -> pg": [], "pg -> sqlite": []}
    for round_ in range(repeat):
        fresh_target(url)
        results["floor"].append(measure(["bash", "-o", "pipefail", "-c", pipe]))
        results["pg -> pg"].append(measure([*load, "--store", _with_schema(url, TARGET)]))
        database = work / f"copy_{rows}_{round_}.db"
        results["pg -> sqlite"].append(measure([*load, "--store", f"sqlite:///{database}"]))
        database.unlink()
    psql(url, f"DROP SCHEMA IF EXISTS {SOURCE} CASCADE; DROP SCHEMA IF EXISTS {TARGET} CASCADE")
    return results


def report(rows: int, results: dict[str, list[Measure]]) -> dict[str, float]:
    """Print one size's figures; return each spine load's peak RSS (MB)."""
    floor = results["floor"]
    print(f"\n{rows:,} rows")
    name = "floor (copy pipe)"
    print(f"  {name:22} {rows / min(m.seconds for m in floor):12,.0f} rows/s")
    peaks = {}
    for name in ("pg -> pg", "pg -> sqlite"):
        measured = results[name]
        best = min(floor, key=lambda m: m.seconds).seconds / min(measured, key=lambda m: m.seconds).seconds
        median = statistics.median(f.seconds / m.seconds for f, m in zip(floor, measured, strict=True))
        peaks[name] = max(m.peak_rss_mb for m in measured)
        print(
            f"  {name:22} {rows / min(m.seconds for m in measured):12,.0f} rows/s   "
            f"{best:.2f}x the floor (median of rounds {median:.2f}x)   peak RSS {peaks[name]:.0f} MB"
        )
    print("  target: pg -> pg >= 0.50x the floor, peak RSS < 150 MB")
    return peaks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-4n", action="store_true", help="only N rows, not 4N as well")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    sizes = [args.rows] if args.no_4n else [args.rows, 4 * args.rows]
    peaks = {}
    with tempfile.TemporaryDirectory() as work:
        for rows in sizes:
            peaks[rows] = report(rows, run_size(rows, Path(work), args.postgres, args.repeat))
    if len(sizes) == 2:
        for name in peaks[sizes[0]]:
            growth = peaks[sizes[1]][name] / peaks[sizes[0]][name]
            print(f"\n{name}: peak RSS at 4N is {growth:.2f}x that at N (target <= 1.2x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
