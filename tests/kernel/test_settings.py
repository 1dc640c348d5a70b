"""Settings: precedence, validation errors that name their origin, secrets."""

from __future__ import annotations

import itertools

import pytest
import spine
from pydantic import SecretStr
from spine import ConfigError, Spine
from spine._config import BootSettings, ConfigSources


def test_flags_beat_environment_beat_file_beat_defaults(tmp_path):
    config = tmp_path / "spine.toml"
    config.write_text('log_level = "error"\nlog_format = "console"\nstrict_plugins = true\n')
    env = {"SPINE_LOG_LEVEL": "warning", "SPINE_LOG_FORMAT": "json"}
    kernel = Spine(entry_points=False, environ=env, config_file=config, overrides={"log_level": "debug"})
    settings = kernel.settings
    assert (settings.log_level, settings.log_format, settings.strict_plugins) == ("debug", "json", True)
    assert settings.disable_plugins == [] and settings.load_plugins is None  # defaults
    assert kernel.config.lookup("log_level") == ("debug", "command line")
    assert kernel.config.lookup("log_format") == ("json", "SPINE_LOG_FORMAT")
    assert kernel.config.lookup("strict_plugins") == (True, str(config))


def test_the_schema_contract_is_evolve_unless_the_environment_or_the_file_says_freeze(tmp_path):
    assert Spine(entry_points=False, environ={}).settings.schema_contract == "evolve"
    assert (
        Spine(entry_points=False, environ={"SPINE_SCHEMA_CONTRACT": "Freeze"}).settings.schema_contract
        == "freeze"
    )
    config = tmp_path / "spine.toml"
    config.write_text('schema_contract = "freeze"\n')
    assert Spine(entry_points=False, environ={}, config_file=config).settings.schema_contract == "freeze"
    expected = r"schema_contract \(from SPINE_SCHEMA_CONTRACT\): expected one of evolve, freeze, got 'melt'"
    with pytest.raises(ConfigError, match=expected):
        _ = Spine(entry_points=False, environ={"SPINE_SCHEMA_CONTRACT": "melt"}).settings


def test_the_config_file_comes_from_spine_config_or_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spine.toml").write_text('log_level = "warning"\n')
    other = tmp_path / "other.toml"
    other.write_text('log_level = "error"\n')
    assert Spine(entry_points=False, environ={}).settings.log_level == "warning"
    assert Spine(entry_points=False, environ={"SPINE_CONFIG": str(other)}).settings.log_level == "error"


def test_a_missing_explicit_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match=r"config file .*nope\.toml does not exist"):
        Spine(entry_points=False, environ={}, config_file=tmp_path / "nope.toml")


def test_invalid_toml_names_the_file_and_line(tmp_path):
    config = tmp_path / "spine.toml"
    config.write_text('log_level = "info"\nload_plugins = [nope]\n')
    with pytest.raises(ConfigError, match=r"spine.toml: invalid TOML: .*line 2"):
        Spine(entry_points=False, environ={}, config_file=config)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SPINE_LOG_LEVEL": "loud"}, r"log_level \(from SPINE_LOG_LEVEL\): expected one of debug, info"),
        (
            {"SPINE_STRICT_PLUGINS": "maybe"},
            r"strict_plugins \(from SPINE_STRICT_PLUGINS\): expected true or false",
        ),
    ],
)
def test_invalid_values_name_the_setting_its_origin_and_what_was_expected(environ, message):
    with pytest.raises(ConfigError, match=message):
        Spine(entry_points=False, environ=environ)


def test_validation_in_pydantic_names_the_origin_too(tmp_path):
    sources = ConfigSources(file=tmp_path / "spine.toml", file_values={"load_plugins": 5})
    with pytest.raises(ConfigError, match=r"load_plugins \(from .*spine.toml\): expected a comma-separated"):
        spine.Settings.from_sources(sources)


VALUES = {
    "load_plugins": [None, "", "a, b", ["a", "B_c"]],
    "disable_plugins": [None, "x", ["y", "z"]],
    "strict_plugins": [None, "yes", "0", True],
    "log_format": [None, "JSON", "console"],
}


@pytest.mark.parametrize("combo", list(itertools.product(*VALUES.values())))
def test_boot_settings_agree_with_the_validated_settings(combo):
    layer = {key: value for key, value in zip(VALUES, combo, strict=True) if value is not None}
    for sources in (
        ConfigSources(overrides=layer),
        ConfigSources(
            environ={
                f"SPINE_{k.upper()}": v
                if isinstance(v, str)
                else ",".join(v)
                if isinstance(v, list)
                else str(v)
                for k, v in layer.items()
            }
        ),
        ConfigSources(file_values=layer),
    ):
        boot = BootSettings.from_sources(sources)
        full = spine.Settings.from_sources(sources)
        normalise = lambda names: None if names is None else {n.lower().replace("_", "-") for n in names}  # noqa: E731
        assert normalise(full.load_plugins) == (None if boot.load_plugins is None else set(boot.load_plugins))
        assert normalise(full.disable_plugins) == set(boot.disable_plugins)
        assert (full.strict_plugins, full.log_format) == (boot.strict_plugins, boot.log_format)


class SlackLikeSettings(spine.SpineSettings):
    example_webhook_url: SecretStr | None = None
    example_channel: str = "#data"


def test_plugin_settings_read_the_same_sources_and_register_their_secrets(tmp_path):
    config = tmp_path / "spine.toml"
    config.write_text('example_channel = "#alerts"\n')
    hook = "https://hooks.example.test/T000/B000/very-secret-part"
    kernel = Spine(entry_points=False, environ={"SPINE_EXAMPLE_WEBHOOK_URL": hook}, config_file=config)
    settings = kernel.plugin_settings(SlackLikeSettings)
    assert settings.example_channel == "#alerts"
    assert settings.example_webhook_url.get_secret_value() == hook
    assert hook not in repr(settings)
    assert kernel.redactor.text(f"posting to {hook} failed") == "posting to *** failed"
