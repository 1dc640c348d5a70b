"""The README's workflow example is valid against the installed plugins, and the FINRA
plugin's workflow passes the same check."""

from __future__ import annotations

import json
import re
from pathlib import Path

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
