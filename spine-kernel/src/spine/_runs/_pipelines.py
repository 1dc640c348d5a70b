"""The kernel's built-in pipelines: ``load`` (behind ``spine load``) and ``demo``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from .._data._schema import Field, Schema
from .._data._sources import DEFAULT_BATCH_SIZE, Batch, Reject, Source
from .._data._stores import Target, WriteMode
from .._errors import ConfigError, SourceError
from ._runner import RunContext

SCHEMA = Schema(
    (
        Field("trade_id", "integer"),
        Field("symbol", "string"),
        Field("shares", "decimal", precision=20, scale=4),
        Field("trade_date", "date"),
    )
)


def _whole_number(context: RunContext, name: str) -> int:
    value: int = context.params[name]
    if value < 0:
        raise ConfigError(
            f"param {name!r}: expected a whole number >= 0, got {value}", context={"param": name}
        )
    return value


class DemoSource(Source):
    """`rows` synthetic trades; every `reject_every`-th record has an unreadable quantity."""

    def __init__(self, rows: int, reject_every: int, fail_at: int | None = None) -> None:
        self.rows, self.reject_every, self.fail_at = rows, reject_every, fail_at

    def schema(self) -> Schema:
        return SCHEMA

    def describe(self) -> str:
        return "demo"

    def batches(self, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[Batch]:
        start = date(2026, 1, 5)
        rows: list[tuple[object, ...]] = []
        positions: list[int] = []
        rejects: list[Reject] = []
        for line in range(1, self.rows + 1):
            if line == self.fail_at:
                raise SourceError(f"demo line {line}: failure requested with fail_at={line}")
            symbol, day = f"SYM{line % 500:03d}", start + timedelta(days=line % 300)
            if self.reject_every and line % self.reject_every == 0:
                raw = f"{line}|{symbol}|n/a|{day}"
                rejects.append(Reject("demo", line, raw, "shares: expected a decimal number, got 'n/a'"))
            else:
                rows.append((line, symbol, Decimal(line * 37 % 100_000) / 4, day))
                positions.append(line)
            if len(rows) >= batch_size:
                yield Batch(rows, positions, "demo", rejects)
                rows, positions, rejects = [], [], []
        yield Batch(rows, positions, "demo", rejects)


class DemoPipeline:
    """Loads synthetic trades into table ``demo_trades`` (merge on trade_id).

    Params (declared in `_builtin`): ``rows``, ``reject_every`` (0: none), ``fail_at``
    (a line at which the source fails, to see a failed run leave the table intact).
    """

    def run(self, context: RunContext) -> None:
        fail_at = context.params.get("fail_at")
        source = DemoSource(_whole_number(context, "rows"), _whole_number(context, "reject_every"), fail_at)
        context.load(source, Target("demo_trades", WriteMode.MERGE, ("trade_id",)))


class LoadPipeline:
    """Any source into any table: what ``spine load`` runs.

    Params (declared in `_builtin`, so checked and parsed by the kernel): ``source`` (a
    path or URL), ``table``, ``mode``, ``key`` (the key columns, as the input or the table
    names them), ``allow_empty`` (a replace may empty the table), ``schema_contract``
    (evolve or freeze; absent: the setting) and ``option.NAME`` for each source option.
    """

    def run(self, context: RunContext) -> None:
        params = context.params
        target = Target(
            params["table"],
            params["mode"],
            params.get("key", ()),
            allow_empty=params["allow_empty"],
            schema_contract=params.get("schema_contract"),
        )
        options = {
            name.removeprefix("option."): value
            for name, value in params.items()
            if name.startswith("option.")
        }
        context.load(context.kernel.open_source(params["source"], **options), target, ends_run=True)
