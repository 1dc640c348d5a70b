"""spine: a small data-pipeline kernel whose sources, stores, alert channels and pipelines are plugins.

Importing spine configures no logging, starts nothing and imports almost nothing.
The public API is re-exported here; the modules prefixed ``_`` are private.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._alerts._model import Alert, AlertChannel, Delivery, DeliveryStatus, Severity
    from ._config._logging import RedactingFilter
    from ._config._redact import Redactor
    from ._config._settings import SpineSettings
    from ._data._loading import Check, Transform
    from ._data._schema import (
        Field,
        Inference,
        Schema,
        check_identifier,
        column_names,
        infer_column,
        infer_type,
        naive_utc,
        normalize_identifier,
        text_parser,
        text_rows,
        value_text,
    )
    from ._data._sources import DEFAULT_BATCH_SIZE, Batch, Reject, Source, SourceTable
    from ._data._stores import (
        Dialect,
        SchemaContract,
        Session,
        Store,
        Target,
        WriteMode,
        Written,
        logical_type,
    )
    from ._data._tables import check_existing_table
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
    from ._kernel import Spine
    from ._orchestration._scheduler import Clock, Scheduler
    from ._orchestration._schedules import Fire, Schedule, ScheduleState
    from ._orchestration._workflows import Step, Workflow
    from ._plugins._descriptors import (
        AlertChannelSpec,
        Capability,
        PipelineSpec,
        ScheduleSpec,
        SettingsSpec,
        SourceSpec,
        StoreSpec,
        WorkflowSpec,
    )
    from ._plugins._hookspecs import hookimpl
    from ._plugins._http_client import retry_after, user_agent
    from ._plugins._params import Param
    from ._plugins._registry import PluginRecord
    from ._records._results import (
        ErrorInfo,
        RunCounts,
        RunInfo,
        RunResult,
        StepResult,
        TableChange,
        WorkflowResult,
    )
    from ._records._statuses import FireStatus, RunStatus, StepStatus
    from ._runs._runner import RunContext
    from ._settings import Settings

# The public names are loaded on first use (PEP 562): `spine plugins list` must stay
# fast, and a plugin module that only needs `spine.hookimpl` should not pay for pydantic.
_EXPORTS = {
    "._alerts._model": ["Alert", "AlertChannel", "Delivery", "DeliveryStatus", "Severity"],
    "._plugins._descriptors": [
        "AlertChannelSpec",
        "Capability",
        "PipelineSpec",
        "ScheduleSpec",
        "SettingsSpec",
        "SourceSpec",
        "StoreSpec",
        "WorkflowSpec",
    ],
    "._errors": [
        "AlertError",
        "CheckError",
        "ConfigError",
        "LoadError",
        "PluginError",
        "SourceError",
        "SpineError",
        "TransformError",
    ],
    "._plugins._hookspecs": ["hookimpl"],
    "._plugins._http_client": ["retry_after", "user_agent"],
    "._kernel": ["Spine"],
    "._data._loading": ["Check", "Transform"],
    "._config._logging": ["RedactingFilter"],
    "._plugins._params": ["Param"],
    "._plugins._registry": ["PluginRecord"],
    "._config._redact": ["Redactor"],
    "._records._results": [
        "ErrorInfo",
        "RunCounts",
        "RunInfo",
        "RunResult",
        "StepResult",
        "TableChange",
        "WorkflowResult",
    ],
    "._runs._runner": ["RunContext"],
    "._orchestration._scheduler": ["Clock", "Scheduler"],
    "._orchestration._schedules": ["Fire", "Schedule", "ScheduleState"],
    "._records._statuses": ["FireStatus", "RunStatus", "StepStatus"],
    "._data._schema": [
        "Field",
        "Inference",
        "Schema",
        "check_identifier",
        "column_names",
        "infer_column",
        "infer_type",
        "naive_utc",
        "normalize_identifier",
        "text_parser",
        "text_rows",
        "value_text",
    ],
    "._settings": ["Settings"],
    "._config._settings": ["SpineSettings"],
    "._data._sources": ["DEFAULT_BATCH_SIZE", "Batch", "Reject", "Source", "SourceTable"],
    "._data._stores": [
        "Dialect",
        "SchemaContract",
        "Session",
        "Store",
        "Target",
        "WriteMode",
        "Written",
        "logical_type",
    ],
    "._data._tables": ["check_existing_table"],
    "._orchestration._workflows": ["Step", "Workflow"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'spine' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_MODULE_OF])


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "Alert",
    "AlertChannel",
    "AlertChannelSpec",
    "AlertError",
    "Batch",
    "Capability",
    "Check",
    "CheckError",
    "Clock",
    "ConfigError",
    "Delivery",
    "DeliveryStatus",
    "Dialect",
    "ErrorInfo",
    "Field",
    "Fire",
    "FireStatus",
    "Inference",
    "LoadError",
    "Param",
    "PipelineSpec",
    "PluginError",
    "PluginRecord",
    "RedactingFilter",
    "Redactor",
    "Reject",
    "RunContext",
    "RunCounts",
    "RunInfo",
    "RunResult",
    "RunStatus",
    "Schedule",
    "ScheduleSpec",
    "ScheduleState",
    "Scheduler",
    "Schema",
    "SchemaContract",
    "Session",
    "Settings",
    "SettingsSpec",
    "Severity",
    "Source",
    "SourceError",
    "SourceSpec",
    "SourceTable",
    "Spine",
    "SpineError",
    "SpineSettings",
    "Step",
    "StepResult",
    "StepStatus",
    "Store",
    "StoreSpec",
    "TableChange",
    "Target",
    "Transform",
    "TransformError",
    "Workflow",
    "WorkflowResult",
    "WorkflowSpec",
    "WriteMode",
    "Written",
    "__version__",
    "check_existing_table",
    "check_identifier",
    "column_names",
    "hookimpl",
    "infer_column",
    "infer_type",
    "logical_type",
    "naive_utc",
    "normalize_identifier",
    "retry_after",
    "text_parser",
    "text_rows",
    "user_agent",
    "value_text",
]
