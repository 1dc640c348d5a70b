"""One test per hook: each registers a plugin in code and checks what the kernel does with it."""

from __future__ import annotations

import logging
import os
import socket

import pytest
import spine
from spine import Spine


class Recorder:
    """A plugin that records the lifecycle hooks it sees."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    @spine.hookimpl
    def run_started(self, run):
        self.events.append(("started", run))

    @spine.hookimpl
    def run_finished(self, result):
        self.events.append(("finished", result))

    @spine.hookimpl
    def run_failed(self, result, error):
        self.events.append(("failed", (result, error)))


class Pipelines:
    @spine.hookimpl
    def register_pipelines(self, register):
        register(spine.PipelineSpec("ok", lambda: Step(read=2)))
        register(spine.PipelineSpec("partial", lambda: Step(read=3, rejected=1)))
        register(
            spine.PipelineSpec("bad", lambda: Step(spine.LoadError("disk full", context={"table": "t"})))
        )
        register(spine.PipelineSpec("bug", lambda: Step(ZeroDivisionError("division by zero"))))


class Step:
    """Counts rows without a store: `read` rows, of which `rejected` are rejected."""

    def __init__(self, error: BaseException | None = None, *, read: int = 0, rejected: int = 0) -> None:
        self.error, self.read, self.rejected = error, read, rejected

    def run(self, context):
        if self.error is not None:
            raise self.error
        context.count(read=self.read, written=self.read - self.rejected)
        for line in range(self.rejected):
            context.reject(spine.Reject("step", line + 1, "raw", "rejected by the test"))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def kernel(recorder: Recorder) -> Spine:
    return Spine(entry_points=False, environ={}, plugins=[Pipelines(), recorder])


def _plugin(hook: str, spec: spine.Capability) -> object:
    class Plugin:
        pass

    def implementation(register):
        register(spec)

    setattr(Plugin, hook, staticmethod(spine.hookimpl(implementation)))
    return Plugin()


def _register(hook: str, spec: spine.Capability) -> Spine:
    return Spine(entry_points=False, environ={}, plugins=[_plugin(hook, spec)])


def test_hook_register_sources():
    kernel = _register("register_sources", spine.SourceSpec("csvish", "json:loads", schemes=("csv",)))
    spec = kernel.plugins.get("source", "csvish")
    assert spec.schemes == ("csv",)
    assert spec.load()("[1]") == [1]


def test_hook_register_stores():
    kernel = _register("register_stores", spine.StoreSpec("memory", dict, schemes=("memory",)))
    assert kernel.plugins.get("store", "memory").load()() == {}
    assert kernel.plugins.names("store") == ["memory", "sqlite"]


def test_hook_register_alert_channels():
    kernel = _register("register_alert_channels", spine.AlertChannelSpec("pager", list))
    assert kernel.plugins.get("alert_channel", "pager").load() is list


def test_hook_register_pipelines():
    kernel = _register("register_pipelines", spine.PipelineSpec("one", lambda: Step(read=1)))
    assert "one" in kernel.plugins.names("pipeline")
    assert kernel.run("one").counts == spine.RunCounts(1, 1, 0)


def test_hook_register_workflows():
    steps = (spine.Step("first", "demo", {"rows": "1"}), spine.Step("then", "demo", depends_on=("first",)))
    weekly = spine.Workflow("weekly", steps, params={"rows": "2"})
    kernel = _register("register_workflows", spine.WorkflowSpec("weekly", lambda: weekly, description="d"))
    assert kernel.plugins.get("workflow", "weekly").description == "d"
    assert kernel.workflow("weekly") == weekly
    result = kernel.run_workflow("weekly")
    assert [(step.step, step.status) for step in result.steps] == [
        ("first", "succeeded"),
        ("then", "succeeded"),
    ]


def test_hook_register_schedules():
    kernel = _register(
        "register_schedules",
        spine.ScheduleSpec(
            "nightly", pipeline="ok", cron="30 2 * * *", timezone="Europe/Paris", params={"day": 1}
        ),
    )
    schedule = kernel.plugins.get("schedule", "nightly")
    assert (schedule.target, schedule.cron, schedule.timezone, schedule.params) == (
        ("pipeline", "ok"),
        "30 2 * * *",
        "Europe/Paris",
        (("day", "1"),),
    )


class ExampleSettings(spine.SpineSettings):
    example_channel: str = "#data"


def test_hook_register_settings(tmp_path):
    config = tmp_path / "spine.toml"
    config.write_text('example_channel = "#alerts"\nexample_chanel = "#typo"\n')
    plugin = _plugin("register_settings", spine.SettingsSpec("example", f"{__name__}:ExampleSettings"))
    typo = Spine(entry_points=False, environ={}, config_file=config, plugins=[plugin])
    with pytest.raises(spine.ConfigError) as caught:
        _ = typo.settings
    assert (
        str(caught.value) == f"unknown setting 'example_chanel' in {config} (did you mean 'example_channel'?)"
    )
    config.write_text('example_channel = "#alerts"\n')
    kernel = Spine(entry_points=False, environ={}, config_file=config, plugins=[plugin])
    assert kernel.settings.log_level == "info"  # the plugin's key is known: it declared it
    spec = kernel.plugins.get("settings", "example")
    assert spec.model() is ExampleSettings
    assert kernel.plugin_settings(spec.model()).example_channel == "#alerts"
    undeclared = Spine(entry_points=False, environ={}, config_file=config)
    with pytest.raises(spine.ConfigError, match="unknown setting 'example_channel'"):
        _ = undeclared.settings


def test_a_pipeline_with_a_schedule_registers_a_schedule_of_its_name():
    kernel = _register("register_pipelines", spine.PipelineSpec("weekly", list, schedule="0 6 * * 1"))
    schedule = kernel.plugins.get("schedule", "weekly")
    assert (schedule.target, schedule.cron, schedule.timezone) == (("pipeline", "weekly"), "0 6 * * 1", "UTC")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"cron": "0 6 * * 1"}, "name exactly one of pipeline= and workflow="),
        (
            {"pipeline": "p", "workflow": "w", "cron": "0 6 * * 1"},
            "name exactly one of pipeline= and workflow=",
        ),
        ({"pipeline": "p"}, "give exactly one of cron= and interval="),
        ({"pipeline": "p", "cron": "0 6 * * 1", "interval": 60}, "give exactly one of cron= and interval="),
        ({"pipeline": "p", "cron": "mondays"}, "'mondays' is not a cron expression of five fields"),
        ({"pipeline": "p", "interval": 0}, "interval must be a positive number of seconds, got 0"),
    ],
)
def test_a_schedule_says_what_runs_and_when_exactly_once(arguments, message):
    with pytest.raises(spine.PluginError, match=message):
        spine.ScheduleSpec("s", **arguments)


def test_hook_run_started(kernel, recorder):
    result = kernel.run("ok", {"day": "monday"})
    kind, run = recorder.events[0]
    assert kind == "started"
    assert (run.run_id, run.pipeline, run.params) == (result.run_id, "ok", {"day": "monday"})
    assert run.started_at == result.started_at


def test_hook_run_finished(kernel, recorder):
    for name, status in (("ok", "succeeded"), ("partial", "partial")):
        recorder.events.clear()
        result = kernel.run(name)
        assert result.status == status
        assert [kind for kind, _ in recorder.events] == ["started", "finished"]
        assert recorder.events[1][1] is result


def test_hook_run_failed(kernel, recorder):
    result = kernel.run("bad")
    assert [kind for kind, _ in recorder.events] == ["started", "failed"]
    seen_result, error = recorder.events[1][1]
    assert seen_result is result
    assert isinstance(error, spine.LoadError)
    assert result.status == "failed" and not result.ok
    assert result.error == spine.ErrorInfo("load", "disk full", False, {"table": "t"})


def test_an_unexpected_exception_fails_the_run_as_an_internal_error(kernel, recorder):
    result = kernel.run("bug")
    assert result.status == "failed"
    assert (result.error.category, result.error.message) == (
        "internal",
        "ZeroDivisionError: division by zero",
    )
    error = recorder.events[1][1][1]
    assert isinstance(error.__cause__, ZeroDivisionError)


def test_a_lifecycle_hook_that_raises_is_logged_and_the_others_still_run(recorder, caplog):
    class Broken:
        @spine.hookimpl
        def run_finished(self, result):
            raise RuntimeError("observer bug")

    kernel = Spine(entry_points=False, environ={}, plugins=[Pipelines(), Broken(), recorder])
    with caplog.at_level(logging.WARNING, logger="spine.plugins"):
        result = kernel.run("ok")
    assert result.status == "succeeded"
    assert ("finished", result) in recorder.events
    assert "failed in run_finished: RuntimeError: observer bug" in caplog.text


def test_secret_params_are_masked_in_hooks_and_results(kernel, recorder):
    result = kernel.run("ok", {"password": "hunter22", "url": "postgresql://u:pw1234@db/x"})
    assert result.params == {"password": "***", "url": "postgresql://u:***@db/x"}
    assert recorder.events[0][1].params == result.params


def test_the_result_envelope_serialises_to_the_documented_json():
    kernel = Spine(entry_points=False, environ={}, plugins=[Pipelines()])
    envelope = kernel.run("partial").to_dict()
    assert set(envelope) == {
        "kind",
        "run_id",
        "pipeline",
        "status",
        "params",
        "rows_read",
        "rows_written",
        "rows_rejected",
        "started_at",
        "finished_at",
        "duration_seconds",
        "error",
        "warnings",
        "tables",
        "worker",
    }
    assert (envelope["kind"], envelope["status"], envelope["rows_rejected"]) == ("pipeline", "partial", 1)
    assert (envelope["warnings"], envelope["tables"]) == ([], [])
    assert envelope["worker"] == f"{socket.gethostname()}:{os.getpid()}"
    assert envelope["error"] is None
