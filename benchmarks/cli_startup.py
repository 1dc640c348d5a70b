"""How long ``spine plugins list --json`` takes, next to two baselines measured in the same run.

    python benchmarks/cli_startup.py [--runs 31]

Run it with the Python of the environment whose plugins you want to measure (the
``spine`` command next to it is used). It prints the median wall time of each
command over interleaved runs, the ratios, and the heavy modules the listing
imported (from ``-X importtime``). Target: at most 100 ms median with every
first-party plugin installed, and no heavy module imported.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("sqlalchemy", "httpx", "psycopg", "ibm_db", "apscheduler", "pydantic", "structlog")
TARGET_MS = 100.0


def _median_ms(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():  # interleaved, so drift hits all alike
            start = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def _imported_modules(command: list[str]) -> set[str]:
    result = subprocess.run(
        [command[0], "-X", "importtime", *command[1:]], capture_output=True, text=True, check=True
    )
    return {
        line.rsplit("|", 1)[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=31)
    args = parser.parse_args()

    python = sys.executable
    spine = str(Path(python).with_name("spine"))
    listing = [python, spine, "plugins", "list", "--json"]
    plugins = json.loads(subprocess.run(listing, capture_output=True, text=True, check=True).stdout)
    commands = {
        "python -c pass": [python, "-c", "pass"],
        "python -c 'import pluggy'": [python, "-c", "import pluggy"],
        "spine plugins list --json": listing,
    }
    medians = _median_ms(commands, args.runs)
    heavy = sorted({name.split(".")[0] for name in _imported_modules(listing)} & set(HEAVY))

    print(f"plugins listed: {len(plugins)} ({', '.join(p['name'] for p in plugins)})")
    print(f"median of {args.runs} runs:")
    for name, value in medians.items():
        print(f"  {name:<28} {value:7.1f} ms")
    spine_ms = medians["spine plugins list --json"]
    bare, pluggy = medians["python -c pass"], medians["python -c 'import pluggy'"]
    print(f"ratio to python -c pass:        {spine_ms / bare:.2f}x")
    print(f"ratio to import pluggy:         {spine_ms / pluggy:.2f}x")
    print(f"spine's own cost over pluggy:   {spine_ms - pluggy:.1f} ms")
    print(f"heavy modules imported:         {', '.join(heavy) or 'none'}")
    verdict = "met" if spine_ms <= TARGET_MS and not heavy else "NOT met"
    print(f"target (<= {TARGET_MS:.0f} ms, nothing heavy): {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
