"""How Db2 spells spine's logical types, and the checks that keep values within them.

======================  ====================================================
string                  ``VARCHAR(4 x length)``; without a length ``VARCHAR(1000)``
integer                 ``BIGINT``
decimal                 ``DECIMAL(p,s)``; without a precision ``DECIMAL(31,8)``
float                   ``DOUBLE``
boolean                 ``BOOLEAN`` (Db2 11.1 and later)
date                    ``DATE``
timestamp               ``TIMESTAMP`` (microseconds, naive UTC: aware values are converted)
======================  ====================================================

Db2 counts VARCHAR lengths in bytes, and a character takes up to 4 bytes in UTF-8: a
string field of ``length`` characters gets ``4 x length`` bytes, so that any text of
that many characters fits (up to 8168 characters, Db2's 32672-byte limit). A string
without a length gets 1000 bytes: at least 250 characters of any script, 1000 of
ASCII, and small enough for a primary key on the smallest (4 KiB) pages, whose index
keys hold at most 1024 bytes. DECIMAL holds at most 31 digits. Values are checked
before they are sent, so a value that does not fit fails the load with a message
naming the column, instead of being truncated or rounded on the way in.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from spine import ConfigError, Dialect, Field, naive_utc

MAX_VARCHAR_BYTES = 32672
BYTES_PER_CHARACTER = 4  # the most UTF-8 needs
DEFAULT_VARCHAR_BYTES = 1000
MAX_DECIMAL_DIGITS = 31
DEFAULT_DECIMAL = (31, 8)
_BIGINT = range(-(2**63), 2**63)

_FIXED_TYPES = {
    "integer": "BIGINT",
    "float": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}

Convert = Callable[[Any], Any]


def varchar_bytes(field: Field) -> int:
    """The byte length of the VARCHAR that holds `field`."""
    if field.length is None:
        return DEFAULT_VARCHAR_BYTES
    if not 1 <= field.length <= MAX_VARCHAR_BYTES // BYTES_PER_CHARACTER:
        raise ConfigError(
            f"column {field.name!r}: length {field.length} is outside what Db2 VARCHAR holds "
            f"(1 to {MAX_VARCHAR_BYTES // BYTES_PER_CHARACTER} characters)",
            context={"column": field.name},
        )
    return field.length * BYTES_PER_CHARACTER


def decimal_digits(field: Field) -> tuple[int, int]:
    """(precision, scale) of the DECIMAL that holds `field`: ``DECIMAL(p)`` means scale 0."""
    if field.precision is None and field.scale is None:
        return DEFAULT_DECIMAL
    precision = MAX_DECIMAL_DIGITS if field.precision is None else field.precision
    scale = field.scale or 0
    if not 1 <= precision <= MAX_DECIMAL_DIGITS or not 0 <= scale <= precision:
        raise ConfigError(
            f"column {field.name!r}: DECIMAL({precision},{scale}) is outside what Db2 holds "
            f"(at most {MAX_DECIMAL_DIGITS} digits, a scale from 0 to the precision)",
            context={"column": field.name},
        )
    return precision, scale


class Db2Dialect(Dialect):
    """Db2's column types. Quoting, ``CREATE TABLE`` and ``FETCH FIRST`` are the standard ones."""

    name = "db2"

    def column_type(self, field: Field) -> str:
        if field.type == "string":
            return f"VARCHAR({varchar_bytes(field)})"
        if field.type == "decimal":
            return "DECIMAL({},{})".format(*decimal_digits(field))
        return _FIXED_TYPES[field.type]


# -- values --------------------------------------------------------------------------
# Each converter returns the value as ibm_db should bind it, or raises ValueError
# saying why it does not fit. ibm_db's execute_many also wants one Python type per
# column across a batch, so numbers are made uniform (an int in a float column
# becomes a float).


def _string(field: Field) -> Convert:
    characters, limit = field.length, varchar_bytes(field)

    def convert(value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError(f"expected text, got {type(value).__name__}")
        if characters is not None and len(value) > characters:
            raise ValueError(f"{len(value)} characters, more than its length of {characters}")
        if len(value) * BYTES_PER_CHARACTER > limit and len(value.encode()) > limit:
            raise ValueError(
                f"{len(value.encode())} bytes in UTF-8, more than the {limit} of VARCHAR({limit}); "
                "give the field a length"
            )
        return value

    return convert


def _integer(field: Field) -> Convert:
    def convert(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an integer, got {type(value).__name__}")
        if value not in _BIGINT:
            raise ValueError(f"{value} is outside the range of BIGINT")
        return value

    return convert


def _decimal(field: Field) -> Convert:
    precision, scale = decimal_digits(field)
    exponent = Decimal(1).scaleb(-scale)
    # Quantizing in a context of `precision` digits fails exactly when the integer part
    # has more than precision - scale digits.
    context = Context(prec=precision, traps=[InvalidOperation])

    def convert(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
            raise ValueError(f"expected a decimal number, got {type(value).__name__}")
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        if not number.is_finite():
            raise ValueError(f"{number} does not fit DECIMAL({precision},{scale})")
        try:
            fitted = number.quantize(exponent, context=context)
        except InvalidOperation:
            raise ValueError(
                f"{number} does not fit DECIMAL({precision},{scale}): "
                f"more than {precision - scale} digits before the point"
            ) from None
        if fitted != number:
            raise ValueError(
                f"{number} does not fit DECIMAL({precision},{scale}): "
                f"more than {scale} digits after the point"
            )
        return number

    return convert


def _float(field: Field) -> Convert:
    def convert(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, float | int | Decimal):
            raise ValueError(f"expected a number, got {type(value).__name__}")
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{number} cannot be stored: Db2 DOUBLE has no NaN or infinity")
        return number

    return convert


def _boolean(field: Field) -> Convert:
    def convert(value: Any) -> Any:
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {type(value).__name__}")
        return value

    return convert


def _date(field: Field) -> Convert:
    def convert(value: Any) -> Any:
        # A datetime is a date too, but DATE would drop its time silently.
        if isinstance(value, datetime) or not isinstance(value, date):
            raise ValueError(f"expected a date, got {type(value).__name__}")
        return value

    return convert


def _timestamp(field: Field) -> Convert:
    def convert(value: Any) -> Any:
        if not isinstance(value, datetime):
            raise ValueError(f"expected a timestamp, got {type(value).__name__}")
        return naive_utc(value)

    return convert


_CONVERTERS: dict[str, Callable[[Field], Convert]] = {
    "string": _string,
    "integer": _integer,
    "decimal": _decimal,
    "float": _float,
    "boolean": _boolean,
    "date": _date,
    "timestamp": _timestamp,
}


def converter(field: Field, *, required: bool) -> Convert:
    """A function that checks one value of `field` and returns it ready to bind.

    `required` columns (keys, NOT NULL fields) refuse None.
    """
    convert = _CONVERTERS[field.type](field)

    def convert_or_null(value: Any) -> Any:
        if value is None:
            if required:
                raise ValueError("a value is required")
            return None
        return convert(value)

    return convert_or_null
