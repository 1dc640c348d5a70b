"""Faults whose cause must not be lost: a full TMPDIR while rejects spill, a load stopped by
SIGTERM, and a store that goes away in the middle of a load."""

from __future__ import annotations

import json
import signal
import threading

from spine import Spine
from spine.testing import HttpServer

from ..disks import small_disk
from ..kernel._processes import started
from .conftest import SPINE, own_database


def test_a_full_tmpdir_while_rejects_spill_fails_the_run_naming_it_and_keeps_what_fit(spine, tmp_path):
    # Every line has one field too many: a reject of 2 KB each, 20 MB of them, more than the disk holds.
    source = tmp_path / "wide.csv"
    with source.open("w", encoding="utf-8") as out:
        out.write("id,name\n")
        out.writelines(f"{i},n{i},{'x' * 2000}\n" for i in range(15_000))
    store = f"sqlite:///{tmp_path}/spine.db"
    with small_disk(tmp_path / "tmp") as tmp:
        loaded = spine(
            "load", str(source), "--table", "t", "--store", store, "--max-rejects", "100%",
            "--json", extra_env={"TMPDIR": str(tmp)},
        )  # fmt: skip
    assert loaded.returncode == 1, loaded.stderr
    assert "internal" not in loaded.stderr and "Traceback" not in loaded.stderr
    envelope = json.loads(loaded.stdout)
    message = envelope["error"]["message"]
    assert envelope["status"] == "failed" and envelope["error"]["category"] == "load"
    assert f"rejected rows could not be kept: their spill file in {tmp} (TMPDIR) is full" in message
    assert "No space left on device" in message
    shown = spine("runs", "show", envelope["run_id"], "--json", "--rejects", "5", "--store", store)
    recorded = json.loads(shown.stdout)
    assert (recorded["status"], recorded["error"]["message"]) == ("failed", message)  # closed, not running
    assert [reject["position"] for reject in recorded["rejects"]] == [2, 3, 4, 5, 6]  # those that fit


def test_sigterm_stops_a_load_as_cancelled_with_exit_143(spine, env, tmp_path):
    server = HttpServer()
    try:

        def slow(request):  # answers only once the test is over
            server.pause(120)
            return 200, {}, [{"a": 1}]

        url = server.route("GET", "/slow", slow)
        store = f"sqlite:///{tmp_path}/spine.db"
        process, run = started([SPINE, "load", url, "--table", "t", "--store", store], env, store)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        server.close()
    assert process.returncode == 143, err
    assert "spine: terminated (SIGTERM)" in err and "Traceback" not in err
    shown = json.loads(spine("runs", "show", run["run_id"], "--json", "--store", store).stdout)
    assert (shown["status"], shown["error"]["message"]) == ("cancelled", "stopped by SIGTERM")


def test_a_store_gone_mid_load_says_the_loads_error_and_alerts_first_and_the_run_is_closed_once_back(
    spine, env, postgres
):
    _, look = postgres
    server = HttpServer()
    cut = threading.Event()

    def rows(request):  # the rows come once the database is gone: the load's write meets it
        cut.wait(120)
        return 200, {}, [{"a": 1}, {"a": 2}]

    url = server.route("GET", "/rows", rows)
    try:
        with own_database(look) as database:
            command = [SPINE, "--debug", "load", url, "--table", "t", "--store", database.url]
            process, run = started(command, env, database.url)
            database.down()
            cut.set()
            _, err = process.communicate(timeout=120)
            assert process.returncode == 1, err
            lost = (
                "run failed: [load] cannot write 't' ("
                + database.url
                + "): the connection to the server was lost"
            )
            said = [
                err.find(lost),
                err.find("Traceback (most recent call last)"),  # --debug: the load's traceback
                err.find("alert [error] load failed"),
                err.find("but the store could not record it"),
            ]
            assert -1 not in said and said == sorted(said), err  # the load's error, its alert, then the store
            database.up()
            listed = json.loads(spine("runs", "list", "--json", "--store", database.url).stdout)
            (closed,) = [found for found in listed if found["run_id"] == run["run_id"]]
            assert (closed["status"], closed["error"]["category"]) == ("failed", "abandoned")
    finally:
        server.close()


def test_a_load_on_postgres_closes_its_run_in_the_transaction_that_commits_its_rows(postgres, tmp_path):
    url, look = postgres
    source = tmp_path / "rows.csv"
    source.write_text("a\n1\n2\nx\n", encoding="utf-8")  # x: a reject, the run is partial
    with Spine(
        overrides={"store_url": url, "load_plugins": "spine-store-postgres,spine-source-file"}
    ) as kernel:
        kernel.runlog()
        # Checked as the rows commit (a deferred trigger): a kill between the commit and the
        # run's record must not leave the new rows under a run recorded as running.
        look.execute("CREATE TABLE t (a integer)")
        look.execute(
            """CREATE FUNCTION run_closed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM spine_runs WHERE status = 'running') THEN
                    RAISE EXCEPTION 'the rows commit while their run is recorded as running';
                END IF;
                RETURN NULL;
            END $$"""
        )
        look.execute(
            "CREATE CONSTRAINT TRIGGER run_closed AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED "
            "FOR EACH ROW EXECUTE FUNCTION run_closed()"
        )
        result = kernel.load(str(source), "t", options={"types": "a:integer"}, max_rejects="50%")
    assert (result.status, result.error) == ("partial", None)
    assert look.execute("SELECT a FROM t ORDER BY a").fetchall() == [(1,), (2,)]
    recorded = look.execute(
        "SELECT status, rows_read, rows_written, rows_rejected FROM spine_runs WHERE run_id = %s",
        (result.run_id,),
    )
    assert recorded.fetchone() == ("partial", 3, 2, 1)
    assert look.execute(
        "SELECT count(*) FROM spine_rejects WHERE run_id = %s", (result.run_id,)
    ).fetchone() == (1,)
