"""Loads through the runner: rejects, thresholds, checks, transforms, state, run records."""

from __future__ import annotations

import base64
import gc
from datetime import UTC, datetime, timedelta

import pytest
import spine
from spine import (
    Batch,
    ConfigError,
    Field,
    PluginError,
    Reject,
    Schema,
    Source,
    SourceError,
    Spine,
    Target,
    WriteMode,
)
from spine._data._loading import Check, RejectSpool, RejectThreshold

SCHEMA = Schema((Field("k", "string"), Field("n", "integer")))


class ListSource(Source):
    """Batches given in advance; a batch may be an exception to raise at that point."""

    def __init__(self, batches, schema=SCHEMA):
        self._batches, self._schema = batches, schema
        self.yielded = 0

    def schema(self):
        return self._schema

    def batches(self, batch_size=10_000):
        for batch in self._batches:
            if isinstance(batch, BaseException):
                raise batch
            self.yielded += 1
            yield batch


def rows_batch(start, count, origin="mem", rejects=()):
    rows = [(f"k{i}", i) for i in range(start, start + count)]
    return Batch(rows, list(range(start, start + count)), origin, list(rejects))


def bad(line, reason="n: expected an integer, got 'x'"):
    return Reject("mem", line, f"k{line}|x", reason)


class Loads:
    """Pipelines that load whatever `make` returns into table t."""

    def __init__(self):
        self.source = None
        self.target = Target("t", WriteMode.MERGE, ("k",))
        self.checks = ()
        self.transforms = ()

    @spine.hookimpl
    def register_pipelines(self, register):
        register(spine.PipelineSpec("job", lambda: self))

    def run(self, context):
        context.load(self.source, self.target, checks=self.checks, transforms=self.transforms)


@pytest.fixture
def loads():
    return Loads()


@pytest.fixture
def kernel(tmp_path, loads):
    with Spine(
        entry_points=False, environ={"SPINE_STORE_URL": f"sqlite:///{tmp_path}/s.db"}, plugins=[loads]
    ) as k:
        yield k


def table(kernel):
    with kernel.runlog().store.transaction() as session:
        return session.query('SELECT "k", "n" FROM "t" ORDER BY "n"')


def test_a_clean_load_succeeds_and_is_recorded(kernel, loads):
    loads.source = ListSource([rows_batch(0, 5), rows_batch(5, 5)])
    result = kernel.run("job")
    assert (result.status, result.counts) == ("succeeded", spine.RunCounts(10, 10, 0))
    assert len(table(kernel)) == 10
    assert kernel.runlog().run(result.run_id) == result


def test_a_few_rejects_make_the_run_partial_and_are_kept_with_their_position(kernel, loads):
    loads.source = ListSource([rows_batch(0, 19, rejects=[bad(19)]), rows_batch(20, 10)])
    result = kernel.run("job")
    assert (result.status, result.counts) == ("partial", spine.RunCounts(30, 29, 1))
    assert kernel.runlog().rejects(result.run_id) == [bad(19)]
    assert len(table(kernel)) == 29


def test_too_many_rejects_fail_the_run_and_leave_the_table_as_it_was(kernel, loads):
    loads.source = ListSource([rows_batch(0, 3)])
    kernel.run("job")
    loads.source = ListSource([rows_batch(100, 8, rejects=[bad(200), bad(201)])])  # 20 % > 10 %
    result = kernel.run("job")
    assert result.status == "failed"
    assert result.error.category == "check"
    assert (
        "2 of 10 rows rejected, more than the 10% of the rows allowed; nothing was written"
        in result.error.message
    )
    assert "mem:200: n: expected an integer" in result.error.message
    assert table(kernel) == [("k0", 0), ("k1", 1), ("k2", 2)]
    assert len(kernel.runlog().rejects(result.run_id)) == 2  # kept although the run failed


def test_a_count_threshold_stops_a_hopeless_load_early(kernel, loads):
    source = ListSource([rows_batch(i * 10, 9, rejects=[bad(i * 10 + 9)]) for i in range(50)])
    loads.source = source
    result = kernel.run("job", max_rejects="2")
    assert result.status == "failed"
    assert source.yielded == 3  # the third reject crossed the line; the rest was never read
    assert result.counts.rows_rejected == 3


def test_a_generous_threshold_from_the_caller_keeps_the_run_partial(kernel, loads):
    loads.source = ListSource([rows_batch(0, 6, rejects=[bad(6), bad(7), bad(8), bad(9)])])
    assert kernel.run("job", max_rejects="50%").status == "partial"


def test_a_pipeline_can_set_its_own_threshold(kernel, loads):
    loads.max_rejects = RejectThreshold(count=0, fraction=None)
    loads.source = ListSource([rows_batch(0, 6, rejects=[bad(6)])])
    assert kernel.run("job").status == "failed"


@pytest.mark.parametrize(
    ("text", "expected"), [("250", RejectThreshold(250, None)), ("2.5%", RejectThreshold(None, 0.025))]
)
def test_thresholds_parse(text, expected):
    assert RejectThreshold.parse(text) == expected


@pytest.mark.parametrize("text", ["-1", "ten", "150%", ""])
def test_bad_thresholds_are_config_errors(text):
    with pytest.raises(ConfigError, match="expected a count"):
        RejectThreshold.parse(text)


def test_checks_reject_rows_with_the_check_name_and_the_raw_record(kernel, loads):
    loads.source = ListSource(
        [Batch([("a", 1), ("b", -2), ("c", 3)], [1, 2, 3], "f.psv", [], ["a|1", "b|-2", "c|3"])]
    )
    loads.checks = [Check("non-negative n", ("n",), lambda n: n >= 0 or f"got {n}")]
    result = kernel.run("job", max_rejects="50%")
    assert kernel.runlog().rejects(result.run_id) == [Reject("f.psv", 2, "b|-2", "non-negative n: got -2")]
    assert [row[0] for row in table(kernel)] == ["a", "c"]


def test_a_row_without_its_merge_key_is_rejected_not_loaded(kernel, loads):
    loads.source = ListSource([Batch([("a", 1), (None, 2)], [1, 2], "m", [])])
    result = kernel.run("job", max_rejects="50%")
    (reject,) = kernel.runlog().rejects(result.run_id)
    assert (reject.position, reject.reason, reject.raw) == (2, "key (k) is missing", "|2")


class Doubler:
    def schema(self, schema):
        return Schema((*schema.fields, Field("twice", "integer")))

    def apply(self, batch):
        return batch._replace(rows=[(*row, row[1] * 2) for row in batch.rows])


def test_transforms_change_schema_and_rows(kernel, loads):
    loads.source = ListSource([rows_batch(1, 2)])
    loads.transforms = [Doubler()]
    kernel.run("job")
    with kernel.runlog().store.transaction() as session:
        assert session.query('SELECT "n", "twice" FROM "t" ORDER BY "n"') == [(1, 2), (2, 4)]


def test_a_source_error_half_way_fails_the_run_and_keeps_the_table(kernel, loads):
    loads.source = ListSource([rows_batch(0, 2)])
    kernel.run("job")
    loads.source = ListSource([rows_batch(10, 5), spine.SourceError("f.csv line 12: truncated gzip")])
    result = kernel.run("job")
    assert (result.status, result.error.category, result.error.message) == (
        "failed",
        "source",
        "f.csv line 12: truncated gzip",
    )
    assert result.counts.rows_read == 5 and result.counts.rows_written == 0
    assert table(kernel) == [("k0", 0), ("k1", 1)]


def test_state_survives_between_runs(kernel, loads):
    class Incremental:
        @spine.hookimpl
        def register_pipelines(self, register):
            register(spine.PipelineSpec("incremental", lambda: self))

        def run(self, context):
            seen = int(context.state("cursor") or 0)
            context.set_state("cursor", str(seen + 1))

    kernel.register_plugin(Incremental())
    kernel.run("incremental")
    kernel.run("incremental")
    assert kernel.runlog().state("incremental", "cursor") == "2"


class MarkingSource(ListSource):
    """Resumes from its saved mark and moves it to the highest n it yielded."""

    def __init__(self, batches):
        super().__init__(batches)
        self.resumed_from = "not called"
        self.highest = None

    def state_key(self):
        return "mem:n"

    def resume(self, saved):
        self.resumed_from = saved

    def batches(self, batch_size=10_000):
        for batch in super().batches(batch_size):
            self.highest = max(n for _, n in batch.rows)
            yield batch

    def checkpoint(self):
        return None if self.highest is None else str(self.highest)


def test_a_sources_mark_is_kept_per_pipeline_once_its_load_commits(kernel, loads):
    loads.source = first = MarkingSource([rows_batch(0, 5)])
    kernel.run("job")
    loads.source = second = MarkingSource([rows_batch(5, 3), ValueError("the API went away")])
    assert kernel.run("job").status == "failed"
    loads.source = third = MarkingSource([])
    kernel.run("job")
    assert (first.resumed_from, second.resumed_from, third.resumed_from) == (None, "4", "4")
    assert kernel.runlog().state("job", "mem:n") == "4"  # neither the failed load nor the empty one moved it


def test_a_mark_too_long_to_keep_fails_the_load_and_commits_none_of_its_rows(kernel, loads):
    class Chatty(MarkingSource):
        def checkpoint(self):
            return "x" * 8001  # more than the store's state column holds

    loads.source = Chatty([rows_batch(0, 3)])
    result = kernel.run("job")
    assert result.status == "failed" and "8,001 characters" in result.error.message
    # The mark and the rows commit together, or neither does.
    assert not kernel.runlog().store.declared_columns("t")
    assert kernel.runlog().state("job", "mem:n") is None


class ChunkedSource(MarkingSource):
    """Each batch carries its own checkpoint (the rows in so far), as a resumable read does."""

    def batches(self, batch_size=10_000):
        for batch in super().batches(batch_size):
            yield batch._replace(checkpoint=f"after {self.highest}")

    def checkpoint(self):
        return "complete"


def test_a_source_with_checkpoints_commits_each_part_and_resumes_after_the_last(kernel, loads):
    loads.source = ChunkedSource([rows_batch(0, 2), rows_batch(2, 2), ValueError("the connection dropped")])
    failed = kernel.run("job")
    assert failed.status == "failed"
    assert (failed.counts.rows_read, failed.counts.rows_written) == (4, 4)
    assert [n for _, n in table(kernel)] == [0, 1, 2, 3]  # both parts committed
    assert kernel.runlog().state("job", "mem:n") == "after 3"
    loads.source = again = ChunkedSource([rows_batch(4, 2)])
    assert kernel.run("job").status == "succeeded"
    assert again.resumed_from == "after 3"
    assert kernel.runlog().state("job", "mem:n") == "complete"  # the source's own, at the end
    assert [n for _, n in table(kernel)] == [0, 1, 2, 3, 4, 5]


def test_checkpoints_survive_a_transform_that_builds_new_batches(kernel, loads):
    class Rebuild:
        def schema(self, schema):
            return schema

        def apply(self, batch):
            return Batch(batch.rows, batch.positions, batch.origin)

    loads.source = ChunkedSource([rows_batch(0, 2), ValueError("gone")])
    loads.transforms = [Rebuild()]
    kernel.run("job")
    assert kernel.runlog().state("job", "mem:n") == "after 1" and len(table(kernel)) == 2


def test_a_replace_refuses_a_source_that_commits_in_parts_before_writing_anything(kernel, loads):
    loads.source = ChunkedSource([rows_batch(0, 2)])
    kernel.run("job")
    loads.target = Target("t", WriteMode.REPLACE)
    loads.source = ChunkedSource([rows_batch(7, 2)])
    result = kernel.run("job")
    assert result.status == "failed" and result.error.category == "config"
    assert "cannot do: load with mode append or merge" in result.error.message
    assert [n for _, n in table(kernel)] == [0, 1]


def test_a_checkpoint_without_a_state_key_fails_the_load(kernel, loads):
    loads.source = ListSource([rows_batch(0, 2)._replace(checkpoint="here")])
    result = kernel.run("job")
    assert result.status == "failed" and "without a state key" in result.error.message
    assert not kernel.runlog().store.declared_columns("t")


def test_too_many_rejects_after_a_committed_part_say_what_stays(kernel, loads):
    loads.source = ChunkedSource([rows_batch(0, 2), rows_batch(2, 2, rejects=[bad(9), bad(10), bad(11)])])
    result = kernel.run("job", max_rejects="2")
    assert result.status == "failed"
    assert "the 2 rows committed up to the last checkpoint stay" in result.error.message
    assert [n for _, n in table(kernel)] == [0, 1]


def test_a_value_the_store_cannot_hold_is_a_reject_naming_the_column(kernel, loads):
    from decimal import Decimal

    amounts = Schema((Field("k", "string"), Field("n", "integer"), Field("amount", "decimal")))
    rows = [("a", 1, Decimal("12.5")), ("b", 2, Decimal("1234567890123456.7")), ("c", 3, None)]
    loads.source = ListSource([Batch(rows, [1, 2, 3], "amounts.csv")], schema=amounts)
    result = kernel.run("job", max_rejects="1")
    assert (result.status, result.counts.rows_written, result.counts.rows_rejected) == ("partial", 2, 1)
    (reject,) = kernel.runlog().rejects(result.run_id)
    assert (reject.origin, reject.position) == ("amounts.csv", 2)
    assert reject.reason == (
        "column 'amount': 1234567890123456.7 cannot be kept exactly in a SQLite NUMERIC column: "
        "it would read back as 1234567890123456.8"
    )
    with kernel.runlog().store.transaction() as session:
        assert session.query('SELECT "k", "amount" FROM "t" ORDER BY "k"') == [("a", 12.5), ("c", None)]


TOKEN = "tok-9f8e7d6c5b4a"


class Secretive(ListSource):
    def secrets(self):
        return [TOKEN]


def test_rejects_are_kept_without_the_known_secrets_they_echo(kernel, loads):
    encoded = base64.b64encode(TOKEN.encode()).decode()
    echo = Reject(
        f"https://api/x?key={TOKEN} page 1", 9, f'{{"sent": "{TOKEN}", "as": "{encoded}"}}', f"got {TOKEN}"
    )
    # Made by the pipeline, not opened by the kernel: the run learns its secrets all the same.
    loads.source = Secretive(
        [Batch([("a", 1), (TOKEN, -2)], [1, 2], "f.psv", [echo], ["a|1", f"{TOKEN}|-2"])]
    )
    loads.checks = [Check("non-negative n", ("k", "n"), lambda k, n: n >= 0 or f"{k} has {n}")]
    result = kernel.run("job", max_rejects="1")
    assert result.status == "failed"  # two rejects: the message names the first ones
    assert kernel.runlog().rejects(result.run_id) == [
        Reject("https://api/x?key=*** page 1", 9, '{"sent": "***", "as": "***"}', "got ***"),
        Reject("f.psv", 2, "***|-2", "non-negative n: *** has -2"),
    ]
    assert TOKEN not in result.error.message


def test_rejects_keep_what_only_looks_like_a_secret(kernel, loads):
    raw = "password=hunter2|Bearer abc|https://u:pw@h/"
    loads.source = Secretive([rows_batch(0, 9, rejects=[Reject("mem", 9, raw, "n: got x")])])
    result = kernel.run("job")
    assert [reject.raw for reject in kernel.runlog().rejects(result.run_id)] == [raw]


def test_the_reject_spool_holds_no_known_secret_on_disk():
    spool = RejectSpool(spine.Redactor([TOKEN]).known)
    spool.add(Reject("mem", 1, f"k|{TOKEN}", f"n: got {TOKEN}"))
    try:
        assert list(spool) == [Reject("mem", 1, "k|***", "n: got ***")]  # read back from its file
    finally:
        spool.close()


def test_a_sources_secrets_are_masked_in_what_the_kernel_logs_and_records(tmp_path, caplog):
    class Secretive(ListSource):
        def secrets(self):
            return ["s3cr3t-value"]

    class Opens:
        @spine.hookimpl
        def register_sources(self, register):
            register(spine.SourceSpec("secretive", lambda location: Secretive([]), schemes=("sec",)))

    with Spine(
        entry_points=False, environ={"SPINE_STORE_URL": f"sqlite:///{tmp_path}/s.db"}, plugins=[Opens()]
    ) as kernel:
        kernel.open_source("sec://host/path?key=s3cr3t-value")
        assert kernel.redactor.text("GET sec://host/path?key=s3cr3t-value") == "GET sec://host/path?key=***"


def test_a_run_is_recorded_as_running_while_it_runs(kernel):
    class Peek:
        seen = None

        @spine.hookimpl
        def register_pipelines(self, register):
            register(spine.PipelineSpec("peek", lambda: self))

        def run(self, context):
            Peek.seen = context.kernel.runlog().run(context.run_id).status

    kernel.register_plugin(Peek())
    kernel.run("peek")
    assert Peek.seen == "running"


def test_runs_are_listed_newest_first_and_filtered(kernel, loads):
    loads.source = ListSource([rows_batch(0, 1)])
    first = kernel.run("job")
    loads.source = ListSource([rows_batch(0, 1), spine.SourceError("boom")])
    second = kernel.run("job")
    demo = kernel.run("demo", {"rows": "3"})
    runlog = kernel.runlog()
    assert [r.run_id for r in runlog.runs()] == [demo.run_id, second.run_id, first.run_id]
    assert [r.run_id for r in runlog.runs(pipeline="job")] == [second.run_id, first.run_id]
    assert [r.run_id for r in runlog.runs(status="failed")] == [second.run_id]
    assert [r.run_id for r in runlog.runs(limit=1)] == [demo.run_id]
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert runlog.runs(since=later) == []
    assert len(runlog.runs(until=later)) == 3
    assert runlog.run(demo.run_id) == demo
    assert runlog.run(demo.run_id[:8]) is None  # the records take whole ids; the kernel, prefixes
    assert kernel.find_run(demo.run_id[:8]) == demo
    assert runlog.run("nope-not-a-run") is None


def test_the_load_pipeline_validates_its_params(kernel):
    with pytest.raises(ConfigError) as caught:
        kernel.run("load", {"table": "t", "sauce": "x.csv"})
    assert str(caught.value) == (
        "pipeline 'load': unknown param 'sauce' (did you mean 'source'?); "
        "param 'source' is required (a file path, or a URL a source plugin reads)"
    )
    with pytest.raises(
        ConfigError, match="param 'mode': expected one of append, replace, merge, got 'upsert'"
    ):
        kernel.run("load", {"source": "x.csv", "table": "t", "mode": "upsert"})
    assert kernel.runs() == []


@pytest.mark.parametrize(
    ("table", "mode", "keys", "message"),
    [
        ('t"; DROP TABLE spine_runs; --', "append", (), "invalid table name"),
        ("t", "upsert", (), "unknown write mode 'upsert'"),
        ("t", "merge", (), "merge into 't' needs key columns"),
        ("t", "merge", (" ",), "invalid key column ' '"),
        ("t", "append", (), "unknown schema contract 'melt'"),
    ],
)
def test_load_refuses_a_bad_target_before_any_run_starts(kernel, table, mode, keys, message):
    contract = "melt" if "contract" in message else None
    with pytest.raises(ConfigError, match=message):
        kernel.load("x.csv", table, mode=mode, keys=keys, schema_contract=contract)
    assert kernel.runlog().runs() == []


def test_loading_a_location_no_plugin_reads_says_what_to_install_before_any_run(kernel):
    with pytest.raises(PluginError, match="install spine-source-file"):
        kernel.load("data.csv", "t")
    with pytest.raises(PluginError, match="no installed source reads 'ftp' locations"):
        kernel.load("ftp://example.test/data.csv", "t")
    with pytest.raises(PluginError, match="install spine-source-sql") as caught:
        kernel.load("postgresql+psycopg://reader:hunter2@db.example/sales", "t", options={"table": "orders"})
    assert "hunter2" not in str(caught.value)
    assert kernel.runlog().runs() == []


def test_a_dialect_plus_driver_location_goes_to_the_source_claiming_the_dialect(kernel):
    opened = []

    class Database(Source):
        def __init__(self, location):
            opened.append(location)

        def schema(self):
            return Schema(())

        def batches(self, batch_size=500):
            return iter(())

    class Plugin:
        @spine.hookimpl
        def register_sources(self, register):
            register(spine.SourceSpec("db", Database, schemes=("postgresql",)))

    kernel.register_plugin(Plugin())
    kernel.open_source("postgresql+psycopg://db.example/sales")
    kernel.open_source("postgresql://db.example/sales")
    assert opened == ["postgresql+psycopg://db.example/sales", "postgresql://db.example/sales"]
    with pytest.raises(PluginError, match="no installed source reads 'mysql\\+pymysql'"):
        kernel.open_source("mysql+pymysql://db.example/sales")


def test_inspect_lists_a_databases_tables_or_a_files_columns_without_loading(kernel):
    orders = spine.SourceTable(
        "public.orders", Schema((Field("id", "integer"),)), ("column x: json read as string",)
    )

    class Database(ListSource):
        def __init__(self, location, **options):
            super().__init__([rows_batch(0, 1)])
            self.options = options

        def tables(self):
            return None if "table" in self.options else [orders]

        def warnings(self):
            return ["read as the table stores it"]

    class Plugin:
        @spine.hookimpl
        def register_sources(self, register):
            register(spine.SourceSpec("db", Database, schemes=("db",)))

    kernel.register_plugin(Plugin())
    assert kernel.inspect("db://h/sales") == [orders]
    assert kernel.inspect("db://h/sales", table="orders") == [
        spine.SourceTable("Database", SCHEMA, ("read as the table stores it",))
    ]
    assert kernel.runlog().runs() == []


def test_an_unknown_store_scheme_is_a_config_error(tmp_path):
    kernel = Spine(entry_points=False, environ={})
    with pytest.raises(ConfigError, match="no installed store reads mysql:// URLs"):
        kernel.run("demo", store="mysql://root:hunter2@db/x")
    with pytest.raises(ConfigError) as caught:
        kernel.run("demo", store="mysql://root:hunter2@db/x")
    assert "hunter2" not in str(caught.value)


def test_the_default_store_is_a_file_in_the_data_home(tmp_path):
    kernel = Spine(entry_points=False, environ={"XDG_DATA_HOME": str(tmp_path)})
    assert kernel.store_url() == f"sqlite:///{tmp_path}/spine/spine.db"
    kernel.run("demo", {"rows": "5"})
    assert (tmp_path / "spine" / "spine.db").exists()
    kernel.close()


class ThresholdWatchingSource(ListSource):
    """Notes the collector's threshold while its batches are read."""

    def batches(self, batch_size=10_000):
        for batch in super().batches(batch_size):
            self.seen = gc.get_threshold()[0]
            yield batch


@pytest.mark.parametrize("fails", [False, True])
def test_the_collector_runs_rarely_during_a_load_and_as_before_after_it(kernel, loads, fails):
    before = gc.get_threshold()
    loads.source = ThresholdWatchingSource([rows_batch(0, 5), *([RuntimeError("broken")] if fails else [])])
    result = kernel.run("job")
    assert result.status == ("failed" if fails else "succeeded")
    assert loads.source.seen > before[0]
    assert gc.get_threshold() == before


def test_overlapping_loads_restore_the_threshold_only_when_the_last_one_ends():
    from spine._runs._runner import _rare_collections

    before = gc.get_threshold()
    with _rare_collections:
        raised = gc.get_threshold()
        with _rare_collections:
            pass
        assert gc.get_threshold() == raised != before
    assert gc.get_threshold() == before


# -- spine load: keys, empty replaces, the schema contract ------------------------------------

WEEKLY = Schema(
    (Field("issue_symbol_identifier", "string"), Field("mpid", "string"), Field("shares", "integer"))
)


class Inputs:
    """Sources ``mem://NAME``: each reading of NAME yields ``batches[NAME]`` anew."""

    def __init__(self):
        self.batches = {}

    @spine.hookimpl
    def register_sources(self, register):
        def make(location):
            name = location.removeprefix("mem://")
            if name not in self.batches:
                raise SourceError(f"{location}: no such input")
            return ListSource(list(self.batches[name]), WEEKLY)

        register(spine.SourceSpec("mem", make, schemes=("mem",)))


@pytest.fixture
def inputs(tmp_path):
    found = Inputs()
    found.batches["week"] = [Batch([("AAPL", "JPMX", 1), ("AAPL", "UBSA", 2)], [2, 3], "week.psv")]
    found.batches["nothing"] = [Batch([], [], "nothing.psv")]
    with Spine(
        entry_points=False, environ={"SPINE_STORE_URL": f"sqlite:///{tmp_path}/s.db"}, plugins=[found]
    ) as k:
        yield k


def weekly(kernel, table="weekly"):
    with kernel.runlog().store.transaction() as session:
        return session.query(f'SELECT * FROM "{table}" ORDER BY "mpid"')


def test_load_takes_keys_as_the_inputs_header_names_them(inputs):
    keys = ["issueSymbolIdentifier", "MPID"]
    assert inputs.load("mem://week", "weekly", mode="merge", keys=keys).status == "succeeded"
    assert inputs.load("mem://week", "weekly", mode="merge", keys=keys).status == "succeeded"
    assert weekly(inputs) == [("AAPL", "JPMX", 1), ("AAPL", "UBSA", 2)]
    (run, _) = inputs.runlog().runs()
    assert run.params["key"] == ["issueSymbolIdentifier", "MPID"]  # recorded as given, parsed


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (
            ["symbol"],
            "key column 'symbol' is not among the columns of 'weekly': issue_symbol_identifier, mpid",
        ),
        (["mpid", "MPID"], r"key column\(s\) mpid of 'weekly' given twice"),
    ],
)
def test_a_bad_key_is_refused_before_the_run_starts_and_nothing_is_recorded(inputs, keys, message):
    with pytest.raises(ConfigError, match=message):
        inputs.load("mem://week", "weekly", mode="merge", keys=keys)
    assert inputs.runlog().runs() == []
    assert inputs.alert_history() == []
    assert inputs.runlog().store.columns("weekly") is None


def test_a_source_that_cannot_be_read_is_a_failed_run_whether_keys_are_checked_or_not(inputs):
    for keys in ([], ["MPID"]):
        result = inputs.load("mem://absent", "weekly", mode="merge" if keys else "append", keys=keys)
        assert (result.status, result.error.message) == ("failed", "mem://absent: no such input")
    assert len(inputs.runlog().runs()) == 2


def test_an_empty_replace_is_refused_unless_allowed(inputs):
    inputs.load("mem://week", "weekly")
    refused = inputs.load("mem://nothing", "weekly", mode="replace")
    assert refused.status == "failed" and refused.error.category == "check"
    assert "replace would leave table 'weekly' empty: the input had no rows" in refused.error.message
    assert len(weekly(inputs)) == 2
    allowed = inputs.load("mem://nothing", "weekly", mode="replace", allow_empty=True)
    assert allowed.status == "succeeded"
    assert allowed.params["allow_empty"] is True
    assert weekly(inputs) == []


def test_the_load_pipeline_reads_allow_empty_and_schema_contract_from_its_params(inputs):
    with inputs.runlog().store.transaction() as session:
        session.execute('CREATE TABLE "narrow" ("issue_symbol_identifier" TEXT, "mpid" TEXT)')
        session.execute("INSERT INTO \"narrow\" VALUES ('AAPL', 'JPMX'), ('AAPL', 'UBSA')")
    frozen = inputs.run("load", {"source": "mem://week", "table": "narrow", "schema_contract": "freeze"})
    assert frozen.status == "failed"
    assert "no column(s) shares that the input has, and the schema contract is freeze" in frozen.error.message
    assert inputs.load("mem://week", "narrow", schema_contract="freeze").status == "failed"
    params = {"source": "mem://nothing", "table": "narrow", "mode": "replace"}
    assert inputs.run("load", {**params, "allow_empty": "no"}).status == "failed"
    assert len(weekly(inputs, "narrow")) == 2
    assert inputs.run("load", {**params, "allow_empty": "yes"}).status == "succeeded"
    assert weekly(inputs, "narrow") == []
    with pytest.raises(ConfigError, match="param 'allow_empty': expected true or false"):
        inputs.run("load", {**params, "allow_empty": "perhaps"})
    with pytest.raises(
        ConfigError, match="param 'schema_contract': expected one of evolve, freeze, got 'melt'"
    ):
        inputs.run("load", {**params, "schema_contract": "melt"})


def test_a_source_without_columns_fails_before_the_store_and_keeps_its_rejects(kernel, loads):
    # A JSON array of numbers, say: each record rejected, and no column a table could hold.
    loads.source = ListSource(
        [Batch([], [], "mem", [bad(1), bad(2)]), Batch([], [], "mem", [bad(3)])], Schema(())
    )
    result = kernel.run("job")
    assert (result.status, result.counts) == ("failed", spine.RunCounts(3, 0, 3))
    assert (result.error.category, result.error.message) == (
        "source",
        f"{loads.source.describe()}: no columns to load",
    )
    assert kernel.runlog().rejects(result.run_id) == [bad(1), bad(2), bad(3)]
    assert kernel.runlog().store.columns("t") is None  # no table made
