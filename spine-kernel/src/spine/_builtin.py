"""The kernel's own plugin: what works with nothing else installed."""

from __future__ import annotations

from collections.abc import Callable

from ._descriptors import AlertChannelSpec, PipelineSpec, StoreSpec
from ._hookspecs import hookimpl


@hookimpl
def register_stores(register: Callable[[StoreSpec], None]) -> None:
    register(
        StoreSpec(
            "sqlite",
            "spine._sqlite:SQLiteStore",
            schemes=("sqlite",),
            description="SQLite database file (the embedded default)",
        )
    )


@hookimpl
def register_alert_channels(register: Callable[[AlertChannelSpec], None]) -> None:
    register(
        AlertChannelSpec(
            "log",
            "spine._log_channel:open_log",
            description="log records of the spine.alerts logger (the CLI prints them on stderr)",
        )
    )


@hookimpl
def register_pipelines(register: Callable[[PipelineSpec], None]) -> None:
    register(
        PipelineSpec(
            "load",
            "spine._pipelines:LoadPipeline",
            description="Any source into a table (spine load); params source, table, mode, key, option.NAME",
        )
    )
    register(
        PipelineSpec(
            "demo",
            "spine._pipelines:DemoPipeline",
            description="Synthetic trades into demo_trades; params rows=N, reject_every=N, fail_at=LINE",
        )
    )
