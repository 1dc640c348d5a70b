"""spine: a small data-pipeline kernel whose sources, stores, alert channels and pipelines are plugins.

Importing spine configures no logging and starts nothing. The public API is
re-exported here; the modules prefixed ``_`` are private.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._descriptors import AlertChannelSpec, Capability, PipelineSpec, SourceSpec, StoreSpec
from ._errors import (
    AlertError,
    CheckError,
    ConfigError,
    LoadError,
    PluginError,
    SourceError,
    SpineError,
    TransformError,
)
from ._hookspecs import hookimpl
from ._kernel import Spine
from ._plugins import PluginRecord
from ._results import ErrorInfo, RunCounts, RunInfo, RunResult, RunStatus
from ._version import __version__

if TYPE_CHECKING:
    from ._runner import RunContext
    from ._settings import Settings, SpineSettings

# Reached through module __getattr__ so that `import spine` does not import pydantic.
_LAZY = {"Settings": "._settings", "SpineSettings": "._settings", "RunContext": "._runner"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'spine' has no attribute {name!r}")


__all__ = [
    "AlertChannelSpec",
    "AlertError",
    "Capability",
    "CheckError",
    "ConfigError",
    "ErrorInfo",
    "LoadError",
    "PipelineSpec",
    "PluginError",
    "PluginRecord",
    "RunContext",
    "RunCounts",
    "RunInfo",
    "RunResult",
    "RunStatus",
    "Settings",
    "SourceError",
    "SourceSpec",
    "Spine",
    "SpineError",
    "SpineSettings",
    "StoreSpec",
    "TransformError",
    "__version__",
    "hookimpl",
]
