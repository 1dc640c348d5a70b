"""Workflows through the kernel: checks before anything runs, order, real parallelism,
failure policies, resume, parameter precedence and the records they leave."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
import spine
from spine import Spine
from spine._orchestration._workflows import Step, Workflow, find_cycle
from spine._records._results import StepStatus


class Calls:
    """What the test pipelines saw: each call's parameters, and how many ran at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.params: list[dict[str, str]] = []
        self.running = 0
        self.most_at_once = 0
        self.barrier: threading.Barrier | None = None


class Record:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    def run(self, context):
        calls = self.calls
        with calls.lock:
            calls.params.append(dict(context.params))
            calls.running += 1
            calls.most_at_once = max(calls.most_at_once, calls.running)
        try:
            if context.params.get("wait") and calls.barrier is not None:
                calls.barrier.wait()  # only passes when the others run at the same time
            time.sleep(float(context.params.get("sleep", 0)))
            if context.params.get("fail"):
                raise spine.LoadError(f"step {context.params.get('name')} was told to fail")
            context.count(read=1, written=1)
        finally:
            with calls.lock:
                calls.running -= 1


DECLARED = (
    spine.Param("name"),
    spine.Param("tier", choices=("T1", "T2")),
    spine.Param("week", "date", required=True),
)


class Plugin:
    def __init__(self, calls: Calls) -> None:
        self.calls = calls

    @spine.hookimpl
    def register_pipelines(self, register):
        register(spine.PipelineSpec("record", lambda: Record(self.calls)))
        register(spine.PipelineSpec("record.other", lambda: Record(self.calls)))
        register(spine.PipelineSpec("record.declared", lambda: Record(self.calls), params=DECLARED))

    @spine.hookimpl
    def register_workflows(self, register):
        register(spine.WorkflowSpec("registered", lambda: Workflow("ignored", (Step("only", "record"),))))


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def kernel(calls, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    overrides = {"store_url": f"sqlite:///{tmp_path}/spine.db", "alert_on": []}
    with Spine(entry_points=False, plugins=[Plugin(calls)], overrides=overrides) as kernel:
        yield kernel


def step(name, depends_on=(), pipeline="record", **params):
    return Step(name, pipeline, {"name": name, **params}, tuple(depends_on))


def names(calls):
    return [params["name"] for params in calls.params]


# -- checks before anything runs -----------------------------------------------------------


def test_every_problem_is_named_before_anything_runs(kernel, calls):
    workflow = Workflow(
        "broken",
        (
            step("a", ["c"]),
            step("b", ["a"], pipeline="recrod"),
            step("c", ["b"]),
            step("d", ["nowhere"]),
            step("d"),
        ),
    )
    with pytest.raises(spine.ConfigError) as raised:
        kernel.run_workflow(workflow)
    assert raised.value.context["problems"] == [
        "step 'd' is defined 2 times",
        "step 'b' runs unknown pipeline 'recrod'; did you mean 'record'?",
        "step 'd' depends on 'nowhere', which is not a step of the workflow",
        "steps depend on each other in a cycle (each on the next): a -> c -> b -> a",
    ]
    assert str(raised.value).startswith("workflow 'broken' is invalid: step 'd' is defined 2 times; ")
    assert calls.params == [] and kernel.runs() == []


@pytest.mark.parametrize(
    ("workflow", "problem"),
    [
        (Workflow("w", ()), "it has no steps"),
        (Workflow("w", (step("a", ["a"]),)), "cycle (each on the next): a -> a"),
        (
            Workflow("w", (step("a"),), max_concurrency=0),
            "max_concurrency must be a whole number of 1 or more, got 0",
        ),
        (Workflow("w", (step("a"),), on_failure="retry"), "on_failure must be stop or continue, got 'retry'"),
    ],
)
def test_a_bad_workflow_is_refused(kernel, workflow, problem):
    with pytest.raises(spine.ConfigError) as raised:
        kernel.run_workflow(workflow)
    assert str(raised.value).endswith(problem)


def test_find_cycle_spells_the_cycle_and_copes_with_long_chains():
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert find_cycle({"x": [], "a": ["b"], "b": ["c"], "c": ["b"]}) == ["b", "c", "b"]
    assert find_cycle({str(i): [str(i + 1)] for i in range(5000)}) is None


# -- running ---------------------------------------------------------------------------------


def test_steps_run_after_what_they_depend_on(kernel, calls):
    workflow = Workflow(
        "ordered", (step("report", ["load", "derive"]), step("derive", ["load"]), step("load"), step("other"))
    )
    result = kernel.run_workflow(workflow)
    assert result.status == "succeeded" and calls.most_at_once == 1
    order = names(calls)
    assert order.index("load") < order.index("derive") < order.index("report")
    assert [s.status for s in result.steps] == [StepStatus.SUCCEEDED] * 4


def test_parallel_steps_really_overlap_and_never_exceed_max_concurrency(kernel, calls):
    calls.barrier = threading.Barrier(3, timeout=10)
    steps = (
        *(step(f"p{i}", wait="yes", sleep="0.05") for i in range(3)),
        *(step(f"q{i}", sleep="0.05") for i in range(4)),
    )
    result = kernel.run_workflow(Workflow("wide", steps, max_concurrency=3))
    assert result.status == "succeeded"
    assert calls.most_at_once == 3  # the barrier of three passed, and no fourth ran alongside


def test_one_at_a_time_cannot_pass_a_barrier_of_two(kernel, calls):
    calls.barrier = threading.Barrier(2, timeout=0.5)
    result = kernel.run_workflow(Workflow("narrow", (step("x", wait="yes"), step("y", wait="yes"))))
    assert [s.status for s in result.steps] == [StepStatus.FAILED, StepStatus.FAILED]
    assert "BrokenBarrierError" in result.steps[0].message


def test_stop_skips_what_depends_on_a_failed_step_and_runs_the_rest(kernel, calls):
    workflow = Workflow(
        "stops",
        (step("load", fail="yes"), step("derive", ["load"]), step("report", ["derive"]), step("independent")),
        on_failure="stop",
    )
    result = kernel.run_workflow(workflow)
    assert result.status == "failed"
    assert {s.step: s.status for s in result.steps} == {
        "load": StepStatus.FAILED,
        "derive": StepStatus.SKIPPED,
        "report": StepStatus.SKIPPED,
        "independent": StepStatus.SUCCEEDED,
    }
    assert result.step("load").message == "[load] step load was told to fail"
    assert result.step("report").message == "skipped: depends on derive, which did not succeed"
    assert sorted(names(calls)) == ["independent", "load"]


def test_continue_runs_what_depends_on_a_failed_step(kernel, calls):
    workflow = Workflow(
        "goes_on", (step("load", fail="yes"), step("derive", ["load"])), on_failure="continue"
    )
    result = kernel.run_workflow(workflow)
    assert [(s.step, s.status) for s in result.steps] == [("load", "failed"), ("derive", "succeeded")]
    assert result.status == "failed"


def test_parameters_merge_workflow_defaults_then_the_run_then_the_step(kernel, calls):
    workflow = Workflow(
        "params",
        (Step("s", "record", {"name": "s", "tier": "T1"}),),
        params={"tier": "ALL", "week": "2026-11-16", "source": "file"},
    )
    result = kernel.run_workflow(workflow, {"week": "2026-11-23", "tier": "T2"})
    assert calls.params == [{"name": "s", "tier": "T1", "week": "2026-11-23", "source": "file"}]
    assert result.params == {"week": "2026-11-23", "tier": "T2"}
    assert result.step("s").params == calls.params[0]


def test_workflow_and_run_params_reach_the_steps_that_declare_them(kernel, calls):
    workflow = Workflow(
        "spread",
        (Step("a", "record.declared", {"name": "a"}), Step("b", "record", {"name": "b"})),
        params={"week": "2026-11-16", "colour": "red"},
    )
    result = kernel.run_workflow(workflow, {"tier": "T1"})
    assert result.status == "succeeded", [step.message for step in result.steps]
    by_name = {params["name"]: params for params in calls.params}
    # a's pipeline declares its params: it gets those, parsed; b's declares none: it gets all
    assert by_name["a"] == {"name": "a", "week": date(2026, 11, 16), "tier": "T1"}
    assert by_name["b"] == {"name": "b", "week": "2026-11-16", "colour": "red", "tier": "T1"}


@pytest.mark.parametrize(
    ("run_params", "workflow_params", "problem"),
    [
        ({"weeks": "x"}, {}, "param 'weeks' (from the run) is taken by no step (did you mean 'week'?)"),
        (
            {},
            {"zone": "x"},
            "param 'zone' (from the workflow's params) is taken by no step (the steps take name, ",
        ),
        ({"tier": "T3"}, {}, "step 'a' (record.declared): param 'tier': expected one of T1, T2, got 'T3'"),
        ({"week": "soon"}, {}, "step 'a' (record.declared): param 'week': expected a date (YYYY-MM-DD)"),
    ],
)
def test_a_param_no_step_takes_or_a_wrong_value_is_refused_before_anything_runs(
    kernel, calls, run_params, workflow_params, problem
):
    workflow = Workflow("declared", (Step("a", "record.declared", {"name": "a"}),), params=workflow_params)
    with pytest.raises(spine.ConfigError) as raised:
        kernel.run_workflow(workflow, {"week": "2026-11-16", **run_params})
    assert str(raised.value).startswith(f"workflow 'declared' is invalid: {problem}")
    assert calls.params == [] and kernel.runs() == []


def test_a_steps_own_params_must_be_declared_by_its_pipeline(kernel, calls):
    workflow = Workflow("own", (Step("a", "record.declared", {"name": "a", "teir": "T1", "week": "x"}),))
    with pytest.raises(spine.ConfigError) as raised:
        kernel.check_workflow(workflow)
    assert raised.value.context["problems"] == [
        "step 'a' (record.declared): unknown param 'teir' (did you mean 'tier'?)",
        "step 'a' (record.declared): param 'week': expected a date (YYYY-MM-DD), got 'x'",
    ]


def test_a_required_param_is_asked_of_the_run_not_of_the_workflow_as_written(kernel, calls):
    workflow = Workflow("needs_week", (Step("a", "record.declared", {"name": "a"}),))
    kernel.check_workflow(workflow)  # as written: a run may give the week
    with pytest.raises(spine.ConfigError, match=r"step 'a' \(record.declared\): param 'week' is required$"):
        kernel.run_workflow(workflow)
    assert calls.params == []
    assert kernel.run_workflow(workflow, {"week": date(2026, 11, 16)}).status == "succeeded"


def test_resume_runs_only_the_steps_that_did_not_succeed(kernel, calls):
    flaky = Workflow(
        "flaky",
        (step("load"), step("derive", ["load"], fail="yes"), step("report", ["derive"]), step("other")),
    )
    first = kernel.run_workflow(flaky, {"week": "2026-11-16"})
    assert [s.status for s in first.steps] == ["succeeded", "failed", "skipped", "succeeded"]
    calls.params.clear()
    fixed = Workflow(
        "flaky", (step("load"), step("derive", ["load"]), step("report", ["derive"]), step("other"))
    )
    second = kernel.run_workflow(fixed, resume=first.run_id[:8])
    assert second.status == "succeeded" and second.resumed_from == first.run_id
    assert names(calls) == ["derive", "report"]
    assert all(params["week"] == "2026-11-16" for params in calls.params)  # the resumed run's parameters
    assert second.step("load").run_id == first.step("load").run_id
    assert second.step("load").message == f"reused from run {first.run_id}"
    with pytest.raises(spine.ConfigError, match="no run 'nosuchrun' of workflow 'flaky' to resume"):
        kernel.run_workflow(fixed, resume="nosuchrun")
    with pytest.raises(spine.ConfigError, match="of workflow 'other' to resume"):
        kernel.run_workflow(Workflow("other", (step("x"),)), resume=first.run_id)


def test_resume_runs_again_what_depends_on_a_step_that_runs_again(kernel, calls):
    workflow = Workflow(
        "downstream",
        (step("load", fail="yes"), step("derive", ["load"]), step("report", ["derive"]), step("other")),
        on_failure="continue",
    )
    first = kernel.run_workflow(workflow)
    assert [s.status for s in first.steps] == ["failed", "succeeded", "succeeded", "succeeded"]
    calls.params.clear()
    fixed = Workflow(
        "downstream", (step("load"), step("derive", ["load"]), step("report", ["derive"]), step("other"))
    )
    second = kernel.run_workflow(fixed, resume=first.run_id)
    assert sorted(names(calls)) == ["derive", "load", "report"]  # made again from the new load
    assert second.step("other").run_id == first.step("other").run_id


def test_secret_parameters_are_masked_in_the_records(kernel, calls):
    result = kernel.run_workflow(Workflow("s", (step("a"),)), {"api_token": "hunter2-token-value"})
    assert calls.params[0]["api_token"] == "hunter2-token-value"  # the pipeline gets the real value
    assert result.params["api_token"] == "***" and result.step("a").params["api_token"] == "***"
    assert "hunter2" not in repr(kernel.find_run(result.run_id))


# -- records and queries ----------------------------------------------------------------------


def test_the_workflow_run_and_each_step_are_recorded_and_queryable(kernel, calls):
    result = kernel.run_workflow(
        Workflow("nightly", (step("a"), step("b", ["a"], fail="yes"), step("c", ["b"])))
    )
    kernel.run("record", {"name": "alone"})
    stored = kernel.find_run(result.run_id[:10])
    assert stored == result
    assert [(s.step, s.status, s.run_id is not None) for s in stored.steps] == [
        ("a", "succeeded", True),
        ("b", "failed", True),
        ("c", "skipped", False),
    ]
    b_run = kernel.find_run(stored.step("b").run_id)
    assert (b_run.pipeline, b_run.status, b_run.error.message) == (
        "record",
        "failed",
        "step b was told to fail",
    )
    everything = kernel.runs()
    assert len(everything) == 4 and everything[0].pipeline == "record"  # newest first
    of_nightly = kernel.runs(workflow="nightly")
    assert {getattr(run, "workflow", None) or run.pipeline for run in of_nightly} == {"nightly", "record"}
    assert len(of_nightly) == 3  # the workflow run and its two pipeline runs, not the lone run
    failed = {run.run_id for run in kernel.runs(workflow="nightly", status="failed")}
    assert failed == {result.run_id, stored.step("b").run_id}
    assert kernel.runs(pipeline="record", limit=1)[0].params == {"name": "alone"}
    assert kernel.runs(workflow="elsewhere") == []


def test_workflows_by_name_from_plugins_and_files(kernel, tmp_path):
    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "weekly.yaml").write_text(
        "steps:\n  - name: one\n    pipeline: record\n"
        "  - name: two\n    pipeline: record.other\n    depends_on: one\n"
    )
    assert [w.name for w in kernel.workflows()] == ["registered", "weekly"]
    assert kernel.workflow("registered").name == "registered"  # the registered name wins
    weekly = kernel.workflow("weekly")
    assert weekly.source == "workflows/weekly.yaml"
    assert [(s.name, s.depends_on) for s in weekly.steps] == [("one", ()), ("two", ("one",))]
    assert kernel.run_workflow("weekly").status == "succeeded"
    with pytest.raises(spine.PluginError, match=r"unknown workflow 'weakly'; did you mean 'weekly'\?"):
        kernel.workflow("weakly")


def test_an_interrupted_run_records_what_ran_and_what_never_started(kernel, calls):
    import _thread

    workflow = Workflow("stopped", (step("slow", sleep="0.5"), step("after", ["slow"])))
    threading.Timer(0.1, _thread.interrupt_main).start()
    with pytest.raises(KeyboardInterrupt):
        kernel.run_workflow(workflow)
    (stored,) = [run for run in kernel.runs(workflow="stopped") if isinstance(run, spine.WorkflowResult)]
    assert stored.status == "cancelled"
    assert [(s.step, s.status, s.message) for s in stored.steps] == [
        ("slow", "succeeded", ""),
        ("after", "skipped", "not started: the run stopped"),
    ]
