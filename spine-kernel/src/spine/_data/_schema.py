"""Schemas: column names and logical types, the conversions from text every text source
needs, and the inference of a column's type from sampled text (`infer_column`).

Logical types and the Python values that carry them:

    string      str            (an empty field stays "")
    integer     int            (64-bit in every store)
    decimal     decimal.Decimal (exact; precision/scale optional)
    float       float
    boolean     bool           (true/false, t/f, yes/no, y/n, 1/0)
    date        datetime.date  (YYYY-MM-DD)
    timestamp   datetime.datetime, naive and meaning UTC (ISO 8601; an offset is converted)

For every type but string, an empty text field is NULL (None).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from .._errors import ConfigError

TYPES = ("string", "integer", "decimal", "float", "boolean", "date", "timestamp")
MAX_IDENTIFIER_LENGTH = 63  # PostgreSQL's limit, the smallest of the stores

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


def check_identifier(name: str, what: str = "name") -> str:
    """Return `name` when it is a safe table or column name, else raise `ConfigError`.

    Stores quote every identifier as well; this keeps names portable across
    SQLite, PostgreSQL and Db2 and makes injection impossible by construction.
    """
    if not isinstance(name, str) or not _IDENTIFIER.match(name) or len(name) > MAX_IDENTIFIER_LENGTH:
        raise ConfigError(
            f"invalid {what} {name!r}: expected letters, digits and underscores, not starting "
            f"with a digit, at most {MAX_IDENTIFIER_LENGTH} characters",
            context={what: str(name)[:200]},
        )
    return name


def normalize_identifier(text: str) -> str:
    """A column name from free text: ``"Total Weekly Shares"`` / ``"totalWeeklyShares"`` ->
    ``total_weekly_shares``. Used for header names, so any header becomes a safe column."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text.strip())
    name = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()
    if not name:
        name = "column"
    if name[0].isdigit():
        name = f"_{name}"
    return name[:MAX_IDENTIFIER_LENGTH]


def column_names(texts: Sequence[str]) -> list[str]:
    """Header texts (or JSON keys) as column names: each one normalised, and a repeat
    suffixed ``_2``, ``_3``, ... so that every name is unique (case aside)."""
    names: list[str] = []
    seen: set[str] = set()
    # The last copy number tried for each stem: a repeat goes on from there, so that
    # n copies of one name (or n long names cut to one stem) take linear time, not n².
    copies: dict[str, int] = {}
    for text in texts:
        name = normalize_identifier(text)
        if name.lower() in seen:
            stem = name[: MAX_IDENTIFIER_LENGTH - 7]
            copy = copies.get(stem.lower(), 1)
            while name.lower() in seen:
                copy += 1
                name = f"{stem}_{copy}"
            copies[stem.lower()] = copy
        seen.add(name.lower())
        names.append(name)
    return names


def value_text(value: Any) -> str | None:
    """A JSON value as the text `text_rows` reads: scalars as written (a Decimal keeps
    its digits), true/false, and nested arrays and objects as JSON text."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    # Numbers inside nested values are written as floats: JSON has no other kind.
    return json.dumps(value, ensure_ascii=False, default=float)


@dataclass(frozen=True)
class Field:
    """One column: a name, a logical type and its options."""

    name: str
    type: str = "string"
    nullable: bool = True
    precision: int | None = None  # decimal: total digits
    scale: int | None = None  # decimal: digits after the point
    length: int | None = None  # string: maximum characters

    def __post_init__(self) -> None:
        check_identifier(self.name, "column name")
        if self.type not in TYPES:
            raise ConfigError(
                f"column {self.name!r}: unknown type {self.type!r}; expected one of {', '.join(TYPES)}",
                context={"column": self.name},
            )


@dataclass(frozen=True)
class Schema:
    """Ordered fields; the rows of a batch are tuples in this order."""

    fields: tuple[Field, ...]

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for field in self.fields:
            if field.name.lower() in seen:
                raise ConfigError(f"column {field.name!r} appears twice", context={"column": field.name})
            seen.add(field.name.lower())

    @classmethod
    def of(cls, *fields: Field | tuple[str, str]) -> Schema:
        """``Schema.of(("symbol", "string"), ("shares", "decimal"))``."""
        return cls(tuple(f if isinstance(f, Field) else Field(*f) for f in fields))

    @property
    def names(self) -> list[str]:
        return [field.name for field in self.fields]

    def index(self, name: str) -> int:
        for position, field in enumerate(self.fields):
            if field.name == name:
                return position
        raise ConfigError(
            f"no column {name!r}; columns are {', '.join(self.names)}", context={"column": name}
        )

    def field(self, name: str) -> Field:
        return self.fields[self.index(name)]


# -- text to values ------------------------------------------------------------------


def _integer(text: str) -> int:
    value = int(text)
    if not -(2**63) <= value < 2**63:
        raise ValueError("out of the 64-bit integer range")
    return value


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not value.is_finite():
        raise ValueError("not a finite number")
    return value


def _boolean(text: str) -> bool:
    folded = text.strip().lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise ValueError("not a boolean")


def naive_utc(moment: datetime) -> datetime:
    """`moment` as spine keeps timestamps: naive, meaning UTC. An aware datetime is
    converted to UTC (the same instant); a naive one is taken as UTC already."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def _timestamp(text: str) -> datetime:
    return naive_utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))


_PARSERS: dict[str, Callable[[str], Any]] = {
    "integer": _integer,
    "decimal": _decimal,
    "float": float,
    "boolean": _boolean,
    "date": date.fromisoformat,
    "timestamp": _timestamp,
}
_EXPECTED = {
    "integer": "an integer",
    "decimal": "a decimal number",
    "float": "a number",
    "boolean": "true or false",
    "date": "a date (YYYY-MM-DD)",
    "timestamp": "a timestamp (ISO 8601)",
}


# Numbers that int() and Decimal() read only by changing them: a significant leading zero
# (007, -012, 02134; not 0, 0.5, -0.25), an underscore (1_000), non-ASCII digits.
# An inferred type must not read them (see infer_column and text_rows).
_NUMBERS = frozenset({"integer", "decimal"})
_LEADING_ZERO = re.compile(r"\s*[+-]?0\d")
_LEADING_ZERO_IN_LINES = re.compile(r"\n[\s+-]*0\d")  # the same in "\n"-joined texts, or more


def _as_written(text: str) -> bool:
    """Whether a number reads as written: no value is changed by reading it."""
    return text.isascii() and "_" not in text and not _LEADING_ZERO.match(text)


def text_parser(field: Field) -> Callable[[str], Any]:
    """A function turning one text field into the field's value.

    It raises ValueError with a message naming the column and what was expected.
    """
    if field.type == "string":
        if field.length is None:
            return str
        limit = field.length

        def string(text: str) -> str:
            if len(text) > limit:
                raise ValueError(f"column {field.name}: longer than {limit} characters")
            return text

        return string
    parse, expected, nullable = _PARSERS[field.type], _EXPECTED[field.type], field.nullable

    def convert(text: str) -> Any:
        # Parse first: every parser refuses blank text, so the blank test costs only
        # on the rare path (this runs once per value of every load).
        try:
            return parse(text)
        except (ValueError, TypeError, OverflowError):
            if text.strip():
                raise ValueError(f"column {field.name}: expected {expected}, got {text[:80]!r}") from None
        if nullable:
            return None
        raise ValueError(f"column {field.name}: a value is required")

    return convert


Rows = list[tuple[Any, ...]]
Failures = dict[int, tuple[int, str]]  # record number -> (column number, reason)


def text_rows(
    schema: Schema, inferred: Collection[str] = ()
) -> Callable[[Sequence[Sequence[str | None]]], tuple[Rows, Failures]]:
    """A function turning records of text, given column by column (one sequence of
    values per field, None for a missing value, which stays None), into typed rows,
    and saying which records failed.

    It returns a row for every record, and for each record that failed the first
    column that did and why (as `text_parser` words it); the caller drops those rows.
    Each column is first parsed whole at C speed; only a column holding a bad, blank
    or missing value is gone over value by value.

    `inferred` names the columns whose type the source inferred rather than was told:
    there, a number that would read only by changing (``02134`` as an integer drops
    its leading zero; see `infer_column`) fails instead, as the sampled rows would have
    made the column string. A declared type reads it: the user chose.
    """
    inferred = frozenset(inferred)  # looked up once per column: a list would make wide input quadratic
    typed = []
    for index, field in enumerate(schema.fields):
        if field.type != "string" or field.length is not None:
            parse, parse_all = text_parser(field), _whole_column_parser(field)
            if field.type in _NUMBERS and field.name in inferred:
                parse, parse_all = _unchanged(field, parse, parse_all)
            typed.append((index, parse, parse_all))

    def convert(columns: Sequence[Sequence[str | None]]) -> tuple[Rows, Failures]:
        if not columns or not columns[0]:
            return [], {}
        values: list[Sequence[Any]] = list(columns)
        failures: Failures = {}
        for index, parse, parse_all in typed:
            try:
                values[index] = parse_all(values[index])
            except (ValueError, TypeError, ArithmeticError, AttributeError):
                values[index] = _one_by_one(values[index], parse, index, failures)
        return list(zip(*values, strict=True)), failures

    return convert


def _unchanged(
    field: Field, parse: Callable[[str], Any], parse_all: Callable[[Sequence[Any]], Sequence[Any]]
) -> tuple[Callable[[str], Any], Callable[[Sequence[Any]], Sequence[Any]]]:
    """`parse` and `parse_all` refusing the numbers they would read only by changing them."""
    expected = _EXPECTED[field.type]
    declare = (
        "the type was inferred from the first rows: declare it with the types option "
        f"(-o types={field.name}:string keeps such values)"
    )

    def one(text: str) -> Any:
        if not _as_written(text) and text.strip():
            change = (
                "whose leading zero it would drop" if _LEADING_ZERO.match(text) else "which it would change"
            )
            raise ValueError(
                f"column {field.name}: expected {expected}, got {text[:80]!r}, {change}; {declare}"
            )
        return parse(text)

    def whole(texts: Sequence[Any]) -> Sequence[Any]:
        joined = "\n" + "\n".join(texts)  # at C speed; a missing value (None) raises TypeError
        if not joined.isascii() or "_" in joined or _LEADING_ZERO_IN_LINES.search(joined):
            raise ValueError("a number that would change")
        return parse_all(texts)

    return one, whole


def _one_by_one(
    texts: Sequence[str | None], parse: Callable[[str], Any], column: int, failures: Failures
) -> list[Any]:
    values: list[Any] = []
    for number, text in enumerate(texts):
        value = None
        if text is not None:
            try:
                value = parse(text)
            except ValueError as exc:
                failures.setdefault(number, (column, str(exc)))
        values.append(value)
    return values


def _whole_column_parser(field: Field) -> Callable[[Sequence[Any]], Sequence[Any]]:
    """Parse a whole column with the type's plain parser (or the C built-in it wraps);
    it raises on any value that parser refuses, blank and missing ones included."""
    if field.type == "string":
        limit = field.length or 0

        def strings(texts: Sequence[str]) -> Sequence[str]:
            if max(map(len, texts)) > limit:
                raise ValueError("too long")
            return texts

        return strings
    if field.type == "integer":

        def integers(texts: Sequence[str]) -> list[int]:
            values = list(map(int, texts))
            if min(values) < -(2**63) or max(values) >= 2**63:
                raise ValueError("out of range")
            return values

        return integers
    if field.type == "decimal":

        def decimals(texts: Sequence[str]) -> list[Decimal]:
            values = list(map(Decimal, texts))
            if not all(map(Decimal.is_finite, values)):
                raise ValueError("not finite")
            return values

        return decimals
    parse = _PARSERS[field.type]
    return lambda texts: list(map(parse, texts))


# -- inference -----------------------------------------------------------------------

_CANDIDATES = ("boolean", "integer", "decimal", "date", "timestamp")  # narrowest first
# Widenings that lose nothing: a column of integers and decimals is decimal, of dates
# and timestamps timestamp, and no warning is due.
_NATURAL = frozenset({("integer", "decimal"), ("date", "timestamp")})
WARN_SHARE = 2 / 3  # the share of the samples a type must read for its fallback to be warned about


class Inference(NamedTuple):
    """What `infer_column` decided: the column's type, and the warning to give when it
    fell back to a wider type than most of the samples have (None otherwise)."""

    type: str
    warning: str | None = None


class _Tally(NamedTuple):
    type: str
    misfits: list[tuple[str, int]]  # (text, position) of each sample the type does not read


def infer_type(samples: Iterable[str]) -> str:
    """The narrowest logical type that reads every non-empty sample; string when none does.

    See `infer_column` for the rules; this is its type without the warning.
    """
    return _infer([(text, 0) for text in samples if text.strip()])[0]


def infer_column(
    name: str, samples: Iterable[tuple[str | None, int]], where: Callable[[int], str] = "line {}".format
) -> Inference:
    """The type of column `name` from its sampled values, each given with its position
    (``(text, line)``; a None or blank text is a missing value and is skipped), and
    the warning to give when the type is a fallback the user should know about.

    The type is the narrowest of boolean, integer, decimal, date, timestamp that reads
    every sample, else string. Nothing is read in a way that changes it: a number with
    a significant leading zero (``02134``, ``007``, ``-012``; not ``0`` or ``0.5``), with
    an underscore (``1_000``) or with non-ASCII digits is not an integer or a decimal;
    a column is boolean only when a sample is a word (``true``, ``no``, ...): ``0``
    and ``1`` alone are numbers far more often.

    A fallback is warned about when a narrower type reads at least two thirds
    (`WARN_SHARE`) of the samples but not all of them: integers with one ``ten``, dates
    with ``2026-13-01``, booleans with ``maybe``, zip codes some of which have a leading
    zero. The warning names the column, says how many samples that type did not read,
    quotes the first with its position (`where` words a position: ``line 7`` by
    default; an HTTP source says ``record 7 of page 1``) and says how to declare the type.
    A mostly-text column with a few numbers in it is not warned about, nor are the
    widenings that lose nothing: integers with decimals read as decimal, dates with
    timestamps as timestamp.
    """
    present = [(text, position) for text, position in samples if text is not None and text.strip()]
    chosen, closest = _infer(present)
    if closest is None or (closest.type, chosen) in _NATURAL:
        return Inference(chosen)
    return Inference(chosen, _fallback_warning(name, chosen, closest, len(present), where))


def _infer(present: list[tuple[str, int]]) -> tuple[str, _Tally | None]:
    """The type of non-empty samples, and the narrower type that read the most of them
    when that is at least `WARN_SHARE` of them (None when there is none)."""
    if not present:
        return "string", None
    allowed = len(present) - math.ceil(len(present) * WARN_SHARE)  # misfits a warned-about type may have
    closest: _Tally | None = None
    for candidate in _CANDIDATES:
        tally = _tally(candidate, present, allowed)
        if tally is None:
            continue
        if not tally.misfits:
            return candidate, closest
        if closest is None or len(tally.misfits) < len(closest.misfits):
            closest = tally
    return "string", closest


def _tally(candidate: str, present: list[tuple[str, int]], allowed: int) -> _Tally | None:
    """The samples `candidate` does not read; None when there are more than `allowed`, or
    when the candidate is boolean and reads only 0 and 1 (numbers, most likely)."""
    parse = _PARSERS[candidate]
    number = candidate in _NUMBERS
    words = candidate != "boolean"  # for boolean: whether a sample read is a word, not 0 or 1
    misfits: list[tuple[str, int]] = []
    for sample in present:
        text = sample[0]
        try:
            if number and not _as_written(text):
                raise ValueError("a number only once changed")
            parse(text)
        except (ValueError, TypeError, OverflowError):
            misfits.append(sample)
            if len(misfits) > allowed:
                return None
        else:
            words = words or text.strip() not in ("0", "1")
    return _Tally(candidate, misfits) if words else None


def _fallback_warning(
    name: str, chosen: str, closest: _Tally, sampled: int, where: Callable[[int], str]
) -> str:
    wanted, expected = closest.type, _EXPECTED[closest.type]
    zero_led: list[tuple[str, int]] = []  # numbers that would lose their leading zero
    others: list[tuple[str, int]] = []
    for misfit in closest.misfits:
        (zero_led if wanted in _NUMBERS and _LEADING_ZERO.match(misfit[0]) else others).append(misfit)
    found = []
    if others:
        verb = "does not read" if len(others) == 1 else "do not read"
        found.append(f"{len(others)} {verb} as {expected} ({_first(others, where)})")
    if zero_led:
        verb = "has" if len(zero_led) == 1 else "have"
        found.append(
            f"{len(zero_led)} {verb} a leading zero that {expected} would drop ({_first(zero_led, where)})"
        )
    declare = f"declare the type with the types option (-o types={name}:{wanted})"
    advice = (
        f"{declare} to reject such values instead"
        if others
        else f"{declare} only if they are numbers: the leading zeros are then dropped"
    )
    return (
        f"column {name} is read as {chosen}: of the {sampled} values sampled, {' and '.join(found)}; {advice}"
    )


def _first(misfits: list[tuple[str, int]], where: Callable[[int], str]) -> str:
    text, position = misfits[0]
    return f"{'' if len(misfits) == 1 else 'the first: '}{text[:80]!r} on {where(position)}"
