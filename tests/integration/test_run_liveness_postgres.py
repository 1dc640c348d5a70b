"""Runs on PostgreSQL: heartbeats while a load writes, runs of another host closed when their
heartbeat stops, and a load whose connection the server drops."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

from spine import Spine

from ..kernel._holding import Holding
from .conftest import own_database

PLUGINS = "spine-store-postgres"


def heartbeat(look, run_id):
    return look.execute("SELECT heartbeat_at FROM spine_runs WHERE run_id = %s", (run_id,)).fetchone()[0]


def test_a_running_load_keeps_its_heartbeat_on_postgres(postgres):
    url, look = postgres
    holding = Holding()
    overrides = {"store_url": url, "load_plugins": PLUGINS, "run_heartbeat": 0.05}
    with Spine(overrides=overrides, plugins=[holding]) as kernel, holding.held(kernel) as results:
        (run_id,) = look.execute("SELECT run_id FROM spine_runs WHERE status = 'running'").fetchone()
        first = heartbeat(look, run_id)
        beaten = threading.Event()
        for _ in range(600):  # the heartbeat thread writes while the load's transaction is open
            if heartbeat(look, run_id) > first:
                beaten.set()
                break
            beaten.wait(0.05)
        assert beaten.is_set(), "the heartbeat never moved while the load ran"
    assert results[0].status == "succeeded"


def test_a_run_of_another_host_is_closed_when_its_heartbeat_is_older_than_the_lease(postgres):
    url, look = postgres
    with Spine(overrides={"store_url": url, "load_plugins": PLUGINS, "run_lease": "5m"}) as kernel:
        runlog = kernel.runlog()
        now = datetime.now(UTC)
        runlog.started("silent", "demo", {}, now - timedelta(hours=1), worker="another-host:4242")
        runlog.started("beating", "demo", {}, now - timedelta(hours=1), worker="another-host:4343")
        runlog.beat(["beating"], now - timedelta(minutes=1))
        look.execute(
            "UPDATE spine_runs SET heartbeat_at = %s WHERE run_id = 'silent'", (now - timedelta(minutes=6),)
        )
        (closed,) = kernel.close_abandoned()
        assert closed.run_id == "silent"
        assert closed.error.message.startswith("process died: no heartbeat from another-host:4242 for 6m")
        assert closed.error.message.endswith("(longer than run_lease, 5m)")
        statuses = dict(look.execute("SELECT run_id, status FROM spine_runs").fetchall())
        assert statuses == {"silent": "failed", "beating": "running"}
        alerts = look.execute("SELECT run_id, title FROM spine_alerts").fetchall()
        assert alerts == [("silent", "demo failed")]


def test_a_load_whose_connection_the_server_drops_is_recorded_failed(postgres):
    url, look = postgres
    name = f"spine_dropped_{uuid.uuid4().hex[:8]}"  # only this test's sessions: others share the server
    holding = Holding()
    overrides = {"store_url": f"{url}&application_name={name}", "load_plugins": PLUGINS}
    kernel = Spine(overrides=overrides, plugins=[holding])
    with kernel, holding.held(kernel) as results:
        dropped = look.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = %s AND backend_xid IS NOT NULL",
            (name,),
        ).fetchall()
        assert dropped == [(True,)]
    (result,) = results
    assert (result.status, result.error.category) == ("failed", "load")
    recorded = look.execute(
        "SELECT status, error_category FROM spine_runs WHERE run_id = %s", (result.run_id,)
    )
    assert recorded.fetchone() == ("failed", "load")
    assert look.execute("SELECT to_regclass('held')").fetchone() == (None,)  # rolled back with the load


def test_a_run_whose_store_went_away_is_recorded_once_it_is_back(postgres):
    import psycopg

    _, look = postgres
    with own_database(look) as database:
        holding = Holding()
        overrides = {"store_url": database.url, "load_plugins": PLUGINS, "run_heartbeat": 0.05}
        with Spine(overrides=overrides, plugins=[holding]) as kernel:
            with holding.held(kernel) as results:
                database.down()
            (result,) = results
            assert (result.status, result.error.category) == ("failed", "load")
            assert "the connection to the server was lost" in result.error.message

            def recorded():
                with psycopg.connect(database.url, autocommit=True) as db:
                    return db.execute(
                        "SELECT status, error_category FROM spine_runs WHERE run_id = %s", (result.run_id,)
                    ).fetchone()

            database.up()
            assert recorded() == ("running", None)  # the end could not be written when it came
            waited = threading.Event()
            for _ in range(600):  # the kernel's heartbeat thread writes it, now that it can
                if recorded() == ("failed", "load"):
                    break
                waited.wait(0.05)
            assert recorded() == ("failed", "load")
