"""The kernel's validated settings (pydantic-settings), built from `ConfigSources`.

Imported only when a command needs validated settings: pydantic is too slow to
import for ``spine plugins list``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, Literal, TypeVar

from pydantic import SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from ._config import (
    LOG_FORMATS,
    LOG_LEVELS,
    ConfigSources,
    parse_bool,
    parse_choice,
    parse_name_list,
)
from ._errors import ConfigError

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


def _config_error(exc: ValidationError, sources: ConfigSources) -> ConfigError:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        field_name = str(error["loc"][0]) if error["loc"] else "settings"
        origin = sources.lookup(field_name)[1] or "default"
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{field_name} (from {origin}): {message}")
    return ConfigError("invalid settings: " + "; ".join(problems), context={"problems": problems})


class Settings(SpineSettings):
    """The kernel's own settings."""

    load_plugins: Annotated[list[str] | None, NoDecode] = None
    disable_plugins: Annotated[list[str], NoDecode] = []
    strict_plugins: bool = False
    log_format: Literal["auto", "console", "json"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # Where runs write and are recorded. Its password is masked wherever spine prints.
    store_url: str | None = None

    @field_validator("load_plugins", "disable_plugins", mode="before")
    @classmethod
    def _names(cls, value: Any, info: ValidationInfo) -> list[str] | None:
        return _as_value_error(parse_name_list, value, field_name=info.field_name or "")

    @field_validator("strict_plugins", mode="before")
    @classmethod
    def _strict(cls, value: Any) -> bool:
        return _as_value_error(parse_bool, value, field_name="strict_plugins")

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _choice(cls, value: Any, info: ValidationInfo) -> str:
        field_name = info.field_name or ""
        choices = LOG_FORMATS if field_name == "log_format" else LOG_LEVELS
        return _as_value_error(partial(parse_choice, choices=choices), value, field_name=field_name)
