"""The `Spine` object: one kernel, with its own settings, plugins and redactor."""

from __future__ import annotations

import dataclasses
import difflib
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ._config._redact import Redactor
from ._config._sources import BootSettings, ConfigSources
from ._errors import ConfigError, PluginError, SpineError
from ._plugins import _builtin
from ._plugins._registry import KERNEL_DISTRIBUTION, PluginRecord, PluginRegistry
from ._version import __version__

if TYPE_CHECKING:
    from datetime import datetime

    from ._alerts._model import Alert, Delivery
    from ._alerts._router import AlertRouter
    from ._config._settings import SpineSettings
    from ._data._loading import RejectThreshold, RunProgress
    from ._data._sources import Source, SourceTable
    from ._data._stores import Store
    from ._orchestration._workflows import Workflow
    from ._plugins._descriptors import PipelineSpec, SettingsSpec
    from ._records._results import RunResult, WorkflowResult
    from ._runs._heartbeat import Heartbeat
    from ._runs._runlog import RunLog
    from ._settings import Settings

    SettingsT = TypeVar("SettingsT", bound=SpineSettings)

MIN_RUN_PREFIX = 4  # characters of a run id that find a run (spine runs show b904)


class Spine:
    """A kernel: settings, plugins and the runner, with no state shared with other kernels.

    ``overrides`` are settings with the highest precedence (the CLI passes its flags
    here); ``environ`` replaces ``os.environ`` and ``config_file`` the ``spine.toml``
    lookup; ``config`` gives all three already loaded. ``plugins`` are registered
    directly, without entry points, after the installed plugins (none when
    ``entry_points`` is False). ``plugin_path`` replaces ``sys.path`` as the place to
    look for installed plugin distributions.

    Raises `ConfigError` when the configuration file or plugin settings are
    invalid, and `PluginError` in strict mode when a plugin fails to load.
    """

    def __init__(
        self,
        *,
        config: ConfigSources | None = None,
        overrides: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        config_file: str | os.PathLike[str] | None = None,
        plugins: Iterable[object] = (),
        entry_points: bool = True,
        plugin_path: Iterable[str] | None = None,
    ) -> None:
        self.config = config or ConfigSources.load(overrides, environ, config_file)
        self.boot = BootSettings.from_sources(self.config)
        self.redactor = Redactor()
        self.plugins = PluginRegistry(self.boot)
        # One per store URL and thread: a store's connection belongs to the thread that
        # opened it (sqlite3 insists, and psycopg would interleave two threads'
        # transactions), and workflow steps and scheduled jobs run in worker threads.
        self._runlogs: dict[tuple[str, int], RunLog] = {}
        self._runlogs_lock = threading.Lock()
        self.plugins.register(_builtin, "spine", distribution=KERNEL_DISTRIBUTION, version=__version__)
        if entry_points:
            self.plugins.load_entry_points(plugin_path)
        for plugin in plugins:
            self.plugins.register(plugin)

    @cached_property
    def settings(self) -> Settings:
        """The kernel's validated settings (built on first use: pydantic is slow to import).

        Raises `ConfigError` for an invalid value, and for a key that neither the kernel
        nor a loaded plugin declares (see `check_setting_names`).
        """
        from ._settings import Settings

        warning = self.check_setting_names()
        if warning is not None:
            import logging

            logging.getLogger("spine.settings").warning("%s", warning)
        return self.plugin_settings(Settings)

    def check_setting_names(self) -> str | None:
        """Refuse the keys of the settings' sources that are no setting of the kernel or of a
        loaded plugin (every key of ``spine.toml`` and of the overrides; a ``SPINE_*``
        variable only when it is spelled like a setting): `ConfigError` naming each key,
        where it is and what was probably meant.

        When some plugin was not loaded (``load_plugins``, ``disable_plugins``, a failure),
        its keys are unknown: the keys are then not refused, and the warning naming them
        and those plugins is returned instead. None when every key is known.
        """
        from ._settings import Settings

        known = set(Settings.model_fields)
        unchecked = self.plugins.not_loaded()
        for spec, record in self.plugins.claims("settings"):
            try:
                known.update(cast("SettingsSpec", spec).model().model_fields)
            except PluginError as exc:
                unchecked.append(f"{record.name} ({exc})")
        problems = self.config.unknown(known)
        if not problems:
            return None
        if unchecked:
            return (
                f"{'; '.join(problems)}; not refused, since it may belong to a plugin whose "
                f"settings are unknown: {'; '.join(unchecked)}"
            )
        raise ConfigError(
            "; ".join(problems),
            context={
                "problems": problems,
                "fix": "rename each unknown setting as suggested, or remove it "
                "(a plugin's settings are known when that plugin is installed and loaded)",
            },
        )

    def plugin_settings(self, model: type[SettingsT]) -> SettingsT:
        """Validate a plugin's `SpineSettings` subclass from this kernel's sources.

        Its `SecretStr` values are masked from then on in everything this kernel
        logs, records or returns.
        """
        settings = model.from_sources(self.config)
        for secret in settings.secrets():
            self.redactor.add(secret)
        return settings

    @cached_property
    def alerts(self) -> AlertRouter:
        """The alert channels and the routing rules (``alert_*`` settings)."""
        from ._alerts._router import AlertRouter

        return AlertRouter(self)

    def alert(self, alert: Alert, *, store: str | None = None) -> list[Delivery]:
        """Send `alert` to the channels the routing rules choose; return each channel's outcome.

        Repeats within ``alert_window`` and alerts over a channel's ``alert_rate_limit``
        are suppressed; every outcome is kept in the store's alert history (`store` as
        in `run`). Takes at most ``alert_timeout`` seconds for the channels to answer,
        and never raises for a delivery problem: that is a ``failed`` delivery.
        """
        return self.alerts.dispatch(alert, self._runlog_for_alerts(store))

    def test_alerts(self, channel: str | None = None, *, store: str | None = None) -> list[Delivery]:
        """Send a test alert to `channel` (default: every configured channel), whatever the
        routing rules, repeats and rate limits; return what each channel answered."""
        return self.alerts.test(channel, self._runlog_for_alerts(store))

    def alert_history(
        self,
        *,
        store: str | None = None,
        channel: str | None = None,
        status: str | None = None,
        pipeline: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
    ) -> list[Delivery]:
        """Alert deliveries recorded in the store, newest first, filtered as asked."""
        from ._alerts._history import AlertLog

        return AlertLog(self.runlog(store).store).history(
            channel=channel, status=status, pipeline=pipeline, since=since, until=until, limit=limit
        )

    def _runlog_for_alerts(self, store: str | None) -> RunLog | None:
        # An alert is delivered even when the store that keeps its history is down:
        # the alert may be about exactly that.
        try:
            return self.runlog(store)
        except SpineError as exc:
            import logging

            logging.getLogger("spine.alerting").warning(
                "alert history unavailable: %s", self.redactor.text(exc.message)
            )
            return None

    def register_plugin(self, plugin: object, name: str | None = None) -> PluginRecord:
        """Register a plugin object (a module, class or instance with hook implementations)."""
        return self.plugins.register(plugin, name)

    def run(
        self,
        pipeline: str,
        params: Mapping[str, Any] | None = None,
        *,
        store: str | None = None,
        max_rejects: str | RejectThreshold | None = None,
        progress: RunProgress | None = None,
    ) -> RunResult:
        """Run a registered pipeline and return its result envelope.

        `store` is a store URL (default: the ``store_url`` setting, else the embedded
        SQLite file); `max_rejects` overrides the pipeline's reject threshold
        (``"250"`` rows or ``"2.5%"``). `params` are checked first (see `check_params`).
        Raises `PluginError` when no plugin provides `pipeline`, `ConfigError` when
        `params` or the settings are wrong and `LoadError` when the store cannot be
        opened, all before the run is recorded; every error after the run has started
        ends in a result with status ``failed``.
        """
        from ._data._loading import RejectThreshold
        from ._runs._runner import run_pipeline

        threshold = RejectThreshold.parse(max_rejects) if isinstance(max_rejects, str) else max_rejects
        return run_pipeline(
            self, pipeline, params or {}, store=store, max_rejects=threshold, progress=progress
        )

    def pipeline(self, name: str) -> PipelineSpec:
        """The descriptor of pipeline `name`; `PluginError` (with a did-you-mean) when none has it."""
        return cast("PipelineSpec", self.plugins.get("pipeline", name))

    def pipelines(self) -> list[PipelineSpec]:
        """Every pipeline's descriptor, by name."""
        return [self.pipeline(name) for name in self.plugins.names("pipeline")]

    def check_params(self, pipeline: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """What `pipeline` runs with when given `params`: checked against the parameters it
        declares and parsed, with its defaults filled in (a pipeline that declares nothing
        gets `params` as they are). `ConfigError` names every unknown parameter, missing
        required one and wrong value; every run passes this check before it starts."""
        from ._plugins._params import parse_params

        return parse_params(pipeline, self.pipeline(pipeline).params, params)

    def workflow(self, name: str) -> Workflow:
        """The workflow `name`: a YAML file's path, a workflow a plugin registers, or the
        one named so in a file of the ``workflow_paths`` folders. Raises `ConfigError` for a
        file that cannot be read and `PluginError` for a name nobody defines."""
        from ._orchestration._workflow_files import SUFFIXES, read_workflow_file, workflow_files

        if name.endswith(SUFFIXES) or os.path.sep in name or os.path.isfile(name):
            return read_workflow_file(name)
        if name in self.plugins.names("workflow"):
            workflow: Workflow = self.plugins.get("workflow", name).load()()
            return workflow if workflow.name == name else dataclasses.replace(workflow, name=name)
        known = self.plugins.names("workflow")
        for path in workflow_files(self.settings.workflow_paths):
            found = read_workflow_file(path)
            if found.name == name:
                return found
            known.append(found.name)
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(known)) or 'none'}"
        raise PluginError(
            f"unknown workflow {name!r}; {hint} (a workflow is a plugin's, a YAML file's path, "
            f"or a file in {', '.join(self.settings.workflow_paths)})",
            context={"kind": "workflow", "name": name},
        )

    def check_workflow(self, workflow: Workflow, params: Mapping[str, Any] | None = None) -> None:
        """`ConfigError` naming every problem of `workflow` with the installed pipelines and
        the params they declare (see `Workflow.check`); with `params`, as a run given them
        would start: a required parameter nobody gives is a problem too."""
        workflow.check({spec.name: spec.params for spec in self.pipelines()}, params)

    def workflows(self) -> list[Workflow]:
        """Every workflow by name: those plugins register, then those of ``workflow_paths``."""
        from ._orchestration._workflow_files import read_workflow_file, workflow_files

        found = {name: self.workflow(name) for name in self.plugins.names("workflow")}
        for path in workflow_files(self.settings.workflow_paths):
            workflow = read_workflow_file(path)
            found.setdefault(workflow.name, workflow)
        return [found[name] for name in sorted(found)]

    def run_workflow(
        self,
        workflow: str | Workflow,
        params: Mapping[str, Any] | None = None,
        *,
        store: str | None = None,
        resume: str | None = None,
    ) -> WorkflowResult:
        """Run a workflow (a `Workflow`, or a name or file for `workflow`) and return its result.

        Parameters merge as workflow defaults < `params` < each step's own; the first two
        reach the steps whose pipelines declare them (and those that declare nothing). With
        `resume` (a run id), only the steps that did not succeed in that run run again.
        Raises `ConfigError` before anything runs when the workflow is invalid (unknown
        pipelines, missing dependencies, cycles, a parameter no step takes or a step's
        pipeline refuses: every problem named).
        """
        from ._orchestration._workflow_runner import run_workflow

        chosen = self.workflow(workflow) if isinstance(workflow, str) else workflow
        return run_workflow(self, chosen, params or {}, store=store, resume=resume)

    @cached_property
    def heartbeat(self) -> Heartbeat:
        """The heartbeat of this kernel's running runs (a thread, started by the first run)."""
        from ._runs._heartbeat import Heartbeat

        return Heartbeat(self)

    def close_abandoned(self, *, store: str | None = None) -> list[RunResult | WorkflowResult]:
        """Close as ``failed`` the runs recorded as running whose process is gone, and return
        them: a process of this host that no longer exists, or (a store other than SQLite,
        which cannot take heartbeats during a load) a heartbeat older than ``run_lease``.
        Each closed pipeline run raises its alert as a failed run would. Reading commands
        call this first; it never waits for a writer."""
        from ._orchestration._abandoned import close_abandoned

        return close_abandoned(self, store)

    def runs(
        self,
        *,
        pipeline: str | None = None,
        workflow: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        store: str | None = None,
    ) -> list[RunResult | WorkflowResult]:
        """Recorded runs, newest first: pipeline runs and workflow runs together.

        `pipeline` keeps that pipeline's runs only; `workflow` keeps that workflow's runs
        and the pipeline runs of their steps; `status` and the start-time range apply to both.
        """
        import datetime as dt

        from ._orchestration._workflow_log import WorkflowLog

        self.close_abandoned(store=store)
        runlog = self.runlog(store)
        found: list[RunResult | WorkflowResult] = []
        found += runlog.runs(
            pipeline=pipeline, workflow=workflow, status=status, since=since, until=until, limit=limit
        )
        if pipeline is None:
            found += WorkflowLog(runlog.store).runs(
                workflow=workflow, status=status, since=since, until=until, limit=limit
            )
        # A damaged record without a start time goes last.
        never = dt.datetime.min.replace(tzinfo=dt.UTC)
        found.sort(key=lambda run: (run.started_at or never, run.run_id), reverse=True)
        return found[:limit]

    def find_run(self, run_id: str, *, store: str | None = None) -> RunResult | WorkflowResult | None:
        """The pipeline or workflow run with this id, or with this unique prefix (at least
        4 characters); None when there is none. Raises `ConfigError` for a prefix that is
        shorter, or that more than one run starts with (naming some of them)."""
        from ._orchestration._workflow_log import WorkflowLog
        from ._records._queries import ids_starting

        self.close_abandoned(store=store)
        runlog = self.runlog(store)
        workflows = WorkflowLog(runlog.store)
        found = runlog.run(run_id) or workflows.run(run_id)
        if found is not None:
            return found
        if len(run_id) < MIN_RUN_PREFIX:
            raise ConfigError(
                f"run id {run_id!r} is too short: give the whole id or at least its first "
                f"{MIN_RUN_PREFIX} characters",
                context={"run_id": run_id},
            )
        ids = [
            found_id
            for table in ("spine_runs", "spine_workflow_runs")
            for found_id in ids_starting(runlog.store, table, run_id, 3)
        ]
        if len(ids) > 1:
            raise ConfigError(
                f"more than one run starts with {run_id!r} ({', '.join(sorted(ids)[:3])}, ...); "
                "give more of the id",
                context={"run_id": run_id},
            )
        return (runlog.run(ids[0]) or workflows.run(ids[0])) if ids else None

    def load(
        self,
        source: str,
        table: str,
        *,
        mode: str = "append",
        keys: Sequence[str] = (),
        options: Mapping[str, Any] | None = None,
        allow_empty: bool = False,
        schema_contract: str | None = None,
        **run_options: Any,
    ) -> RunResult:
        """Load any source (a file path, or a URL a source plugin claims) into `table`.

        A run of the built-in ``load`` pipeline: recorded like any other. `options`
        go to the source; `run_options` are those of `run`. `keys` may name columns as
        the input's header does (``MPID`` for ``mpid``, see `Target.resolve`).
        `allow_empty` lets a replace empty a table when the input has no rows;
        `schema_contract` (``evolve`` or ``freeze``) overrides the setting for this load.

        An invalid table name, key, mode or schema contract, a source option the source
        refuses, or a location no installed source reads raises `ConfigError` or
        `PluginError` before the run starts, and nothing is recorded. With keys, that
        means reading the source's columns first: a file's header; for an HTTP source,
        one more request, its first page (with the saved mark of an incremental load),
        which the run then fetches again. A source that cannot be read (a missing file)
        is a failed run.
        """
        from ._data._loading import prepare_source
        from ._data._stores import Target

        target = Target(table, mode, tuple(keys), allow_empty=allow_empty, schema_contract=schema_contract)
        try:
            with self.open_source(source, **(options or {})) as opened:
                columns = None
                if target.keys:  # read as the run will read it
                    runlog = self.runlog(run_options.get("store"))
                    columns = prepare_source(
                        opened, runlog.store.declared_columns(table), lambda key: runlog.state("load", key)
                    )
        except (ConfigError, PluginError):
            raise
        except Exception:  # the run meets it again, and records it
            columns = None
        if columns is not None:
            target.resolve(columns)
        params: dict[str, Any] = {"source": source, "table": table, "mode": mode, "key": ",".join(keys)}
        if allow_empty:
            params["allow_empty"] = True
        if schema_contract is not None:
            params["schema_contract"] = schema_contract
        params.update({f"option.{name}": value for name, value in (options or {}).items()})
        return self.run("load", params, **run_options)

    def open_source(self, location: str, **options: Any) -> Source:
        """The source for a file path or URL, from the plugin that claims its scheme (for a
        ``dialect+driver`` scheme such as ``postgresql+psycopg``, its dialect's).

        A location that is no URL (an unclosed IPv6 bracket) raises `ConfigError`."""
        from ._config._redact import connection_secrets

        for secret in connection_secrets(location):
            self.redactor.add(secret)
        _check_url(location, self.redactor.text(location), "source location", "https://[::1]:8080/path")
        scheme = _scheme(location) or "file"
        # A SQLAlchemy-style dialect+driver (postgresql+psycopg) goes to the dialect's claimant.
        spec = self.plugins.claiming("source", scheme) or self.plugins.claiming(
            "source", scheme.split("+")[0]
        )
        if spec is not None:
            source: Source = spec.load()(location, **options)
            for secret in source.secrets():
                self.redactor.add(secret)
            return source
        hint = _SOURCE_DISTRIBUTIONS.get(scheme.split("+")[0], "a source plugin for it")
        raise PluginError(
            f"no installed source reads {scheme!r} locations like {self.redactor.text(location)!r}; "
            f"install {hint}",
            context={"scheme": scheme},
        )

    def inspect(self, location: str, **options: Any) -> list[SourceTable]:
        """What a source sees at `location` with `options`, without loading anything: every
        table of a location that holds several (a database), else its one input, named as
        `Source.describe` names it; each with its columns, their logical types, and what the
        source decided on its own (`Source.warnings`)."""
        from ._data._sources import SourceTable

        with self.open_source(location, **options) as source:
            listed = source.tables()
            if listed is not None:
                return listed
            schema = source.schema()
            return [SourceTable(source.describe(), schema, tuple(source.warnings()))]

    def store_url(self, url: str | None = None) -> str:
        """The store URL to use: `url`, else the ``store_url`` setting, else the embedded
        SQLite file ``$XDG_DATA_HOME/spine/spine.db`` (``~/.local/share/spine/spine.db``)."""
        # The settings are read even when a URL is given: every run opens its store here
        # first, so none starts on settings that are wrong.
        configured = self.settings.store_url
        chosen = url or configured
        if chosen:
            return chosen
        data_home = self.config.environ.get("XDG_DATA_HOME") or os.path.join(
            self.config.environ.get("HOME") or os.path.expanduser("~"), ".local", "share"
        )
        return "sqlite:///" + os.path.join(data_home, "spine", "spine.db")

    def runlog(self, url: str | None = None) -> RunLog:
        """The run records of a store, opened (and migrated) once per kernel and thread."""
        from ._runs._runlog import RunLog

        key = (self.store_url(url), threading.get_ident())
        with self._runlogs_lock:
            runlog = self._runlogs.get(key)
        if runlog is None:
            runlog = RunLog(self._open_store(key[0]))
            with self._runlogs_lock:
                self._runlogs[key] = runlog
        return runlog

    def _open_store(self, url: str) -> Store:
        from ._config._redact import connection_secrets

        for secret in connection_secrets(url):
            self.redactor.add(secret)
        _check_url(url, self.redactor.text(url), "store URL", "postgresql://[::1]:5432/db")
        scheme = _scheme(url)
        spec = self.plugins.claiming("store", scheme)
        if spec is not None:
            return spec.load()(url)  # type: ignore[no-any-return]
        what = f"{scheme}:// URLs" if scheme else f"store URLs like {self.redactor.text(url)!r}"
        raise ConfigError(
            f"no installed store reads {what}; expected sqlite:///path, or install "
            "spine-store-postgres (postgresql://) or spine-store-db2 (db2://)",
            context={"scheme": scheme},
        )

    def close(self) -> None:
        """Stop the heartbeat; close the alert channels and stores this kernel opened."""
        if "heartbeat" in self.__dict__:
            self.heartbeat.stop()
        if "alerts" in self.__dict__:
            self.alerts.close()
        with self._runlogs_lock:
            runlogs, self._runlogs = list(self._runlogs.values()), {}
        for runlog in runlogs:
            runlog.store.close()

    def __enter__(self) -> Spine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_url(url: str, shown: str, what: str, example: str) -> None:
    """`ConfigError` for `what` (a store URL, a source location) that is no URL, naming it as
    `shown` (its secrets masked): the plugin's own parsing would meet it as a bare ValueError
    (an unclosed IPv6 bracket) and report an internal error. A plain path is no URL to check."""
    from urllib.parse import urlsplit

    if "://" not in url:
        return
    try:
        urlsplit(url)
    except ValueError as exc:
        raise ConfigError(
            f"{what} {shown!r} is not a URL ({exc}); an IPv6 host is written in brackets, like {example}",
            context={what.replace(" ", "_"): shown},
        ) from None


# The first-party distributions that read each scheme, for the error when none is installed.
_SOURCE_DISTRIBUTIONS = {
    "file": "spine-source-file",
    **dict.fromkeys(("http", "https"), "spine-source-http"),
    **dict.fromkeys(
        ("sqlite", "postgresql", "postgres", "mysql", "mariadb", "db2", "ibm_db_sa"), "spine-source-sql"
    ),
}


def _scheme(location: str) -> str:
    """``"postgresql://..."`` -> ``"postgresql"``; a plain path has none."""
    return location.split("://", 1)[0].lower() if "://" in location else ""
