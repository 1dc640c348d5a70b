"""The README's plugin example works when copied: built by pip, discovered, run."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ._wheels import pip_install

README = Path(__file__).parents[2] / "README.md"


def test_the_readme_plugin_example_works_when_copied(tmp_path, spine_cli):
    files = re.findall(r"`([^`\n]+)`\n\n```(?:toml|python)\n(.*?)```", README.read_text(), re.S)
    assert [name for name, _ in files] == [
        "pyproject.toml",
        "spine_hello/__init__.py",
        "spine_hello/pipeline.py",
    ]
    project = tmp_path / "hello"
    for name, body in files:
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(body)
    site = tmp_path / "site"
    pip_install(site, str(project), index=True)  # builds it, fetching hatchling like any user's pip
    listing = {
        item["name"]: item for item in json.loads(spine_cli("plugins", "list", "--json", site=site).stdout)
    }
    assert listing["hello"]["status"] == "ok"
    assert listing["hello"]["provides"]["pipeline"] == ["hello"]
    run = spine_cli("run", "hello", "-p", "name=spine", "--log-format", "console", site=site)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("hello succeeded: 1 read, 1 written, 0 rejected")  # what run returned
    assert "hello plugin saw hello end succeeded" in run.stderr  # a hook's print: not on stdout
    as_json = spine_cli("run", "hello", "--json", site=site)
    assert json.loads(as_json.stdout)["rows_written"] == 1, as_json.stdout
    assert "hello, spine" in run.stderr
    default = spine_cli("run", "hello", "--log-format", "console", site=site)
    assert "hello, world" in default.stderr  # the declared default, filled in by the kernel
    typo = spine_cli("run", "hello", "-p", "nmae=x", site=site)
    assert (typo.returncode, typo.stderr) == (
        2,
        "spine: error: pipeline 'hello': unknown param 'nmae' (did you mean 'name'?)\n",
    )
    shown = spine_cli("pipelines", "show", "hello", site=site)
    assert shown.stdout.splitlines()[-1].split() == ["name", "string", "world", "who", "to", "greet"]
