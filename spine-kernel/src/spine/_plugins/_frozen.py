"""`Frozen`: the base of the small immutable values plugins build while registering
(descriptors and their parameters)."""

from __future__ import annotations

from typing import Any


class Frozen:
    """Immutable; equal, hashed and shown by the values of its slots, in slot order.

    Slotted classes rather than frozen dataclasses: plugins build these on every start of
    the CLI, and creating a frozen dataclass costs about a millisecond here. A subclass
    declares its ``__slots__`` and sets them with ``object.__setattr__`` in ``__init__``.
    """

    __slots__ = ()

    def _values(self) -> tuple[tuple[str, Any], ...]:
        slots = (slot for cls in reversed(type(self).__mro__) for slot in getattr(cls, "__slots__", ()))
        return tuple((slot, getattr(self, slot)) for slot in slots)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{slot}={value!r}" for slot, value in self._values())
        return f"{type(self).__name__}({fields})"
