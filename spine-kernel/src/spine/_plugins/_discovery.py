"""Find the ``spine.plugins`` entry points of installed distributions, without importing them.

This reads the same files `importlib.metadata` reads (``*.dist-info`` and
``*.egg-info`` folders on the import path: ``entry_points.txt``, then ``METADATA``
or ``PKG-INFO`` and ``requires.txt``), but only for distributions that declare the
group. Importing `importlib.metadata` alone (it pulls in `email`, `zipfile`,
`pathlib` and `csv`) costs more than the whole budget of ``spine plugins list``;
the tests compare this scan with `importlib.metadata` on real installed
distributions. Zipped distributions (eggs) are not scanned.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from typing import NamedTuple

from .._config._sources import normalize_name

GROUP = "spine.plugins"


class PluginEntryPoint(NamedTuple):
    """One ``spine.plugins`` entry point and the distribution that declares it."""

    name: str
    value: str  # "package.module" or "package.module:attribute"
    distribution: str
    version: str
    requires: tuple[str, ...]  # the distribution's Requires-Dist lines

    @property
    def module(self) -> str:
        return self.value.partition(":")[0].strip()


def _entry_points_in(text: str, group: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    in_group = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            in_group = line[1:-1].strip() == group
        elif in_group and "=" in line:
            name, _, value = line.partition("=")
            found.append((name.strip(), value.split("[")[0].strip()))
    return found


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return ""


def _headers(info_dir: str) -> tuple[str, str, list[str]]:
    text = _read(os.path.join(info_dir, "METADATA")) or _read(os.path.join(info_dir, "PKG-INFO"))
    name = version = ""
    requires: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            break  # the headers end at the first blank line; the description follows
        key, _, value = line.partition(":")
        key = key.lower()
        if key == "name":
            name = value.strip()
        elif key == "version":
            version = value.strip()
        elif key == "requires-dist":
            requires.append(value.strip())
    if info_dir.endswith(".egg-info"):
        for line in _read(os.path.join(info_dir, "requires.txt")).splitlines():
            if line.startswith("["):
                break  # sections hold extras, which are not requirements of the plugin
            if line.strip():
                requires.append(line.strip())
    return name, version, requires


def scan(path: Iterable[str], group: str = GROUP) -> list[PluginEntryPoint]:
    """Entry points of `group` found on `path`, sorted by entry-point name, then distribution.

    A distribution found twice on the path counts once: the first copy wins, as
    it does for imports. The path is scanned once per process and the result
    reused for as long as no folder on it changes (installing or removing a
    distribution changes its folder's modification time).
    """
    entries = tuple(path)
    return list(_scan(entries, tuple(_modified(entry) for entry in entries), group))


def _modified(entry: str) -> int:
    try:
        return os.stat(entry or ".").st_mtime_ns
    except OSError:
        return 0


@functools.lru_cache(maxsize=16)
def _scan(path: tuple[str, ...], modified: tuple[int, ...], group: str) -> tuple[PluginEntryPoint, ...]:
    seen: set[str] = set()
    found: list[PluginEntryPoint] = []
    for entry in path:
        try:
            names = sorted(os.listdir(entry or "."))
        except OSError:
            continue  # missing folders, zip files
        for folder in names:
            if not folder.endswith((".dist-info", ".egg-info")):
                continue
            # Folder names carry the distribution name ("spine_kernel-0.1.0.dist-info").
            key = normalize_name(folder.rsplit(".", 1)[0].partition("-")[0])
            if key in seen:
                continue
            seen.add(key)
            info_dir = os.path.join(entry or ".", folder)
            points = _entry_points_in(_read(os.path.join(info_dir, "entry_points.txt")), group)
            if not points:
                continue
            name, version, requires = _headers(info_dir)
            found.extend(
                PluginEntryPoint(ep_name, value, name, version, tuple(requires)) for ep_name, value in points
            )
    return tuple(sorted(found, key=lambda ep: (ep.name, normalize_name(ep.distribution))))
