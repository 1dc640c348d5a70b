"""The kernel's validated settings (pydantic-settings), built from `ConfigSources`.

Imported only when a command needs validated settings: pydantic is too slow to
import for ``spine plugins list``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from fnmatch import fnmatchcase
from functools import partial
from typing import Annotated, Any, Literal, NamedTuple, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from ._alerts import Alert, Severity
from ._config import (
    LOG_FORMATS,
    LOG_LEVELS,
    ConfigSources,
    parse_bool,
    parse_choice,
    parse_duration,
    parse_name_list,
)
from ._descriptors import ScheduleSpec
from ._errors import ConfigError, PluginError
from ._schedules import NAME_LENGTH, check_timezone
from ._stores import SchemaContract

T = TypeVar("T")
SettingsT = TypeVar("SettingsT", bound="SpineSettings")


class SpineSettings(BaseSettings):
    """Base class for the settings of the kernel and of plugins.

    A subclass reads the same sources with the same precedence: overrides, then
    ``SPINE_<FIELD>`` environment variables, then top-level keys of ``spine.toml``,
    then defaults. Declare secrets as `SecretStr`: the kernel masks their values
    everywhere it prints.
    """

    model_config = SettingsConfigDict(extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # `from_sources` has already layered the inputs; pydantic-settings must not
        # read os.environ or dotenv files behind the kernel's back.
        return (init_settings,)

    @classmethod
    def from_sources(cls: type[SettingsT], sources: ConfigSources) -> SettingsT:
        """Validate the winning value of each field from `sources`; errors name their origin."""
        values = {}
        for name in cls.model_fields:
            value, origin = sources.lookup(name)
            if origin is not None:
                values[name] = value
        try:
            return cls(**values)
        except ValidationError as exc:
            raise _config_error(exc, sources) from None

    def secrets(self) -> list[str]:
        """The values of every `SecretStr` field, for the redactor."""
        return [value.get_secret_value() for value in self.__dict__.values() if isinstance(value, SecretStr)]


def _as_value_error(parse: Callable[..., T], value: Any, *, field_name: str) -> T:
    # pydantic reports ValueError as a validation error of the field; other
    # exceptions would escape validation.
    try:
        return parse(value, field_name=field_name)
    except ConfigError as exc:
        raise ValueError(exc.message.removeprefix(f"{field_name}: ")) from None


def field_path(location: tuple[int | str, ...]) -> str:
    """Where a pydantic error is, spelled as in the file: ``alert_routes[0].min_severity``."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location).lstrip(".")


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


def _positive_duration(value: Any, field_name: str) -> float:
    seconds = _as_value_error(parse_duration, value, field_name=field_name)
    if seconds <= 0:
        raise ValueError(f"expected a duration above zero like 90s, 15m or 1h, got {value!r}")
    return seconds


def _config_error(exc: ValidationError, sources: ConfigSources) -> ConfigError:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        field_name = str(error["loc"][0]) if error["loc"] else "settings"
        origin = sources.lookup(field_name)[1] or "default"
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{field_path(error['loc']) or field_name} (from {origin}): {message}")
    return ConfigError("invalid settings: " + "; ".join(problems), context={"problems": problems})


class AlertRoute(BaseModel):
    """A routing rule: alerts of at least `min_severity` from a pipeline matching one of
    `pipelines` (shell patterns; an alert without a pipeline matches only ``*``) go to
    `channels` (``*``: every configured channel)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channels: list[str]
    min_severity: Severity = Severity.INFO
    pipelines: list[str] = ["*"]

    def matches(self, alert: Alert) -> bool:
        pipeline = alert.pipeline or ""
        return alert.severity.at_least(self.min_severity) and any(
            fnmatchcase(pipeline, pattern) for pattern in self.pipelines
        )


class RateLimit(NamedTuple):
    """At most `most` alerts sent per channel in any `seconds`."""

    most: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.most} per {self.seconds:g}s"


def _parse_rate_limit(value: Any) -> RateLimit | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none", "off")):
        return None
    if isinstance(value, RateLimit):
        return value
    count, slash, period = str(value).partition("/")
    try:
        limit = RateLimit(int(count), parse_duration(period, field_name="alert_rate_limit"))
    except (ValueError, ConfigError):
        limit = None
    if not slash or limit is None or limit.most < 1 or limit.seconds <= 0:
        raise ValueError(f"expected a count per period like 30/1h or 10/15m, or none, got {value!r}")
    return limit


class ScheduleSetting(BaseModel):
    """A schedule declared in settings (``[[schedules]]`` in spine.toml): exactly one of
    `pipeline` and `workflow` runs with `params`, on `cron` (five fields, read in the IANA
    `timezone`) or every `interval` (``90s``, ``15m``, ``1h``). Cron fields are checked
    when the scheduler loads the schedules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(max_length=NAME_LENGTH)]
    pipeline: str | None = None
    workflow: str | None = None
    params: dict[str, str | int | float | bool] = {}
    cron: str | None = None
    interval: float | None = None
    timezone: str = "UTC"
    description: str = ""

    @field_validator("interval", mode="before")
    @classmethod
    def _interval(cls, value: Any) -> float | None:
        return None if value is None else _positive_duration(value, "interval")

    @field_validator("timezone", mode="before")
    @classmethod
    def _timezone(cls, value: Any) -> str:
        return check_timezone(value)

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None and len(value.split()) != 5:
            raise ValueError(
                "expected five fields (minute hour day-of-month month day-of-week) "
                f"like '0 6 * * 1', got {value!r}"
            )
        return value

    @model_validator(mode="after")
    def _one_target_and_one_time(self) -> ScheduleSetting:
        if (self.pipeline is None) == (self.workflow is None):
            raise ValueError(f"schedule {self.name!r}: give exactly one of pipeline and workflow")
        if (self.cron is None) == (self.interval is None):
            raise ValueError(f"schedule {self.name!r}: give exactly one of cron and interval")
        try:
            self.spec()
        except PluginError as exc:  # the name
            raise ValueError(exc.message) from None
        return self

    def spec(self) -> ScheduleSpec:
        """The schedule as plugins declare theirs."""
        params = {key: str(v).lower() if isinstance(v, bool) else v for key, v in self.params.items()}
        return ScheduleSpec(
            self.name,
            pipeline=self.pipeline,
            workflow=self.workflow,
            params=params,
            cron=self.cron,
            interval=self.interval,
            timezone=self.timezone,
            description=self.description,
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
        return _as_value_error(parse_name_list, value, field_name=info.field_name or "")

    @field_validator("strict_plugins", "scheduler_coalesce", mode="before")
    @classmethod
    def _bool(cls, value: Any, info: ValidationInfo) -> bool:
        return _as_value_error(parse_bool, value, field_name=info.field_name or "")

    @field_validator("log_format", "log_level", "schema_contract", mode="before")
    @classmethod
    def _choice(cls, value: Any, info: ValidationInfo) -> str:
        field_name = info.field_name or ""
        choices = _CHOICES[field_name]
        return _as_value_error(partial(parse_choice, choices=choices), value, field_name=field_name)

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
            return _as_value_error(parse_duration, value, field_name=field_name)
        return _positive_duration(value, field_name)

    @field_validator("alert_rate_limit", mode="before")
    @classmethod
    def _rate_limit(cls, value: Any) -> RateLimit | None:
        return _parse_rate_limit(value)

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
