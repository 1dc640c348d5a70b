"""The kernel's rooms import only the rooms their docstrings name, and plugins only `spine`:
scripts/check_layout.py (also run by ``nox -s lint``) on this repository and on made-up ones."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def layout() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_layout", REPOSITORY / "scripts/check_layout.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _kernel(tmp_path: Path, files: dict[str, str]) -> Path:
    """A made-up kernel: `_low` uses no room, `_high` uses `_low`, plus `files`."""
    return (
        _write(
            tmp_path / "spine-kernel/src",
            {
                "spine/__init__.py": "from ._version import __version__\n",
                "spine/_errors.py": "",
                "spine/_version.py": "__version__ = '0'\n",
                "spine/_kernel.py": "from ._high._b import B\n",
                "spine/_low/__init__.py": '"""The low room.\n\nUses: no other room.\n"""\n',
                "spine/_low/_a.py": "from .._errors import *\n",
                "spine/_high/__init__.py": '"""The high room.\n\nUses: `_low`.\n"""\n',
                "spine/_high/_b.py": "from .._low._a import A\nfrom .._version import __version__\n",
                **files,
            },
        )
        / "spine"
    )


def test_this_repository_keeps_its_import_directions(layout: ModuleType) -> None:
    assert layout.kernel_problems(REPOSITORY / "spine-kernel/src/spine") == []
    assert layout.plugin_problems(REPOSITORY / "plugins") == []


def test_every_room_of_this_repository_says_what_it_uses(layout: ModuleType) -> None:
    uses, problems = layout.declared_uses(REPOSITORY / "spine-kernel/src/spine")
    assert problems == []
    assert {"_config", "_data", "_plugins", "_records", "_alerts", "_runs", "_orchestration", "_cli"} <= set(
        uses
    )
    assert uses["_config"] == set()
    assert "root" in uses["_cli"] and "_cli" not in uses["root"]


def test_a_made_up_kernel_that_keeps_its_directions_passes(layout: ModuleType, tmp_path: Path) -> None:
    assert layout.kernel_problems(_kernel(tmp_path, {})) == []


@pytest.mark.parametrize(
    "source",
    [
        "from .._high._b import B\n",  # at module level
        "def f():\n    from .._high import _b\n",  # in a function: it runs too
        "import spine._high._b\n",
        "from spine._kernel import Spine\n",  # the root is above every room but _cli
    ],
)
def test_an_import_of_a_higher_room_is_a_problem(layout: ModuleType, tmp_path: Path, source: str) -> None:
    problems = layout.kernel_problems(_kernel(tmp_path, {"spine/_low/_a.py": source}))
    assert len(problems) == 1
    assert "_low/_a.py:" in problems[0] and "room _low may use no other room" in problems[0]


def test_an_import_for_annotations_only_is_free(layout: ModuleType, tmp_path: Path) -> None:
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .._high._b import B\n"
    assert layout.kernel_problems(_kernel(tmp_path, {"spine/_low/_a.py": source})) == []


def test_rooms_whose_uses_make_a_cycle_are_a_problem(layout: ModuleType, tmp_path: Path) -> None:
    package = _kernel(tmp_path, {"spine/_low/__init__.py": '"""Low.\n\nUses: `_high`.\n"""\n'})
    problems = layout.kernel_problems(package)
    assert any("make a cycle: _high -> _low -> _high" in problem for problem in problems), problems


def test_a_room_that_does_not_say_what_it_uses_is_a_problem(layout: ModuleType, tmp_path: Path) -> None:
    package = _kernel(tmp_path, {"spine/_low/__init__.py": '"""The low room."""\n'})
    problems = layout.kernel_problems(package)
    assert any("_low/__init__.py: the docstring says" in problem for problem in problems), problems
    package = _kernel(tmp_path, {"spine/_low/__init__.py": '"""Low.\n\nUses: `_middle`.\n"""\n'})
    assert any("names _middle, which is not a room" in p for p in layout.kernel_problems(package))


def test_a_plugin_that_imports_a_private_kernel_module_is_a_problem(
    layout: ModuleType, tmp_path: Path
) -> None:
    plugins = _write(
        tmp_path / "plugins",
        {
            "spine-x/src/spine_x/__init__.py": "from spine import hookimpl\nimport spine.testing\n",
            "spine-x/src/spine_x/_a.py": "from spine._data._stores import Store\n",
            # not even for annotations: private names change in any kernel release
            "spine-x/src/spine_x/_b.py": "import typing\nif typing.TYPE_CHECKING:\n    import spine._cli\n",
        },
    )
    problems = layout.plugin_problems(plugins)
    assert [problem.split("spine-x/src/spine_x/")[1] for problem in problems] == [
        "_a.py:1: imports spine._data._stores: plugins use only the public spine API",
        "_b.py:3: imports spine._cli: plugins use only the public spine API",
    ]


def test_the_command_prints_each_problem_and_exits_1(
    layout: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _kernel(tmp_path, {"spine/_low/_a.py": "from .._high._b import B\n"})
    (tmp_path / "plugins").mkdir()
    assert layout.main([str(tmp_path)]) == 1
    assert "imports spine._high._b, but room _low may use no other room" in capsys.readouterr().out
    assert layout.main([str(REPOSITORY)]) == 0
