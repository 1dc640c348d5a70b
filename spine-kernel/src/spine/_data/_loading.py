"""Streaming a source through transforms and checks into a store, keeping every reject.

Rows flow batch by batch from the source into `Store.write`, which holds one
transaction for the whole load; raising from inside the stream (a source error,
too many rejects) therefore rolls the target back to where it was. Rejected
records are spilled to a temporary file as they come, so that memory stays flat,
and written to the rejects table once the load has ended, whatever its outcome.
"""

from __future__ import annotations

import contextlib
import json
import operator
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, NamedTuple, Protocol

from .._errors import CheckError, ConfigError, LoadError
from ._schema import Schema
from ._sources import Batch, Reject, Source
from ._stores import logical_types

Progress = Callable[[int, int], None]  # (rows read, rows rejected) so far in one load


class LoadProgress(NamedTuple):
    """How far a run has come, for a progress line: rows read and rejected so far in the
    whole run, what is being read (`Source.describe`), and how far through it (0 to 1)
    when the source can tell."""

    rows_read: int
    rows_rejected: int
    source: str
    fraction: float | None


RunProgress = Callable[[LoadProgress], None]


@dataclass(frozen=True)
class RejectThreshold:
    """When rejected rows fail a run instead of making it partial.

    ``count``: more than this many rejects fails the run (checked as rows arrive,
    so a hopeless load stops early). ``fraction``: more than this share of the
    rows read fails it (checked at the end). Default: 10 %.
    """

    count: int | None = None
    fraction: float | None = 0.10

    @classmethod
    def parse(cls, text: str) -> RejectThreshold:
        """``"250"`` (a count) or ``"2.5%"`` (a share of the rows read)."""
        value = text.strip()
        try:
            if value.endswith("%"):
                fraction = float(value[:-1]) / 100
                if 0 <= fraction <= 1:
                    return cls(count=None, fraction=fraction)
            elif int(value) >= 0:
                return cls(count=int(value), fraction=None)
        except ValueError:
            pass
        raise ConfigError(f"max rejects: expected a count (250) or a percentage (2.5%), got {text!r}")

    def describe(self) -> str:
        return (
            f"{self.count} rows" if self.count is not None else f"{(self.fraction or 0) * 100:g}% of the rows"
        )

    def exceeded(self, rejected: int, read: int, *, final: bool) -> bool:
        if self.count is not None:
            return rejected > self.count
        if self.fraction is not None and final and read:
            return rejected / read > self.fraction
        return False


@dataclass(frozen=True)
class Check:
    """A row check: `test` receives the values of `columns` and returns None or True when
    the row is fine, else a reason (text) or False. Failing rows become rejects.

    `whole` (optional) looks at a batch's values of `columns` at once (one value each for a
    single column, tuples otherwise) and returns True when every row passes, so that none
    needs `test`: a check that is almost always met then costs a C-speed pass per batch."""

    name: str
    columns: tuple[str, ...]
    test: Callable[..., str | bool | None]
    whole: Callable[[list[Any]], bool] | None = None

    def bind(self, schema: Schema) -> Callable[[tuple[Any, ...]], str | None]:
        """A function of one row returning the rejection reason, or None."""
        indexes = [schema.index(column) for column in self.columns]
        test, name = self.test, self.name

        def check(row: tuple[Any, ...]) -> str | None:
            verdict = test(*(row[index] for index in indexes))
            if verdict is None or verdict is True:
                return None
            return f"{name}: {verdict}" if isinstance(verdict, str) else name

        return check

    def bind_whole(self, schema: Schema) -> Callable[[Sequence[tuple[Any, ...]]], bool] | None:
        """`whole` of a batch's rows, or None without one."""
        whole = self.whole
        if whole is None:
            return None
        values = operator.itemgetter(*(schema.index(column) for column in self.columns))
        return lambda rows: whole(list(map(values, rows)))


class Transform(Protocol):
    """A step between source and checks: may change the schema, rows and rejects of a batch."""

    def schema(self, schema: Schema) -> Schema: ...

    def apply(self, batch: Batch) -> Batch: ...


def prepare_source(
    source: Source, declared: Sequence[tuple[str, str]], saved: Callable[[str], str | None]
) -> Schema:
    """Make `source` ready to load into the table whose columns are `declared` (name and SQL
    type; none when it is missing), and return its columns: resumed from what its last
    committed load kept (`saved` of its state key), reading each column as the table
    stores it."""
    state_key = source.state_key()
    if state_key is not None:
        source.resume(saved(state_key))
    source.prefer_types(logical_types(declared))
    return source.schema()


def missing_keys(keys: Sequence[str], schema: Schema) -> Check:
    """Merge keys are NOT NULL: a row without one is rejected, not loaded."""
    return Check(
        f"key ({', '.join(keys)}) is missing",
        tuple(keys),
        lambda *values: None not in values,
    )


class RejectSpool:
    """Rejects spilled to a temporary file (in TMPDIR); the first few kept for messages.

    `mask` (`Redactor.known`) takes the known secrets out of each reject's text before
    it is kept: a record that echoes a token reaches neither the disk nor the rejects table.
    A spill that fails (TMPDIR full) raises `LoadError` naming the folder, which stops the
    load; the rejects that reached the file before are still read back, up to the last
    whole one.
    """

    FIRST = 3

    def __init__(self, mask: Callable[[str], str]) -> None:
        self.count = 0
        self.first: list[Reject] = []
        self._file: IO[str] | None = None
        self._failed = False
        self._mask = mask

    def add(self, reject: Reject) -> None:
        mask = self._mask
        whole = f"{reject.origin}\n{reject.raw}\n{reject.reason}"
        if mask(whole) != whole:  # one look for the usual reject, which holds no secret
            reject = Reject(mask(reject.origin), reject.position, mask(reject.raw), mask(reject.reason))
        try:
            if self._file is None:
                # Lives as long as the spool; `close` ends it.
                self._file = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
            self._file.write(json.dumps(reject) + "\n")
        except OSError as exc:
            self._failed = True
            raise self._spill_failed(exc) from exc
        self.count += 1
        if len(self.first) < self.FIRST:
            self.first.append(reject)

    def _spill_failed(self, error: OSError) -> LoadError:
        folder = tempfile.gettempdir()
        return LoadError(
            f"rejected rows could not be kept: their spill file in {folder} (TMPDIR) is full, or cannot "
            f"be written ({error}); nothing was written. Those rejected before are recorded: free some "
            "space there, or point TMPDIR at a larger folder, and run again",
            context={"path": folder, "rows_rejected": self.count},
        )

    def __iter__(self) -> Iterator[Reject]:
        if self._file is None:
            return
        with contextlib.suppress(OSError):  # the spill failed, as said: what reached the file is read
            self._file.flush()
        # Through a reader of its own: the writer, still holding what it could not write,
        # would try to write it again before it reads.
        with open(os.dup(self._file.fileno()), encoding="utf-8") as spilled:
            spilled.seek(0)
            for line in spilled:
                if self._failed and not line.endswith("\n"):
                    return  # cut short where the disk was full
                yield Reject(*json.loads(line))

    def close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):  # what it could not write is lost, as the run's error says
                self._file.close()
            self._file = None


class RowStream:
    """The rows of one load, counted and checked, ready for `Store.write`.

    `key_indexes` are the positions of the merge keys: a batch whose key columns
    hold no None (the usual case, found by a C-speed membership test) skips the
    per-row key check. `refuse_empty` names a table that a replace must not leave
    empty: a stream that ends without a row for it raises `CheckError` instead, so
    the write's transaction rolls back (see `empty_replace_guard`).
    """

    def __init__(
        self,
        batches: Iterator[Batch],
        transforms: Sequence[Transform],
        checks: Sequence[Callable[[tuple[Any, ...]], str | None]],
        spool: RejectSpool,
        threshold: RejectThreshold,
        progress: Progress | None = None,
        key_check: Callable[[tuple[Any, ...]], str | None] | None = None,
        key_indexes: Sequence[int] = (),
        refuse_empty: str | None = None,
        passes: Sequence[Callable[[Sequence[tuple[Any, ...]]], bool] | None] = (),
    ) -> None:
        self.read = self.kept = 0
        self.committed = 0  # rows of earlier parts, committed already (see `Part`)
        self.pending: str | None = None  # the checkpoint of the batch just handed out
        self._refuse_empty = refuse_empty
        self._batches, self._transforms, self._checks = batches, transforms, checks
        self._passes = list(passes) or [None] * len(checks)  # each check's `Check.bind_whole`
        self._spool, self._threshold, self._progress = spool, threshold, progress
        self._key_check, self._key_getters = key_check, [operator.itemgetter(i) for i in key_indexes]

    def __iter__(self) -> Iterator[list[tuple[Any, ...]]]:
        for batch in self._batches:
            checkpoint = batch.checkpoint  # the source's: a transform may build a new batch
            for transform in self._transforms:
                batch = transform.apply(batch)
            self.read += len(batch.rows) + len(batch.rejects)
            for reject in batch.rejects:
                self._spool.add(reject)
            rows = self._checked(batch)
            self.kept += len(rows)
            # Before the rows go: a batch after which a part commits must not get past the threshold.
            self._enforce(final=False)
            self.pending = checkpoint
            yield rows
            if self._progress is not None:
                self._progress(self.read, self._spool.count)
        self._enforce(final=True)
        if self._refuse_empty is not None and not self.kept:
            raise self._empty_replace(self._refuse_empty)

    def _checked(self, batch: Batch) -> list[tuple[Any, ...]]:
        checks = [
            check
            for check, passes in zip(self._checks, self._passes, strict=True)
            if passes is None or not passes(batch.rows)
        ]
        if self._key_check is not None and any(None in map(get, batch.rows) for get in self._key_getters):
            checks.append(self._key_check)
        if not checks:
            return batch.rows
        kept = []
        for index, row in enumerate(batch.rows):
            for check in checks:
                reason = check(row)
                if reason is not None:
                    self._spool.add(Reject(batch.origin, batch.positions[index], batch.text(index), reason))
                    break
            else:
                kept.append(row)
        return kept

    def _empty_replace(self, table: str) -> CheckError:
        read, rejected = self.read, self._spool.count
        why = f"all {rejected} of the {read} rows read were rejected" if read else "the input had no rows"
        return CheckError(
            f"replace would leave table {table!r} empty: {why}; nothing was written. To empty it on "
            "purpose, allow it: spine load --allow-empty, or allow_empty=True (Spine.load, spine.Target)",
            context={"table": table, "rows_read": read, "rows_rejected": rejected},
        )

    def _enforce(self, *, final: bool) -> None:
        rejected = self._spool.count
        if self._threshold.exceeded(rejected, self.read, final=final):
            first = "; ".join(f"{r.origin}:{r.position}: {r.reason}" for r in self._spool.first)
            written = (
                f"the {self.committed:,} rows committed up to the last checkpoint stay, "
                "the rest was not written"
                if self.committed
                else "nothing was written"
            )
            raise CheckError(
                f"{rejected} of {self.read} rows rejected, more than the {self._threshold.describe()} "
                f"allowed; {written}. First: {first}",
                context={"rows_read": self.read, "rows_rejected": rejected},
            )


class Part:
    """The rows of one transaction of a load: those of `stream` up to and including a batch
    that carries a checkpoint (`Batch.checkpoint`), or to its end (`last`). Without
    checkpoints a load is one part."""

    def __init__(self, stream: RowStream, rows: Iterator[list[tuple[Any, ...]]]) -> None:
        self._stream, self._rows = stream, rows
        self.reached: str | None = None  # the checkpoint this part ends at
        self.last = False

    def __iter__(self) -> Iterator[list[tuple[Any, ...]]]:
        while True:
            try:
                rows = next(self._rows)
            except StopIteration:
                self.last = True
                return
            yield rows
            if self._stream.pending is not None:
                self.reached, self._stream.pending = self._stream.pending, None
                return
