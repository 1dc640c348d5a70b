"""Test sessions: one per distribution, each alone in a fresh venv, and one with everything.

    nox                        every session
    nox -s lint                ruff and mypy --strict on the distributions' code
    nox -s spine-kernel        the kernel alone against tests/kernel
    nox -s spine-source-file   that plugin with only the kernel, against tests/source_file
    nox -s all                 every distribution together against all of tests/

Arguments after ``--`` go to pytest (``nox -s all -- -k cli``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import nox
from packaging.requirements import Requirement

ROOT = Path(__file__).parent
KERNEL = ROOT / "spine-kernel"
DISTRIBUTIONS = [KERNEL, *sorted(path.parent for path in ROOT.glob("plugins/*/pyproject.toml"))]
# pip: the kernel tests install throwaway plugin wheels with it (uv venvs have none).
TEST_REQUIREMENTS = ["pytest>=8", "packaging>=24", "pip"]

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = False
nox.options.sessions = ["lint", *(path.name for path in DISTRIBUTIONS), "all"]


def _tests_of(distribution: Path) -> str:
    """spine-kernel -> tests/kernel, spine-source-file -> tests/source_file."""
    return f"tests/{distribution.name.removeprefix('spine-').replace('-', '_')}"


def _requirement(distribution: Path) -> str:
    """The distribution's folder with every extra it declares, so each feature is tested."""
    project = tomllib.loads((distribution / "pyproject.toml").read_text())["project"]
    extras = sorted(project.get("optional-dependencies", {}))
    return f"{distribution}[{','.join(extras)}]" if extras else str(distribution)


def _with_local_dependencies(distribution: Path) -> list[Path]:
    """The distribution, the kernel, and the distributions of this repository it depends on
    (a domain plugin needs its sources), which are not on any package index."""
    project = tomllib.loads((distribution / "pyproject.toml").read_text())["project"]
    needed = {Requirement(text).name for text in project.get("dependencies", [])}
    return sorted({KERNEL, distribution, *(path for path in DISTRIBUTIONS if path.name in needed)})


def _install_and_test(session: nox.Session, distributions: list[Path], tests: str) -> None:
    session.install(*(_requirement(path) for path in distributions), *TEST_REQUIREMENTS)
    session.run("pytest", tests, *session.posargs)


for _distribution in DISTRIBUTIONS:

    @nox.session(name=_distribution.name)
    def alone(session: nox.Session, distribution: Path = _distribution) -> None:
        """One distribution in a fresh venv with only what it depends on: proves it works alone."""
        _install_and_test(session, _with_local_dependencies(distribution), _tests_of(distribution))


@nox.session(name="all")
def everything(session: nox.Session) -> None:
    """Every distribution installed together, against every test (integration included)."""
    _install_and_test(session, DISTRIBUTIONS, "tests")


@nox.session
def lint(session: nox.Session) -> None:
    """Style, types and layout: ruff on everything, mypy --strict on the installed distributions,
    and the kernel's import directions (scripts/check_layout.py)."""
    # pytest: spine.testing (the contract suites) is typed against it.
    session.install("ruff", "mypy", "pytest", *(str(path) for path in DISTRIBUTIONS))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", *(str(path / "src") for path in DISTRIBUTIONS))
    # The kernel's rooms import only the rooms below them; plugins only the public spine API.
    session.run("python", "scripts/check_layout.py")
