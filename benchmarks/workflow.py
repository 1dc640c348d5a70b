"""What a workflow adds to the pipeline runs it makes, next to a plain loop making the same runs.

    python benchmarks/workflow.py [--steps 100] [--repeat 5] [--store URL]

A workflow of `--steps` no-op steps, each depending on the one before, is run with
`Spine.run_workflow`; the baseline is a plain loop calling `Spine.run` on the same
no-op pipeline as many times, on the same store (the embedded SQLite file by
default). Both record every pipeline run; the workflow also records itself and each
step. Prints the fastest time of each, the overhead per step, and the ratio.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time

import spine


class _Noop:
    def run(self, context: spine.RunContext) -> None:
        pass


class _Plugin:
    @spine.hookimpl
    def register_pipelines(self, register):  # type: ignore[no-untyped-def]
        register(spine.PipelineSpec("noop", _Noop))


def _workflow(steps: int) -> spine.Workflow:
    chain = [spine.Step(f"s{i}", "noop", depends_on=(f"s{i - 1}",) if i else ()) for i in range(steps)]
    return spine.Workflow("chain", tuple(chain))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--store", help="a store URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the runs' info lines are not what is measured
    with tempfile.TemporaryDirectory() as tmp:
        url = args.store or f"sqlite:///{tmp}/bench.db"
        overrides = {"store_url": url, "alert_on": []}
        with spine.Spine(entry_points=bool(args.store), plugins=[_Plugin()], overrides=overrides) as kernel:
            workflow = _workflow(args.steps)
            kernel.run("noop")  # the store is created and migrated before anything is timed
            loop_times, workflow_times = [], []
            for _ in range(args.repeat):  # interleaved, so drift hits both alike
                started = time.perf_counter()
                for _ in range(args.steps):
                    kernel.run("noop")
                loop_times.append(time.perf_counter() - started)
                started = time.perf_counter()
                result = kernel.run_workflow(workflow)
                workflow_times.append(time.perf_counter() - started)
                assert result.status == "succeeded", result
    loop, flow = min(loop_times), min(workflow_times)
    print(f"{args.steps} no-op steps, fastest of {args.repeat} rounds, store {url.split('://')[0]}")
    print(
        f"  plain loop of Spine.run          {loop * 1000:8.1f} ms  ({loop / args.steps * 1000:.2f} ms a run)"
    )
    print(
        f"  Spine.run_workflow               {flow * 1000:8.1f} ms  "
        f"({(flow - loop) / args.steps * 1000:+.2f} ms a step; {flow / loop:.2f}x the loop)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
