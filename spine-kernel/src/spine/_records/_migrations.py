"""The kernel's own tables in every store, created and upgraded by numbered migrations.

A migration is a version, a description and the statements that apply it, built
from the store's dialect so that one definition serves SQLite, PostgreSQL and Db2.
Applied versions are kept in ``spine_migrations``; a store is migrated under a lock
when the kernel first opens it, so concurrent processes apply each version once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import NamedTuple

from .._data._schema import Field, Schema
from .._data._stores import Dialect, Session, Store

TEXT = 8000  # long texts (params, raw records, messages): portable up to Db2's VARCHAR limit
TRACEBACK = TEXT // 2  # the end of an error's traceback: Db2 rows of spine_runs stay under 32 KB

# spine_runs as migration 1 made it; migration 5 added the columns of `RUNS` after these.
_RUNS_V1 = (
    Field("run_id", "string", length=32),
    Field("pipeline", "string", length=200),
    Field("status", "string", length=16),
    Field("params", "string", length=TEXT),
    Field("rows_read", "integer"),
    Field("rows_written", "integer"),
    Field("rows_rejected", "integer"),
    Field("started_at", "timestamp"),
    Field("finished_at", "timestamp"),
    Field("error_category", "string", length=32),
    Field("error_retryable", "boolean"),
    Field("error_message", "string", length=TEXT),
    Field("error_context", "string", length=TEXT),
)
# Who runs it (host:pid) and when it last said it was alive: a run whose process is gone is
# closed by whoever reads the records next. The traceback of the error that failed it.
_RUNS_V5 = (
    Field("worker", "string", length=200),
    Field("heartbeat_at", "timestamp"),
    Field("error_traceback", "string", length=TRACEBACK),
)
RUNS = Schema(_RUNS_V1 + _RUNS_V5)
# What a run said besides its counts, in order: warnings (kind "warning", subject empty or
# what it is about) and the tables it created or added columns to (kind "created" or
# "added", subject the table, message "column type").
RUN_NOTES = Schema(
    (
        Field("run_id", "string", length=32),
        Field("seq", "integer"),
        Field("kind", "string", length=16),
        Field("subject", "string", length=200),
        Field("message", "string", length=TEXT),
    )
)
REJECTS = Schema(
    (
        Field("run_id", "string", length=32),
        Field("seq", "integer"),
        Field("origin", "string", length=2000),
        Field("position", "integer"),
        Field("raw", "string", length=TEXT),
        Field("reason", "string", length=2000),
    )
)
# Primary keys stay within Db2's 1024-byte index keys on 4 KiB pages (4 bytes a character).
STATE = Schema(
    (
        Field("pipeline", "string", length=100),
        Field("state_key", "string", length=100),
        Field("state_value", "string", length=TEXT),
        Field("updated_at", "timestamp"),
    )
)
# Every outcome of an alert on a channel. Before each delivery the router asks about
# one channel's recent rows, and one key's: both are indexed. The key is looked up by
# its hash, which keeps the index within Db2's 1 KB keys.
ALERTS = Schema(
    (
        Field("alert_id", "string", length=32),
        Field("channel", "string", length=100),
        Field("status", "string", length=16),
        Field("reason", "string", length=16),  # why it was suppressed: duplicate or rate_limit
        Field("severity", "string", length=16),
        Field("title", "string", length=2000),
        Field("text", "string", length=TEXT),
        Field("pipeline", "string", length=200),
        Field("run_id", "string", length=32),
        Field("dedup_key", "string", length=1000),
        Field("dedup_hash", "string", length=40),
        Field("fields", "string", length=TEXT),
        Field("url", "string", length=2000),
        Field("suppressed", "integer"),
        Field("held_back", "integer"),
        Field("raised_at", "timestamp"),
        Field("finished_at", "timestamp"),
        Field("answer", "string", length=2000),
    )
)
# The scheduler's: when it first saw each schedule (a new schedule does not replay its
# past), and each due time of each schedule, claimed once across processes (the primary
# key) and then what came of it. A tick asks for a schedule's latest fire (along the
# primary key) and for its fires still claimed or running (by_status); the history lists
# fires newest first (by_time).
SCHEDULES = Schema(
    (
        Field("schedule", "string", length=200),
        Field("first_seen", "timestamp"),
    )
)
SCHEDULE_FIRES = Schema(
    (
        Field("schedule", "string", length=200),
        Field("due_at", "timestamp"),
        Field("status", "string", length=16),
        Field("run_id", "string", length=32),
        Field("fired_by", "string", length=200),  # host:pid of the scheduler that recorded it
        Field("recorded_at", "timestamp"),
        Field("started_at", "timestamp"),
        Field("finished_at", "timestamp"),
        Field("reason", "string", length=2000),
    )
)
# A workflow run, and each of its steps with the pipeline run it started (none when the
# step was skipped, or reused from the run this one resumes).
_WORKFLOW_RUNS_V4 = (
    Field("run_id", "string", length=32),
    Field("workflow", "string", length=200),
    Field("status", "string", length=16),
    Field("params", "string", length=TEXT),
    Field("max_concurrency", "integer"),
    Field("on_failure", "string", length=16),
    Field("source", "string", length=2000),
    Field("resumed_from", "string", length=32),
    Field("started_at", "timestamp"),
    Field("finished_at", "timestamp"),
)
_WORKFLOW_RUNS_V5 = (  # as for pipeline runs: who runs it, and its heartbeat
    Field("worker", "string", length=200),
    Field("heartbeat_at", "timestamp"),
)
WORKFLOW_RUNS = Schema(_WORKFLOW_RUNS_V4 + _WORKFLOW_RUNS_V5)
WORKFLOW_STEPS = Schema(
    (
        Field("workflow_run_id", "string", length=32),
        Field("seq", "integer"),
        Field("step", "string", length=100),
        Field("pipeline", "string", length=200),
        Field("depends_on", "string", length=2000),
        Field("status", "string", length=16),
        Field("run_id", "string", length=32),
        Field("params", "string", length=TEXT),
        Field("started_at", "timestamp"),
        Field("finished_at", "timestamp"),
        Field("message", "string", length=2000),
    )
)
_APPLIED = Schema(
    (
        Field("version", "integer"),
        Field("description", "string", length=200),
        Field("applied_at", "timestamp"),
    )
)


class Migration(NamedTuple):
    version: int
    description: str
    statements: Callable[[Dialect], list[str]]


MIGRATIONS = [
    Migration(
        1,
        "run records, rejected rows and pipeline state",
        lambda d: [
            d.create_table("spine_runs", Schema(_RUNS_V1), ("run_id",)),
            d.create_table("spine_rejects", REJECTS, ("run_id", "seq")),
            d.create_table("spine_state", STATE, ("pipeline", "state_key")),
        ],
    ),
    Migration(
        2,
        "alert history",
        lambda d: [
            d.create_table("spine_alerts", ALERTS, ("alert_id", "channel")),
            d.create_index("spine_alerts", "spine_alerts_by_time", ("channel", "raised_at")),
            d.create_index("spine_alerts", "spine_alerts_by_key", ("channel", "dedup_hash", "raised_at")),
        ],
    ),
    Migration(
        3,
        "schedules and their fires",
        lambda d: [
            d.create_table("spine_schedules", SCHEDULES, ("schedule",)),
            d.create_table("spine_schedule_fires", SCHEDULE_FIRES, ("schedule", "due_at")),
            d.create_index("spine_schedule_fires", "spine_schedule_fires_by_status", ("schedule", "status")),
            d.create_index("spine_schedule_fires", "spine_schedule_fires_by_time", ("due_at",)),
        ],
    ),
    Migration(
        4,
        "workflow runs and their steps",
        lambda d: [
            d.create_table("spine_workflow_runs", Schema(_WORKFLOW_RUNS_V4), ("run_id",)),
            d.create_table("spine_workflow_steps", WORKFLOW_STEPS, ("workflow_run_id", "step")),
            d.create_index("spine_workflow_runs", "spine_workflow_runs_by_start", ("started_at",)),
            d.create_index("spine_workflow_steps", "spine_workflow_steps_by_run", ("run_id",)),
        ],
    ),
    Migration(
        5,
        "who runs each pipeline and workflow run and its heartbeat, error tracebacks, run notes",
        lambda d: [
            *(d.add_column("spine_runs", field) for field in _RUNS_V5),
            *(d.add_column("spine_workflow_runs", field) for field in _WORKFLOW_RUNS_V5),
            d.create_index("spine_runs", "spine_runs_by_status", ("status",)),
            d.create_index("spine_workflow_runs", "spine_workflow_runs_by_status", ("status",)),
            d.create_table("spine_run_notes", RUN_NOTES, ("run_id", "seq")),
        ],
    ),
]


def migrate(store: Store) -> None:
    """Apply every migration the store has not had yet.

    An up-to-date store is only read: the lock is taken when there is something to apply,
    so opening the store never waits for a writer (a SQLite load holds the only write lock).
    """
    if _applied(store) >= {migration.version for migration in MIGRATIONS}:
        return
    with store.transaction(lock="spine_migrations") as session:
        if store.columns("spine_migrations") is None:
            session.execute(store.dialect.create_table("spine_migrations", _APPLIED, ("version",)))
        applied = _applied(store, session)
        for migration in MIGRATIONS:
            if migration.version in applied:
                continue
            for statement in migration.statements(store.dialect):
                session.execute(statement)
            session.execute(
                store.dialect.insert("spine_migrations", _APPLIED),
                (migration.version, migration.description, datetime.now(UTC).replace(tzinfo=None)),
            )


def _applied(store: Store, session: Session | None = None) -> set[int]:
    """The versions applied to `store` (read in `session`, else in a transaction of its own)."""
    if session is None:
        if store.columns("spine_migrations") is None:
            return set()
        with store.transaction() as own:
            return _applied(store, own)
    quote = store.dialect.quote
    rows = session.query(f"SELECT {quote('version')} FROM {quote('spine_migrations')}")
    return {int(row[0]) for row in rows}
