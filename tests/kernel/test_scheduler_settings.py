"""Schedules from settings and from plugins: what is accepted, and errors that name the
schedule, the field, where it came from and what was expected."""

from __future__ import annotations

import json
import logging

import pytest
import spine
from spine import ConfigError, Scheduler, Spine

from ._scheduling import Jobs


def schedules_from_env(*entries, **more) -> Spine:
    environ = {"SPINE_SCHEDULES": json.dumps(list(entries)), **more}
    return Spine(entry_points=False, plugins=[Jobs()], environ=environ)


def settings_error(kernel: Spine) -> str:
    with pytest.raises(ConfigError) as raised:
        _ = kernel.settings
    return str(raised.value)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"name": "x", "interval": "1h"},
            "schedules[0] (from SPINE_SCHEDULES): schedule 'x': give exactly one of pipeline and workflow",
        ),
        (
            {"name": "x", "pipeline": "ok", "workflow": "w", "interval": "1h"},
            "schedule 'x': give exactly one of pipeline and workflow",
        ),
        (
            {"name": "x", "pipeline": "ok", "cron": "0 6 * * 1", "interval": "1h"},
            "schedules[0] (from SPINE_SCHEDULES): schedule 'x': give exactly one of cron and interval",
        ),
        ({"name": "x", "pipeline": "ok"}, "give exactly one of cron and interval"),
        (
            {"name": "x", "pipeline": "ok", "interval": "soon"},
            "schedules[0].interval (from SPINE_SCHEDULES): expected a duration like 90, 90s, 15m, 1h or 1d, "
            "got 'soon'",
        ),
        ({"name": "x", "pipeline": "ok", "interval": "0s"}, "schedules[0].interval (from SPINE_SCHEDULES)"),
        (
            {"name": "x", "pipeline": "ok", "cron": "0 6 * *"},
            "schedules[0].cron (from SPINE_SCHEDULES): expected five fields (minute hour day-of-month month "
            "day-of-week) like '0 6 * * 1', got '0 6 * *'",
        ),
        (
            {"name": "x", "pipeline": "ok", "cron": "0 6 * * *", "timezone": "Europe/Pariss"},
            "schedules[0].timezone (from SPINE_SCHEDULES): unknown time zone 'Europe/Pariss'; expected an "
            "IANA name like 'UTC', 'Europe/Paris' or 'America/New_York' (did you mean 'Europe/Paris'?)",
        ),
        (
            {"name": "Nightly Load", "pipeline": "ok", "interval": "1h"},
            "schedules[0] (from SPINE_SCHEDULES): invalid schedule name 'Nightly Load'",
        ),
        ({"name": "x", "pipeline": "ok", "interval": "1h", "every": "1h"}, "schedules[0].every"),
        (
            {"name": "x", "pipeline": "ok", "interval": "1h", "params": {"rows": [1]}},
            "schedules[0].params.rows",
        ),
    ],
)
def test_bad_schedules_name_the_entry_the_field_and_what_was_expected(entry, message):
    assert message in settings_error(schedules_from_env(entry))


def test_the_second_bad_schedule_is_named_by_its_position():
    good = {"name": "a", "pipeline": "ok", "interval": "1h"}
    assert "schedules[1].interval" in settings_error(schedules_from_env(good, {**good, "interval": "x"}))


def test_schedules_that_are_not_json_in_the_environment():
    kernel = Spine(entry_points=False, environ={"SPINE_SCHEDULES": "nightly"})
    assert "schedules (from SPINE_SCHEDULES): expected a JSON list of schedules like [" in settings_error(
        kernel
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("scheduler_misfire_grace", "soon", "expected a duration like 90, 90s, 15m, 1h or 1d, got 'soon'"),
        ("scheduler_misfire_grace", "0", "expected a duration above zero like 90s, 15m or 1h, got '0'"),
        ("scheduler_poll", "0s", "expected a duration above zero"),
        ("scheduler_stale_after", "-1h", "expected a duration like"),
        ("scheduler_stop_timeout", "later", "expected a duration like"),
        ("scheduler_coalesce", "maybe", "expected true or false (1/0, yes/no, on/off), got 'maybe'"),
        ("scheduler_max_concurrency", "0", "greater than or equal to 1"),
        ("scheduler_max_concurrency", "four", "valid integer"),
    ],
)
def test_bad_scheduler_settings_name_the_setting_and_what_was_expected(name, value, message):
    kernel = Spine(entry_points=False, environ={f"SPINE_{name.upper()}": value})
    error = settings_error(kernel)
    assert f"{name} (from SPINE_{name.upper()}): " in error and message in error


def test_scheduler_settings_defaults_and_values():
    defaults = Spine(entry_points=False, environ={}).settings
    assert (
        defaults.schedules,
        defaults.scheduler_misfire_grace,
        defaults.scheduler_coalesce,
        defaults.scheduler_poll,
        defaults.scheduler_max_concurrency,
        defaults.scheduler_stale_after,
        defaults.scheduler_stop_timeout,
    ) == ([], 3600, True, 30, 4, 86400, 60)
    environ = {
        "SPINE_SCHEDULER_MISFIRE_GRACE": "15m",
        "SPINE_SCHEDULER_COALESCE": "off",
        "SPINE_SCHEDULER_POLL": "5",
        "SPINE_SCHEDULER_MAX_CONCURRENCY": "2",
        "SPINE_SCHEDULER_STALE_AFTER": "2d",
        "SPINE_SCHEDULER_STOP_TIMEOUT": "0",
    }
    settings = Spine(entry_points=False, environ=environ).settings
    assert (
        settings.scheduler_misfire_grace,
        settings.scheduler_coalesce,
        settings.scheduler_poll,
        settings.scheduler_max_concurrency,
        settings.scheduler_stale_after,
        settings.scheduler_stop_timeout,
    ) == (900, False, 5, 2, 172800, 0)


SPINE_TOML = """
[[schedules]]
name = "nightly"
pipeline = "ok"
cron = "30 2 * * *"
timezone = "Europe/Paris"
params = {rows = 10, full = true, label = "night"}
description = "the nightly load"

[[schedules]]
name = "often"
workflow = "chain"
interval = "15m"
"""


def test_schedules_from_the_config_file_and_from_plugins_together(tmp_path):
    config = tmp_path / "spine.toml"
    config.write_text(SPINE_TOML)

    class Plugin:
        @spine.hookimpl
        def register_pipelines(self, register):
            register(spine.PipelineSpec("finra.weekly_refresh", lambda: None, schedule="0 6 * * 1"))

        @spine.hookimpl
        def register_schedules(self, register):
            register(spine.ScheduleSpec("hourly", pipeline="ok", interval=3600, params={"rows": 1}))

    kernel = Spine(entry_points=False, plugins=[Jobs(), Plugin()], environ={}, config_file=config)
    schedules = {s.name: s for s in Scheduler(kernel).load()}
    assert sorted(schedules) == ["finra.weekly_refresh", "hourly", "nightly", "often"]
    nightly = schedules["nightly"]
    assert (nightly.target, nightly.cron, nightly.timezone, nightly.origin) == (
        ("pipeline", "ok"),
        "30 2 * * *",
        "Europe/Paris",
        "settings",
    )
    assert dict(nightly.params) == {"full": "true", "label": "night", "rows": "10"}
    assert nightly.description == "the nightly load"
    assert (schedules["often"].target, schedules["often"].interval) == (("workflow", "chain"), 900)
    assert schedules["finra.weekly_refresh"].origin == "Plugin"
    assert (schedules["finra.weekly_refresh"].cron, schedules["finra.weekly_refresh"].timezone) == (
        "0 6 * * 1",
        "UTC",
    )
    assert schedules["hourly"].when == "every 1h"


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        (
            "61 * * * *",
            "minute field '61': the last value (61) is higher than the maximum value (59); "
            "expected 0-59, ranges, lists or steps",
        ),
        ("0 24 * * *", "hour field '24'"),
        ("0 0 0 * *", "day-of-month field '0': the first value (0) is lower than the minimum value (1)"),
        ("0 0 * 13 *", "month field '13'"),
        ("0 0 * * 8", "day-of-week field '8': '8' is not a day; expected day-of-week values 0-7 or sun-sat"),
        ("0 0 * * fri-mon", "day-of-week field 'fri-mon': 'fri-mon' is not a range"),
        ("x 0 * * *", "minute field 'x': Unrecognized expression"),
    ],
)
def test_a_bad_cron_field_in_the_config_file_is_named_when_the_schedules_load(tmp_path, cron, message):
    config = tmp_path / "spine.toml"
    good = '[[schedules]]\nname = "fine"\npipeline = "ok"\ninterval = "1h"\n'
    config.write_text(good + f'[[schedules]]\nname = "bad"\npipeline = "ok"\ncron = "{cron}"\n')
    kernel = Spine(entry_points=False, plugins=[Jobs()], environ={}, config_file=config)
    with pytest.raises(ConfigError) as raised:
        Scheduler(kernel).load()
    assert str(raised.value).startswith(f"invalid settings: schedules[1].cron (from {config}): ")
    assert message in str(raised.value)


def test_a_settings_schedule_must_run_a_known_pipeline():
    kernel = schedules_from_env({"name": "x", "pipeline": "okk", "interval": "1h"})
    with pytest.raises(ConfigError) as raised:
        Scheduler(kernel).load()
    assert str(raised.value) == (
        "invalid settings: schedules[0].pipeline (from SPINE_SCHEDULES): unknown pipeline 'okk'; "
        "did you mean 'ok'?"
    )


def test_a_settings_schedule_named_like_a_plugins_is_an_error_naming_both():
    class Plugin:
        @spine.hookimpl
        def register_schedules(self, register):
            register(spine.ScheduleSpec("nightly", pipeline="ok", cron="0 2 * * *"))

    environ = {"SPINE_SCHEDULES": json.dumps([{"name": "nightly", "pipeline": "ok", "interval": "1h"}])}
    kernel = Spine(entry_points=False, plugins=[Jobs(), Plugin()], environ=environ)
    with pytest.raises(ConfigError) as raised:
        Scheduler(kernel).load()
    assert str(raised.value) == (
        "invalid settings: schedules[0].name (from SPINE_SCHEDULES): schedule 'nightly' is also provided by "
        "Plugin; give this one another name"
    )


def test_a_plugins_broken_schedule_is_left_out_and_the_others_still_load(caplog):
    class Plugin:
        @spine.hookimpl
        def register_schedules(self, register):
            register(spine.ScheduleSpec("bad_field", pipeline="ok", cron="0 25 * * *"))
            register(spine.ScheduleSpec("bad_zone", pipeline="ok", cron="0 2 * * *", timezone="Mars/Olympus"))
            register(spine.ScheduleSpec("no_pipeline", pipeline="gone", interval=60))
            register(spine.ScheduleSpec("fine", pipeline="ok", interval=60))

    scheduler = Scheduler(Spine(entry_points=False, plugins=[Jobs(), Plugin()], environ={}))
    with caplog.at_level(logging.WARNING, logger="spine.scheduler"):
        assert [s.name for s in scheduler.load()] == ["fine"]
    assert scheduler.problems == [
        "schedule 'bad_field' of Plugin left out: hour field '25': the last value (25) is higher than the "
        "maximum value (23); expected 0-23, ranges, lists or steps",
        "schedule 'bad_zone' of Plugin left out: unknown time zone 'Mars/Olympus'; expected an IANA name "
        "like 'UTC', 'Europe/Paris' or 'America/New_York'",
        "schedule 'no_pipeline' of Plugin left out: runs pipeline 'gone', which no plugin provides",
    ]
    assert caplog.text.count("left out") == 3
