"""The typed descriptors that plugins hand to the kernel through the registration hooks.

A descriptor is a name plus a factory. The factory is either a callable or an import
string ``"package.module:attribute"``; an import string is resolved only when the
capability is first used, so a plugin's entry module stays free of heavy imports.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from .._errors import PluginError
from ._frozen import Frozen
from ._params import Param

if TYPE_CHECKING:
    from .._config._settings import SpineSettings

Factory = Callable[..., Any] | str

_NAME = re.compile(r"^[a-z][a-z0-9_]*(?:[.-][a-z0-9_]+)*$")
_IMPORT_STRING = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def import_object(value: str) -> object:
    """Import ``"package.module"`` or ``"package.module:attribute.path"``."""
    module_name, _, attribute = value.partition(":")
    target: object = importlib.import_module(module_name.strip())
    for part in filter(None, attribute.strip().split(".")):
        target = getattr(target, part)
    return target


class Capability(Frozen):
    """What every descriptor has: a unique name (per kind), a factory and a description.

    Descriptors are immutable and compare by value.
    """

    __slots__ = ("name", "factory", "description")  # noqa: RUF023 - the order of repr and equality
    kind: ClassVar[str] = "capability"

    name: str
    factory: Factory
    description: str

    def __init__(self, name: str, factory: Factory, description: str = "") -> None:
        for slot, value in (("name", name), ("factory", factory), ("description", description)):
            object.__setattr__(self, slot, value)
        if not isinstance(name, str) or not _NAME.match(name):
            raise PluginError(
                f"invalid {self.kind} name {name!r}: expected lower-case letters, "
                "digits and underscores, optionally dotted (like 'finra.otc_weekly')"
            )
        if isinstance(factory, str):
            if not _IMPORT_STRING.match(factory):
                raise PluginError(
                    f"{self.kind} {name!r}: factory {factory!r} is not an "
                    "import string of the form 'package.module:attribute'"
                )
        elif not callable(factory):
            raise PluginError(f"{self.kind} {name!r}: factory must be callable or an import string")

    def load(self) -> Callable[..., Any]:
        """Return the factory, importing it first when it was given as an import string."""
        if not isinstance(self.factory, str):
            return self.factory
        try:
            return import_object(self.factory)  # type: ignore[return-value]
        except Exception as exc:  # an uninstalled optional dependency, a typo, ...
            raise PluginError(
                f"{self.kind} {self.name!r}: cannot import its factory {self.factory!r}: "
                f"{type(exc).__name__}: {exc}",
                context={"kind": self.kind, "name": self.name},
            ) from exc


class _Addressed(Capability):
    """A capability chosen by URL scheme: ``spine load URL`` or a store URL."""

    __slots__ = ("schemes",)
    schemes: tuple[str, ...]

    def __init__(
        self, name: str, factory: Factory, description: str = "", schemes: Iterable[str] = ()
    ) -> None:
        object.__setattr__(self, "schemes", tuple(schemes))
        super().__init__(name, factory, description)


class SourceSpec(_Addressed):
    """A source: reads records from files, APIs or anything else.

    `schemes` lists the URL schemes the source claims (``("http", "https")``), so
    that ``spine load URL`` can find it; ``file`` also claims plain paths.
    """

    __slots__ = ()
    kind: ClassVar[str] = "source"


class StoreSpec(_Addressed):
    """A store: writes batches into tables. `schemes` are the store-URL schemes it serves."""

    __slots__ = ()
    kind: ClassVar[str] = "store"


class AlertChannelSpec(Capability):
    """An alert channel: delivers alerts (Slack, e-mail, a log, ...)."""

    __slots__ = ()
    kind: ClassVar[str] = "alert_channel"


class PipelineSpec(Capability):
    """A pipeline: the factory returns an object with ``run(context: RunContext) -> None``.

    `schedule` is when a scheduler should run it, as a cron expression of five fields
    (minute, hour, day of month, month, day of week: ``"0 6 * * 1"`` is Mondays at
    06:00 UTC); None when it runs only when asked.

    `params` declares the parameters it takes, as `spine.Param`s: every run is checked
    against them before it starts, and the pipeline receives the parsed values with the
    defaults filled in. None (the default) declares nothing: the pipeline gets what it is
    given, unchecked; ``()`` declares that it takes none.
    """

    __slots__ = ("schedule", "params")  # noqa: RUF023 - repr order
    kind: ClassVar[str] = "pipeline"
    schedule: str | None
    params: tuple[Param, ...] | None

    def __init__(
        self,
        name: str,
        factory: Factory,
        description: str = "",
        schedule: str | None = None,
        params: Iterable[Param] | None = None,
    ) -> None:
        object.__setattr__(self, "schedule", schedule)
        object.__setattr__(self, "params", None if params is None else tuple(params))
        super().__init__(name, factory, description)
        if schedule is not None:
            _check_cron(f"pipeline {name!r}", schedule)
        for param in self.params or ():
            if not isinstance(param, Param):
                raise PluginError(
                    f"pipeline {name!r}: params holds {type(param).__name__} {param!r}, not a spine.Param"
                )

    def implied_schedule(self) -> ScheduleSpec | None:
        """The schedule that `schedule` declares: same name, UTC."""
        if self.schedule is None:
            return None
        return ScheduleSpec(self.name, pipeline=self.name, cron=self.schedule, description=self.description)


class WorkflowSpec(Capability):
    """A workflow: a named DAG of pipeline steps. The factory returns a `spine.Workflow`."""

    __slots__ = ()
    kind: ClassVar[str] = "workflow"


class ScheduleSpec(Capability):
    """When the scheduler runs a pipeline or a workflow on its own.

    Exactly one of `pipeline` and `workflow` names what runs, with `params`; exactly one
    of `cron` (five fields: minute, hour, day of month, month, day of week, read in
    `timezone`, an IANA name) and `interval` (seconds) says when. A pipeline registered
    with ``PipelineSpec(schedule=...)`` gets a schedule of the same name.
    """

    __slots__ = ("pipeline", "workflow", "params", "cron", "interval", "timezone")  # noqa: RUF023 - repr order
    kind: ClassVar[str] = "schedule"
    pipeline: str | None
    workflow: str | None
    params: tuple[tuple[str, str], ...]
    cron: str | None
    interval: float | None
    timezone: str

    def __init__(
        self,
        name: str,
        *,
        pipeline: str | None = None,
        workflow: str | None = None,
        params: Mapping[str, Any] | None = None,
        cron: str | None = None,
        interval: float | None = None,
        timezone: str = "UTC",
        description: str = "",
    ) -> None:
        values = {
            "pipeline": pipeline,
            "workflow": workflow,
            # a tuple of pairs: descriptors are immutable and hashable
            "params": tuple(sorted((str(k), str(v)) for k, v in (params or {}).items())),
            "cron": cron,
            "interval": interval,
            "timezone": timezone,
        }
        for slot, value in values.items():
            object.__setattr__(self, slot, value)
        super().__init__(name, _schedule_target, description)
        if (pipeline is None) == (workflow is None):
            raise PluginError(f"schedule {name!r}: name exactly one of pipeline= and workflow=")
        if (cron is None) == (interval is None):
            raise PluginError(f"schedule {name!r}: give exactly one of cron= and interval=")
        if cron is not None:
            _check_cron(f"schedule {name!r}", cron)
        if interval is not None and (
            isinstance(interval, bool) or not isinstance(interval, int | float) or interval <= 0
        ):
            raise PluginError(
                f"schedule {name!r}: interval must be a positive number of seconds, got {interval!r}"
            )

    @property
    def target(self) -> tuple[str, str]:
        """``("pipeline", name)`` or ``("workflow", name)``."""
        return ("pipeline", self.pipeline) if self.pipeline is not None else ("workflow", str(self.workflow))


def _schedule_target(spec: ScheduleSpec) -> tuple[str, str]:
    # A schedule is data, not a factory; this keeps it in the one registry of capabilities.
    return spec.target


class SettingsSpec(Capability):
    """A plugin's settings: the factory is its `spine.SpineSettings` subclass, usually as
    an import string (``"spine_alert_slack._settings:SlackSettings"``).

    The model's fields are the keys the plugin reads from ``spine.toml``, ``SPINE_*``
    variables and overrides; the kernel refuses keys that neither it nor a loaded plugin
    declares. The model is imported when the kernel validates its settings, never when
    plugins are listed.
    """

    __slots__ = ()
    kind: ClassVar[str] = "settings"

    def model(self) -> type[SpineSettings]:
        """The settings model, imported; `PluginError` when it cannot be or is no `SpineSettings`."""
        from .._config._settings import SpineSettings

        model = self.load()
        if not (isinstance(model, type) and issubclass(model, SpineSettings)):
            raise PluginError(
                f"settings {self.name!r}: {self.factory!r} is not a spine.SpineSettings subclass",
                context={"kind": self.kind, "name": self.name},
            )
        return model


def _check_cron(what: str, cron: Any) -> None:
    if not isinstance(cron, str) or len(cron.split()) != 5:
        raise PluginError(
            f"{what}: schedule {cron!r} is not a cron expression of five fields "
            "(minute hour day-of-month month day-of-week)"
        )


CAPABILITY_KINDS: tuple[type[Capability], ...] = (
    SourceSpec,
    StoreSpec,
    AlertChannelSpec,
    PipelineSpec,
    WorkflowSpec,
    ScheduleSpec,
    SettingsSpec,
)
