"""The progress line the command draws on a terminal."""

from __future__ import annotations

import io

import pytest
from spine._cli._progress import progress_line
from spine._data._loading import LoadProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def every_call_draws(monkeypatch):
    monkeypatch.setattr("spine._cli._progress.REDRAW_SECONDS", 0.0)


def test_the_line_shows_the_runs_rows_its_rejects_and_how_far_through_the_source():
    screen = Terminal()
    with progress_line(screen, enabled=True) as draw:
        assert draw is not None
        draw(LoadProgress(12_345, 3, "data/week.psv (psv, gzip)", 0.456))
        drawn = screen.getvalue()
    assert drawn.startswith("\r12,345 rows  ")
    assert " rows/s  3 rejected  46% of data/week.psv (psv, gzip)\x1b[K" in drawn
    assert screen.getvalue().endswith("\r\x1b[K")  # cleared when the run ends


def test_a_source_that_cannot_tell_how_far_it_is_shows_no_share():
    screen = Terminal()
    with progress_line(screen, enabled=True) as draw:
        assert draw is not None
        draw(LoadProgress(10, 0, "the FINRA API, T1 2026-11-16", None))
    assert "%" not in screen.getvalue() and "10 rows" in screen.getvalue()


def test_a_long_source_name_keeps_its_end():
    screen = Terminal()
    with progress_line(screen, enabled=True) as draw:
        assert draw is not None
        draw(LoadProgress(1, 0, "/very/long/" + "folder/" * 20 + "otc_weekly_T1.psv", 0.5))
    line = screen.getvalue()
    assert "50% of …" in line and line.split("\x1b[K")[0].endswith("otc_weekly_T1.psv")


def test_no_line_off_a_terminal_or_with_json():
    with progress_line(io.StringIO(), enabled=True) as draw:
        assert draw is None
    with progress_line(Terminal(), enabled=False) as draw:
        assert draw is None
