"""HTTP source throughput: records/s through spine's http source, next to a bare httpx loop.

    python benchmarks/http_source.py [--records N] [--page-size N] [--repeat N]

Needs spine-kernel, spine-source-http and httpx installed in the running Python. It
starts a local HTTP/1.1 server on 127.0.0.1 in a separate process (this file again,
with --serve), so that the server's Python work does not share a GIL with what is
measured. The server renders once, up front, `--records` FINRA-shaped records
(default 200,000) in pages of `--page-size` (default 1,000), each page a top-level
JSON array, and serves them from memory with keep-alive, a Content-Length and an
RFC 8288 ``Link: <...>; rel="next"`` header on every page but the last. Over the same
pages it times, in the same run:

  bare httpx loop    one httpx.Client: GET the first page, response.json(), count the
                     records, follow response.links["next"] until there is none
  spine http source  kernel.open_source(url) with no options (the defaults follow Link
                     headers), then every row of source.batches(), inside `with source:`

Both must count exactly `--records` records. Each runs `--repeat` times (default 5),
interleaved and taking turns to go first, after one untimed warm-up pass of each; the
kernel is built once, outside the timings. It prints records/s of each one's fastest
round, every round's seconds, and the ratio spine/bare for the fastest rounds and as
the median of each round's ratio (spine against the bare loop run next to it): on a
shared machine the same pass varies from one run to the next. Target: >= 0.8x.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx
import spine
import spine_source_http

TIERS = ("NMS Tier 1", "NMS Tier 2", "OTC")
TARGET = 0.8


# --- the server (a child process) -------------------------------------------------------------


def render(records: int, page_size: int, port: int, seed: int = 7) -> list[tuple[bytes, str | None]]:
    """Every page as (JSON body, Link header or None): `records` unique (symbol, MPID)
    records in the shape of FINRA's OTC transparency API."""
    rng = random.Random(seed)
    pages: ClassVar[list[tuple[bytes, str | None]]] = []
    count = max(1, -(-records // page_size))
    for page in range(count):
        indexes = range(page * page_size, min(records, (page + 1) * page_size))
        items = [record(index, rng) for index in indexes]
        link = f'<http://127.0.0.1:{port}/records?page={page + 2}>; rel="next"' if page + 1 < count else None
        pages.append((("[" + ",".join(items) + "]").encode(), link))
    return pages


VENUES = [f"{chr(65 + i % 26)}{chr(65 + i // 26 % 26)}X{i % 10}" for i in range(300)]


def record(index: int, rng: random.Random) -> str:
    """Record `index` as JSON text: (symbol, MPID) is unique to it."""
    symbol = f"S{index // len(VENUES):06d}"
    mpid = VENUES[index % len(VENUES)]
    shares = f"{rng.randint(1, 50_000_000)}.{rng.randint(0, 999999):06d}"
    # No character here needs escaping in JSON: the strings are written as they are.
    return (
        f'{{"tierDescription":"{TIERS[index % 3]}","issueSymbolIdentifier":"{symbol}",'
        f'"issueName":"Issue {symbol} Common Stock & Co. (Class {index % 3})",'
        f'"marketParticipantName":"{mpid} VENUE LLC","MPID":"{mpid}",'
        f'"totalWeeklyShareQuantity":{shares},"totalWeeklyTradeCount":{rng.randint(1, 90_000)},'
        f'"lastUpdateDate":"2026-11-{1 + index % 28:02d}"}}'
    )


class PageHandler(BaseHTTPRequestHandler):
    """GET /records?page=K (1 when absent) from the pages rendered up front."""

    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # headers and body go out in two writes
    pages: ClassVar[list[tuple[bytes, str | None]]] = []

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        number = parse_qs(url.query).get("page", ["1"])[0]
        index = int(number) - 1 if url.path == "/records" and number.isdigit() else -1
        if not 0 <= index < len(self.pages):
            self.send_error(404)
            return
        body, link = self.pages[index]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if link is not None:
            self.send_header("Link", link)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(records: int, page_size: int) -> None:
    """Bind port 0, render the pages, say "PORT BYTES" on stdout, and serve until stdin
    closes (the measuring process has ended, however it ended)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), PageHandler)
    server.daemon_threads = True
    port = server.server_address[1]
    PageHandler.pages = render(records, page_size, port)
    print(port, sum(len(body) for body, _ in PageHandler.pages), flush=True)

    def watch() -> None:
        sys.stdin.buffer.read()
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
    server.serve_forever()


def start_server(command: list[str]) -> tuple[subprocess.Popen[bytes], int, int]:
    """Start the server `command` runs, which says "PORT BYTES" on its first line."""
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert child.stdout is not None
    line = child.stdout.readline().decode().split()
    if len(line) != 2:
        child.kill()
        child.wait()
        raise SystemExit(f"the server process did not start (exit code {child.returncode})")
    return child, int(line[0]), int(line[1])


def stop_server(child: subprocess.Popen[bytes]) -> None:
    assert child.stdin is not None
    child.stdin.close()
    try:
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


# --- the measurements ---------------------------------------------------------------------------


def bare_httpx(url: str) -> int:
    """The loop one would write by hand: one client, follow rel="next" until there is none."""
    records = 0
    with httpx.Client() as client:
        next_url: str | None = url
        while next_url is not None:
            response = client.get(next_url)
            response.raise_for_status()
            records += len(response.json())
            link = response.links.get("next")
            next_url = link["url"] if link else None
    return records


def spine_source(kernel: spine.Spine, url: str) -> int:
    rows, rejects = 0, list[spine.Reject]()
    source = kernel.open_source(url)
    with source:
        for batch in source.batches():
            rows += len(batch.rows)
            rejects += batch.rejects
    if rejects:
        raise SystemExit(f"spine http source: {len(rejects):,} reject(s), the first: {rejects[0].reason}")
    return rows


def run(url: str, records: int, repeat: int) -> dict[str, list[float]]:
    """Seconds of every pass, `repeat` rounds interleaved so that a slow spell of the
    machine falls on both alike; the two take turns to go first."""
    kernel = spine.Spine(entry_points=False, plugins=[spine_source_http])
    passes: dict[str, Callable[[], int]] = {
        "bare httpx loop": lambda: bare_httpx(url),
        "spine http source": lambda: spine_source(kernel, url),
    }

    def timed(name: str) -> float:
        start = time.perf_counter()
        counted = passes[name]()
        seconds = time.perf_counter() - start
        if counted != records:
            raise SystemExit(f"{name} counted {counted:,} records, not {records:,}")
        return seconds

    for name in passes:  # warm-up: imports, first connections, the server's first answers
        timed(name)
    results: dict[str, list[float]] = {name: [] for name in passes}
    for round_ in range(repeat):
        order = list(passes) if round_ % 2 == 0 else list(reversed(passes))
        for name in order:
            results[name].append(timed(name))
    return results


def report(records: int, results: dict[str, list[float]]) -> None:
    """Records/s of each one's fastest round (the least disturbed by the machine), and the spread."""
    print(f"{records:,} records (fastest of {len(next(iter(results.values())))} rounds; all rounds in s)")
    for name, rounds in results.items():
        best = min(rounds)
        spread = ", ".join(f"{seconds:.3f}" for seconds in rounds)
        print(f"  {name:<20} {records / best:>11,.0f} records/s  {best:7.3f} s   [{spread}]")
    bare, source = results["bare httpx loop"], results["spine http source"]
    # Also per round, spine against the bare loop run next to it: the machine's speed
    # drifts over minutes, and the two fastest rounds may come from different spells.
    paired = sorted(b / s for s, b in zip(source, bare, strict=True))
    print(
        f"  spine source / bare httpx: {min(bare) / min(source):.2f}x fastest/fastest, "
        f"{statistics.median(paired):.2f}x median of rounds [{', '.join(f'{r:.2f}' for r in paired)}]"
        f"  (target >= {TARGET}x)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000, help="records served (default 200,000)")
    parser.add_argument("--page-size", type=int, default=1_000, help="records per page (default 1,000)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds of each measurement (default 5)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the server process
    args = parser.parse_args()
    if args.records < 0 or args.page_size < 1 or args.repeat < 1:
        parser.error("--records must be >= 0, --page-size and --repeat >= 1")
    if args.serve:
        serve(args.records, args.page_size)
        return 0
    sizes = ["--records", str(args.records), "--page-size", str(args.page_size)]
    child, port, size = start_server([sys.executable, os.path.abspath(__file__), "--serve", *sizes])
    try:
        url = f"http://127.0.0.1:{port}/records"
        pages = max(1, -(-args.records // args.page_size))
        print(f"server: {url}, another process; {pages:,} pages of JSON, {size / 1e6:.1f} MB in all")
        results = run(url, args.records, args.repeat)
    finally:
        stop_server(child)
    report(args.records, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
