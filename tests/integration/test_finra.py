"""The FINRA pipelines through the command, into PostgreSQL and into the embedded SQLite store."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

import spine
from spine.testing import HttpServer

from ..domain_finra.finra_api import WEEK as API_WEEK
from ..domain_finra.finra_api import FinraApi, record
from .test_load_files import HEADER, write

WEEK = "2026-10-05"
LINES = [
    "NMS Tier 1|AAPL|Apple Inc. Common Stock|UBSA UBS ATS|UBSA|1000.25|10|2026-10-26",
    "NMS Tier 1|AAPL|Apple Inc. Common Stock|INCR INTELLIGENT CROSS LLC|INCR|3000|30|2026-10-26",
    "NMS Tier 1|AAPL|Apple Inc. Common Stock|OTC Non-ATS Firm Volume||6000.5|60|2026-10-26",
    "NMS Tier 1|||UBSA UBS ATS|UBSA|7|2|2026-10-26",
    "NMS Tier 2|XYZ|XYZ Corp, Class A  ($1 par)|UBSA UBS ATS|UBSA|123456789012345.123456|7|2026-11-09",
]


def test_a_week_merges_into_postgres_twice_the_same_and_its_derived_totals_add_up(spine, postgres, tmp_path):
    url, look = postgres
    path = write(tmp_path / "week.psv", LINES)
    for _ in range(2):
        result = spine(
            "run", "finra.otc_weekly", "-p", f"file={path}", "-p", f"week={WEEK}", "--store", url, "--json"
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["rows_written"] == 5
    assert look.execute("SELECT COUNT(*), COUNT(DISTINCT run_id) FROM finra_otc_weekly").fetchone() == (5, 1)
    # Every digit of a fractional quantity, past what a float holds.
    assert look.execute(
        "SELECT total_weekly_share_quantity FROM finra_otc_weekly WHERE symbol = 'XYZ'"
    ).fetchone() == (Decimal("123456789012345.123456"),)
    raw = dict(
        look.execute(
            "SELECT tier || '/' || symbol, SUM(total_weekly_share_quantity) FROM finra_otc_weekly"
            " GROUP BY tier, symbol"
        ).fetchall()
    )
    derived = dict(
        look.execute("SELECT tier || '/' || symbol, total_shares FROM finra_otc_symbol_weekly").fetchall()
    )
    assert derived == raw
    ((shares_of_t1,),) = look.execute(
        "SELECT SUM(share_of_tier) FROM finra_otc_venue_share WHERE tier = 'T1'"
    ).fetchall()
    assert abs(shares_of_t1 - 1) < 1e-9
    ((hhi,),) = look.execute("SELECT hhi FROM finra_otc_concentration WHERE symbol = 'AAPL'").fetchall()
    aapl = [1000.25, 3000, 6000.5]
    assert abs(hhi - sum((100 * s / sum(aapl)) ** 2 for s in aapl)) < 1e-6


def test_a_file_with_another_header_fails_and_leaves_postgres_as_it_was(spine, postgres, tmp_path):
    url, look = postgres
    good = write(tmp_path / "good.psv", LINES)
    assert (
        spine(
            "run", "finra.otc_weekly", "-p", f"file={good}", "-p", f"week={WEEK}", "--store", url
        ).returncode
        == 0
    )
    bad = write(tmp_path / "bad.psv", LINES, header=HEADER.replace("MPID", "mpid"))
    result = spine("run", "finra.otc_weekly", "-p", f"file={bad}", "-p", f"week={WEEK}", "--store", url)
    assert result.returncode == 1
    assert f"{bad} line 1: not a FINRA OTC weekly file" in result.stderr
    assert look.execute("SELECT COUNT(*) FROM finra_otc_weekly").fetchone() == (5,)


def test_the_shipped_samples_load_and_the_summary_prints(spine, env, tmp_path):
    result = spine("run", "finra.samples", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["status"], summary["rows_rejected"]) == ("succeeded", 0)
    assert summary["rows_written"] > 10_000
    # Nine files with a row without a symbol each: one warning for the run, naming files, not paths.
    (told,) = summary["warnings"]
    assert told.startswith("9 row(s) without a symbol, kept as FINRA published them (1 in otc_weekly_T1_")
    assert told.endswith("and 6 more file(s) or partition(s))") and "/" not in told
    again = spine("run", "finra.samples")
    assert again.stderr.count("row(s) without a symbol") == 1, again.stderr  # said once at the end
    printed = subprocess.run(
        [sys.executable, "-m", "spine_domain_finra.summary"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert printed.startswith(f"finra_otc_weekly: {summary['rows_written']:,} rows over 3 week(s)")
    assert [line for line in printed.splitlines() if line.endswith(":")] == ["OTCE:", "T1:", "T2:"]
    assert printed.count("  largest ATS venues: ") == 3


def test_a_partition_from_the_finra_api_merges_into_postgres_exactly(postgres, tmp_path, monkeypatch):
    url, look = postgres
    monkeypatch.setattr("spine_source_http._fetch.sleep", lambda seconds: None)
    records = [record(n) for n in range(7)] + [record(n, summary="OTC_W_SMBL_FIRM") for n in range(7, 9)]
    records[0]["totalWeeklyShareQuantity"] = "EXACT"
    server = HttpServer()
    try:
        api = FinraApi(server, records, cap=4)

        def exactly(request):  # the quantity as a JSON number with more digits than a float holds
            status, headers, page = api.answer(request)
            text = json.dumps(page).replace('"EXACT"', "123456789012345.123456")
            return status, {**headers, "Content-Type": "application/json"}, text if page else page

        server.route("POST", api.url.removeprefix(server.url), exactly)
        environ = {"HOME": str(tmp_path), "SPINE_STORE_URL": url, "SPINE_FINRA_API_URL": server.url}
        with spine.Spine(environ=environ) as kernel:
            for _ in range(2):
                result = kernel.run("finra.otc_weekly", {"source": "api", "week": API_WEEK, "tier": "T1"})
                assert (result.status, result.counts.rows_written) == ("succeeded", 9), result.error
    finally:
        server.close()
    assert look.execute(
        "SELECT COUNT(*), COUNT(DISTINCT run_id), MIN(source) FROM finra_otc_weekly"
    ).fetchone() == (
        9,
        1,
        "api",
    )
    assert look.execute(
        "SELECT total_weekly_share_quantity FROM finra_otc_weekly WHERE symbol = 'S0000'"
    ).fetchone() == (Decimal("123456789012345.123456"),)
    ((raw, derived),) = look.execute(
        "SELECT (SELECT SUM(total_weekly_share_quantity) FROM finra_otc_weekly),"
        " (SELECT SUM(total_shares) FROM finra_otc_symbol_weekly)"
    ).fetchall()
    assert raw == derived
