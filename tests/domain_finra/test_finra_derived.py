"""The derived tables: their totals are the sums of the raw per-firm rows, and nothing else."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest
from spine_domain_finra import _derived

from .conftest import query

WEEK = "2026-10-05"
# (tier, symbol, venue name, MPID, shares, trades)
RAW = [
    ("NMS Tier 1", "AAPL", "UBSA UBS ATS", "UBSA", "1000.25", 10),
    ("NMS Tier 1", "AAPL", "INCR INTELLIGENT CROSS LLC", "INCR", "3000", 30),
    ("NMS Tier 1", "AAPL", "OTC Non-ATS Firm Volume", "", "6000.5", 60),
    ("NMS Tier 1", "MSFT", "UBSA UBS ATS", "UBSA", "500", 5),
    ("NMS Tier 1", "MSFT", "Citadel Securities LLC", "", "1500", 15),
    ("NMS Tier 2", "XYZ", "UBSA UBS ATS", "UBSA", "70", 7),
    ("NMS Tier 2", "XYZ", "INCR INTELLIGENT CROSS LLC", "INCR", "30", 3),
    ("NMS Tier 1", "ZERO", "UBSA UBS ATS", "UBSA", "0", 0),
]
TIERS = {"NMS Tier 1": "T1", "NMS Tier 2": "T2"}


@pytest.fixture
def loaded(kernel, finra_file):
    lines = [
        f"{t}|{s}|{s} Inc.|{name}|{mpid}|{shares}|{trades}|2026-10-26"
        for t, s, name, mpid, shares, trades in RAW
    ]
    assert kernel.run("finra.otc_weekly", {"file": finra_file(*lines), "week": WEEK}).status == "succeeded"
    return kernel


def test_symbol_totals_are_the_sums_of_the_ats_and_non_ats_rows(loaded):
    expected: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0, 0.0, 0])
    for tier, symbol, _, mpid, shares, trades in RAW:
        totals = expected[(TIERS[tier], symbol)]
        offset = 0 if mpid else 2
        totals[offset] += float(shares)
        totals[offset + 1] += trades
    found = query(
        loaded,
        "SELECT tier, symbol, ats_shares, ats_trades, non_ats_shares, non_ats_trades, total_shares,"
        " total_trades, ats_share FROM finra_otc_symbol_weekly",
    )
    assert {(tier, symbol) for tier, symbol, *_ in found} == set(expected)
    for tier, symbol, ats, ats_trades, non_ats, non_ats_trades, total, trades, share in found:
        assert [ats, ats_trades, non_ats, non_ats_trades] == pytest.approx(expected[(tier, symbol)])
        assert (total, trades) == pytest.approx((ats + non_ats, ats_trades + non_ats_trades))
        assert share == (pytest.approx(ats / total) if total else None)


def test_venue_shares_of_each_tier_add_up_to_one_and_are_ranked(loaded):
    found = query(
        loaded,
        "SELECT tier, venue, shares, share_of_tier, rank FROM finra_otc_venue_share ORDER BY tier, rank",
    )
    by_tier = defaultdict(list)
    for tier, venue, shares, share, rank in found:
        by_tier[tier].append((venue, shares, share, rank))
    assert sum(share for _, _, share, _ in by_tier["T1"]) == pytest.approx(1)
    assert [(venue, rank) for venue, _, _, rank in by_tier["T1"]] == [
        ("OTC Non-ATS Firm Volume", 1),
        ("INCR", 2),
        ("UBSA", 3),  # 1,500.25 over its two symbols
        ("Citadel Securities LLC", 4),
    ]
    assert sum(shares for _, shares, _, _ in by_tier["T1"]) == pytest.approx(
        sum(float(row[4]) for row in RAW if row[0] == "NMS Tier 1")
    )
    assert [(venue, share) for venue, _, share, _ in by_tier["T2"]] == [
        ("UBSA", 0.7),
        ("INCR", pytest.approx(0.3)),
    ]


def test_concentration_is_the_herfindahl_hirschman_index_over_venues(loaded):
    found = {
        (tier, symbol): (venues, hhi)
        for tier, symbol, venues, hhi in query(
            loaded, "SELECT tier, symbol, venues, hhi FROM finra_otc_concentration"
        )
    }
    assert found[("T2", "XYZ")] == (2, pytest.approx(70**2 + 30**2))
    aapl = [1000.25, 3000, 6000.5]
    assert found[("T1", "AAPL")] == (3, pytest.approx(sum((100 * s / sum(aapl)) ** 2 for s in aapl)))
    assert ("T1", "ZERO") not in found  # no shares: no shares of anything


def test_other_summary_types_are_never_summed_in(loaded):
    before = query(loaded, "SELECT * FROM finra_otc_symbol_weekly ORDER BY tier, symbol")
    store = loaded.runlog().store
    with store.transaction() as session:  # FINRA's own per-symbol total, as the API gives it
        session.execute(
            "INSERT INTO finra_otc_weekly (week_start_date, tier, summary_type, symbol, issue_name,"
            " issue_key, mpid, firm_crd, product_type, total_weekly_share_quantity, total_weekly_trade_count)"
            " VALUES (?, 'T1', 'ATS_W_SMBL', 'AAPL', 'AAPL Inc.', 'k', '', '', '', 4000.25, 40)",
            [date(2026, 10, 5)],
        )
    _derived.rebuild(store, [date(2026, 10, 5)])
    assert query(loaded, "SELECT * FROM finra_otc_symbol_weekly ORDER BY tier, symbol") == before


def test_only_the_weeks_a_run_touched_are_rebuilt(loaded, finra_file):
    store = loaded.runlog().store
    with store.transaction() as session:  # a mark that a rebuild of the first week would erase
        session.execute("UPDATE finra_otc_concentration SET venues = -1 WHERE symbol = 'XYZ'")
    line = "NMS Tier 2|XYZ|XYZ Inc.|UBSA UBS ATS|UBSA|10|1|2026-11-02"
    assert (
        loaded.run("finra.otc_weekly", {"file": finra_file(line), "week": "2026-10-12"}).status == "succeeded"
    )
    assert query(
        loaded, "SELECT week_start_date, venues FROM finra_otc_concentration WHERE symbol = 'XYZ'"
    ) == [
        (WEEK, -1),
        ("2026-10-12", 1),
    ]
