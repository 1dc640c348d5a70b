"""Check the kernel's import directions, and that plugins use only the public `spine` API.

    python scripts/check_layout.py [REPOSITORY]

The kernel's rooms are the subpackages of ``spine`` whose names start with ``_``. Each
room's ``__init__`` docstring has a line ``Uses: `_config`, `_data`.`` naming the rooms it
may import; `spine._errors` and `spine._version` may be imported by any. The root's
`spine._kernel` and `spine._settings` (the `Spine` object and its settings) may use
every room but `_cli`; `spine.testing`, ``__init__`` and ``__main__`` may use anything.
Imports under ``if TYPE_CHECKING:`` are not checked: they are for annotations and never
run. Prints one line per problem and exits 1 when there is any.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

BASE = {"_errors", "_version"}  # used by every room
ROOT = "root"  # spine._kernel and spine._settings
TOP = {"testing", "__init__", "__main__"}  # may use anything
_USES = re.compile(r"^Uses:(.*?)(?:\n\s*\n|\Z)", re.MULTILINE | re.DOTALL)  # to the paragraph end


def room_of(module: str) -> str:
    """``spine._data._stores`` -> ``_data``, ``spine._kernel`` -> ``root``, ``spine`` -> ``__init__``."""
    parts = module.split(".")
    name = parts[1] if len(parts) > 1 else "__init__"
    return ROOT if name in ("_kernel", "_settings") else name


def declared_uses(package: Path) -> tuple[dict[str, set[str]], list[str]]:
    """Each room's ``Uses:`` line, and the problems found reading them."""
    uses: dict[str, set[str]] = {}
    problems = []
    for init in sorted(package.glob("_*/__init__.py")):
        room = init.parent.name
        docstring = ast.get_docstring(ast.parse(init.read_text())) or ""
        line = _USES.search(docstring)
        if line is None:
            problems.append(f"{init}: the docstring says what the room is for, and 'Uses: ...' which rooms")
            continue
        uses[room] = {
            ROOT if name == "_kernel" else name for name in re.findall(r"`(?:spine\.)?(_\w+)`", line[1])
        }
        uses[room] -= BASE
    rooms = set(uses)
    uses[ROOT] = rooms - {"_cli"}
    for room, used in uses.items():
        for unknown in sorted(used - rooms - {ROOT}):
            problems.append(f"{package / room}: 'Uses:' names {unknown}, which is not a room")
    cycle = _cycle(uses)
    if cycle:
        problems.append(f"{package}: the rooms' 'Uses:' lines make a cycle: {' -> '.join(cycle)}")
    return uses, problems


def _cycle(uses: dict[str, set[str]]) -> list[str]:
    done: set[str] = set()

    def visit(room: str, path: list[str]) -> list[str]:
        if room in path:
            return [*path[path.index(room) :], room]
        if room in done:
            return []
        for used in sorted(uses.get(room, ())):
            found = visit(used, [*path, room])
            if found:
                return found
        done.add(room)
        return []

    for room in sorted(uses):
        found = visit(room, [])
        if found:
            return found
    return []


def imports(path: Path, module: str, *, annotations: bool = False) -> Iterator[tuple[int, str]]:
    """(line, imported module) of every import of `path` (the module `module`) that runs: at
    module level or in a function; those under ``if TYPE_CHECKING:`` too with `annotations`."""
    tree = ast.parse(path.read_text())
    annotations_only = (
        set()
        if annotations
        else {
            id(node)
            for branch in ast.walk(tree)
            if isinstance(branch, ast.If) and "TYPE_CHECKING" in ast.unparse(branch.test)
            for statement in branch.body
            for node in ast.walk(statement)
        }
    )
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in annotations_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
            if node.module:
                yield node.lineno, f"{base}.{node.module}"
            else:  # from . import _builtin
                yield from ((node.lineno, f"{base}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)


def kernel_problems(package: Path) -> list[str]:
    uses, problems = declared_uses(package)
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        room = room_of(module)
        if room in TOP:
            continue
        for line, imported in imports(path, module):
            if imported != "spine" and not imported.startswith("spine."):
                continue
            target = room_of(imported)
            if target == room or target in BASE:
                continue
            allowed = uses.get(room, set())
            if target not in allowed:
                may = ", ".join(sorted(allowed)) or "no other room"
                problems.append(f"{path}:{line}: imports {imported}, but room {room} may use {may}")
    return problems


def plugin_problems(plugins: Path) -> list[str]:
    problems = []
    for path in sorted(plugins.glob("*/src/**/*.py")):
        # Not even for annotations: a private name may change in any kernel release.
        for line, imported in imports(path, path.stem, annotations=True):
            if imported.startswith("spine._"):
                problems.append(f"{path}:{line}: imports {imported}: plugins use only the public spine API")
    return problems


def main(argv: list[str]) -> int:
    repository = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent
    problems = kernel_problems(repository / "spine-kernel/src/spine") + plugin_problems(
        repository / "plugins"
    )
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
