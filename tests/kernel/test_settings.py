"""Settings: precedence, validation errors that name their origin, secrets."""

from __future__ import annotations

import itertools

import pytest
import spine
from pydantic import SecretStr
from spine import ConfigError, Spine
from spine._config._sources import BootSettings, ConfigSources, spelled_like


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


# -- unknown keys ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('store_ur = "sqlite:///y.db"\n', "unknown setting 'store_ur' in {file} (did you mean 'store_url'?)"),
        # tables too: a misspelled list of routes would route nothing
        (
            '[[alert_route]]\nchannels = ["log"]\n',
            "unknown setting 'alert_route' in {file} (did you mean 'alert_routes'?)",
        ),
        (
            "[nonsense]\nx = 1\n",
            "unknown setting 'nonsense' in {file} "
            "(neither the kernel nor a loaded plugin has such a setting)",
        ),
    ],
)
def test_an_unknown_key_in_the_file_is_refused_naming_it_the_file_and_what_was_meant(tmp_path, text, problem):
    config = tmp_path / "spine.toml"
    config.write_text(text)
    kernel = Spine(entry_points=False, environ={}, config_file=config)
    with pytest.raises(ConfigError) as caught:
        _ = kernel.settings
    assert str(caught.value) == problem.format(file=config)
    assert caught.value.context["problems"] == [problem.format(file=config)]
    assert "rename each unknown setting as suggested" in caught.value.context["fix"]


def test_unknown_overrides_are_refused_too():
    kernel = Spine(entry_points=False, environ={}, overrides={"log_levl": "debug", "store_url": None})
    with pytest.raises(
        ConfigError, match=r"^unknown setting 'log_levl' in Spine\(overrides=...\) \(did you mean"
    ):
        _ = kernel.settings


def test_every_unknown_key_is_named_at_once(tmp_path):
    config = tmp_path / "spine.toml"
    config.write_text('store_ur = "x"\nlog_levle = "info"\n')
    kernel = Spine(entry_points=False, environ={"SPINE_ALERT_WINDOW_": "1h"}, config_file=config)
    with pytest.raises(ConfigError) as caught:
        _ = kernel.settings
    assert caught.value.context["problems"] == [
        f"unknown setting 'store_ur' in {config} (did you mean 'store_url'?)",
        f"unknown setting 'log_levle' in {config} (did you mean 'log_level'?)",
        "unknown setting SPINE_ALERT_WINDOW_ in the environment (did you mean SPINE_ALERT_WINDOW?)",
    ]


@pytest.mark.parametrize(
    ("variable", "meant"),
    [
        ("SPINE_STORE_UR", "SPINE_STORE_URL"),
        ("SPINE_LOG_LEVL", "SPINE_LOG_LEVEL"),
        ("SPINE_LGO_LEVEL", "SPINE_LOG_LEVEL"),  # two letters swapped
        ("SPINE_STRICT_PLUGIN", "SPINE_STRICT_PLUGINS"),
        ("SPINE_SCHEDULER_MAX_CONCURENCY", "SPINE_SCHEDULER_MAX_CONCURRENCY"),
        ("SPINE_ALERT_RATELIMIT", "SPINE_ALERT_RATE_LIMIT"),
    ],
)
def test_a_variable_spelled_like_a_setting_is_refused(variable, meant):
    kernel = Spine(entry_points=False, environ={variable: "x"})
    with pytest.raises(ConfigError) as caught:
        _ = kernel.settings
    assert str(caught.value) == f"unknown setting {variable} in the environment (did you mean {meant}?)"


def test_other_spine_variables_are_left_alone():
    # Other tools' variables, tokens that env:NAME references read, the config file's path.
    environ = {
        "SPINE_CONFIG": "",
        "SPINE_API_TOKEN": "t0ken",
        "SPINE_TEST_POSTGRES_URL": "postgresql://postgres@127.0.0.1/test",
        "SPINE_FINRA_TOKEN": "t",
        "SPINE_STORE": "x",  # a whole word off store_url, not a slip of the fingers
        "SPINEWARE_HOME": "/opt",
        "spine_store_ur": "lower case: not read, not refused",
    }
    assert Spine(entry_points=False, environ=environ).settings.store_url is None


def test_keys_of_plugins_not_loaded_are_a_warning_naming_them(good_site, sys_path_with, tmp_path, caplog):
    sys_path_with(good_site)
    config = tmp_path / "spine.toml"
    config.write_text('good_colour = "green"\n')
    kernel = Spine(
        plugin_path=[str(good_site)], environ={}, config_file=config, overrides={"load_plugins": []}
    )
    with caplog.at_level("WARNING", logger="spine.settings"):
        assert kernel.settings.load_plugins == []
    assert caplog.messages == [
        f"unknown setting 'good_colour' in {config} (neither the kernel nor a loaded plugin has such a "
        "setting); not refused, since it may belong to a plugin whose settings are unknown: "
        "good (left out by load_plugins / disable_plugins)"
    ]
    loaded = Spine(plugin_path=[str(good_site)], environ={}, config_file=config)
    with pytest.raises(ConfigError, match="unknown setting 'good_colour'"):
        _ = loaded.settings  # every plugin loaded: nobody has it


def test_keys_are_a_warning_when_a_plugin_failed_to_load(plugin_site, sys_path_with, caplog):
    sys_path_with(plugin_site)
    environ = {"SPINE_LOAD_PLUGINS": "good,importerror", "SPINE_STORE_UR": "sqlite:///y.db"}
    kernel = Spine(plugin_path=[str(plugin_site)], environ=environ)
    with caplog.at_level("WARNING", logger="spine.settings"):
        _ = kernel.settings
    (warning,) = [record.message for record in caplog.records if record.name == "spine.settings"]
    assert warning.startswith(
        "unknown setting SPINE_STORE_UR in the environment (did you mean SPINE_STORE_URL?)"
    )
    assert "may belong to a plugin whose settings are unknown: " in warning
    assert warning.endswith(" (left out by load_plugins / disable_plugins); importerror (failed to load)")


def test_a_settings_model_that_cannot_be_imported_leaves_its_keys_unchecked(tmp_path, caplog):
    class Broken:
        @spine.hookimpl
        def register_settings(self, register):
            register(spine.SettingsSpec("broken", "spine_no_such_module:Settings"))

    config = tmp_path / "spine.toml"
    config.write_text('broken_key = "x"\n')
    kernel = Spine(entry_points=False, environ={}, config_file=config, plugins=[Broken()])
    with caplog.at_level("WARNING", logger="spine.settings"):
        _ = kernel.settings
    assert "settings are unknown: Broken (settings 'broken': cannot import its factory" in caplog.text


def test_a_run_never_starts_on_an_unknown_key_even_with_a_store_given(tmp_path):
    config = tmp_path / "spine.toml"
    config.write_text('store_ur = "sqlite:///elsewhere.db"\n')
    kernel = Spine(entry_points=False, environ={}, config_file=config)
    store = f"sqlite:///{tmp_path}/given.db"
    with pytest.raises(ConfigError, match="unknown setting 'store_ur'"):
        kernel.run("demo", store=store)
    assert not (tmp_path / "given.db").exists()


def test_the_command_line_refuses_an_unknown_key_before_writing_anything(spine_cli, tmp_path, private_home):
    (tmp_path / "spine.toml").write_text('store_ur = "sqlite:///y.db"\n')
    for command in (["run", "demo"], ["runs", "list"], ["workflow", "list"], ["pipelines", "list"]):
        result = spine_cli(*command)
        assert (result.returncode, result.stderr) == (
            2,
            "spine: error: unknown setting 'store_ur' in spine.toml (did you mean 'store_url'?)\n",
        ), command
    assert not list(private_home.rglob("*.db")), "nothing was written to the default store"
    assert not (tmp_path / "y.db").exists()
    # Listing plugins reads no settings (it must not pay for pydantic): it still works.
    assert spine_cli("plugins", "list").returncode == 0


def test_doctor_warns_about_keys_of_plugins_not_loaded_and_passes(spine_cli, good_site, tmp_path):
    (tmp_path / "spine.toml").write_text('good_colour = "green"\n')
    result = spine_cli("--no-plugins", "doctor", site=good_site)
    assert result.returncode == 0, result.stdout
    warning = result.stdout.splitlines()[1]
    assert warning.startswith(
        "warning settings: unknown setting 'good_colour' in spine.toml (neither the kernel nor a loaded "
        "plugin has such a setting); not refused, since it may belong to a plugin whose settings are "
        "unknown: "
    )
    assert warning.endswith(" (left out by load_plugins / disable_plugins)") and " good" in warning
    assert "ok     settings" not in result.stdout
    loaded = spine_cli("doctor", site=good_site)
    assert loaded.returncode == 1
    assert loaded.stdout.splitlines()[1].startswith("error  settings: unknown setting 'good_colour'")


def test_spelled_like_counts_slips_of_the_fingers():
    known = ["store_url", "log_level", "rows"]
    assert spelled_like("store_ur", known) == "store_url"
    assert spelled_like("stroe_url", known) == "store_url"  # a swap is one slip
    assert spelled_like("lg_lvel", known) == "log_level"  # eight letters or more: two slips
    assert spelled_like("lg_lvl", known) is None  # ... not three
    assert spelled_like("rwos", known) == "rows"  # a short name: one slip
    assert spelled_like("rwo", known) is None  # ... not two
    assert spelled_like("store", known) is None
