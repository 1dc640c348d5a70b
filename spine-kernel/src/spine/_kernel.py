"""The `Spine` object: one kernel, with its own settings, plugins and redactor."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from . import _builtin
from ._config import BootSettings, ConfigSources
from ._plugins import KERNEL_DISTRIBUTION, PluginRecord, PluginRegistry
from ._redact import Redactor
from ._version import __version__

if TYPE_CHECKING:
    from ._results import RunResult
    from ._settings import Settings, SpineSettings

    SettingsT = TypeVar("SettingsT", bound=SpineSettings)


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
        self.plugins.register(_builtin, "spine", distribution=KERNEL_DISTRIBUTION, version=__version__)
        if entry_points:
            self.plugins.load_entry_points(plugin_path)
        for plugin in plugins:
            self.plugins.register(plugin)

    @cached_property
    def settings(self) -> Settings:
        """The kernel's validated settings (built on first use: pydantic is slow to import)."""
        from ._settings import Settings

        return self.plugin_settings(Settings)

    def plugin_settings(self, model: type[SettingsT]) -> SettingsT:
        """Validate a plugin's `SpineSettings` subclass from this kernel's sources.

        Its `SecretStr` values are masked from then on in everything this kernel
        logs, records or returns.
        """
        settings = model.from_sources(self.config)
        for secret in settings.secrets():
            self.redactor.add(secret)
        return settings

    def register_plugin(self, plugin: object, name: str | None = None) -> PluginRecord:
        """Register a plugin object (a module, class or instance with hook implementations)."""
        return self.plugins.register(plugin, name)

    def run(self, pipeline: str, params: Mapping[str, Any] | None = None) -> RunResult:
        """Run a registered pipeline and return its result envelope.

        Raises `PluginError` when no plugin provides `pipeline`; every error after
        the run has started ends in a result with status ``failed``.
        """
        from ._runner import run_pipeline

        return run_pipeline(self, pipeline, params or {})
