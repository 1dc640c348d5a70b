"""A pipeline that holds its load open: one row written, then it waits inside the load's
transaction until the test releases it (for what happens while a load writes)."""

from __future__ import annotations

import threading

import spine
from spine import Batch, Field, Schema, Source, Target, WriteMode


class Holding:
    """A plugin with the pipeline ``holding``: rows a and b into table ``held``, with a wait
    between them; `entered` is set once the first row is on its way, `release` ends the wait."""

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()

    @spine.hookimpl
    def register_pipelines(self, register):
        register(spine.PipelineSpec("holding", lambda: self))

    def run(self, context):
        context.load(_Held(self), Target("held", WriteMode.APPEND))


class _Held(Source):
    def __init__(self, owner: Holding) -> None:
        self.owner = owner

    def schema(self):
        return Schema((Field("k", "string"),))

    def batches(self, batch_size=500):
        yield Batch([("a",)], [1], "held")
        self.owner.entered.set()
        assert self.owner.release.wait(60)
        yield Batch([("b",)], [2], "held")
