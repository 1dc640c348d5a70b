"""Workflows on PostgreSQL: parallel steps each on their own connection, recorded in the store."""

from __future__ import annotations

import threading

import spine
from spine import Spine
from spine._orchestration._workflows import Step, Workflow


class Together:
    """Loads a few rows into its own table, after waiting for its partners to start."""

    barrier = threading.Barrier(3, timeout=20)

    def run(self, context):
        self.barrier.wait()
        table = f"part_{context.params['part']}"
        schema = spine.Schema((spine.Field("id", "integer"), spine.Field("part", "string")))
        rows = [(i, context.params["part"]) for i in range(100)]
        with context.store.transaction(lock=table) as session:
            session.execute(context.store.dialect.create_table(table, schema))
            session.executemany(f'INSERT INTO "{table}" VALUES (?, ?)', rows)
        context.count(read=100, written=100)


class Plugin:
    @spine.hookimpl
    def register_pipelines(self, register):
        register(spine.PipelineSpec("together", Together))


def test_parallel_steps_on_postgres_each_use_their_own_connection(postgres):
    url, look = postgres
    workflow = Workflow(
        "parallel",
        (
            *(Step(f"load_{part}", "together", {"part": part}) for part in "abc"),
            Step("after", "demo", {"rows": "10"}, ("load_a", "load_b", "load_c")),
        ),
        max_concurrency=3,
    )
    with Spine(entry_points=True, plugins=[Plugin()], overrides={"store_url": url, "alert_on": []}) as kernel:
        result = kernel.run_workflow(workflow)
        assert result.status == "succeeded", [(s.step, s.message) for s in result.steps]
        stored = kernel.find_run(result.run_id)
        assert stored == result
        assert len(kernel.runs(workflow="parallel")) == 5
    for part in "abc":
        assert look.execute(f'SELECT count(*) FROM "part_{part}"').fetchone() == (100,)
    steps = look.execute(
        "SELECT step, status FROM spine_workflow_steps WHERE workflow_run_id = %s ORDER BY seq",
        (result.run_id,),
    ).fetchall()
    assert steps == [
        ("load_a", "succeeded"),
        ("load_b", "succeeded"),
        ("load_c", "succeeded"),
        ("after", "succeeded"),
    ]
