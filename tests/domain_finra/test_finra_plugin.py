"""The plugin as the kernel sees it: its entry point, its dependencies and a light entry module."""

from __future__ import annotations

from importlib.metadata import distribution

from packaging.requirements import Requirement
from spine.testing import modules_imported_by


def test_the_distribution_declares_its_entry_point_and_the_sources_it_uses():
    dist = distribution("spine-domain-finra")
    (entry,) = [ep for ep in dist.entry_points if ep.group == "spine.plugins"]
    assert (entry.name, entry.value) == ("finra", "spine_domain_finra")
    requires = {Requirement(text).name for text in dist.requires or []}
    assert requires == {"spine-kernel", "spine-source-file", "spine-source-http", "pydantic"}


def test_the_entry_module_imports_nothing_but_spine():
    assert modules_imported_by("spine_domain_finra") == ["spine_domain_finra"]


def test_the_pipelines_are_registered(kernel):
    assert {"finra.otc_weekly", "finra.samples"} <= set(kernel.plugins.names("pipeline"))
