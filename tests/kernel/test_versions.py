"""The kernel's small PEP 440 matcher gives the same answers as `packaging`."""

from __future__ import annotations

import itertools

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from spine._plugins._versions import parse_version, requirement_on, specifier_allows

VERSIONS = [
    "0.1",
    "0.1.0",
    "0.1.0.dev0",
    "0.1.0a1",
    "0.1.0b2",
    "0.1.0rc1",
    "0.1.0.post1",
    "0.1.1",
    "0.2",
    "0.2.0.dev3",
    "0.2.0rc1",
    "0.9.9",
    "1.0",
    "1.0.0.post2",
    "1!0.1",
    "2.0a1",
    "99",
    "0.1.0+local.1",
]
SPECIFIERS = [
    ">=0.1",
    ">=0.1,<0.2",
    "<0.2",
    "<0.2.0rc1",
    ">0.1",
    ">0.1.0.post1",
    "==0.1",
    "==0.1.*",
    "!=0.1.*",
    "!=0.1.0",
    "~=0.1",
    "~=0.1.0",
    "<=1.0",
    ">=99",
    "==1!0.1",
    ">=0.1.0.dev0",
    "~=1.0.0.post1",
    "===0.1",
    "",
    ">= 0.1 , < 1",
]


@pytest.mark.parametrize(("specifier", "version"), list(itertools.product(SPECIFIERS, VERSIONS)))
def test_specifier_matches_packaging(specifier, version):
    expected = SpecifierSet(specifier, prereleases=True).contains(version, prereleases=True)
    assert specifier_allows(specifier, version) is expected


@pytest.mark.parametrize("bad", [">>1", "=1.0", ">=one", "~=1"])
def test_unreadable_specifiers_raise(bad):
    with pytest.raises(ValueError):
        specifier_allows(bad, "1.0")


def test_version_ordering_matches_packaging():
    from packaging.version import Version

    ours = sorted(VERSIONS, key=lambda v: parse_version(v).key())
    theirs = sorted(VERSIONS, key=Version)
    assert [str(Version(v)) for v in ours] == [str(Version(v)) for v in theirs]


@pytest.mark.parametrize(
    "line",
    [
        "spine-kernel>=0.1,<0.2",
        "spine-kernel (>=0.1,<0.2)",
        "Spine_Kernel>=0.1; python_version >= '3.11'",
        "spine.kernel[extra] ~=0.1.0",
    ],
)
def test_requirement_on_reads_the_specifier_like_packaging(line):
    assert SpecifierSet(requirement_on("spine-kernel", [line])) == Requirement(line).specifier


def test_requirement_on_ignores_extras_other_projects_and_urls():
    assert requirement_on("spine-kernel", ["httpx>=0.27", "spine-kernel>=99 ; extra == 'dev'"]) is None
    assert requirement_on("spine-kernel", ["spine-kernel @ file:///src/kernel"]) == ""
    assert requirement_on("spine-kernel", ["spine-kernel"]) == ""
    assert requirement_on("spine-kernel", ["spine-kernel>=0.1", "spine-kernel<0.2"]) == ">=0.1,<0.2"
