"""Just enough of PEP 440 and PEP 508 to test a plugin's ``Requires-Dist: spine-kernel ...``.

`packaging` does this completely, but importing it costs more than the whole budget of
``spine plugins list`` on a small machine, and the kernel needs only one question
answered: does this kernel version satisfy that specifier set? The tests check the
answers against `packaging` over a grid of versions and specifiers.

Pre-releases are always allowed to match, so that a development kernel can load
plugins (``packaging``'s ``prereleases=True``); local version labels are ignored.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from .._config._sources import normalize_name

_PRE_RANK = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}
_OPERATORS = ("~=", "===", "==", "!=", "<=", ">=", "<", ">")  # longest first
_NAME_END = " \t[(<>=!~;@"


@functools.cache
def _version_pattern() -> re.Pattern[str]:
    # Compiled only for versions that are not plain release numbers ("0.1.0"): the
    # common case must not pay for it when `spine plugins list` starts.
    return re.compile(
        r"""^\s*v?
        (?:(?P<epoch>\d+)!)?
        (?P<release>\d+(?:\.\d+)*)
        (?:[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>\d+)?)?
        (?:-(?P<post_n1>\d+)|[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>\d+)?)?
        (?:[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>\d+)?)?
        (?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?
        \s*$""",
        re.VERBOSE | re.IGNORECASE,
    )


class Version(NamedTuple):
    epoch: int
    release: tuple[int, ...]
    pre: tuple[int, int] | None
    post: int | None
    dev: int | None

    @property
    def is_prerelease(self) -> bool:
        return self.pre is not None or self.dev is not None

    def key(self) -> tuple[object, ...]:
        release = self.release
        while len(release) > 1 and release[-1] == 0:
            release = release[:-1]
        if self.pre is None and self.post is None and self.dev is not None:
            pre: tuple[int, int] = (-1, 0)  # 1.0.dev0 sorts before 1.0a0
        else:
            pre = self.pre if self.pre is not None else (3, 0)
        post = -1 if self.post is None else self.post
        dev: float = float("inf") if self.dev is None else self.dev
        return (self.epoch, release, pre, post, dev)


def parse_version(text: str) -> Version:
    parts = text.strip().split(".")
    if all(part.isdigit() and part.isascii() for part in parts):
        return Version(0, tuple(int(part) for part in parts), None, None, None)
    match = _version_pattern().match(text)
    if not match:
        raise ValueError(f"not a PEP 440 version: {text!r}")
    pre = None
    if match["pre_l"]:
        pre = (_PRE_RANK[match["pre_l"].lower()], int(match["pre_n"] or 0))
    post = None
    if match["post_n1"] or match["post_l"]:
        post = int(match["post_n1"] or match["post_n2"] or 0)
    dev = int(match["dev_n"] or 0) if match["dev_l"] else None
    release = tuple(int(part) for part in match["release"].split("."))
    return Version(int(match["epoch"] or 0), release, pre, post, dev)


def _release_prefix_matches(candidate: Version, prefix_text: str) -> bool:
    prefix = parse_version(prefix_text)
    if prefix.pre or prefix.post is not None or prefix.dev is not None:
        raise ValueError(f"unsupported prefix match: {prefix_text}.*")
    padded = candidate.release + (0,) * max(0, len(prefix.release) - len(candidate.release))
    return candidate.epoch == prefix.epoch and padded[: len(prefix.release)] == prefix.release


def _clause_allows(op: str, spec_text: str, candidate: Version, candidate_text: str) -> bool:
    if op == "===":
        return candidate_text.strip().lower() == spec_text.lower()
    if op in ("==", "!=") and spec_text.endswith(".*"):
        matches = _release_prefix_matches(candidate, spec_text[:-2])
        return matches if op == "==" else not matches
    spec = parse_version(spec_text)
    have, want = candidate.key(), spec.key()
    same_release = (candidate.epoch, candidate.key()[1]) == (spec.epoch, want[1])
    if op == "==":
        return have == want
    if op == "!=":
        return have != want
    if op == ">=":
        return have >= want
    if op == "<=":
        return have <= want
    if op == "<":
        # <1.0 excludes 1.0rc1 unless the bound itself is a pre-release (PEP 440).
        return have < want and not (candidate.is_prerelease and not spec.is_prerelease and same_release)
    if op == ">":
        # >1.0 excludes 1.0.post1 unless the bound itself is a post-release.
        return have > want and not (candidate.post is not None and spec.post is None and same_release)
    # "~=": at least this version, within its release series.
    if len(spec.release) < 2:
        raise ValueError(f"~= needs at least two release segments: ~={spec_text}")
    series = ".".join(str(part) for part in spec.release[:-1])
    if spec.epoch:
        series = f"{spec.epoch}!{series}"
    return have >= want and _release_prefix_matches(candidate, series)


def specifier_allows(specifier: str, version: str) -> bool:
    """Does `version` satisfy every clause of `specifier` (``">=0.1,<0.2"``)?

    Raises ValueError for text that is not a PEP 440 specifier set.
    """
    candidate = parse_version(version)
    for clause in filter(None, (part.strip() for part in specifier.split(","))):
        op = next((op for op in _OPERATORS if clause.startswith(op)), None)
        bound = clause[len(op) :].strip() if op else ""
        if op is None or not bound or any(char.isspace() for char in bound):
            raise ValueError(f"not a version specifier: {clause!r}")
        if not _clause_allows(op, bound, candidate, version):
            return False
    return True


def requirement_on(name: str, requires_dist: list[str]) -> str | None:
    """The specifier a distribution places on `name`, or None when it places none.

    Requirements that apply only to an extra (``; extra == "dev"``) are not
    requirements of the plugin itself and are ignored; a URL requirement
    (``name @ https://...``) constrains no version. Other environment markers are
    assumed to hold.
    """
    wanted = normalize_name(name)
    clauses: list[str] = []
    found = False
    for line in requires_dist:
        requirement, _, marker = line.partition(";")
        requirement = requirement.strip()
        end = next((i for i, char in enumerate(requirement) if char in _NAME_END), len(requirement))
        if normalize_name(requirement[:end]) != wanted or "extra" in marker:
            continue
        found = True
        spec = requirement[end:].strip()
        if spec.startswith("["):  # extras of the requirement itself
            spec = spec.partition("]")[2].strip()
        if spec.startswith("@"):
            continue
        if spec.startswith("(") and spec.endswith(")"):
            spec = spec[1:-1]
        if spec:
            clauses.append(spec)
    return ",".join(clauses) if found else None
