"""Where settings come from, and the few that must be known before pydantic is imported.

Precedence, highest first: explicit overrides (CLI flags, or keyword arguments of an
embedding application), ``SPINE_*`` environment variables, the ``spine.toml`` file,
defaults. The file is ``$SPINE_CONFIG`` when set, otherwise ``./spine.toml`` when it
exists; its top-level keys are the setting names (``load_plugins``), the environment
names are the same in upper case behind ``SPINE_`` (``SPINE_LOAD_PLUGINS``).

`Settings` (pydantic-settings) validates everything. `BootSettings` (which plugins
load, how to log) are resolved here by hand from the same sources because
``spine plugins list`` must not pay for importing pydantic; both use the parsers
below, and a test checks that they agree.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Collection, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from .._errors import ConfigError

ENV_PREFIX = "SPINE_"
CONFIG_FILE_ENV = "SPINE_CONFIG"
DEFAULT_CONFIG_FILE = "spine.toml"

_EMPTY: Mapping[str, Any] = MappingProxyType({})
# NamedTuple rather than dataclass: they are built on every start, and class
# creation of a frozen dataclass costs a millisecond here.
_TRUE = {"1", "true", "t", "yes", "y", "on"}
_FALSE = {"0", "false", "f", "no", "n", "off"}


def parse_name_list(value: Any, *, field_name: str) -> list[str] | None:
    """A list of plugin names from a comma-separated string or a list; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return [item.strip() for item in value if item.strip()]
    raise ConfigError(
        f"{field_name}: expected a comma-separated string or a list of names, got {value!r}",
        context={"field": field_name},
    )


def parse_bool(value: Any, *, field_name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ConfigError(
        f"{field_name}: expected true or false (1/0, yes/no, on/off), got {value!r}",
        context={"field": field_name},
    )


def parse_choice(value: Any, choices: tuple[str, ...], *, field_name: str) -> str:
    if isinstance(value, str) and value.strip().lower() in choices:
        return value.strip().lower()
    raise ConfigError(
        f"{field_name}: expected one of {', '.join(choices)}, got {value!r}",
        context={"field": field_name},
    )


_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_duration(value: Any, *, field_name: str) -> float:
    """Seconds, from a number of seconds or a text like ``90``, ``90s``, ``15m``, ``1h``, ``1d``.

    An empty text, a unit alone (``m``), a negative, infinite or NaN amount and anything
    else raise `ConfigError` naming `field_name`: none of them means a duration.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        amount, unit = float(value), "s"
    elif isinstance(value, str):
        text = value.strip().lower()
        number = text.rstrip("abcdefghijklmnopqrstuvwxyz").strip()
        unit = text[len(number) :].strip() or "s"
        try:
            amount = float(number)
        except ValueError:  # empty (a unit alone), or not a number
            amount = math.nan
    else:
        amount, unit = math.nan, ""
    if unit in _SECONDS and math.isfinite(amount) and amount >= 0:
        return amount * _SECONDS[unit]
    raise ConfigError(
        f"{field_name}: expected a duration like 90, 90s, 15m, 1h or 1d, got {value!r}",
        context={"field": field_name},
    )


def duration_text(seconds: float) -> str:
    """``90`` -> ``90s``, ``900`` -> ``15m``, ``7200`` -> ``2h``, ``0.5`` -> ``0.5s``."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size:g}{unit}"
    return f"{seconds:g}s"


def read_config_file(path: str) -> dict[str, Any]:
    """The parsed TOML file; a syntax error names the file, line and column."""
    import tomllib  # only when there is a file to read

    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist", context={"file": path}) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}", context={"file": path}) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}", context={"file": path}) from exc


class ConfigSources(NamedTuple):
    """The raw layers settings are read from, before any validation."""

    overrides: Mapping[str, Any] = _EMPTY
    environ: Mapping[str, str] = _EMPTY
    file: str | None = None
    file_values: Mapping[str, Any] = _EMPTY

    @classmethod
    def load(
        cls,
        overrides: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        config_file: str | os.PathLike[str] | None = None,
    ) -> ConfigSources:
        """Snapshot the sources: later changes to ``os.environ`` do not leak into a kernel."""
        env = dict(os.environ if environ is None else environ)
        path: str | None
        if config_file is not None:
            path = os.fspath(config_file)
        elif env.get(CONFIG_FILE_ENV):
            path = env[CONFIG_FILE_ENV]
        else:
            path = DEFAULT_CONFIG_FILE if os.path.isfile(DEFAULT_CONFIG_FILE) else None
        values = read_config_file(path) if path is not None else {}
        given = {key: value for key, value in (overrides or {}).items() if value is not None}
        return cls(given, env, path, values)

    def lookup(self, name: str) -> tuple[Any, str | None]:
        """The winning raw value of setting `name` and where it came from (None: unset)."""
        if name in self.overrides:
            return self.overrides[name], "command line"
        env_name = ENV_PREFIX + name.upper()
        if env_name in self.environ:
            return self.environ[env_name], env_name
        if name in self.file_values:
            return self.file_values[name], self.file
        return None, None

    def unknown(self, known: Collection[str]) -> list[str]:
        """One problem per key that is no setting in `known`: every such key of the overrides
        and of the file, and each ``SPINE_*`` variable spelled like a known setting. Other
        ``SPINE_*`` variables are left alone: other tools use the prefix too, and so do the
        variables that ``env:NAME`` references read."""
        problems = [
            f"unknown setting {key!r} in {where}{_did_you_mean(key, known)}"
            for keys, where in ((self.overrides, "Spine(overrides=...)"), (self.file_values, self.file))
            for key in keys
            if key not in known
        ]
        for variable in sorted(self.environ):
            name = variable.removeprefix(ENV_PREFIX).lower()
            if not variable.startswith(ENV_PREFIX) or variable == CONFIG_FILE_ENV or name in known:
                continue
            typo_of = spelled_like(name, known)
            if typo_of is not None:
                problems.append(
                    f"unknown setting {variable} in the environment "
                    f"(did you mean {ENV_PREFIX}{typo_of.upper()}?)"
                )
        return problems


def _did_you_mean(key: str, known: Collection[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, sorted(known), n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return " (neither the kernel nor a loaded plugin has such a setting)"


def spelled_like(name: str, known: Collection[str]) -> str | None:
    """The name in `known` that `name` is a typo of, if any: one letter added, dropped or
    changed, or two next to each other swapped (up to two such slips in a name of eight
    letters or more)."""
    slips = {candidate: _slips(name, candidate) for candidate in sorted(known)}
    close = [c for c, count in slips.items() if count <= (1 if len(c) < 8 else 2)]
    return min(close, key=slips.__getitem__) if close else None


def _slips(typed: str, meant: str) -> int:
    """The optimal string alignment distance: insertions, deletions, substitutions and swaps
    of neighbours it takes to go from `typed` to `meant`."""
    before: list[int] = []
    previous = list(range(len(meant) + 1))
    for i, letter in enumerate(typed, 1):
        current = [i] + [0] * len(meant)
        for j, other in enumerate(meant, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (letter != other))
            if i > 1 and j > 1 and letter == meant[j - 2] and typed[i - 2] == other:
                current[j] = min(current[j], before[j - 2] + 1)
        before, previous = previous, current
    return previous[-1]


def normalize_name(name: str) -> str:
    """PEP 503 normalisation: ``Spine_Source.File`` -> ``spine-source-file``."""
    return re.sub(r"[-_.]+", "-", name).lower()


LOG_FORMATS = ("auto", "console", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")


class BootSettings(NamedTuple):
    """The settings needed before anything else: which plugins load, and how to log.

    ``load_plugins`` None loads every plugin; a list loads only those names
    (distribution or entry-point names, normalised), and an empty list loads none.
    ``disable_plugins`` always wins. ``strict_plugins`` turns plugin failures into
    errors instead of skipping the plugin.
    """

    load_plugins: frozenset[str] | None = None
    disable_plugins: frozenset[str] = frozenset()
    strict_plugins: bool = False
    log_format: str = "auto"
    log_level: str = "info"

    @classmethod
    def from_sources(cls, sources: ConfigSources) -> BootSettings:
        def parsed(name: str, parse: Any, default: Any, **options: Any) -> Any:
            value, origin = sources.lookup(name)
            if origin is None:
                return default
            return parse(value, field_name=f"{name} (from {origin})", **options)

        load = parsed("load_plugins", parse_name_list, None)
        disable = parsed("disable_plugins", parse_name_list, None) or []
        return cls(
            load_plugins=None if load is None else frozenset(map(normalize_name, load)),
            disable_plugins=frozenset(map(normalize_name, disable)),
            strict_plugins=parsed("strict_plugins", parse_bool, False),
            log_format=parsed("log_format", parse_choice, "auto", choices=LOG_FORMATS),
            log_level=parsed("log_level", parse_choice, "info", choices=LOG_LEVELS),
        )

    def allows_plugin(self, *names: str) -> bool:
        wanted = {normalize_name(name) for name in names}
        if wanted & self.disable_plugins:
            return False
        return self.load_plugins is None or bool(wanted & self.load_plugins)
