"""A schedule declared in settings (``[[schedules]]`` in spine.toml), validated by pydantic."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .._config._settings import positive_duration
from .._errors import PluginError
from .._plugins._descriptors import ScheduleSpec
from ._schedules import NAME_LENGTH, check_timezone


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
        return None if value is None else positive_duration(value, "interval")

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
