"""The kernel's own plugin: what works with nothing else installed."""

from __future__ import annotations

from collections.abc import Callable

from ._descriptors import AlertChannelSpec, PipelineSpec, StoreSpec
from ._hookspecs import hookimpl
from ._params import Param


@hookimpl
def register_stores(register: Callable[[StoreSpec], None]) -> None:
    register(
        StoreSpec(
            "sqlite",
            "spine._data._sqlite:SQLiteStore",
            schemes=("sqlite",),
            description="SQLite database file (the embedded default)",
        )
    )


@hookimpl
def register_alert_channels(register: Callable[[AlertChannelSpec], None]) -> None:
    register(
        AlertChannelSpec(
            "log",
            "spine._alerts._log_channel:open_log",
            description="log records of the spine.alerts logger (the CLI prints them on stderr)",
        )
    )


@hookimpl
def register_pipelines(register: Callable[[PipelineSpec], None]) -> None:
    register(
        PipelineSpec(
            "load",
            "spine._runs._pipelines:LoadPipeline",
            description="Any source into a table (spine load)",
            params=(
                Param("source", required=True, description="a file path, or a URL a source plugin reads"),
                Param("table", required=True, description="the table to write"),
                Param(
                    "mode", choices=("append", "replace", "merge"), default="append", description="write mode"
                ),
                Param("key", multiple=True, description="the key columns (merge needs them)"),
                Param(
                    "allow_empty",
                    "boolean",
                    default=False,
                    description="a replace may leave the table empty (an input without rows)",
                ),
                Param(
                    "schema_contract",
                    choices=("evolve", "freeze"),
                    description="evolve or freeze the table's columns (default: the schema_contract setting)",
                ),
                Param("option.*", "any", description="the source option NAME (see the source's README)"),
            ),
        )
    )
    register(
        PipelineSpec(
            "demo",
            "spine._runs._pipelines:DemoPipeline",
            description="Synthetic trades into demo_trades",
            params=(
                Param("rows", "integer", default=1000, description="how many trades"),
                Param(
                    "reject_every",
                    "integer",
                    default=0,
                    description="every Nth record is unreadable (0: none)",
                ),
                Param("fail_at", "integer", description="the line at which the source fails"),
            ),
        )
    )
