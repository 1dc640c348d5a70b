"""finra.weekly_refresh: which partitions are due, and that it loads exactly those from the API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from spine_domain_finra._refresh import due, newest_published

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


def test_the_pipeline_carries_a_monday_schedule(kernel):
    assert kernel.plugins.get("pipeline", "finra.weekly_refresh").schedule == "0 6 * * 1"


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
    ("params", "why"), [({"tiers": "T1,T4"}, "param 'tiers'"), ({"today": "soon"}, "param 'today'")]
)
def test_refresh_params_are_checked(api_kernel, server, params, why):
    with api_kernel() as kernel:
        result = kernel.run("finra.weekly_refresh", params)
    assert (result.status, result.error.category) == ("failed", "config")
    assert why in result.error.message
