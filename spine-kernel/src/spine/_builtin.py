"""The kernel's own plugin: what works with nothing else installed."""

from __future__ import annotations

from collections.abc import Callable

from ._descriptors import PipelineSpec
from ._hookspecs import hookimpl


@hookimpl
def register_pipelines(register: Callable[[PipelineSpec], None]) -> None:
    register(
        PipelineSpec(
            "demo",
            "spine._demo:DemoPipeline",
            description="Counts synthetic records; params rows=N, reject_every=N, fail=true",
        )
    )
