"""What a run records besides its counts: warnings, tables it changed, its worker, its error's
traceback, what its pipeline returned; and how runs are found again by id."""

from __future__ import annotations

import json
import os
import socket

import pytest
import spine
from spine import Batch, ConfigError, Field, RunCounts, Schema, Source, Spine, Target, WriteMode

from ._wheels import Dist, install

SCHEMA = Schema((Field("k", "string"), Field("n", "integer")))
APPENDED = Target("t", WriteMode.APPEND)


class Noted(Source):
    """Two rows, and a warning about how it read them."""

    def __init__(self, schema=SCHEMA):
        self._schema = schema

    def schema(self):
        return self._schema

    def batches(self, batch_size=500):
        width = len(self._schema.fields)
        yield Batch([("a", 1, *(None,) * (width - 2)), ("b", 2, *(None,) * (width - 2))], [1, 2], "mem")

    def warnings(self):
        return ["column n read as integer: the source says so"]


class Pipelines:
    """Pipelines whose behaviour the tests set: see each class below."""

    def __init__(self):
        self.returned = None
        self.schema = SCHEMA

    @spine.hookimpl
    def register_pipelines(self, register):
        register(spine.PipelineSpec("noted", lambda: Loading(self)))
        register(
            spine.PipelineSpec("noted_merge", lambda: Loading(self, Target("t", WriteMode.MERGE, ("k",))))
        )
        register(spine.PipelineSpec("two", lambda: TwoLoads()))
        register(spine.PipelineSpec("returns", lambda: Returning(self)))
        register(spine.PipelineSpec("bug", Buggy))
        register(spine.PipelineSpec("loud", Loud))


class Loading:
    """Noted into table t (appended, unless another target is given)."""

    def __init__(self, owner, target=APPENDED):
        self.owner, self.target = owner, target

    def run(self, context):
        context.load(Noted(self.owner.schema), self.target)


class TwoLoads:
    """Noted into table t twice, a batch a row."""

    def run(self, context):
        context.load(Noted(), Target("t", WriteMode.APPEND), batch_size=1)
        context.load(Noted(), Target("t", WriteMode.APPEND), batch_size=1)


class Returning:
    """Counts 100 rows, then returns what the test set."""

    def __init__(self, owner):
        self.owner = owner

    def run(self, context):
        context.count(read=100, written=100)
        return self.owner.returned


class Buggy:
    def run(self, context):
        return {"a": 1}["missing"]


class Loud:
    def run(self, context):
        raise RuntimeError("x" * 10_000 + " while connecting to postgresql://u:pw-in-tb@db/x")


@pytest.fixture
def pipelines():
    return Pipelines()


@pytest.fixture
def kernel(tmp_path, pipelines):
    environ = {"SPINE_STORE_URL": f"sqlite:///{tmp_path}/s.db"}
    with Spine(entry_points=False, environ=environ, plugins=[pipelines]) as k:
        yield k


def test_warnings_and_a_created_table_are_recorded_with_the_run(kernel):
    result = kernel.run("noted")
    assert result.warnings == ("column n read as integer: the source says so",)
    assert [str(change) for change in result.tables] == ["created table t (k string, n integer)"]
    assert kernel.find_run(result.run_id) == result
    assert kernel.runs()[0].warnings == result.warnings
    assert result.to_dict()["tables"] == [
        {"table": "t", "created": True, "columns": {"k": "string", "n": "integer"}}
    ]


def test_loading_into_the_same_table_again_changes_nothing_and_says_nothing(kernel):
    kernel.run("noted")
    again = kernel.run("noted")
    assert again.tables == ()


def test_columns_a_load_added_to_a_table_are_recorded_and_warned_about(kernel, pipelines, caplog):
    kernel.run("noted")
    pipelines.schema = Schema((*SCHEMA.fields, Field("country", "string")))
    with caplog.at_level("WARNING", logger="spine.run"):
        result = kernel.run("noted")
    assert result.status == "succeeded"
    assert [str(change) for change in result.tables] == ["added column(s) country string to table t"]
    assert kernel.find_run(result.run_id).tables == result.tables
    assert "added column(s) country string to table t" in caplog.text


def test_a_merge_that_makes_its_unique_index_says_so_once(kernel):
    kernel.run("noted")  # table t, appended: no unique key
    kernel.run("noted")  # a and b again: each twice now
    refused = kernel.run("noted_merge")
    assert "2 key value(s) repeat in its rows, such as k='a' (2 rows)" in refused.error.message
    with kernel.runlog().store.transaction() as session:
        session.execute('DELETE FROM "t" WHERE rowid NOT IN (SELECT MIN(rowid) FROM "t" GROUP BY "k")')
    merged = kernel.run("noted_merge")
    assert merged.status == "succeeded", merged.error
    assert (
        "table t had no unique key on (k), which a merge needs: its rows being unique on them, "
        "the load made the unique index t_k_merge_key"
    ) in merged.warnings
    assert not [w for w in kernel.run("noted_merge").warnings if "unique" in w]  # made once


def test_counts_a_pipeline_returns_are_the_runs_counts(kernel, pipelines):
    pipelines.returned = RunCounts(rows_read=7, rows_written=5)
    result = kernel.run("returns")
    assert (result.counts, result.status) == (RunCounts(7, 5, 0), "succeeded")
    assert kernel.find_run(result.run_id).counts == RunCounts(7, 5, 0)
    pipelines.returned = RunCounts(rows_read=7, rows_written=5, rows_rejected=2)
    assert kernel.run("returns").status == "partial"


def test_anything_else_a_pipeline_returns_is_ignored_with_a_warning(kernel, pipelines):
    pipelines.returned = {"rows": 3}
    result = kernel.run("returns")
    assert result.counts == RunCounts(100, 100, 0)
    assert result.warnings == (
        "the pipeline returned a dict, which spine ignores: return None or a spine.RunCounts",
    )


def test_a_bug_keeps_its_traceback_with_the_run_but_not_in_the_envelope(kernel):
    result = kernel.run("bug")
    assert (result.status, str(result.error)) == ("failed", "[internal] KeyError: 'missing'")
    traceback = result.error.traceback
    assert "Traceback (most recent call last)" in traceback and 'return {"a": 1}["missing"]' in traceback
    assert traceback.rstrip().endswith("KeyError: 'missing'")
    assert kernel.find_run(result.run_id).error.traceback == traceback
    assert "traceback" not in result.to_dict()["error"]
    assert result.to_dict(traceback=True)["error"]["traceback"] == traceback


def test_a_traceback_is_redacted_and_keeps_its_end_when_long(kernel):
    result = kernel.run("loud")
    recorded = kernel.find_run(result.run_id).error.traceback
    assert recorded == result.error.traceback
    assert "pw-in-tb" not in recorded and recorded.endswith("while connecting to postgresql://u:***@db/x")
    assert len(recorded) == 4000 and recorded.startswith("…")


def test_a_run_records_who_runs_it(kernel):
    result = kernel.run("noted")
    assert result.worker == f"{socket.gethostname()}:{os.getpid()}"
    assert kernel.find_run(result.run_id).worker == result.worker


def test_progress_counts_the_whole_run_across_its_loads(kernel):
    seen = []
    kernel.run("two", progress=seen.append)
    assert [progress.rows_read for progress in seen] == [2, 4]  # Noted yields one batch of two rows
    assert {progress.source for progress in seen} == {"Noted"}


# -- finding runs ------------------------------------------------------------------------


def test_a_run_is_found_by_four_characters_of_its_id(kernel):
    result = kernel.run("noted")
    assert kernel.find_run(result.run_id[:4]) == result
    with pytest.raises(ConfigError, match="too short: give the whole id or at least its first 4 characters"):
        kernel.find_run(result.run_id[:3])
    assert kernel.find_run("ffffffffffff0000") is None


def test_a_prefix_of_several_runs_is_refused_naming_them(kernel):
    from spine._runs._runner import run_pipeline

    first = run_pipeline(kernel, "noted", {}, run_id="abcd0001")
    second = run_pipeline(kernel, "noted", {}, run_id="abcd0002")
    with pytest.raises(
        ConfigError, match=r"more than one run starts with 'abcd' \(abcd0001, abcd0002, \.\.\.\)"
    ):
        kernel.find_run("abcd")
    assert kernel.find_run("abcd0002") == second != first


def test_a_prefix_is_matched_literally(kernel):
    from spine._runs._runner import run_pipeline

    run_pipeline(kernel, "noted", {}, run_id="a_b%0001")
    run_pipeline(kernel, "noted", {}, run_id="axbx0001")
    assert kernel.find_run("a_b%").run_id == "a_b%0001"


# -- the command ----------------------------------------------------------------------------

NOISY = Dist(
    "spine-noisy",
    files={
        "spine_noisy.py": """
import os
import spine

print("noisy: imported")

@spine.hookimpl
def register_pipelines(register):
    register(spine.PipelineSpec("noisy.bug", "spine_noisy:Bug"))

@spine.hookimpl
def run_started(run):
    print("noisy: run started")
    os.write(1, b"noisy: written on file descriptor 1\\n")

class Bug:
    def run(self, context):
        print("noisy: in the pipeline")
        return {}["missing"]
"""
    },
    entry_points={"noisy": "spine_noisy"},
)


@pytest.fixture(scope="module")
def noisy_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("noisy")
    return install([NOISY], root / "site", root / "wheels")


def test_what_plugins_print_goes_to_stderr_and_json_stays_json(spine_cli, noisy_site):
    ran = spine_cli("run", "demo", "-p", "rows=3", "--json", site=noisy_site)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["rows_written"] == 3
    for line in ("noisy: imported", "noisy: run started", "noisy: written on file descriptor 1"):
        assert line in ran.stderr
    listed = spine_cli("plugins", "list", "--json", site=noisy_site)
    assert {plugin["name"] for plugin in json.loads(listed.stdout)} >= {"noisy"}


def test_a_bugs_traceback_is_shown_with_debug_only(spine_cli, noisy_site):
    failed = spine_cli("run", "noisy.bug", "--json", site=noisy_site)
    assert failed.returncode == 1
    envelope = json.loads(failed.stdout)
    assert envelope["error"] == {
        "category": "internal",
        "message": "KeyError: 'missing'",
        "retryable": False,
        "context": {"pipeline": "noisy.bug"},
    }
    assert "Traceback" not in failed.stderr
    debug = spine_cli("run", "noisy.bug", "--debug", site=noisy_site)
    assert debug.returncode == 1
    assert 'spine_noisy.py", line 19, in run' in debug.stderr and "KeyError: 'missing'" in debug.stderr
    shown = spine_cli("runs", "show", envelope["run_id"][:8], site=noisy_site)
    assert "error     [internal] KeyError: 'missing'" in shown.stdout and "Traceback" not in shown.stdout
    shown = spine_cli("runs", "show", envelope["run_id"][:8], "--debug", site=noisy_site)
    assert 'spine_noisy.py", line 19, in run' in shown.stdout
    as_json = json.loads(
        spine_cli("runs", "show", envelope["run_id"], "--json", "--debug", site=noisy_site).stdout
    )
    assert "KeyError: 'missing'" in as_json["error"]["traceback"]


def test_runs_list_says_when_nothing_matches(spine_cli, tmp_path):
    store = f"sqlite:///{tmp_path}/r.db"
    assert spine_cli("runs", "list", "--store", store).stdout.strip() == "no runs recorded"
    spine_cli("run", "demo", "-p", "rows=2", "--store", store)
    matched = spine_cli("runs", "list", "--status", "running", "--pipeline", "demo", "--store", store)
    assert matched.stdout.strip() == "no runs match --pipeline demo --status running"


def test_runs_show_refuses_a_short_or_shared_prefix(spine_cli, tmp_path):
    store = f"sqlite:///{tmp_path}/r.db"
    run_id = json.loads(spine_cli("run", "demo", "-p", "rows=2", "--json", "--store", store).stdout)["run_id"]
    assert spine_cli("runs", "show", run_id[:4], "--store", store).returncode == 0
    short = spine_cli("runs", "show", run_id[:3], "--store", store)
    assert short.returncode == 2 and "at least its first 4 characters" in short.stderr


def test_a_sqlite_url_with_a_host_is_refused_before_anything_is_created(spine_cli, tmp_path):
    refused = spine_cli("run", "demo", "--store", "sqlite://relative.db")
    assert refused.returncode == 2
    assert "'sqlite://relative.db' names a host ('relative.db')" in refused.stderr
    assert "sqlite:///relative.db" in refused.stderr
    assert not [path for path in tmp_path.rglob("*") if path.name.startswith("relative")]


def test_a_password_in_a_keyword_connection_string_is_never_shown(spine_cli):
    refused = spine_cli("run", "demo", "--store", "host=127.0.0.1 user=postgres password=KwSecret7 dbname=x")
    assert refused.returncode == 2
    assert "KwSecret7" not in refused.stderr + refused.stdout
    assert (
        "no installed store reads store URLs like 'host=127.0.0.1 user=postgres password=*** dbname=x'"
        in (refused.stderr)
    )
