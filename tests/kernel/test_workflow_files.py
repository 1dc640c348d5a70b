"""Workflows written as YAML files: what they hold, and errors that name file, line and field."""

from __future__ import annotations

import pytest
import spine
from spine._orchestration._workflow_files import read_workflow_file
from spine._orchestration._workflows import Step

GOOD = """\
description: The weekly refresh
params: {week: 2026-11-16, dry_run: no, limit: 10}
max_concurrency: 3
on_failure: continue
steps:
  - name: t1
    pipeline: finra.otc_weekly
    params: {tier: T1}
  - name: report
    pipeline: finra.report
    depends_on: t1
"""


def write(tmp_path, text, name="weekly.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_workflow_file_is_read_whole(tmp_path):
    workflow = read_workflow_file(write(tmp_path, GOOD))
    assert workflow.name == "weekly" and workflow.source == str(tmp_path / "weekly.yaml")
    assert (workflow.description, workflow.max_concurrency, workflow.on_failure) == (
        "The weekly refresh",
        3,
        "continue",
    )
    # parameters are text, as on the command line, whatever YAML made of them
    assert workflow.params == {"week": "2026-11-16", "dry_run": "false", "limit": "10"}
    assert workflow.steps == (
        Step("t1", "finra.otc_weekly", {"tier": "T1"}),
        Step("report", "finra.report", {}, ("t1",)),
    )
    assert read_workflow_file(write(tmp_path, "name: other\n" + GOOD, "x.yml")).name == "other"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "steps:\n  - name: a\n    pipeline: demo\n  - name: b\n    pipline: demo\n",
            "line 4: steps[1].pipeline: Field required; line 5: steps[1].pipline: Extra inputs are not",
        ),
        (
            "steps:\n  - name: a\n    pipeline: demo\n    depends_on: [b\n",
            ":5: invalid YAML: expected ',' or ']'",
        ),
        (
            "max_concurrency: 0\nsteps:\n  - {name: a, pipeline: demo}\n",
            "line 1: max_concurrency: Input should be",
        ),
        (
            "on_failure: retry\nsteps:\n  - {name: a, pipeline: demo}\n",
            "line 1: on_failure: Input should be 'stop' or",
        ),
        ("steps: []\n", "line 1: steps: List should have at least 1 item"),
        (
            "steps:\n  - {name: a, pipeline: demo, params: {nested: {x: 1}}}\n",
            "line 2: steps[0].params.nested",
        ),
        ("- just\n- a list\n", "expected a mapping with 'steps', got list"),
    ],
)
def test_a_bad_file_names_the_file_line_and_field(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(spine.ConfigError) as raised:
        read_workflow_file(path)
    assert str(raised.value).startswith(str(path))
    assert message in str(raised.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(spine.ConfigError, match=r"workflow file .*nope.yaml does not exist"):
        read_workflow_file(tmp_path / "nope.yaml")
