"""The plugin as the kernel sees it: its entry point, its dependencies and a light entry module."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import distribution

from packaging.requirements import Requirement


def test_the_distribution_declares_its_entry_point_and_the_sources_it_uses():
    dist = distribution("spine-domain-finra")
    (entry,) = [ep for ep in dist.entry_points if ep.group == "spine.plugins"]
    assert (entry.name, entry.value) == ("finra", "spine_domain_finra")
    requires = {Requirement(text).name for text in dist.requires or []}
    assert requires == {"spine-kernel", "spine-source-file", "spine-source-http", "pydantic"}


def test_the_entry_module_imports_nothing_but_spine():
    code = (
        "import sys, spine\n"
        "spine.hookimpl, spine.PipelineSpec\n"
        "before = set(sys.modules)\n"
        "import spine_domain_finra\n"
        "spine_domain_finra.register_pipelines(lambda spec: None)\n"
        "print(sorted(set(sys.modules) - before))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['spine_domain_finra']"


def test_the_pipelines_are_registered(kernel):
    assert {"finra.otc_weekly", "finra.samples"} <= set(kernel.plugins.names("pipeline"))
