"""Discovery and isolation, in process, against plugins installed by pip into a site folder."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import spine
from spine import PluginError, Spine


@pytest.fixture
def kernel_with(clean_env, sys_path_with):
    def make(site: Path, **kwargs) -> Spine:
        sys_path_with(site)
        return Spine(plugin_path=[str(site)], environ={}, **kwargs)

    return make


def records(kernel: Spine) -> dict[str, spine.PluginRecord]:
    return {record.name: record for record in kernel.plugins.records}


def test_good_plugin_is_discovered_with_its_distribution_and_capabilities(good_site, kernel_with):
    kernel = kernel_with(good_site)
    good = records(kernel)["good"]
    assert (good.distribution, good.version, good.status, good.error) == ("spine-good", "1.2.3", "ok", None)
    assert good.provides == {
        "source": ["good_source"],
        "store": ["good_store"],
        "alert_channel": ["good_alert"],
        "pipeline": ["good.pipeline"],
        "workflow": [],
        "schedule": [],
        "settings": [],
    }
    assert kernel.plugins.get("source", "good_source").schemes == ("good",)


def test_capability_factories_are_imported_on_first_use_only(good_site, kernel_with):
    kernel = kernel_with(good_site)
    sys.modules.pop("spine_good._heavy", None)
    spec = kernel.plugins.get("store", "good_store")
    assert "spine_good._heavy" not in sys.modules
    assert spec.load()() == "store"
    assert "spine_good._heavy" in sys.modules


def test_every_broken_plugin_is_recorded_and_skipped_while_the_good_one_works(plugin_site, kernel_with):
    kernel = kernel_with(plugin_site)
    found = records(kernel)
    assert found["good"].status == "ok"
    assert kernel.run("good.pipeline").counts.rows_read == 3

    assert found["importerror"].status == "error"
    assert "import failed: ModuleNotFoundError" in found["importerror"].error
    assert "spine_module_that_does_not_exist" in found["importerror"].error

    assert "register_sources raised RuntimeError: boom while registering" in found["raises"].error
    # What it registered before raising is dropped with it: a plugin loads whole or not at all.
    with pytest.raises(PluginError, match=r"unknown pipeline 'raises\.first'"):
        kernel.plugins.get("pipeline", "raises.first")

    assert "unknown hook 'register_sorces' (did you mean 'register_sources'?)" in found["misspelled"].error

    assert "requires spine-kernel>=99" in found["future"].error
    assert f"this is spine-kernel {spine.__version__}" in found["future"].error


def test_incompatible_plugin_is_never_imported(plugin_site, kernel_with):
    kernel = kernel_with(plugin_site)
    assert records(kernel)["future"].status == "error"
    # Its module raises at import time; the kernel decided from metadata alone.
    assert "spine_future" not in sys.modules


def test_plugins_load_in_entry_point_name_order(plugin_site, kernel_with):
    names = [record.name for record in kernel_with(plugin_site).plugins.records]
    assert names == ["spine", "dup_a", "dup_b", "future", "good", "importerror", "misspelled", "raises"]


def test_a_name_claimed_by_two_distributions_names_both_and_shadows_neither(plugin_site, kernel_with):
    kernel = kernel_with(plugin_site)
    found = records(kernel)
    assert "source 'dup' is also provided by dup_b (spine-dup-b 1.0)" in found["dup_a"].error
    assert "source 'dup' is also provided by dup_a (spine-dup-a 1.0)" in found["dup_b"].error
    with pytest.raises(
        PluginError, match=r"provided by dup_a \(spine-dup-a 1.0\) and dup_b \(spine-dup-b 1.0\)"
    ):
        kernel.plugins.get("source", "dup")
    # The rest of what the conflicting plugins provide keeps working.
    assert kernel.plugins.get("source", "only_a").name == "only_a"
    assert "dup" not in kernel.plugins.names("source")


@pytest.mark.parametrize("bad", ["importerror", "raises", "misspelled", "future"])
def test_strict_mode_turns_a_plugin_failure_into_an_error(plugin_site, kernel_with, bad):
    with pytest.raises(PluginError, match=rf"plugin {bad} \(spine-{bad}"):
        kernel_with(plugin_site, overrides={"strict_plugins": True, "load_plugins": [bad]})


def test_strict_mode_from_the_environment(plugin_site, sys_path_with):
    sys_path_with(plugin_site)
    with pytest.raises(PluginError, match="importerror"):
        Spine(
            plugin_path=[str(plugin_site)],
            environ={"SPINE_STRICT_PLUGINS": "1", "SPINE_LOAD_PLUGINS": "importerror"},
        )


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"SPINE_LOAD_PLUGINS": "good"}, ["spine", "good"]),
        ({"SPINE_LOAD_PLUGINS": "spine-good, spine_dup_b"}, ["spine", "dup_b", "good"]),  # distribution names
        ({"SPINE_LOAD_PLUGINS": ""}, ["spine"]),  # empty loads none
        ({"SPINE_LOAD_PLUGINS": "good,raises", "SPINE_DISABLE_PLUGINS": "raises"}, ["spine", "good"]),
        (
            {"SPINE_DISABLE_PLUGINS": "spine-importerror,raises,misspelled,future,dup_a,dup_b"},
            ["spine", "good"],
        ),
    ],
)
def test_load_and_disable_lists_from_the_environment(plugin_site, sys_path_with, environ, expected):
    sys_path_with(plugin_site)
    kernel = Spine(plugin_path=[str(plugin_site)], environ=environ)
    assert [record.name for record in kernel.plugins.records] == expected
    assert {ep.name for ep in kernel.plugins.skipped} | set(expected) >= {"good", "spine"}


def test_load_and_disable_lists_from_the_config_file(plugin_site, sys_path_with, tmp_path):
    sys_path_with(plugin_site)
    config = tmp_path / "spine.toml"
    config.write_text('load_plugins = ["good", "raises"]\ndisable_plugins = "raises"\n')
    kernel = Spine(plugin_path=[str(plugin_site)], environ={}, config_file=config)
    assert [record.name for record in kernel.plugins.records] == ["spine", "good"]


def test_overrides_beat_environment_beat_file(plugin_site, sys_path_with, tmp_path):
    sys_path_with(plugin_site)
    config = tmp_path / "spine.toml"
    config.write_text('load_plugins = ["raises"]\n')
    from_env = Spine(
        plugin_path=[str(plugin_site)], environ={"SPINE_LOAD_PLUGINS": "good"}, config_file=config
    )
    assert [record.name for record in from_env.plugins.records] == ["spine", "good"]
    from_flag = Spine(
        plugin_path=[str(plugin_site)],
        environ={"SPINE_LOAD_PLUGINS": "good"},
        config_file=config,
        overrides={"load_plugins": []},
    )
    assert [record.name for record in from_flag.plugins.records] == ["spine"]


class _Programmatic:
    @spine.hookimpl
    def register_pipelines(self, register):
        register(spine.PipelineSpec("mine", lambda: _Counts()))


class _Counts:
    def run(self, context):
        context.count(read=int(context.params["n"]))


def test_plugins_register_in_code_without_entry_points():
    kernel = Spine(entry_points=False, environ={}, plugins=[_Programmatic()])
    assert kernel.run("mine", {"n": "4"}).counts.rows_read == 4
    later = Spine(entry_points=False, environ={})
    record = later.register_plugin(_Programmatic(), name="late")
    assert (record.name, record.status, record.provides["pipeline"]) == ("late", "ok", ["mine"])


def test_two_kernels_in_one_process_see_neither_plugins_nor_settings_of_the_other(good_site, sys_path_with):
    sys_path_with(good_site)
    first = Spine(
        plugin_path=[str(good_site)], environ={"SPINE_LOG_LEVEL": "debug"}, plugins=[_Programmatic()]
    )
    second = Spine(plugin_path=[str(good_site)], environ={"SPINE_LOAD_PLUGINS": ""})
    assert "mine" in first.plugins.names("pipeline")
    assert "mine" not in second.plugins.names("pipeline")
    assert "good_source" in first.plugins.names("source")
    assert "good_source" not in second.plugins.names("source")
    assert first.settings.log_level == "debug"
    assert second.settings.log_level == "info"
    first.redactor.add("first-kernel-secret")
    assert second.redactor.text("first-kernel-secret") == "first-kernel-secret"


def test_registering_the_wrong_descriptor_type_is_a_plugin_error():
    class WrongKind:
        @spine.hookimpl
        def register_stores(self, register):
            register(spine.SourceSpec("not_a_store", lambda: None))

    record = Spine(entry_points=False, environ={}).register_plugin(WrongKind(), "wrong")
    assert record.error == "register_stores: expected a StoreSpec, got SourceSpec"


def test_a_hook_implementation_with_a_wrong_argument_is_rejected():
    class BadArgs:
        @spine.hookimpl
        def register_sources(self, registr):
            pass

    record = Spine(entry_points=False, environ={}).register_plugin(BadArgs(), "badargs")
    assert record.status == "error"
    assert "registr" in record.error


def test_invalid_capability_names_and_factories_are_refused():
    with pytest.raises(PluginError, match="invalid source name 'Bad Name'"):
        spine.SourceSpec("Bad Name", lambda: None)
    with pytest.raises(PluginError, match="not an import string"):
        spine.SourceSpec("ok", "not an import string")
    spec = spine.SourceSpec("ok", "spine_missing_module:thing")
    with pytest.raises(PluginError, match="cannot import its factory 'spine_missing_module:thing'"):
        spec.load()


def test_unknown_names_suggest_the_close_one():
    kernel = Spine(entry_points=False, environ={})
    with pytest.raises(PluginError, match="unknown pipeline 'dmeo'; did you mean 'demo'"):
        kernel.run("dmeo")


def test_a_name_claimed_three_times_is_reported_on_every_side():
    def claimant(label: str):
        class Claimant:
            @spine.hookimpl
            def register_sources(self, register):
                register(spine.SourceSpec("shared", lambda: label))

        return Claimant()

    kernel = Spine(entry_points=False, environ={})
    first, second, third = (kernel.register_plugin(claimant(n), n) for n in ("one", "two", "three"))
    assert first.problems == [
        "source 'shared' is also provided by two; disable one of them",
        "source 'shared' is also provided by three; disable one of them",
    ]
    assert len(second.problems) == 2 and len(third.problems) == 2
    with pytest.raises(PluginError, match="provided by one and two and three"):
        kernel.plugins.get("source", "shared")


def test_strict_mode_makes_a_name_conflict_an_error():
    class Claimant:
        @spine.hookimpl
        def register_sources(self, register):
            register(spine.SourceSpec("shared", lambda: None))

    kernel = Spine(entry_points=False, environ={}, overrides={"strict_plugins": True})
    kernel.register_plugin(Claimant(), "one")
    with pytest.raises(PluginError, match="source 'shared' is provided by both one and two"):
        kernel.register_plugin(Claimant(), "two")


def test_a_pipeline_carries_its_schedule_as_five_cron_fields():
    weekly = spine.PipelineSpec("weekly", "json:loads", schedule="0 6 * * 1")
    assert (weekly.schedule, spine.PipelineSpec("adhoc", "json:loads").schedule) == ("0 6 * * 1", None)
    assert weekly != spine.PipelineSpec("weekly", "json:loads", schedule="0 7 * * 1")
    with pytest.raises(spine.PluginError, match="schedule 'mondays' is not a cron expression of five fields"):
        spine.PipelineSpec("weekly", "json:loads", schedule="mondays")
