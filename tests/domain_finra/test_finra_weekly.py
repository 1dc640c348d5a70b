"""finra.otc_weekly from website files: the table, merges, rejects, the header and the week."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal

import pytest
import spine
from spine_domain_finra._weekly import check_week

from .conftest import ATS, query

WEEK = "2026-10-05"
ROWS = (
    "NMS Tier 1|AAPL|Apple Inc. Common Stock|UBSA UBS ATS|UBSA|1000.25|10|2026-10-26",
    "NMS Tier 1|AAPL|Apple Inc. Common Stock|INCR INTELLIGENT CROSS LLC|INCR|3000|30|2026-10-26",
    "NMS Tier 1|AAPL|Apple Inc. Common Stock|OTC Non-ATS Firm Volume||6000.5|60|2026-10-26",
    "NMS Tier 1|BRK.B|Berkshire Hathaway Inc.  Class B (New), $0.0033 par & more|UBSA UBS ATS|UBSA|5|1|"
    "2026-10-26",
    "NMS Tier 1|||UBSA UBS ATS|UBSA|7|2|2026-10-26",
)
COLUMNS = "tier, summary_type, symbol, mpid, firm_crd, product_type, total_weekly_share_quantity"


def run(kernel, file, week=WEEK, **options):
    return kernel.run("finra.otc_weekly", {"file": file, "week": week}, **options)


def test_a_week_goes_in_with_its_tier_summary_type_and_empty_keys_as_empty_strings(kernel, finra_file):
    result = run(kernel, finra_file(*ROWS))
    assert (result.status, result.counts.rows_written) == ("succeeded", 5)
    found = query(kernel, f"SELECT {COLUMNS} FROM finra_otc_weekly ORDER BY symbol, mpid")
    assert found == [
        ("T1", "ATS_W_SMBL_FIRM", "", "UBSA", "", "", 7),
        ("T1", "OTC_W_SMBL_FIRM", "AAPL", "", "", "", 6000.5),
        ("T1", "ATS_W_SMBL_FIRM", "AAPL", "INCR", "", "", 3000),
        ("T1", "ATS_W_SMBL_FIRM", "AAPL", "UBSA", "", "", 1000.25),
        ("T1", "ATS_W_SMBL_FIRM", "BRK.B", "UBSA", "", "", 5),
    ]
    (week, source, run_id, updated), *_ = query(
        kernel, "SELECT DISTINCT week_start_date, source, run_id, last_update_date FROM finra_otc_weekly"
    )
    assert (week, source, run_id, updated) == (WEEK, "file", result.run_id, "2026-10-26")


def test_loading_the_same_week_again_changes_nothing_not_even_the_run_that_captured_it(kernel, finra_file):
    path = finra_file(*ROWS)
    first = run(kernel, path)
    before = query(kernel, "SELECT * FROM finra_otc_weekly ORDER BY symbol, mpid")
    second = run(kernel, path)
    assert second.status == "succeeded"
    assert query(kernel, "SELECT * FROM finra_otc_weekly ORDER BY symbol, mpid") == before
    assert query(kernel, "SELECT DISTINCT run_id FROM finra_otc_weekly") == [(first.run_id,)]


def test_a_restated_row_replaces_the_one_loaded_before_and_names_its_run(kernel, finra_file):
    msft = ATS.format(shares="1").replace("AAPL", "MSFT")
    first = run(kernel, finra_file(ATS.format(shares="100"), msft))
    restated = ATS.format(shares="120.5").replace("2026-10-26", "2026-11-02")
    second = run(kernel, finra_file(restated, msft))
    found = query(
        kernel,
        "SELECT symbol, total_weekly_share_quantity, last_update_date, run_id"
        " FROM finra_otc_weekly ORDER BY symbol",
    )
    assert found == [
        ("AAPL", 120.5, "2026-11-02", second.run_id),
        ("MSFT", 1, "2026-10-26", first.run_id),  # unchanged: still the first run's
    ]


def test_an_older_file_loaded_after_a_restatement_leaves_the_newer_row(kernel, finra_file, caplog):
    restated = ATS.format(shares="120.5").replace("2026-10-26", "2026-11-02")
    run(kernel, finra_file(restated))
    caplog.set_level(logging.INFO)
    assert run(kernel, finra_file(ATS.format(shares="100"))).status == "succeeded"
    assert query(kernel, "SELECT total_weekly_share_quantity, last_update_date FROM finra_otc_weekly") == [
        (120.5, "2026-11-02")
    ]
    assert any("1 row(s) left as they are" in record.getMessage() for record in caplog.records)


def test_a_symbol_under_two_issue_names_in_a_week_is_two_rows(kernel, finra_file):
    long_name = "Apple Inc. Common Stock, $0.00001 par value (New)  & Co " * 4  # over 200 characters
    run(
        kernel,
        finra_file(
            ATS.format(shares="1"), ATS.format(shares="2").replace("Apple Inc. Common Stock", long_name)
        ),
    )
    found = query(
        kernel,
        "SELECT LENGTH(issue_name), LENGTH(issue_key), total_weekly_share_quantity FROM finra_otc_weekly",
    )
    assert sorted(found) == [(23, 40, 1), (len(long_name), 40, 2)]


def test_weeks_and_tiers_are_kept_apart(kernel, finra_file):
    path = finra_file(ATS.format(shares="1"), ATS.format(shares="2").replace("NMS Tier 1", "NMS Tier 2"))
    run(kernel, path)
    run(kernel, path, week="2026-10-12")
    assert query(kernel, "SELECT COUNT(*) FROM finra_otc_weekly") == [(4,)]


def test_rows_that_fail_a_check_are_rejected_with_their_line_and_reason(kernel, finra_file):
    path = finra_file(
        *ROWS,
        "NMS Tier 9|MSFT|Microsoft|UBSA UBS ATS|UBSA|5|1|2026-10-26",
        "NMS Tier 1|MSFT|Microsoft|UBSA UBS ATS|UBSA|-5|1|2026-10-26",
        "NMS Tier 1|MSFT|Microsoft|INCR INTELLIGENT CROSS LLC|INCR|5|2.5|2026-10-26",
        "NMS Tier 1|MSFT|Microsoft|JPMX JPM-X|JPMX|5|1|2026-09-28",
        "NMS Tier 1|MSFT|Microsoft|LATS LATS ATS|LATS|many|1|2026-10-26",
    )
    result = run(kernel, path, max_rejects="50%")
    assert (result.status, result.counts.rows_written, result.counts.rows_rejected) == ("partial", 5, 5)
    rejects = sorted((r.position, r.reason) for r in kernel.runlog().rejects(result.run_id))
    assert [position for position, _ in rejects] == [7, 8, 9, 10, 11]
    reasons = dict(rejects)
    assert "tierDescription: expected one of NMS Tier 1, NMS Tier 2, OTC, got 'NMS Tier 9'" in reasons[7]
    assert "total_weekly_share_quantity is negative" in reasons[8]
    assert "expected an integer, got '2.5'" in reasons[9]
    assert "last_update_date is before the week" in reasons[10]
    assert "expected a decimal number, got 'many'" in reasons[11]


def test_a_row_without_a_symbol_is_kept_and_counted_in_a_warning(kernel, finra_file, caplog):
    caplog.set_level(logging.WARNING)
    result = run(kernel, finra_file(*ROWS))
    assert result.status == "succeeded"
    assert query(kernel, "SELECT COUNT(*) FROM finra_otc_weekly WHERE symbol = '' AND issue_name = ''") == [
        (1,)
    ]
    assert any("1 row(s) without a symbol" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    "header",
    [
        "TierDescription|issueSymbolIdentifier|issueName|marketParticipantName|MPID|"
        "totalWeeklyShareQuantity|totalWeeklyTradeCount|lastUpdateDate",
        "tierDescription|issueSymbolIdentifier|issueName|marketParticipantName|MPID|"
        "totalWeeklyShareQuantity|totalWeeklyTradeCount",
        "symbol,shares",
    ],
)
def test_a_file_without_finras_exact_header_fails_naming_the_file_and_line_1(kernel, finra_file, header):
    path = finra_file(ATS.format(shares="1"), header=header)
    result = run(kernel, path)
    assert (result.status, result.error.category) == ("failed", "source")
    assert result.error.message.startswith(f"{path} line 1: not a FINRA OTC weekly file; expected the header")
    assert query(kernel, "SELECT name FROM sqlite_master WHERE name = 'finra_otc_weekly'") == []


def test_a_failed_load_leaves_the_previous_rows(kernel, finra_file):
    run(kernel, finra_file(*ROWS))
    before = query(kernel, "SELECT * FROM finra_otc_weekly ORDER BY symbol, mpid")
    broken = finra_file(*[row.replace("|10|", "|ten|") for row in ROWS])  # every row rejected
    assert run(kernel, broken).status == "failed"
    assert query(kernel, "SELECT * FROM finra_otc_weekly ORDER BY symbol, mpid") == before


def test_the_week_must_be_a_monday(kernel, finra_file):
    result = run(kernel, finra_file(*ROWS), week="2026-10-07")
    assert (result.status, result.error.category) == ("failed", "config")
    assert "2026-10-07 is a Wednesday; FINRA weeks start on a Monday" in result.error.message


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ({"week": "next monday"}, "param 'week': expected a date (YYYY-MM-DD), got 'next monday'"),
        ({}, "param 'week' is required (the week's Monday, not in the future)"),
        ({"week": ""}, "param 'week' is required"),
        ({"week": WEEK, "tiers": "T1"}, "unknown param 'tiers' (did you mean 'tier'?)"),
        ({"week": WEEK, "source": "ftp"}, "param 'source': expected one of file, api, got 'ftp'"),
    ],
)
def test_wrong_params_stop_the_run_before_it_starts(kernel, finra_file, given, why):
    with pytest.raises(spine.ConfigError) as caught:
        kernel.run("finra.otc_weekly", {"file": finra_file(*ROWS), **given})
    assert str(caught.value).startswith("pipeline 'finra.otc_weekly': ")
    assert why in str(caught.value)
    assert kernel.runs() == []  # nothing recorded


def test_the_week_may_be_a_date_from_code_and_is_recorded_as_one(kernel, finra_file):
    result = kernel.run("finra.otc_weekly", {"file": finra_file(*ROWS), "week": date(2026, 10, 5)})
    assert result.status == "succeeded"
    assert result.params["week"] == date(2026, 10, 5)
    recorded = kernel.find_run(result.run_id).params
    assert recorded == {"file": result.params["file"], "source": "file", "week": WEEK}


def test_the_week_cannot_be_in_the_future():
    today = date(2026, 11, 24)  # a Tuesday
    assert check_week(date(2026, 11, 23), today) == date(2026, 11, 23)
    with pytest.raises(spine.ConfigError, match="2026-11-30 is in the future"):
        check_week(today + timedelta(days=6), today)


def test_which_params_go_with_which_source_is_checked_by_the_pipeline(kernel, finra_file):
    missing = kernel.run("finra.otc_weekly", {"week": WEEK})
    assert missing.error.message == "finra.otc_weekly: param 'file' is required with source=file"
    result = kernel.run("finra.otc_weekly", {"file": finra_file(*ROWS), "week": WEEK, "tier": "T1"})
    assert result.error.message == "finra.otc_weekly: param(s) tier do not go with source=file"


def test_fractional_quantities_keep_their_digits(kernel, finra_file):
    # SQLite keeps 15 significant digits (see the kernel's SQLite store); PostgreSQL keeps all.
    run(kernel, finra_file(ATS.format(shares="123456789.123456")))
    with kernel.runlog().store.transaction() as session:
        ((text,),) = session.query("SELECT CAST(total_weekly_share_quantity AS TEXT) FROM finra_otc_weekly")
    assert Decimal(text) == Decimal("123456789.123456")
