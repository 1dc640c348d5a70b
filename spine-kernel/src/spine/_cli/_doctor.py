"""``spine doctor``: check settings and plugins, and say what to do about each problem."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, cast

from .._config._redact import Redactor
from .._config._sources import ConfigSources, normalize_name
from .._errors import SpineError
from .._kernel import Spine
from .._version import __version__

if TYPE_CHECKING:
    from .._plugins._descriptors import SettingsSpec


@dataclass(frozen=True)
class Check:
    subject: str
    status: str  # "ok", "warning" (worth knowing, not a failure) or "error"
    message: str
    fix: str | None = None


def diagnose(overrides: dict[str, Any], config_file: str | None, *, as_json: bool) -> int:
    """Print one line per check; return 1 when any check failed, else 0 (warnings included)."""
    checks, redactor = _run_checks(overrides, config_file)
    failed = [check for check in checks if check.status == "error"]
    warnings = sum(check.status == "warning" for check in checks)
    if as_json:
        payload = {"ok": not failed, "version": __version__, "checks": [asdict(c) for c in checks]}
        json.dump(redactor.value(payload), sys.stdout, indent=2)
        print()
    else:
        print(f"spine {__version__}")
        for check in checks:
            print(redactor.text(f"{check.status:<6} {check.subject}: {check.message}"))
            if check.fix:
                print(redactor.text(f"       fix: {check.fix}"))
        summary = f"{len(failed)} problem(s) found." if failed else "No problems found."
        print(summary + (f" {warnings} warning(s)." if warnings else ""))
    return 1 if failed else 0


def _run_checks(overrides: dict[str, Any], config_file: str | None) -> tuple[list[Check], Redactor]:
    try:
        config = ConfigSources.load(overrides, config_file=config_file)
        kernel = Spine(config=config)
        _ = kernel.settings  # validates every setting, not only the ones needed to boot
    except SpineError as exc:  # the error every other command would stop on
        fix = exc.context.get("fix") or "correct the value named above"
        return [Check("settings", "error", str(exc), fix)], Redactor()
    unknown = kernel.check_setting_names()
    if unknown is None:
        source = f"config file {config.file}" if config.file else "no config file"
        checks = [Check("settings", "ok", f"valid ({source})")]
    else:
        fix = "load the plugin it belongs to, or rename or remove it"
        checks = [Check("settings", "warning", unknown, fix)]
    checks += _plugin_checks(kernel)
    checks += _plugin_settings_checks(kernel)
    checks += _pipeline_checks(kernel)
    checks += _alert_checks(kernel)
    checks += _workflow_checks(kernel)
    checks += _schedule_checks(kernel)
    checks.append(_store_check(kernel))
    if checks[-1].status == "ok":
        checks += _abandoned_run_checks(kernel)
    return checks, kernel.redactor


def _abandoned_run_checks(kernel: Spine) -> list[Check]:
    """The runs left running by a process that died: closed now, and told."""
    from .._orchestration._abandoned import what_died
    from .._records._queries import utc_text

    checks = []
    for run in kernel.close_abandoned():
        name, why = what_died(run)
        checks.append(
            Check(
                f"run {run.run_id}",
                "warning",
                f"{name}, started {utc_text(run.started_at)}, was left running: {why}; closed as failed",
                "run it again if its work is still wanted",
            )
        )
    return checks


def _store_check(kernel: Spine) -> Check:
    url = kernel.redactor.text(kernel.store_url())
    try:
        store = kernel.runlog().store  # opens it and applies the kernel's migrations
    except SpineError as exc:
        return Check(
            "store", "error", str(exc), f"check store_url / SPINE_STORE_URL ({url}) and that it is reachable"
        )
    return Check("store", "ok", f"{store.describe()} reachable, run records up to date")


def _schedule_checks(kernel: Spine) -> list[Check]:
    from .._orchestration._schedules import load_schedules

    try:
        schedules, problems = load_schedules(kernel)  # cron fields and time zones, read as the scheduler will
    except SpineError as exc:
        return [Check("schedules", "error", str(exc), "correct the schedules setting")]
    checks = [Check("schedules", "error", problem, "fix or disable the plugin") for problem in problems]
    for schedule in schedules:
        try:  # with the params it gives, as when it fires
            if schedule.pipeline is not None:
                kernel.check_params(schedule.pipeline, schedule.params)
            else:
                kernel.check_workflow(kernel.workflow(str(schedule.workflow)), schedule.params)
        except SpineError as exc:
            fix = (
                "correct its params in the schedules setting"
                if schedule.origin == "settings"
                else f"fix or disable {schedule.origin}"
            )
            checks.append(Check(f"schedule {schedule.name}", "error", str(exc), fix))
    if schedules:
        checks.append(
            Check("schedules", "ok", f"{len(schedules)} valid: {', '.join(s.name for s in schedules)}")
        )
    return checks


def _workflow_checks(kernel: Spine) -> list[Check]:
    from .._orchestration._workflow_files import read_workflow_file, workflow_files

    found: list[tuple[str, Any]] = [
        (name, lambda n=name: kernel.workflow(n)) for name in kernel.plugins.names("workflow")
    ]
    found += [
        (str(path), lambda p=path: read_workflow_file(p))
        for path in workflow_files(kernel.settings.workflow_paths)
    ]
    checks = []
    for subject, load in found:
        try:
            workflow = load()
            kernel.check_workflow(workflow)
        except SpineError as exc:
            checks.append(Check(f"workflow {subject}", "error", str(exc), "correct the workflow named above"))
            continue
        checks.append(
            Check(
                f"workflow {workflow.name}",
                "ok",
                f"{len(workflow.steps)} steps ({workflow.source or 'a plugin'})",
            )
        )
    return checks


def _alert_checks(kernel: Spine) -> list[Check]:
    checks, configured = [], []
    for name in kernel.alerts.names():
        try:
            channel = kernel.alerts.channel(name)
        except SpineError as exc:
            checks.append(Check(f"alert channel {name}", "error", str(exc), "correct its settings"))
            continue
        if channel is None:
            description = kernel.plugins.get("alert_channel", name).description
            checks.append(Check(f"alert channel {name}", "ok", f"installed, not configured ({description})"))
        else:
            configured.append(name)
            checks.append(Check(f"alert channel {name}", "ok", f"configured: {channel.describe()}"))
    for route in kernel.settings.alert_routes:
        for name in route.channels:
            if name != "*" and name not in configured:
                state = "is not configured" if name in kernel.alerts.names() else "is not installed"
                checks.append(
                    Check(
                        f"alert route to {name}",
                        "error",
                        f"alert_routes sends alerts to channel {name!r}, which {state}",
                        "configure or install it, or take it out of alert_routes "
                        f"(configured channels: {', '.join(configured) or 'none'})",
                    )
                )
    return checks


def _plugin_settings_checks(kernel: Spine) -> list[Check]:
    """Settings models that cannot be imported: their keys are unknown, the plugin fails when
    it reads them. (Their values are checked where they are used: alert channels, runs.)"""
    checks = []
    for spec, record in kernel.plugins.claims("settings"):
        try:
            cast("SettingsSpec", spec).model()
        except SpineError as exc:
            checks.append(
                Check(
                    f"plugin {record.name}",
                    "error",
                    str(exc),
                    f"fix or reinstall {record.distribution or record.name}",
                )
            )
    return checks


def _pipeline_checks(kernel: Spine) -> list[Check]:
    """Pipelines that declare no params (accepted, unchecked) or declare them wrongly."""
    from .._plugins._params import declaration_problems

    checks = []
    owners = {spec.name: record for spec, record in kernel.plugins.claims("pipeline")}
    specs = kernel.pipelines()
    for spec in specs:
        owner = owners[spec.name].distribution or owners[spec.name].name
        if spec.params is None:
            checks.append(
                Check(
                    f"pipeline {spec.name}",
                    "warning",
                    f"declares no params ({owner}): whatever it is given reaches it unchecked",
                    "declare them in its PipelineSpec: params=(spine.Param(...), ...), or () for none",
                )
            )
        elif problems := declaration_problems(spec.params):
            checks.append(
                Check(f"pipeline {spec.name}", "error", "; ".join(problems), f"fix or reinstall {owner}")
            )
    if not checks:
        checks.append(Check("pipelines", "ok", f"{len(specs)}, each declaring its params"))
    return checks


def _plugin_checks(kernel: Spine) -> list[Check]:
    checks = []
    for record in kernel.plugins.records:
        origin = f"{record.distribution} {record.version}" if record.distribution else "registered in code"
        if record.status == "ok":
            provided = sum(len(names) for names in record.provides.values())
            checks.append(Check(f"plugin {record.name}", "ok", f"{origin}, {provided} capabilities"))
        else:
            checks.append(
                Check(
                    f"plugin {record.name}",
                    "error",
                    f"{origin}: {record.error}",
                    f"fix or reinstall {record.distribution or record.name}, or skip it with "
                    f"SPINE_DISABLE_PLUGINS={record.name}",
                )
            )
    requested = kernel.boot.load_plugins or frozenset()
    found = {name for ep in kernel.plugins.skipped for name in (ep.name, ep.distribution)}
    found |= {name for record in kernel.plugins.records for name in (record.name, record.distribution or "")}
    for name in sorted(requested - {normalize_name(n) for n in found}):
        checks.append(
            Check(f"plugin {name}", "error", "named in load_plugins but not installed", f"pip install {name}")
        )
    return checks
