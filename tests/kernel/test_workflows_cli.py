"""``spine workflow run|list|check`` and the workflow side of ``spine runs``, run as a user would."""

from __future__ import annotations

import json

WORKFLOW = """\
name: trial
params: {rows: "20"}
max_concurrency: 2
steps:
  - {name: a, pipeline: demo}
  - {name: b, pipeline: demo, params: {fail_at: "3"}}
  - {name: c, pipeline: demo, depends_on: [a]}
  - {name: d, pipeline: demo, depends_on: [b, c]}
"""


def test_workflow_run_reports_every_step_and_exits_1_when_one_failed(spine_cli, tmp_path):
    (tmp_path / "trial.yaml").write_text(WORKFLOW)
    ran = spine_cli("workflow", "run", "trial.yaml", "--json")
    assert ran.returncode == 1, ran.stderr
    result = json.loads(ran.stdout)
    assert (result["kind"], result["workflow"], result["status"]) == ("workflow", "trial", "failed")
    assert [(s["step"], s["status"]) for s in result["steps"]] == [
        ("a", "succeeded"),
        ("b", "failed"),
        ("c", "succeeded"),
        ("d", "skipped"),
    ]
    assert result["steps"][1]["message"] == "[source] demo line 3: failure requested with fail_at=3"
    assert "Traceback" not in ran.stderr

    shown = spine_cli("runs", "show", result["run_id"][:8])
    lines = shown.stdout.splitlines()
    assert lines[0] == f"run       {result['run_id']}" and lines[1] == "workflow  trial (trial.yaml)"
    assert lines[2] == "status    failed"
    step_lines = lines[lines.index(next(line for line in lines if line.startswith("STEP"))) + 1 :]
    assert [line.split()[:3] for line in step_lines] == [
        ["a", "demo", "succeeded"],
        ["b", "demo", "failed"],
        ["c", "demo", "succeeded"],
        ["d", "demo", "skipped"],
    ]
    b_run = result["steps"][1]["run_id"]
    b_shown = spine_cli("runs", "show", b_run)
    assert f"part of   workflow trial, run {result['run_id']}, step b" in b_shown.stdout.splitlines()

    listed = json.loads(spine_cli("runs", "list", "--workflow", "trial", "--json").stdout)
    assert sorted(r["kind"] for r in listed) == ["pipeline"] * 3 + ["workflow"]
    assert {r["workflow"]["step"] for r in listed if r["kind"] == "pipeline"} == {"a", "b", "c"}


def test_resume_runs_only_what_did_not_succeed(spine_cli, tmp_path):
    (tmp_path / "trial.yaml").write_text(WORKFLOW)
    first = json.loads(spine_cli("workflow", "run", "trial.yaml", "--json").stdout)
    (tmp_path / "trial.yaml").write_text(WORKFLOW.replace('params: {fail_at: "3"}', 'params: {rows: "5"}'))
    resumed = spine_cli("workflow", "run", "trial.yaml", "--resume", first["run_id"][:10])
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.splitlines()[0].startswith("trial succeeded: 4 succeeded in ")
    table = {line.split()[0]: line for line in resumed.stdout.splitlines()[2:]}
    assert table["a"].endswith(f"reused from run {first['run_id']}")
    assert table["c"].endswith(f"reused from run {first['run_id']}")
    assert "reused" not in table["b"] and "reused" not in table["d"]


def test_an_invalid_workflow_exits_2_naming_every_problem(spine_cli, tmp_path):
    (tmp_path / "loop.yaml").write_text(
        "steps:\n"
        "  - {name: a, pipeline: demo, depends_on: [b]}\n"
        "  - {name: b, pipeline: deom, depends_on: [a]}\n"
        "  - {name: c, pipeline: demo, depends_on: [zz]}\n"
    )
    for command in (("workflow", "check", "loop.yaml"), ("workflow", "run", "loop.yaml")):
        checked = spine_cli(*command)
        assert checked.returncode == 2
        assert checked.stderr.strip() == (
            "spine: error: workflow 'loop' (loop.yaml) is invalid: "
            "step 'b' runs unknown pipeline 'deom'; did you mean 'demo'?; "
            "step 'c' depends on 'zz', which is not a step of the workflow; "
            "steps depend on each other in a cycle (each on the next): a -> b -> a"
        )
    assert spine_cli("runs", "list").stdout.strip() == "no runs recorded"
    bad_yaml = spine_cli("workflow", "run", "missing.yaml")
    assert bad_yaml.returncode == 2 and "workflow file missing.yaml does not exist" in bad_yaml.stderr


def test_workflow_list_and_check_by_name(spine_cli, tmp_path):
    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "trial.yaml").write_text(WORKFLOW)
    listed = json.loads(spine_cli("--no-plugins", "workflow", "list", "--json").stdout)
    assert listed == [
        {
            "name": "trial",
            "description": "",
            "source": "workflows/trial.yaml",
            "steps": ["a", "b", "c", "d"],
            "max_concurrency": 2,
            "on_failure": "stop",
        }
    ]
    assert spine_cli("workflow", "check", "trial").stdout.strip() == "trial: ok, 4 steps, up to 2 at once"
    with_params = spine_cli("workflow", "check", "trial", "-p", "rows=5", "-p", "reject_every=x")
    assert (with_params.returncode, with_params.stderr.strip()) == (
        2,
        "spine: error: workflow 'trial' (workflows/trial.yaml) is invalid: "
        + "; ".join(
            f"step {name} (demo): param 'reject_every': expected an integer, got 'x'"
            for name in ("'a'", "'b'", "'c'", "'d'")
        ),
    )
    unknown_param = spine_cli("workflow", "run", "trial", "-p", "rwos=5")
    assert unknown_param.returncode == 2
    assert "param 'rwos' (from the run) is taken by no step (did you mean 'rows'?)" in unknown_param.stderr
    unknown = spine_cli("workflow", "run", "trail")
    assert unknown.returncode == 2 and "unknown workflow 'trail'; did you mean 'trial'?" in unknown.stderr


def test_doctor_checks_the_workflow_files(spine_cli, tmp_path):
    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "trial.yaml").write_text(WORKFLOW)
    (tmp_path / "workflows" / "broken.yaml").write_text("steps:\n  - {name: a, pipeline: nothing}\n")
    doctor = spine_cli("doctor")
    assert doctor.returncode == 1
    lines = doctor.stdout.splitlines()
    assert "ok     workflow trial: 4 steps (workflows/trial.yaml)" in lines
    assert (
        "error  workflow workflows/broken.yaml: workflow 'broken' (workflows/broken.yaml) is invalid: "
        "step 'a' runs unknown pipeline 'nothing'" in lines
    )
