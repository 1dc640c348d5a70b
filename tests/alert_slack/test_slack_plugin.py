"""The plugin as the kernel sees it: its entry point, a light entry module, and its settings."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import distribution

import pytest
import spine
import spine_alert_slack
from packaging.requirements import Requirement
from spine.testing import modules_imported_by
from spine_alert_slack._channel import SlackChannel, open_slack
from spine_alert_slack._settings import SlackSettings

from .slack_helpers import SECRET, WEBHOOK_PATH, alert

HOOK = "https://hooks.slack.com" + WEBHOOK_PATH


def kernel(environ=None, overrides=None):
    return spine.Spine(entry_points=False, environ=environ or {}, overrides=overrides)


def test_the_distribution_declares_its_entry_point_and_dependencies():
    dist = distribution("spine-alert-slack")
    (entry,) = [ep for ep in dist.entry_points if ep.group == "spine.plugins"]
    assert (entry.name, entry.value) == ("slack", "spine_alert_slack")
    requires = {str(Requirement(text)) for text in dist.requires or []}
    assert requires == {"spine-kernel<0.2,>=0.1.4", "httpx<1,>=0.27"}


def test_the_entry_module_imports_neither_httpx_nor_httpcore_nor_pydantic():
    added = modules_imported_by("spine_alert_slack")
    assert not [name for name in added if name.split(".")[0] in ("httpx", "httpcore", "pydantic")]
    assert added == ["spine_alert_slack"]


def test_the_kernel_finds_the_slack_channel_and_opens_it_from_the_environment(slack):
    with spine.Spine(
        entry_points=False, environ={"SPINE_SLACK_WEBHOOK_URL": slack.url}, plugins=[spine_alert_slack]
    ) as k:
        spec = k.plugins.get("alert_channel", "slack")
        assert spec.description == "Slack incoming webhook (set SPINE_SLACK_WEBHOOK_URL)"
        channel = spec.load()(k)
    try:
        assert isinstance(channel, SlackChannel)
        assert channel.send(alert(), 10.0) == "ok"
    finally:
        channel.close()
    assert len(slack.messages) == 1


def test_the_installed_plugin_is_found_through_its_entry_point():
    with spine.Spine(environ={}) as k:
        assert "slack" in k.plugins.names("alert_channel")


@pytest.mark.parametrize("environ", [{}, {"SPINE_SLACK_WEBHOOK_URL": ""}, {"SPINE_SLACK_WEBHOOK_URL": "  "}])
def test_without_a_webhook_url_the_channel_is_not_configured(environ):
    assert open_slack(kernel(environ)) is None


def test_settings_come_from_spine_slack_variables_and_overrides_win():
    environ = {
        "SPINE_SLACK_WEBHOOK_URL": HOOK,
        "SPINE_SLACK_TIMEOUT": "2.5",
        "SPINE_SLACK_MIN_INTERVAL": "0",
        "SPINE_SLACK_MAX_ATTEMPTS": "2",
    }
    channel = open_slack(kernel(environ, overrides={"slack_max_attempts": 7}))
    assert channel is not None
    settings = channel.settings
    assert settings.slack_webhook_url.get_secret_value() == HOOK
    assert (settings.slack_timeout, settings.slack_min_interval, settings.slack_max_attempts) == (2.5, 0.0, 7)


def test_the_defaults():
    settings = SlackSettings(slack_webhook_url=HOOK)
    assert (settings.slack_timeout, settings.slack_min_interval, settings.slack_max_attempts) == (
        10.0,
        1.0,
        5,
    )


def test_opening_registers_the_url_with_the_kernels_redactor():
    k = kernel({"SPINE_SLACK_WEBHOOK_URL": HOOK})
    open_slack(k)
    assert k.redactor.text(f"posting to {HOOK} failed") == "posting to *** failed"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.slack.com/services/T0SECRET",
        "hooks.slack.com/services/T0SECRET/B0SECRET",
        "http:///services/T0SECRET",
        "https://hooks.slack.com:SECRET/services",
        "https://[::1/services/T0SECRET",
        "mailto:SECRET@example.com",
    ],
)
def test_a_url_that_is_not_http_is_a_config_error_that_does_not_show_it(url):
    with pytest.raises(spine.ConfigError) as raised:
        open_slack(kernel({"SPINE_SLACK_WEBHOOK_URL": url}))
    assert str(raised.value) == (
        "invalid settings: slack_webhook_url (from SPINE_SLACK_WEBHOOK_URL): expected an http:// or "
        "https:// URL with a host (a Slack incoming webhook)"
    )
    assert SECRET not in repr(raised.value.context)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("slack_timeout", "0", "greater than 0"),
        ("slack_timeout", "soon", "a valid number"),
        ("slack_min_interval", "-1", "greater than or equal to 0"),
        ("slack_max_attempts", "0", "greater than or equal to 1"),
        ("slack_max_attempts", "2.5", "a valid integer"),
    ],
)
def test_an_invalid_setting_is_a_config_error_naming_it_and_what_it_expects(name, value, expected):
    environ = {"SPINE_SLACK_WEBHOOK_URL": HOOK, f"SPINE_{name.upper()}": value}
    with pytest.raises(spine.ConfigError) as raised:
        open_slack(kernel(environ))
    message = str(raised.value)
    assert message.startswith(f"invalid settings: {name} (from SPINE_{name.upper()}): ")
    assert expected in message
    assert SECRET not in message


def test_a_channel_needs_a_webhook_url():
    with pytest.raises(spine.ConfigError, match="slack_webhook_url"):
        SlackChannel(SlackSettings())


def test_the_plugin_declares_its_settings_so_a_misspelled_one_is_refused(tmp_path):
    config = tmp_path / "spine.toml"
    config.write_text("slack_timeout = 3\n")
    declared = spine.Spine(entry_points=False, environ={}, config_file=config, plugins=[spine_alert_slack])
    assert declared.settings.log_level == "info"
    config.write_text("slack_timout = 3\n")
    misspelled = spine.Spine(entry_points=False, environ={}, config_file=config, plugins=[spine_alert_slack])
    with pytest.raises(
        spine.ConfigError, match=r"unknown setting 'slack_timout' .*did you mean 'slack_timeout'"
    ):
        _ = misspelled.settings
    environ = {"SPINE_SLACK_WEBHOOK_UR": HOOK}
    with pytest.raises(spine.ConfigError) as caught:
        _ = spine.Spine(entry_points=False, environ=environ, plugins=[spine_alert_slack]).settings
    assert str(caught.value) == (
        "unknown setting SPINE_SLACK_WEBHOOK_UR in the environment (did you mean SPINE_SLACK_WEBHOOK_URL?)"
    )
    assert SECRET not in str(caught.value)


def test_declaring_the_settings_imports_them_only_when_settings_are_validated(clean_env):
    code = (
        "import sys, spine, spine_alert_slack\n"
        "kernel = spine.Spine(entry_points=False, environ={}, plugins=[spine_alert_slack])\n"
        "print('spine_alert_slack._settings' in sys.modules)\n"
        "kernel.settings\n"
        "print('spine_alert_slack._settings' in sys.modules, 'httpx' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=clean_env, check=True
    )
    # validating settings reads the model's fields; httpx waits for a webhook URL to check
    assert out.stdout.split() == ["False", "True", "False"]
