"""The typed descriptors that plugins hand to the kernel through the registration hooks.

A descriptor is a name plus a factory. The factory is either a callable or an import
string ``"package.module:attribute"``; an import string is resolved only when the
capability is first used, so a plugin's entry module stays free of heavy imports.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ._errors import PluginError

Factory = Callable[..., Any] | str

_NAME = re.compile(r"^[a-z][a-z0-9_]*(?:[.-][a-z0-9_]+)*$")
_IMPORT_STRING = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def import_object(value: str) -> object:
    """Import ``"package.module"`` or ``"package.module:attribute.path"``."""
    module_name, _, attribute = value.partition(":")
    target: object = importlib.import_module(module_name.strip())
    for part in filter(None, attribute.strip().split(".")):
        target = getattr(target, part)
    return target


@dataclass(frozen=True)
class Capability:
    """What every descriptor has: a unique name (per kind), a factory and a description."""

    kind: ClassVar[str] = "capability"

    name: str
    factory: Factory
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise PluginError(
                f"invalid {self.kind} name {self.name!r}: expected lower-case letters, "
                "digits and underscores, optionally dotted (like 'finra.otc_weekly')"
            )
        if isinstance(self.factory, str):
            if not _IMPORT_STRING.match(self.factory):
                raise PluginError(
                    f"{self.kind} {self.name!r}: factory {self.factory!r} is not an "
                    "import string of the form 'package.module:attribute'"
                )
        elif not callable(self.factory):
            raise PluginError(f"{self.kind} {self.name!r}: factory must be callable or an import string")

    def load(self) -> Callable[..., Any]:
        """Return the factory, importing it first when it was given as an import string."""
        if not isinstance(self.factory, str):
            return self.factory
        try:
            return import_object(self.factory)  # type: ignore[return-value]
        except Exception as exc:  # an uninstalled optional dependency, a typo, ...
            raise PluginError(
                f"{self.kind} {self.name!r}: cannot import its factory {self.factory!r}: "
                f"{type(exc).__name__}: {exc}",
                context={"kind": self.kind, "name": self.name},
            ) from exc


@dataclass(frozen=True)
class SourceSpec(Capability):
    """A source: reads records from files, APIs or anything else.

    `schemes` lists the URL schemes the source claims (``("http", "https")``), so
    that ``spine load URL`` can find it.
    """

    kind: ClassVar[str] = "source"

    schemes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class StoreSpec(Capability):
    """A store: writes batches into tables. `schemes` are the store-URL schemes it serves."""

    kind: ClassVar[str] = "store"

    schemes: tuple[str, ...] = field(default=())


class AlertChannelSpec(Capability):
    """An alert channel: delivers alerts (Slack, e-mail, a log, ...)."""

    kind: ClassVar[str] = "alert_channel"


class PipelineSpec(Capability):
    """A pipeline: the factory returns an object with ``run(context: RunContext) -> None``."""

    kind: ClassVar[str] = "pipeline"


CAPABILITY_KINDS: tuple[type[Capability], ...] = (
    SourceSpec,
    StoreSpec,
    AlertChannelSpec,
    PipelineSpec,
)
