"""The plugin as the kernel sees it: found by entry point, light to list, and used for runs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import spine
import spine_store_postgres
from spine_store_postgres._store import PostgresStore

from .pg_helpers import rows_of


def test_the_installed_plugin_registers_the_store_without_importing_psycopg():
    code = (
        "import json, sys, spine\n"
        "kernel = spine.Spine()\n"
        "spec = kernel.plugins.get('store', 'postgres')\n"
        "print(json.dumps([spec.factory, list(spec.schemes), 'psycopg' in sys.modules]))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == [
        "spine_store_postgres._store:PostgresStore",
        ["postgresql", "postgres"],
        False,
    ]


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_the_kernel_opens_both_schemes_with_this_store(url, scheme):
    with spine.Spine(entry_points=False, plugins=[spine_store_postgres]) as kernel:
        store = kernel.runlog(url.replace("postgresql", scheme, 1)).store
        assert isinstance(store, PostgresStore)
        assert store.columns("spine_runs") is not None  # the kernel migrated its tables into the schema


def test_a_pipeline_run_loads_its_rows_and_records_the_run(url, db):
    with spine.Spine(entry_points=False, plugins=[spine_store_postgres]) as kernel:
        result = kernel.run("demo", {"rows": "300", "reject_every": "50"}, store=url)
        again = kernel.run("demo", {"rows": "300", "reject_every": "50"}, store=url)
    assert result.status is spine.RunStatus.PARTIAL, result.error
    assert (result.counts.rows_read, result.counts.rows_written, result.counts.rows_rejected) == (300, 294, 6)
    assert again.counts.rows_written == 294  # the rows given, though the merge changed none
    assert db.execute('SELECT count(*) FROM "demo_trades"').fetchone() == (294,)
    assert rows_of(db, "spine_runs", "started_at")[0][:3] == (result.run_id, "demo", "partial")
