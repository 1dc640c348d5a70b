"""The README's workflow example is valid against the installed plugins, and the FINRA
plugin's workflow passes the same check; the embedding example passes parameters its
pipelines and workflows take."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import spine as spine_kernel

README = Path(__file__).parents[2] / "README.md"


def test_the_readme_workflow_example_checks(spine, tmp_path):
    (example,) = re.findall(r"```yaml\n(# workflows/catch_up.yaml\n.*?)```", README.read_text(), re.S)
    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "catch_up.yaml").write_text(example)
    checked = spine("workflow", "check", "catch_up")
    assert (checked.returncode, checked.stdout.strip()) == (0, "catch_up: ok, 3 steps, up to 2 at once"), (
        checked.stderr
    )
    finra = spine("workflow", "check", "finra.weekly")
    assert (finra.returncode, finra.stdout.strip()) == (0, "finra.weekly: ok, 4 steps, up to 3 at once")
    listed = spine("schedules", "list", "--json")
    assert [item["name"] for item in json.loads(listed.stdout)] == ["finra.weekly"]


def test_the_readme_embedding_example_passes_params_that_are_taken():
    (example,) = re.findall(r"## Embedding\n\n```python\n(.*?)```", README.read_text(), re.S)
    calls = re.findall(r"kernel\.run(_workflow)?\(\"([\w.]+)\", (\{[^}]*\})\)", example)
    assert [(workflow, name) for workflow, name, _ in calls] == [("", "demo"), ("_workflow", "finra.weekly")]
    with spine_kernel.Spine(environ={}) as kernel:
        for workflow, name, params in calls:
            if workflow:
                kernel.check_workflow(kernel.workflow(name), ast.literal_eval(params))
            else:
                kernel.check_params(name, ast.literal_eval(params))
        # what the example said before: the workflow takes no week, and says so
        with pytest.raises(
            spine_kernel.ConfigError, match=r"param 'week' \(from the run\) is taken by no step"
        ):
            kernel.check_workflow(kernel.workflow("finra.weekly"), {"week": "2026-11-23"})
