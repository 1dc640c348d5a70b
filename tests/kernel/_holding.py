"""A pipeline that holds its load open: one row written, then it waits inside the load's
transaction until the test releases it (for what happens while a load writes)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import spine
from spine import Batch, Field, RunResult, Schema, Source, Spine, Target, WriteMode


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

    @contextmanager
    def held(self, kernel: Spine) -> Iterator[list[RunResult]]:
        """Run ``holding`` on `kernel` in a thread: the block runs while its load holds its
        transaction open; then the load goes on, and the list yielded holds its result."""
        results: list[RunResult] = []
        writer = threading.Thread(target=lambda: results.append(kernel.run("holding")))
        writer.start()
        try:
            assert self.entered.wait(30)
            yield results
        finally:
            self.release.set()
            writer.join(60)


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
