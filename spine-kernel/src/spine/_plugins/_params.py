"""Pipeline parameters: what a pipeline declares it takes (`Param`), and the check every
run passes before it starts (`parse_params`).

A pipeline declares its parameters in its descriptor,
``PipelineSpec(..., params=(Param("week", "date", required=True), ...))``. ``params=None``
(the default) declares nothing: the pipeline gets what it is given, as given.
``params=()`` declares that it takes none.

Values come as text (``-p week=2026-11-16``, workflow files, schedules) or as Python
values from code (a `date`, an `int`); both are accepted. An empty value (None, or blank
text for any type but a single string) is no value: the default applies, and a required
parameter is missing. A pipeline then finds in ``context.params``, and the run records,
the parsed values (a `date`, an `int`, a tuple for a list) with the declared defaults
filled in; a parameter with no value and no default is absent.

Declaring parameters costs a plugin's entry module nothing: parsing imports what it
needs (dates, decimals, the schema's parsers) on the first check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .._errors import ConfigError, PluginError
from ._frozen import Frozen

ANY = "any"  # a value passed on as given (a source option): whoever reads it checks it

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*(?:\.\*)?$")


class Param(Frozen):
    """One parameter a pipeline takes.

    `type` is one of spine's logical types (string, integer, decimal, float, boolean,
    date, timestamp), or ``"any"`` for a value passed on unchecked. `choices` limits a
    string to a fixed set; `multiple` takes a comma-separated list (``tiers=T1,T2``, or a
    list from code), each item of `type`. A name ending in ``.*`` (``option.*``) is a
    pattern: it declares every name with that prefix (``option.delimiter``).
    """

    __slots__ = ("name", "type", "default", "required", "description", "choices", "multiple")  # noqa: RUF023 - repr order

    name: str
    type: str
    default: Any
    required: bool
    description: str
    choices: tuple[str, ...] | None
    multiple: bool

    def __init__(
        self,
        name: str,
        type: str = "string",  # the word declarations read best with, shadowing the builtin here only
        *,
        default: Any = None,
        required: bool = False,
        description: str = "",
        choices: Sequence[str] | None = None,
        multiple: bool = False,
    ) -> None:
        values = {
            "name": name,
            "type": type,
            # hashable, like the descriptor that holds it
            "default": tuple(default) if isinstance(default, list) else default,
            "required": required,
            "description": description,
            "choices": None if choices is None else tuple(choices),
            "multiple": multiple,
        }
        for slot, value in values.items():
            object.__setattr__(self, slot, value)
        # The cheap checks; the type and the default are checked on first use (see
        # `declaration_problems`), which needs the schema's parsers.
        if not isinstance(name, str) or not _NAME.match(name):
            raise PluginError(
                f"invalid param name {name!r}: expected letters, digits and underscores, "
                "optionally dotted, or a pattern ending in '.*' (like 'option.*')"
            )
        if required and default is not None:
            raise PluginError(f"param {name!r}: a required param has no default")
        if self.is_pattern and (required or default is not None):
            raise PluginError(f"param {name!r}: a pattern can be neither required nor have a default")
        if self.choices is not None and (type != "string" or not self.choices):
            raise PluginError(f"param {name!r}: choices are a non-empty list of strings, for type string")

    @property
    def is_pattern(self) -> bool:
        return self.name.endswith(".*")

    def matches(self, name: str) -> bool:
        """Whether this declares the param `name` (by name, or by its pattern's prefix)."""
        if self.is_pattern:
            prefix = self.name[:-1]
            return name.startswith(prefix) and len(name) > len(prefix)
        return name == self.name

    def parse(self, value: Any) -> Any:
        """The value of this param from text or a Python value; `NO_VALUE` for an empty one.

        Raises `Refused` saying what was expected."""
        if self.multiple:
            items = value.split(",") if isinstance(value, str) else value
            if items is None:
                return NO_VALUE
            if not isinstance(items, list | tuple):
                items = [items]
            texts = (item.strip() if isinstance(item, str) else item for item in items)
            values = tuple(self._one(item) for item in texts if item is not None and item != "")
            return values or NO_VALUE
        return self._one(value)

    def _one(self, value: Any) -> Any:
        if value is None or (
            self.type not in ("string", ANY) and isinstance(value, str) and not value.strip()
        ):
            return NO_VALUE
        parsed = parse_value(self.type, value)
        if self.choices is not None and parsed not in self.choices:
            raise Refused(f"one of {', '.join(self.choices)}", value)
        return parsed

    def to_dict(self) -> dict[str, Any]:
        """The declaration as JSON-ready data: what ``spine pipelines show --json`` prints."""
        default = list(self.default) if isinstance(self.default, tuple) else self.default
        return {
            "name": self.name,
            "type": self.type,
            "multiple": self.multiple,
            "choices": None if self.choices is None else list(self.choices),
            "required": self.required,
            "default": default,
            "description": self.description,
        }


class Refused(ValueError):
    """A value a param does not take: what was expected, and the value (which a message
    about a secret param leaves out)."""

    def __init__(self, expected: str, value: Any) -> None:
        super().__init__(f"expected {expected}, got {value!r}")
        self.expected = expected


class _NoValue:
    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE: Any = _NoValue()
"""What `Param.parse` returns for an empty value: the default applies."""


def parse_value(kind: str, value: Any) -> Any:
    """`value` as logical type `kind`, from its Python type or from text (a number from
    code is read as its text). Raises `Refused` saying what was expected."""
    import os
    from datetime import date, datetime
    from decimal import Decimal

    from .._data._schema import _EXPECTED, _PARSERS, naive_utc

    if kind == ANY:
        return value
    native = {
        "string": str,
        "integer": int,
        "decimal": Decimal,
        "float": float,
        "boolean": bool,
        "date": date,
        "timestamp": datetime,
    }[kind]
    # The exact type: a bool is an int and a datetime a date, but neither is what they ask.
    if type(value) is native:
        return naive_utc(value) if isinstance(value, datetime) else value
    if isinstance(value, str | int | float | Decimal | os.PathLike) and not isinstance(value, bool):
        text = os.fspath(value) if isinstance(value, os.PathLike) else str(value)
        if kind == "string":
            return text
        try:
            return _PARSERS[kind](text.strip())
        except (ValueError, TypeError, ArithmeticError):
            pass
    raise Refused(_EXPECTED.get(kind, "text"), value)


def declaration_problems(params: Sequence[Param]) -> list[str]:
    """What is wrong with a pipeline's declaration: a name declared twice, an unknown type,
    a default its type or choices refuse. Empty when it is sound."""
    from .._data._schema import TYPES

    types = (*TYPES, ANY)
    problems = []
    names = [param.name for param in params]
    for name in sorted({name for name in names if names.count(name) > 1}):
        problems.append(f"param {name!r} is declared {names.count(name)} times")
    for param in params:
        if param.type not in types:
            problems.append(
                f"param {param.name!r}: unknown type {param.type!r}; expected one of {', '.join(types)}"
            )
            continue
        try:
            param.parse(param.default)
        except Refused as exc:
            problems.append(f"param {param.name!r}: its default {param.default!r}: expected {exc.expected}")
    return problems


def declares(params: Sequence[Param] | None, name: str) -> bool:
    """Whether a pipeline declaring `params` takes `name` (one declaring nothing takes anything)."""
    return params is None or any(param.matches(name) for param in params)


def check_params(
    params: Sequence[Param] | None, given: Mapping[str, Any], *, complete: bool = True
) -> tuple[dict[str, Any], list[str]]:
    """The values a pipeline declaring `params` runs with, and every problem with `given`:
    unknown names (with a did-you-mean), values of the wrong type or not among the choices,
    and, when `complete`, missing required ones. Undeclared params (None) pass as given.

    Raises `PluginError` when the declaration itself is wrong (a plugin's bug)."""
    from .._config._redact import is_secret_key

    if params is None:
        return dict(given), []
    broken = declaration_problems(params)
    if broken:
        raise PluginError("its param declaration is wrong: " + "; ".join(broken))
    values: dict[str, Any] = {}
    problems = []
    wrong = set()  # given, but not right: said once, not again as missing
    for name, value in given.items():
        param = next((param for param in params if param.matches(name)), None)
        if param is None:
            problems.append(f"unknown param {name!r} ({_takes(params, name)})")
            continue
        try:
            parsed = param.parse(value)
        except Refused as exc:
            problems.append(
                f"param {name!r}: " + (f"expected {exc.expected}" if is_secret_key(name) else str(exc))
            )
            wrong.add(name)
            continue
        if parsed is not NO_VALUE:
            values[name] = parsed
    for param in params:
        if param.is_pattern or param.name in values or param.name in wrong:
            continue
        if param.required:
            if complete:
                about = f" ({param.description})" if param.description else ""
                problems.append(f"param {param.name!r} is required{about}")
        elif param.default is not None:
            values[param.name] = param.parse(param.default)
    return values, problems


def parse_params(pipeline: str, params: Sequence[Param] | None, given: Mapping[str, Any]) -> dict[str, Any]:
    """What pipeline `pipeline` runs with (see `check_params`); `ConfigError` naming the
    pipeline and every problem, before anything runs."""
    try:
        values, problems = check_params(params, given)
    except PluginError as exc:
        raise PluginError(f"pipeline {pipeline!r}: {exc}", context={"pipeline": pipeline}) from None
    if problems:
        raise ConfigError(
            f"pipeline {pipeline!r}: " + "; ".join(problems),
            context={"pipeline": pipeline, "problems": problems},
        )
    return values


def _takes(params: Sequence[Param], name: str) -> str:
    import difflib

    names = [param.name for param in params]
    close = difflib.get_close_matches(name, names, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"it takes {', '.join(names)}" if names else "it takes none"
