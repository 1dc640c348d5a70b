"""Duration settings: an empty value, a unit alone, a negative or garbage one is refused, naming
the setting and where it came from; it is never read as one second or one minute."""

from __future__ import annotations

import json
import math

import pytest
from spine import ConfigError, Settings, Spine
from spine._settings import DURATIONS

# Texts that are no duration, as an environment variable or a TOML string gives them.
NOT_DURATIONS = (
    "",
    "  ",
    "m",
    "s",
    "min",
    "h",
    "d",
    "-5s",
    "-1",
    "soon",
    "1.5.5m",
    "5 parsecs",
    "nan",
    "infs",
    "1e400s",
)


def test_every_setting_in_seconds_is_read_as_a_duration():
    assert {name for name, field in Settings.model_fields.items() if field.annotation is float} == set(
        DURATIONS
    )


def settings_error(kernel: Spine) -> str:
    with pytest.raises(ConfigError) as raised:
        _ = kernel.settings
    return str(raised.value)


@pytest.mark.parametrize("value", NOT_DURATIONS)
@pytest.mark.parametrize("name", DURATIONS)
def test_a_duration_from_the_environment_that_is_none_is_refused_naming_the_setting(name, value):
    variable = f"SPINE_{name.upper()}"
    error = settings_error(Spine(entry_points=False, environ={variable: value}))
    assert f"{name} (from {variable}): expected a duration" in error
    assert f"got {value!r}" in error


@pytest.mark.parametrize("value", [*NOT_DURATIONS, -5, -0.5, math.inf, math.nan, True, [60]])
@pytest.mark.parametrize("name", DURATIONS)
def test_a_duration_from_the_file_or_an_override_that_is_none_is_refused_naming_the_setting(
    name, value, tmp_path
):
    file = tmp_path / "spine.toml"
    file.write_text(f"{name} = {json.dumps(value) if isinstance(value, str) else _toml(value)}\n")
    error = settings_error(Spine(entry_points=False, environ={}, config_file=file))
    assert f"{name} (from {file}): expected a duration" in error
    overridden = settings_error(Spine(entry_points=False, environ={}, overrides={name: value}))
    assert f"{name} (from " in overridden and "expected a duration" in overridden


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else "inf"
    return json.dumps(value)


@pytest.mark.parametrize("interval", ["", "m", "-1m", "soon"])
def test_a_schedules_interval_that_is_no_duration_is_refused(interval):
    schedule = {"name": "often", "pipeline": "demo", "interval": interval}
    error = settings_error(Spine(entry_points=False, environ={"SPINE_SCHEDULES": json.dumps([schedule])}))
    assert "schedules[0].interval (from SPINE_SCHEDULES): expected a duration" in error


@pytest.mark.parametrize("limit", ["30/", "30/m", "30/ ", "30/-1h"])
def test_an_alert_rate_limit_without_a_period_is_refused(limit):
    error = settings_error(Spine(entry_points=False, environ={"SPINE_ALERT_RATE_LIMIT": limit}))
    assert "alert_rate_limit (from SPINE_ALERT_RATE_LIMIT): expected a count per period like 30/1h" in error


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("90s", 90), ("15m", 900), (" 2 h ", 7200), ("1d", 86400), ("0.5", 0.5), ("1e2s", 100)],
)
def test_durations_that_are_durations_still_read(text, seconds):
    assert Spine(entry_points=False, environ={"SPINE_ALERT_TIMEOUT": text}).settings.alert_timeout == seconds


def test_the_command_and_doctor_refuse_an_empty_or_unit_only_duration(spine_cli, tmp_path):
    refused = spine_cli("runs", "list", env={"SPINE_ALERT_TIMEOUT": ""})
    assert refused.returncode == 2
    assert (
        "alert_timeout (from SPINE_ALERT_TIMEOUT): expected a duration like 90, 90s, 15m, 1h or 1d, got ''"
        in (refused.stderr)
    )
    (tmp_path / "spine.toml").write_text('scheduler_poll = "m"\n')
    from_file = spine_cli("runs", "list")
    assert from_file.returncode == 2
    assert "scheduler_poll (from " in from_file.stderr and "got 'm'" in from_file.stderr
    doctor = spine_cli("doctor", env={"SPINE_ALERT_TIMEOUT": ""})
    assert doctor.returncode != 0
    assert "alert_timeout (from SPINE_ALERT_TIMEOUT): expected a duration" in doctor.stdout + doctor.stderr
    assert "Traceback" not in doctor.stderr + refused.stderr + from_file.stderr
