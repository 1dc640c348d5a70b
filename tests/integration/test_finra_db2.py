"""The FINRA pipeline on the Db2 store, through the fake ibm_db (which runs Db2's SQL on PostgreSQL)."""

from __future__ import annotations

import uuid

import pytest
import spine
import spine_domain_finra
import spine_source_file
from spine_store_db2._store import Db2Store

from ..store_db2.fake_ibm_db import FakeIbmDb
from ..store_db2.urls import PG_URL, db2_url
from .test_finra import LINES, WEEK
from .test_load_files import write


@pytest.fixture
def db2_kernel(postgres, tmp_path):
    """A kernel whose store is the Db2 store on the fake driver, in the test's schema."""
    _, look = postgres
    schema = look.execute("SELECT current_schema()").fetchone()[0]
    driver = FakeIbmDb(PG_URL)

    class FakeDb2:
        @spine.hookimpl
        def register_stores(self, register):
            register(
                spine.StoreSpec(
                    "db2fake", lambda url: Db2Store(db2_url(schema), driver=driver), schemes=("db2fake",)
                )
            )

    environ = {"HOME": str(tmp_path), "SPINE_STORE_URL": f"db2fake://{uuid.uuid4().hex}"}
    plugins = [spine_domain_finra, spine_source_file, FakeDb2()]
    with spine.Spine(entry_points=False, environ=environ, plugins=plugins) as kernel:
        yield kernel, look, driver
    driver.close_all()


def test_a_week_merges_into_db2_twice_the_same_and_its_derived_tables_add_up(db2_kernel, tmp_path):
    kernel, look, driver = db2_kernel
    path = write(tmp_path / "week.psv", LINES)
    for _ in range(2):
        result = kernel.run("finra.otc_weekly", {"file": str(path), "week": WEEK})
        assert (result.status, result.counts.rows_written) == ("succeeded", 5), result.error
    assert look.execute('SELECT COUNT(*), COUNT(DISTINCT "run_id") FROM "finra_otc_weekly"').fetchone() == (
        5,
        1,
    )
    raw = dict(
        look.execute(
            'SELECT "tier" || \'/\' || "symbol", SUM("total_weekly_share_quantity") FROM "finra_otc_weekly"'
            ' GROUP BY "tier", "symbol"'
        ).fetchall()
    )
    derived = dict(
        look.execute('SELECT "tier" || \'/\' || "symbol", "total_shares" FROM "finra_otc_symbol_weekly"')
    )
    assert derived == raw
    assert look.execute('SELECT COUNT(*) FROM "finra_otc_venue_share" WHERE "rank" = 1').fetchone() == (2,)
    sent = driver.statements()
    assert any(sql.startswith('MERGE INTO "finra_otc_weekly"') for sql in sent)  # Db2's own upsert
    assert any("CAST(" in sql and "DOUBLE PRECISION" in sql for sql in sent)  # the derived tables' SQL
