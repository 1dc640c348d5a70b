"""The hook specifications: everything a plugin can implement.

A plugin is a module (or any object) with functions marked ``@spine.hookimpl`` whose
names are among the hooks below. Registration hooks receive a ``register`` callback
and hand it typed descriptors; they run once, when the kernel loads the plugin, and
must stay cheap (no heavy imports: put those behind the descriptor's factory).
Lifecycle hooks observe runs; their ``alert`` argument sends an `Alert` through the
kernel's routing rules (into the run's store history). An implementation may accept a subset of a hook's
arguments, as usual with pluggy.

spine calls each implementation on its own, in load order, so that one plugin's
exception is attributed to it and never stops the others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .._alerts._model import Alert, Delivery
    from .._errors import SpineError
    from .._records._results import RunInfo, RunResult
    from ._descriptors import (
        AlertChannelSpec,
        PipelineSpec,
        ScheduleSpec,
        SettingsSpec,
        SourceSpec,
        StoreSpec,
        WorkflowSpec,
    )

PROJECT_NAME = "spine"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_sources(register: Callable[[SourceSpec], None]) -> None:
    """register_sources(register: Callable[[SourceSpec], None]) -> None

    Call ``register(SourceSpec(name, factory, ...))`` once per source the plugin
    provides. Source names are unique across all installed plugins.
    """


@hookspec
def register_stores(register: Callable[[StoreSpec], None]) -> None:
    """register_stores(register: Callable[[StoreSpec], None]) -> None

    Call ``register(StoreSpec(name, factory, schemes=(...)))`` once per store. The
    schemes are the store-URL schemes (``postgresql``) that select the store.
    """


@hookspec
def register_alert_channels(register: Callable[[AlertChannelSpec], None]) -> None:
    """register_alert_channels(register: Callable[[AlertChannelSpec], None]) -> None

    Call ``register(AlertChannelSpec(name, factory))`` once per alert channel.
    """


@hookspec
def register_pipelines(register: Callable[[PipelineSpec], None]) -> None:
    """register_pipelines(register: Callable[[PipelineSpec], None]) -> None

    Call ``register(PipelineSpec(name, factory))`` once per pipeline. The factory
    returns an object whose ``run(context: RunContext) -> None`` does the work,
    usually through ``context.load(source, target, ...)``.
    """


@hookspec
def register_workflows(register: Callable[[WorkflowSpec], None]) -> None:
    """register_workflows(register: Callable[[WorkflowSpec], None]) -> None

    Call ``register(WorkflowSpec(name, factory))`` once per workflow. The factory
    returns a `spine.Workflow`: steps, each a pipeline with parameters and the steps it
    depends on.
    """


@hookspec
def register_schedules(register: Callable[[ScheduleSpec], None]) -> None:
    """register_schedules(register: Callable[[ScheduleSpec], None]) -> None

    Call ``register(ScheduleSpec(name, pipeline=... or workflow=..., cron=... or
    interval=...))`` once per schedule that ``spine scheduler run`` should keep.
    """


@hookspec
def register_settings(register: Callable[[SettingsSpec], None]) -> None:
    """register_settings(register: Callable[[SettingsSpec], None]) -> None

    Call ``register(SettingsSpec(name, "package.module:Model"))`` once per settings model
    the plugin reads with ``kernel.plugin_settings(Model)`` (a `spine.SpineSettings`
    subclass). Its fields are the plugin's keys in ``spine.toml``, ``SPINE_*`` variables
    and overrides: the kernel refuses a key that neither it nor a loaded plugin declares.
    The model is imported when the kernel validates its settings, not when plugins are
    listed: keep heavy imports out of its module.
    """


@hookspec
def run_started(run: RunInfo, alert: Callable[[Alert], list[Delivery]]) -> None:
    """run_started(run: RunInfo, alert: Callable[[Alert], list[Delivery]]) -> None

    Called when a run begins, before the pipeline does any work. Exactly one of
    `run_finished` or `run_failed` follows for the same ``run.run_id``.
    """


@hookspec
def run_finished(result: RunResult, alert: Callable[[Alert], list[Delivery]]) -> None:
    """run_finished(result: RunResult, alert: Callable[[Alert], list[Delivery]]) -> None

    Called when a run ends with status ``succeeded`` or ``partial``. The kernel raises
    its own alert for a ``partial`` run after the hooks (see the ``alert_on`` setting).
    """


@hookspec
def run_failed(result: RunResult, error: SpineError, alert: Callable[[Alert], list[Delivery]]) -> None:
    """run_failed(result: RunResult, error: SpineError, alert: Callable[[Alert], list[Delivery]]) -> None

    Called when a run ends with status ``failed``; ``error`` is the exception that
    ended it (unexpected exceptions arrive wrapped in a `SpineError` whose
    category is ``internal``), and ``result.error`` is its redacted summary. The
    kernel raises its own alert for the failure after the hooks.
    """
