"""The plugin as the kernel sees it: its entry point, its dependencies and a light entry module."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib.metadata import distribution

import pytest
import spine
import spine_domain_finra
from packaging.requirements import Requirement
from spine._plugins._params import declaration_problems
from spine.testing import modules_imported_by
from spine_domain_finra._settings import FinraSettings


def test_the_distribution_declares_its_entry_point_and_the_sources_it_uses():
    dist = distribution("spine-domain-finra")
    (entry,) = [ep for ep in dist.entry_points if ep.group == "spine.plugins"]
    assert (entry.name, entry.value) == ("finra", "spine_domain_finra")
    requires = {Requirement(text).name for text in dist.requires or []}
    assert requires == {"spine-kernel", "spine-source-file", "spine-source-http", "pydantic"}


def test_the_entry_module_imports_nothing_but_spine():
    # _params: the pipelines' parameter declarations, which import nothing but spine either
    assert modules_imported_by("spine_domain_finra") == ["spine_domain_finra", "spine_domain_finra._params"]


def test_the_pipelines_are_registered(kernel):
    assert {"finra.otc_weekly", "finra.samples"} <= set(kernel.plugins.names("pipeline"))


def test_every_pipeline_declares_its_params(kernel):
    declared = {spec.name: [param.name for param in spec.params] for spec in kernel.pipelines()}
    assert {name: params for name, params in declared.items() if name.startswith("finra.")} == {
        "finra.derived": ["today"],
        "finra.otc_weekly": ["week", "source", "file", "tier", "summary_types"],
        "finra.samples": [],
        "finra.weekly_refresh": ["today", "tiers", "derived"],
    }
    assert all(not declaration_problems(spec.params) for spec in kernel.pipelines())


def test_the_plugin_declares_its_settings_in_a_light_module(tmp_path):
    config = tmp_path / "spine.toml"
    config.write_text('finra_api_url = "http://127.0.0.1:9"\n')
    kernel = spine.Spine(entry_points=False, environ={}, config_file=config, plugins=[spine_domain_finra])
    assert kernel.settings.log_level == "info"  # finra_api_url is known: the plugin declares it
    assert kernel.plugin_settings(FinraSettings).finra_api_url == "http://127.0.0.1:9"
    typo = spine.Spine(
        entry_points=False, environ={"SPINE_FINRA_CLIENT_SECRT": "s3cret-value"}, plugins=[spine_domain_finra]
    )
    with pytest.raises(spine.ConfigError, match="did you mean SPINE_FINRA_CLIENT_SECRET"):
        _ = typo.settings
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, spine_domain_finra._settings; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert not {"httpx", "spine_source_http", "spine_source_file", "spine_domain_finra._api"} & set(
        ast.literal_eval(imported)
    )
