"""The kernel's own settings (pydantic-settings), built from `ConfigSources`: one model over
every room's section, so it sits next to `Spine`, above the rooms.

Imported only when a command needs validated settings: pydantic is too slow to
import for ``spine plugins list``.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import NoDecode

from ._alerts._settings import AlertRoute, RateLimit, parse_rate_limit
from ._config._settings import SpineSettings, as_value_error, positive_duration
from ._config._sources import (
    LOG_FORMATS,
    LOG_LEVELS,
    parse_bool,
    parse_choice,
    parse_duration,
    parse_name_list,
)
from ._data._stores import SchemaContract
from ._orchestration._schedule_setting import ScheduleSetting

# The settings that are durations (seconds, or texts like 90s, 15m, 1h): read by parse_duration.
DURATIONS = (
    "run_heartbeat",
    "run_lease",
    "alert_window",
    "alert_timeout",
    "scheduler_misfire_grace",
    "scheduler_poll",
    "scheduler_stale_after",
    "scheduler_stop_timeout",
)


class Settings(SpineSettings):
    """The kernel's own settings."""

    load_plugins: Annotated[list[str] | None, NoDecode] = None
    disable_plugins: Annotated[list[str], NoDecode] = []
    strict_plugins: bool = False
    log_format: Literal["auto", "console", "json"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # Where runs write and are recorded. Its password is masked wherever spine prints.
    store_url: str | None = None
    # A running run says it is alive this often; a run whose heartbeat is older than the
    # lease is taken for dead by the next reader of the records (see _abandoned).
    run_heartbeat: float = 30.0
    run_lease: float = 300.0
    # Input columns an existing table lacks: added to it (evolve) or refused (freeze).
    schema_contract: Literal["evolve", "freeze"] = "evolve"
    # Alerting: the router's rules (see AlertRoute); none sends every alert to every
    # configured channel.
    alert_routes: Annotated[list[AlertRoute], NoDecode] = []
    alert_on: Annotated[list[Literal["failed", "partial", "succeeded", "cancelled"]], NoDecode] = [
        "failed",
        "partial",
    ]
    alert_window: float = 3600.0  # seconds in which repeats of an alert are suppressed
    alert_rate_limit: Annotated[RateLimit | None, NoDecode] = RateLimit(30, 3600.0)
    alert_timeout: float = 10.0  # seconds a run waits, at most, for its alerts to be delivered
    alert_run_url: str | None = None  # a link to a run: "{run_id}" is replaced, else /runs/<id> appended
    # Where named workflows are found as YAML files: folders (their *.yaml, *.yml) or files.
    workflow_paths: Annotated[list[str], NoDecode] = ["workflows"]
    # The scheduler (spine scheduler run): schedules besides the plugins' own, and how it fires them.
    schedules: Annotated[list[ScheduleSetting], NoDecode] = []
    scheduler_misfire_grace: float = 3600.0  # a due time found later than this is recorded missed, not run
    scheduler_coalesce: bool = True  # due times piled up within the grace run once, not once each
    scheduler_poll: float = 30.0  # the most seconds between two looks at the store
    scheduler_max_concurrency: Annotated[int, Field(ge=1)] = 4  # fires running at once, all schedules
    scheduler_stale_after: float = 86400.0  # a fire running longer is taken for dead (its process died)
    scheduler_stop_timeout: float = 60.0  # on SIGINT/SIGTERM, the most seconds to wait for running fires

    @field_validator("load_plugins", "disable_plugins", "workflow_paths", mode="before")
    @classmethod
    def _names(cls, value: Any, info: ValidationInfo) -> list[str] | None:
        return as_value_error(parse_name_list, value, field_name=info.field_name or "")

    @field_validator("strict_plugins", "scheduler_coalesce", mode="before")
    @classmethod
    def _bool(cls, value: Any, info: ValidationInfo) -> bool:
        return as_value_error(parse_bool, value, field_name=info.field_name or "")

    @field_validator("log_format", "log_level", "schema_contract", mode="before")
    @classmethod
    def _choice(cls, value: Any, info: ValidationInfo) -> str:
        field_name = info.field_name or ""
        choices = _CHOICES[field_name]
        return as_value_error(partial(parse_choice, choices=choices), value, field_name=field_name)

    @field_validator("alert_on", mode="before")
    @classmethod
    def _statuses(cls, value: Any) -> Any:
        # From the environment: a comma list.
        return parse_name_list(value, field_name="alert_on") if isinstance(value, str) else value

    @field_validator("alert_routes", "schedules", mode="before")
    @classmethod
    def _json_list(cls, value: Any, info: ValidationInfo) -> Any:
        # From the environment, a list of tables comes as JSON.
        if not isinstance(value, str):
            return value
        what, example = _JSON_EXAMPLES[info.field_name or ""]
        try:
            return json.loads(value)
        except ValueError as exc:
            raise ValueError(f"expected a JSON list of {what} like {example}: {exc}") from None

    @field_validator(*DURATIONS, mode="before")
    @classmethod
    def _duration(cls, value: Any, info: ValidationInfo) -> float:
        field_name = info.field_name or ""
        if field_name in _MAY_BE_ZERO:
            return as_value_error(parse_duration, value, field_name=field_name)
        return positive_duration(value, field_name)

    @field_validator("alert_rate_limit", mode="before")
    @classmethod
    def _rate_limit(cls, value: Any) -> RateLimit | None:
        return parse_rate_limit(value)

    def run_url(self, run_id: str) -> str | None:
        """The link to a run, from ``alert_run_url``."""
        if not self.alert_run_url:
            return None
        if "{run_id}" in self.alert_run_url:
            return self.alert_run_url.replace("{run_id}", run_id)
        return f"{self.alert_run_url.rstrip('/')}/runs/{run_id}"


_JSON_EXAMPLES = {
    "alert_routes": (
        "routes",
        '[{"channels": ["slack"], "min_severity": "error", "pipelines": ["finra.*"]}]',
    ),
    "schedules": (
        "schedules",
        '[{"name": "nightly", "pipeline": "demo", "cron": "0 2 * * *", "timezone": "UTC"}]',
    ),
}
_CHOICES = {
    "log_format": LOG_FORMATS,
    "log_level": LOG_LEVELS,
    "schema_contract": tuple(SchemaContract),
}
# Durations where zero makes sense: no repeat window, no waiting for alerts or for running fires.
_MAY_BE_ZERO = {"alert_window", "alert_timeout", "scheduler_stop_timeout"}
