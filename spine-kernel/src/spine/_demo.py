"""The built-in ``demo`` pipeline: shows a run end to end with nothing installed."""

from __future__ import annotations

from ._config import parse_bool
from ._errors import ConfigError, SourceError
from ._results import RunCounts
from ._runner import RunContext


def _whole_number(context: RunContext, name: str, default: int) -> int:
    raw = context.params.get(name, default)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = -1
    if value < 0:
        raise ConfigError(
            f"param {name!r}: expected a whole number >= 0, got {raw!r}", context={"param": name}
        )
    return value


class DemoPipeline:
    """Counts `rows` synthetic records and rejects every `reject_every`-th one."""

    def run(self, context: RunContext) -> RunCounts:
        rows = _whole_number(context, "rows", 1000)
        reject_every = _whole_number(context, "reject_every", 0)
        if parse_bool(context.params.get("fail", False), field_name="param 'fail'"):
            raise SourceError("demo failure requested with fail=true", context={"param": "fail"})
        rejected = rows // reject_every if reject_every else 0
        context.log.info("demo read %d records", rows)
        return RunCounts(rows_read=rows, rows_written=rows - rejected, rows_rejected=rejected)
