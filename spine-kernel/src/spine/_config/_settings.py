"""`SpineSettings`, the pydantic-settings base of the kernel's settings and of every plugin's,
and the validators they share.

Imported only when a command needs validated settings: pydantic is too slow to
import for ``spine plugins list``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .._errors import ConfigError
from ._sources import ConfigSources, parse_duration

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


def as_value_error(parse: Callable[..., T], value: Any, *, field_name: str) -> T:
    # pydantic reports ValueError as a validation error of the field; other
    # exceptions would escape validation.
    try:
        return parse(value, field_name=field_name)
    except ConfigError as exc:
        raise ValueError(exc.message.removeprefix(f"{field_name}: ")) from None


def field_path(location: tuple[int | str, ...]) -> str:
    """Where a pydantic error is, spelled as in the file: ``alert_routes[0].min_severity``."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location).lstrip(".")


def positive_duration(value: Any, field_name: str) -> float:
    seconds = as_value_error(parse_duration, value, field_name=field_name)
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
