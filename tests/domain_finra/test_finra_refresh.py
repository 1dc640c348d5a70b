"""finra.weekly_refresh: which partitions are due, and that it loads exactly those from the API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import spine
from spine_domain_finra._refresh import due, newest_published

from .conftest import query
from .finra_api import PATH, FinraApi, record

TODAY = date(2026, 11, 24)  # a Tuesday


def test_t1_is_published_21_days_after_its_monday_and_t2_and_otce_35_days_after():
    assert newest_published("T1", date(2026, 10, 26)) == date(2026, 10, 5)  # the day it comes out
    assert newest_published("T1", date(2026, 10, 25)) == date(2026, 9, 28)  # the day before
    assert newest_published("T1", TODAY) == date(2026, 11, 2)  # out since yesterday
    assert newest_published("T2", TODAY) == newest_published("OTCE", TODAY) == date(2026, 10, 19)


def test_due_are_the_missing_weeks_after_the_newest_loaded_and_the_last_three_again():
    weeks = [date(2026, 10, 12), date(2026, 10, 19), date(2026, 10, 26), date(2026, 11, 2)]
    assert due("T1", TODAY, {date(2026, 9, 28), date(2026, 10, 5)}) == weeks
    assert due("T1", TODAY, set(weeks)) == weeks[1:]  # nothing missing: the last three again
    weeks_since_august = [date(2026, 9, 7) + timedelta(weeks=n) for n in range(9)]  # to 2026-11-02
    assert due("T1", TODAY, {date(2026, 8, 31)}) == weeks_since_august
    assert due("T1", TODAY, set()) == weeks[1:]  # a first refresh: the last three


def test_the_weekly_workflow_and_its_monday_schedule(kernel):
    workflow = kernel.workflow("finra.weekly")
    assert [(s.name, s.pipeline, s.params, s.depends_on) for s in workflow.steps] == [
        ("t1", "finra.weekly_refresh", {"tiers": "T1", "derived": "no"}, ()),
        ("t2", "finra.weekly_refresh", {"tiers": "T2", "derived": "no"}, ()),
        ("otce", "finra.weekly_refresh", {"tiers": "OTCE", "derived": "no"}, ()),
        ("derived", "finra.derived", {}, ("t1", "t2", "otce")),
    ]
    assert (workflow.max_concurrency, workflow.on_failure) == (3, "continue")
    schedule = kernel.plugins.get("schedule", "finra.weekly")
    assert (schedule.target, schedule.cron, schedule.timezone) == (
        ("workflow", "finra.weekly"),
        "0 6 * * 1",
        "UTC",
    )
    # one schedule: the pipeline alone would refresh a second time
    assert kernel.plugins.get("pipeline", "finra.weekly_refresh").schedule is None
    assert kernel.plugins.names("schedule") == ["finra.weekly"]


def test_the_weekly_workflow_loads_the_tiers_side_by_side_then_derives_once(api_kernel, server):
    weeks = ["2026-10-19", "2026-10-26", "2026-11-02"]
    FinraApi(server, [record(n, tier="T1", week=week) for week in weeks for n in range(2)])
    with api_kernel() as kernel:
        result = kernel.run_workflow("finra.weekly", {"today": "2026-11-24"})
        assert [(s.step, s.status) for s in result.steps] == [
            ("t1", "succeeded"),
            ("t2", "succeeded"),
            ("otce", "succeeded"),
            ("derived", "succeeded"),
        ], [s.message for s in result.steps]
        t1 = kernel.find_run(result.step("t1").run_id)
        assert t1.counts.rows_written == 6 and t1.params == {  # as parsed, recorded as JSON
            "tiers": ["T1"],
            "derived": False,
            "today": "2026-11-24",
        }
        derived = kernel.find_run(result.step("derived").run_id)
        assert derived.counts.rows_written == 3  # the three weeks loaded, each rebuilt once
        rows = query(
            kernel, "SELECT week_start_date, SUM(total_shares) FROM finra_otc_symbol_weekly GROUP BY 1"
        )
    assert sorted((str(week), float(total)) for week, total in rows) == [
        (week, 0.25 + 1.25) for week in weeks
    ]


def test_derived_rebuilds_the_weeks_without_derived_rows_and_the_last_published(api_kernel, server):
    weeks = ["2026-10-19", "2026-10-26", "2026-11-02"]
    FinraApi(server, [record(n, tier="T1", week=week) for week in weeks for n in range(2)])
    with api_kernel() as kernel:
        loaded = kernel.run("finra.weekly_refresh", {"today": "2026-11-24", "tiers": "T1", "derived": "no"})
        assert loaded.counts.rows_written == 6
        assert query(kernel, "SELECT COUNT(*) FROM finra_otc_weekly") == [(6,)]
        first = kernel.run("finra.derived", {"today": "2027-06-01"})  # nothing recent: only the missing
        assert (first.status, first.counts.rows_written) == ("succeeded", 3)
        again = kernel.run("finra.derived", {"today": "2027-06-01"})
        assert again.counts.rows_written == 0  # every week has its derived rows
        recent = kernel.run("finra.derived", {"today": "2026-11-24"})
        assert (
            recent.counts.rows_written == 3
        )  # the last three published T1 weeks, fetched again by a refresh
        with pytest.raises(spine.ConfigError) as bad:
            kernel.run("finra.weekly_refresh", {"derived": "maybe"})
        assert str(bad.value) == (
            "pipeline 'finra.weekly_refresh': param 'derived': expected true or false, got 'maybe'"
        )


def test_a_refresh_loads_the_due_partitions_of_every_tier_from_the_api(api_kernel, server):
    weeks = ["2026-10-19", "2026-10-26", "2026-11-02"]
    records = [record(n, tier="T1", week=week) for week in weeks for n in range(2)]
    FinraApi(server, records)
    with api_kernel() as kernel:
        result = kernel.run("finra.weekly_refresh", {"today": "2026-11-24"})
        assert (result.status, result.counts.rows_written) == ("succeeded", 6), result.error
        asked = sorted(
            tuple(f["fieldValue"] for f in request.body["compareFilters"]) for request in server.seen(PATH)
        )
    t1 = [(week, "T1") for week in weeks]
    others = [(week, tier) for tier in ("T2", "OTCE") for week in ("2026-10-05", "2026-10-12", "2026-10-19")]
    assert asked == sorted(t1 + others)


@pytest.mark.parametrize(
    ("params", "why"),
    [
        ({"tiers": "T1,T4"}, "param 'tiers': expected one of T1, T2, OTCE, got 'T4'"),
        ({"today": "soon"}, "param 'today': expected a date (YYYY-MM-DD), got 'soon'"),
        ({"week": "2026-11-23"}, "unknown param 'week' (it takes today, tiers, derived)"),
    ],
)
def test_refresh_params_are_checked_before_the_run_starts(api_kernel, server, params, why):
    with api_kernel() as kernel, pytest.raises(spine.ConfigError) as caught:
        kernel.run("finra.weekly_refresh", params)
    assert str(caught.value) == f"pipeline 'finra.weekly_refresh': {why}"
    assert server.seen(PATH) == []
