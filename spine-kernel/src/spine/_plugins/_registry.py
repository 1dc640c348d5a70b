"""Loading plugins into one kernel, one at a time, so that a broken one never takes the host down.

For every ``spine.plugins`` entry point, in name order: skip it when ``load_plugins`` or
``disable_plugins`` say so; reject it before import when its distribution requires a
``spine-kernel`` this kernel is not; import it; register it with pluggy; reject it
when it implements a hook that does not exist; call its registration hooks and
keep what it registered. Each failure is recorded with its reason and the plugin
is dropped as a whole, or, in strict mode, raised.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pluggy

from .._config._sources import BootSettings
from .._errors import PluginError
from .._version import __version__
from . import _hookspecs
from ._descriptors import (
    CAPABILITY_KINDS,
    AlertChannelSpec,
    Capability,
    PipelineSpec,
    ScheduleSpec,
    SettingsSpec,
    SourceSpec,
    StoreSpec,
    WorkflowSpec,
    import_object,
)
from ._discovery import PluginEntryPoint, scan
from ._versions import requirement_on, specifier_allows

KERNEL_DISTRIBUTION = "spine-kernel"
_REGISTRATION_HOOKS: dict[str, type[Capability]] = {
    "register_sources": SourceSpec,
    "register_stores": StoreSpec,
    "register_alert_channels": AlertChannelSpec,
    "register_pipelines": PipelineSpec,
    "register_workflows": WorkflowSpec,
    "register_schedules": ScheduleSpec,
    "register_settings": SettingsSpec,
}


class PluginRecord:
    """What ``spine plugins list`` shows for one plugin."""

    def __init__(self, name: str, distribution: str | None, version: str | None) -> None:
        self.name = name
        self.distribution = distribution
        self.version = version
        self.provides: dict[str, list[str]] = {kind.kind: [] for kind in CAPABILITY_KINDS}
        self.problems: list[str] = []

    @property
    def status(self) -> str:
        return "error" if self.problems else "ok"

    @property
    def error(self) -> str | None:
        return "; ".join(self.problems) or None

    def __repr__(self) -> str:
        return f"PluginRecord({self.name!r}, {self.distribution!r}, {self.version!r}, status={self.status!r})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "status": self.status,
            "error": self.error,
            "provides": {kind: sorted(names) for kind, names in self.provides.items()},
        }


class PluginRegistry:
    """The plugins of one kernel and the capabilities they registered."""

    def __init__(self, boot: BootSettings) -> None:
        self.boot = boot
        self.records: list[PluginRecord] = []
        self.skipped: list[PluginEntryPoint] = []  # left out by load_plugins / disable_plugins
        self.failed: list[PluginRecord] = []  # dropped as a whole: failed to import or register
        self._manager = pluggy.PluginManager(_hookspecs.PROJECT_NAME)
        self._manager.add_hookspecs(_hookspecs)
        # kind -> name -> every (capability, record) claiming it; more than one is a conflict
        self._claims: dict[str, dict[str, list[tuple[Capability, PluginRecord]]]] = {
            kind.kind: {} for kind in CAPABILITY_KINDS
        }

    # -- loading ---------------------------------------------------------------

    def load_entry_points(self, path: Iterable[str] | None = None) -> None:
        for entry_point in scan(sys.path if path is None else path):
            if self.boot.allows_plugin(entry_point.name, entry_point.distribution):
                self._load_entry_point(entry_point)
            else:
                self.skipped.append(entry_point)

    def _load_entry_point(self, entry_point: PluginEntryPoint) -> None:
        record = PluginRecord(entry_point.name, entry_point.distribution, entry_point.version)
        try:
            requirement = requirement_on(KERNEL_DISTRIBUTION, list(entry_point.requires))
            if requirement and not specifier_allows(requirement, __version__):
                raise PluginError(
                    f"incompatible: requires {KERNEL_DISTRIBUTION}{requirement}, "
                    f"this is {KERNEL_DISTRIBUTION} {__version__}; install a version of "
                    f"{entry_point.distribution} built for it"
                )
        except ValueError as exc:
            self._fail(record, f"unreadable requirement on {KERNEL_DISTRIBUTION}: {exc}", exc)
            return
        except PluginError as exc:
            self._fail(record, str(exc), exc)
            return
        try:
            plugin = import_object(entry_point.value)
        except (Exception, SystemExit) as exc:
            self._fail(record, f"import failed: {type(exc).__name__}: {exc}", exc)
            return
        self._register(plugin, record)

    def register(
        self,
        plugin: object,
        name: str | None = None,
        *,
        distribution: str | None = None,
        version: str | None = None,
    ) -> PluginRecord:
        """Register a plugin object directly, without an entry point."""
        plugin_name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        record = PluginRecord(plugin_name, distribution, version)
        self._register(plugin, record)
        return record

    def _register(self, plugin: object, record: PluginRecord) -> None:
        try:
            # Two distributions may use the same entry-point name; pluggy names must differ.
            qualified = f"{record.distribution}:{record.name}" if record.distribution else record.name
            self._manager.register(plugin, name=qualified)
        except (ValueError, pluggy.PluginValidationError) as exc:
            self._fail(record, f"cannot register: {exc}", exc)
            return
        try:
            self._check_hook_names(plugin)
            registered = self._collect(plugin)
        except (Exception, SystemExit) as exc:
            self._manager.unregister(plugin)
            self._fail(record, str(exc), exc)
            return
        self.records.append(record)
        for capability in registered:
            self._claim(capability, record)

    def _check_hook_names(self, plugin: object) -> None:
        try:
            self._manager.check_pending()
        except pluggy.PluginValidationError:
            unknown = [
                caller.name
                for caller in self._manager.get_hookcallers(plugin) or []
                if not caller.has_spec()
                and any(not impl.optionalhook for impl in caller.get_hookimpls() if impl.plugin is plugin)
            ]
            import difflib

            known = [name for name in dir(_hookspecs) if hasattr(self._manager.hook, name)]
            hints = []
            for name in unknown:
                close = difflib.get_close_matches(name, known, n=1)
                hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise PluginError(f"implements unknown hook {', '.join(hints)}") from None

    def _collect(self, plugin: object) -> list[Capability]:
        registered: list[Capability] = []
        for hook_name, kind in _REGISTRATION_HOOKS.items():

            def register(capability: Capability, *, _hook: str = hook_name, _kind: type = kind) -> None:
                if not isinstance(capability, _kind):
                    raise PluginError(
                        f"{_hook}: expected a {_kind.__name__}, got {type(capability).__name__}"
                    )
                registered.append(capability)
                implied = capability.implied_schedule() if isinstance(capability, PipelineSpec) else None
                if implied is not None:
                    registered.append(implied)

            for call, _owner in self._implementations(hook_name, plugin):
                try:
                    call(register=register)
                except PluginError:
                    raise
                except Exception as exc:
                    raise PluginError(f"{hook_name} raised {type(exc).__name__}: {exc}") from exc
        return registered

    def _claim(self, capability: Capability, record: PluginRecord) -> None:
        claims = self._claims[capability.kind].setdefault(capability.name, [])
        record.provides[capability.kind].append(capability.name)
        for _, other in claims:  # a conflict is reported on both sides, naming the other
            for mine, theirs in ((other, record), (record, other)):
                mine.problems.append(
                    f"{capability.kind} {capability.name!r} is also provided by "
                    f"{_describe(theirs)}; disable one of them"
                )
            self._fail_loudly(
                f"{capability.kind} {capability.name!r} is provided by both {_describe(other)} "
                f"and {_describe(record)}; neither is used",
                record,
            )
        claims.append((capability, record))

    def _fail(self, record: PluginRecord, reason: str, exc: BaseException) -> None:
        record.problems.append(reason)
        self.records.append(record)
        self.failed.append(record)
        self._fail_loudly(f"plugin {_describe(record)} skipped: {reason}", record, exc)

    def _fail_loudly(self, message: str, record: PluginRecord, exc: BaseException | None = None) -> None:
        """Warn, or raise in strict mode."""
        _warn(message)
        if self.boot.strict_plugins:
            raise PluginError(
                message, context={"plugin": record.name, "distribution": record.distribution}
            ) from exc

    # -- using -----------------------------------------------------------------

    def _implementations(
        self, hook_name: str, plugin: object | None = None
    ) -> Iterator[tuple[Callable[..., Any], str]]:
        """Each implementation of a hook, as a call taking the hook's arguments by name."""
        for impl in getattr(self._manager.hook, hook_name).get_hookimpls():
            if plugin is None or impl.plugin is plugin:

                def call(_impl: Any = impl, **kwargs: Any) -> Any:
                    return _impl.function(**{arg: kwargs[arg] for arg in _impl.argnames})

                yield call, impl.plugin_name

    def notify(self, hook_name: str, **kwargs: Any) -> None:
        """Call a lifecycle hook on every plugin; one plugin's exception is logged, not raised."""
        for call, owner in self._implementations(hook_name):
            try:
                call(**kwargs)
            except Exception as exc:
                _warn(f"plugin {owner} failed in {hook_name}: {type(exc).__name__}: {exc}")

    def claiming(self, kind: str, scheme: str) -> Capability | None:
        """The source or store whose URL schemes include `scheme`, if one does."""
        for name in self.names(kind):
            capability = self.get(kind, name)
            if scheme in getattr(capability, "schemes", ()):
                return capability
        return None

    def not_loaded(self) -> list[str]:
        """The plugins found but not loaded, grouped by why: what they register is unknown."""
        groups = []
        skipped = sorted({entry_point.name for entry_point in self.skipped})
        if skipped:
            groups.append(f"{', '.join(skipped)} (left out by load_plugins / disable_plugins)")
        if self.failed:
            groups.append(f"{', '.join(record.name for record in self.failed)} (failed to load)")
        return groups

    def claims(self, kind: str) -> list[tuple[Capability, PluginRecord]]:
        """Every capability of `kind` with the plugin that registered it, conflicting ones too."""
        return [claim for name in sorted(self._claims[kind]) for claim in self._claims[kind][name]]

    def names(self, kind: str) -> list[str]:
        return sorted(name for name, claims in self._claims[kind].items() if len(claims) == 1)

    def get(self, kind: str, name: str) -> Capability:
        claims = self._claims[kind].get(name, [])
        if len(claims) == 1:
            return claims[0][0]
        if claims:
            owners = " and ".join(_describe(record) for _, record in claims)
            raise PluginError(
                f"{kind} {name!r} is provided by {owners}; disable one with SPINE_DISABLE_PLUGINS",
                context={"kind": kind, "name": name},
            )
        import difflib

        message = f"unknown {kind} {name!r}"
        close = difflib.get_close_matches(name, list(self._claims[kind]), n=1)
        if close:
            message += f"; did you mean {close[0]!r}?"
        elif self._claims[kind]:
            message += f"; available: {', '.join(self.names(kind))}"
        failed = [record.name for record in self.records if record.status == "error"]
        if failed:
            message += f" (plugins that failed to load: {', '.join(failed)}; run 'spine doctor')"
        raise PluginError(message, context={"kind": kind, "name": name})


def _warn(message: str) -> None:
    # logging is imported only when there is something to say: listing healthy
    # plugins must not pay for it.
    import logging

    logging.getLogger("spine.plugins").warning("%s", message)


def _describe(record: PluginRecord) -> str:
    if record.distribution:
        return f"{record.name} ({record.distribution} {record.version or ''})".replace(" )", ")")
    return record.name
