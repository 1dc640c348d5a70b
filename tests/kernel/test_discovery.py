"""The metadata scan finds what importlib.metadata finds, without importing the plugins."""

from __future__ import annotations

import importlib.metadata
import os

from spine._plugins._discovery import GROUP, scan

from ._wheels import Dist, install


def test_scan_agrees_with_importlib_metadata(plugin_site):
    ours = [(ep.name, ep.value, ep.distribution, ep.version) for ep in scan([str(plugin_site)])]
    theirs = sorted(
        (ep.name, ep.value, ep.dist.name, ep.dist.version)
        for dist in importlib.metadata.distributions(path=[str(plugin_site)])
        for ep in dist.entry_points
        if ep.group == GROUP
    )
    assert ours == theirs
    assert len(ours) == 7


def test_scan_reads_the_requirements_of_each_distribution(plugin_site):
    future = next(ep for ep in scan([str(plugin_site)]) if ep.name == "future")
    assert future.requires == ("spine-kernel>=99",)


def test_the_first_copy_of_a_distribution_on_the_path_wins(tmp_path):
    older = Dist("spine-twice", "1.0", files={"spine_twice.py": ""}, entry_points={"twice": "spine_twice"})
    newer = Dist("spine-twice", "2.0", files={"spine_twice.py": ""}, entry_points={"twice": "spine_twice"})
    first = install([newer], tmp_path / "first", tmp_path / "w1")
    second = install([older], tmp_path / "second", tmp_path / "w2")
    found = scan([str(first), str(second), str(tmp_path / "missing")])
    assert [(ep.name, ep.version) for ep in found] == [("twice", "2.0")]


def test_egg_info_folders_are_read_too(tmp_path):
    info = tmp_path / "spine_legacy.egg-info"
    info.mkdir()
    (info / "PKG-INFO").write_text(
        "Metadata-Version: 1.2\nName: spine-legacy\nVersion: 0.3\n\nbody: not a header\n"
    )
    (info / "entry_points.txt").write_text(
        "[console_scripts]\nx = y\n\n[spine.plugins]\nlegacy = spine_legacy:plugin\n"
    )
    (info / "requires.txt").write_text("spine-kernel>=0.1\n\n[dev]\npytest\n")
    (ep,) = scan([str(tmp_path)])
    assert (ep.name, ep.module, ep.distribution, ep.version, ep.requires) == (
        "legacy",
        "spine_legacy",
        "spine-legacy",
        "0.3",
        ("spine-kernel>=0.1",),
    )


def test_distributions_without_the_group_are_ignored(tmp_path):
    other = Dist("not-a-plugin", files={"not_a_plugin.py": ""}, entry_points={})
    site = install([other], tmp_path / "site", tmp_path / "w")
    assert scan([str(site)]) == []


def test_the_path_is_scanned_once_until_a_folder_on_it_changes(tmp_path, monkeypatch):
    first = Dist("spine-first", files={"spine_first.py": ""}, entry_points={"first": "spine_first"})
    site = install([first], tmp_path / "site", tmp_path / "w1")
    listed: list[str] = []
    real_listdir = os.listdir
    monkeypatch.setattr(os, "listdir", lambda entry: listed.append(entry) or real_listdir(entry))
    assert [ep.name for ep in scan([str(site)])] == ["first"]
    assert [ep.name for ep in scan([str(site)])] == ["first"]
    assert listed == [str(site)]

    second = Dist("spine-second", files={"spine_second.py": ""}, entry_points={"second": "spine_second"})
    install([second], site, tmp_path / "w2")
    assert [ep.name for ep in scan([str(site)])] == ["first", "second"]
    assert listed == [str(site), str(site)]
