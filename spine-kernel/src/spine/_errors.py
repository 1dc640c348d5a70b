"""Every error spine raises on purpose, in one hierarchy rooted at `SpineError`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class SpineError(Exception):
    """Base class of every error spine raises on purpose.

    `category` names the stage that failed (config, plugin, source, transform,
    check, load, alert, or internal for bugs), `retryable` says whether running
    the same thing again may succeed, and `context` holds the facts that locate
    the problem (file, line, field, plugin, URL without secrets, ...).
    """

    category: ClassVar[str] = "internal"
    retryable_default: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        context: Mapping[str, Any] | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.context: dict[str, Any] = dict(context or {})
        self.retryable = self.retryable_default if retryable is None else retryable

    def __str__(self) -> str:
        return self.message


class ConfigError(SpineError):
    """Settings, a configuration file or command-line parameters are invalid."""

    category = "config"


class PluginError(SpineError):
    """A plugin could not be loaded, or a capability name is unknown or ambiguous."""

    category = "plugin"


class SourceError(SpineError):
    """A source could not be read."""

    category = "source"


class TransformError(SpineError):
    """A transform step failed."""

    category = "transform"


class CheckError(SpineError):
    """Data checks failed beyond what the run tolerates."""

    category = "check"


class LoadError(SpineError):
    """A store could not write."""

    category = "load"


class AlertError(SpineError):
    """An alert channel could not deliver."""

    category = "alert"


class Cancelled(SpineError):
    """The user stopped the run (Ctrl-C, SIGTERM): it ends ``cancelled``, not ``failed``."""

    category = "cancelled"
