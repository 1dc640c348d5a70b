"""HTTP source memory: peak RSS of ``spine load`` of one big streamed JSON answer, next to a small one.

    python benchmarks/http_memory.py [--mb 500] [--baseline-mb 50]

Needs spine-kernel and spine-source-http installed in the running Python (the ``spine``
command next to it). A server in another process (this file again, with --serve) streams
one JSON array of FINRA-shaped records (benchmarks/http_source.py's), generated while it
is sent, chunked, without a Content-Length: `--mb` megabytes of it (default 500), and
`--baseline-mb` (default 50) for the baseline measured in the same run. For each size it
runs, as a child process, the whole kernel load path:

    spine load http://127.0.0.1:PORT/records?mb=N --table t --store sqlite:///...

and prints the child's peak RSS (its own rusage), its seconds and the rows loaded
(counted in the SQLite file). Target: the big answer's peak RSS under 150 MB, and about
the baseline's (ratio near 1.0x): memory is bounded by the batch, not by the answer.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from http_source import record, start_server, stop_server
from ingest import Measure, measure

TARGET_MB = 150.0
_CHUNK = 256 * 1024  # bytes of JSON the server sends at a time


class StreamHandler(BaseHTTPRequestHandler):
    """GET /records?mb=N: a JSON array of about N megabytes, generated while it is sent."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        size = int(float(parse_qs(urlsplit(self.path).query)["mb"][0]) * 1e6)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        rng = random.Random(7)
        sent, index, pending = 0, 0, ["["]
        pending_size = 1
        while sent + pending_size < size:
            text = ("," if index else "") + record(index, rng)
            pending.append(text)
            pending_size += len(text)
            index += 1
            if pending_size >= _CHUNK:
                sent += self._chunk("".join(pending).encode())
                pending, pending_size = [], 0
        pending.append("]")
        self._chunk("".join(pending).encode())
        self.wfile.write(b"0\r\n\r\n")

    def _chunk(self, data: bytes) -> int:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        return len(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve() -> None:
    """Bind port 0, say "PORT 0" on stdout (as http_source's server does), serve until stdin closes."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), StreamHandler)
    server.daemon_threads = True
    print(server.server_address[1], 0, flush=True)

    def watch() -> None:
        sys.stdin.buffer.read()
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
    server.serve_forever()


def load(port: int, megabytes: float, work: Path) -> tuple[Measure, int]:
    """The measured ``spine load`` of an answer of `megabytes`, and the rows it loaded."""
    database = work / f"load_{megabytes:g}.db"
    spine = str(Path(sys.executable).with_name("spine"))
    url = f"http://127.0.0.1:{port}/records?mb={megabytes:g}"
    command = [spine, "--log-level", "error", "load", url, "--table", "t", "--store", f"sqlite:///{database}"]
    measured = measure(command)
    with sqlite3.connect(database) as connection:
        (rows,) = connection.execute("SELECT count(*) FROM t").fetchone()
    database.unlink()
    return measured, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=500, help="megabytes of the big answer (default 500)")
    parser.add_argument("--baseline-mb", type=float, default=50, help="megabytes of the baseline (50)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the server process
    args = parser.parse_args()
    if args.serve:
        serve()
        return 0
    if not 0 < args.baseline_mb <= args.mb:
        parser.error("expected 0 < --baseline-mb <= --mb")
    child, port, _ = start_server([sys.executable, os.path.abspath(__file__), "--serve"])
    results: dict[float, tuple[Measure, int]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="spine-bench-") as work:
            for megabytes in (args.baseline_mb, args.mb):
                results[megabytes] = load(port, megabytes, Path(work))
    finally:
        stop_server(child)
    print("spine load of one streamed JSON answer into SQLite (peak RSS of the loading process)")
    for megabytes, (measured, rows) in results.items():
        print(
            f"  {megabytes:>6g} MB answer  {rows:>10,} rows  {measured.seconds:7.1f} s  "
            f"peak RSS {measured.peak_rss_mb:6.1f} MB"
        )
    big, small = results[args.mb][0].peak_rss_mb, results[args.baseline_mb][0].peak_rss_mb
    print(
        f"  peak RSS at {args.mb:g} MB / at {args.baseline_mb:g} MB: {big / small:.2f}x  "
        f"(target: under {TARGET_MB:g} MB, and near 1.0x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
