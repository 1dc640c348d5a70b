"""Two scheduler processes on one SQLite store never fire the same due time twice."""

from __future__ import annotations

from ._scheduler_race import check, race


def test_two_processes_ticking_together_fire_each_due_time_once(tmp_path):
    store_url = f"sqlite:///{tmp_path}/shared.db"
    reports = race(store_url, processes=2, steps=10)
    check(store_url, reports, steps=10)


def test_three_processes_fire_each_due_time_once(tmp_path):
    store_url = f"sqlite:///{tmp_path}/shared.db"
    reports = race(store_url, processes=3, steps=6)
    check(store_url, reports, steps=6)
