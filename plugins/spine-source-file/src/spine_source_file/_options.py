"""The options of the file source: each one validated, with a `ConfigError` naming it when wrong.

Options arrive as strings from the command line (``-o delimiter=;``) or as Python
values from code (``columns=["symbol", "shares:decimal"]``); both are accepted.
"""

from __future__ import annotations

import codecs
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import spine

FORMATS = ("csv", "tsv", "psv", "json", "jsonl", "parquet")
DELIMITED = ("csv", "tsv", "psv")
DEFAULT_INFER_ROWS = 1000
DEFAULT_FIELD_SIZE_LIMIT = 128 * 1024  # the csv module's own default
# Well above what any store holds (SQLite 2000 columns, PostgreSQL 1600): a guard against a
# header of millions of fields, not a store limit; stores refuse wider tables themselves.
DEFAULT_MAX_COLUMNS = 10_000
DEFAULT_MAX_ELEMENT_BYTES = 16 * 1024 * 1024  # one JSON array element; an array is read one at a time
DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024  # one line of delimited text: a record is a line or a few

_TRUE = frozenset({"true", "t", "yes", "y", "on", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "off", "0"})
_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "pipe": "|", "comma": ",", "semicolon": ";"}
_NO_QUOTE = frozenset({"", "none"})


class Column(NamedTuple):
    """A column: its name, its field when declared, and how the file names it (for messages)."""

    name: str
    field: spine.Field | None
    label: str = ""  # the header text or JSON key, when it differs from `name`


@dataclass(frozen=True)
class FileOptions:
    """Validated options. `given` holds the names the caller set, for defaults that depend on others."""

    given: frozenset[str] = frozenset()
    format: str | None = None
    delimiter: str | None = None
    quote: str | None = None  # see quote_for
    encoding: str = "utf-8"
    header: bool = True
    columns: tuple[Column, ...] | None = None
    types: Mapping[str, str] | None = None
    infer_rows: int = DEFAULT_INFER_ROWS
    field_size_limit: int = DEFAULT_FIELD_SIZE_LIMIT
    max_columns: int = DEFAULT_MAX_COLUMNS
    max_element_bytes: int = DEFAULT_MAX_ELEMENT_BYTES
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    bad_quotes: str = "fail"  # or "reject": a record whose quoting is broken is a reject, not an error

    def quote_for(self, delimiter: str) -> str | None:
        """The quote character: as given, else none for pipe-delimited files (unquoted by
        convention, FINRA's among them, with quotes inside values), else a double quote."""
        if "quote" in self.given:
            return self.quote
        return None if delimiter == "|" else '"'

    @property
    def decoding(self) -> str:
        """The codec to read with: UTF-8 skips a byte-order mark when there is one."""
        return "utf-8-sig" if codecs.lookup(self.encoding).name == "utf-8" else self.encoding


def _error(option: str, expected: str, value: object) -> spine.ConfigError:
    return spine.ConfigError(
        f"file source option {option!r}: expected {expected}, got {value!r}", context={"option": option}
    )


def _delimiter(value: object) -> str:
    if isinstance(value, str):
        value = _DELIMITER_NAMES.get(value.lower(), value)
        if len(value) == 1 and value not in "\r\n":
            return value
    raise _error("delimiter", "a single character, or tab, pipe, comma, semicolon", value)


def _quote(value: object) -> str | None:
    if value is None or (isinstance(value, str) and value.lower() in _NO_QUOTE):
        return None
    if isinstance(value, str) and len(value) == 1 and value not in "\r\n":
        return value
    raise _error("quote", "a single character, or none to read fields unquoted", value)


def _encoding(value: object) -> str:
    if isinstance(value, str):
        try:
            "".encode(value)  # unlike codecs.lookup, refuses codecs that are not text encodings (base64)
        except LookupError:
            pass
        else:
            return value
    raise _error("encoding", "the name of a Python codec such as utf-8, latin-1 or cp1252", value)


def _boolean(option: str) -> Callable[[object], bool]:
    def parse(value: object) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise _error(option, "true or false", value)

    return parse


def _choice(option: str, choices: tuple[str, ...]) -> Callable[[object], str]:
    def parse(value: object) -> str:
        if isinstance(value, str) and value.strip().lower() in choices:
            return value.strip().lower()
        raise _error(option, f"one of {', '.join(choices)}", value)

    return parse


def _whole_number(option: str, minimum: int) -> Callable[[object], int]:
    def parse(value: object) -> int:
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        if isinstance(value, str) and value.strip().isdecimal():
            number = int(value)
        if number is None or number < minimum:
            raise _error(option, f"a whole number >= {minimum}", value)
        return number

    return parse


def _typed_field(option: str, name: str, type_name: str) -> spine.Field:
    try:
        return spine.Field(name.strip(), type_name.strip().lower())
    except spine.ConfigError as exc:
        raise spine.ConfigError(f"file source option {option!r}: {exc}", context={"option": option}) from None


def _columns(value: object) -> tuple[Column, ...]:
    items: object = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise _error("columns", "column names, each optionally name:type", value)
    declared = [_declared(item, value) for item in items]
    _refuse_duplicates("columns", [column.name for column in declared])
    return tuple(declared)


def _declared(item: object, value: object) -> Column:
    if isinstance(item, spine.Field):
        return Column(item.name, item)
    if not isinstance(item, str) or not item.partition(":")[0].strip():
        raise _error("columns", "column names, each optionally name:type", value)
    name, typed, type_name = item.partition(":")
    field = _typed_field("columns", name, type_name if typed else "string")
    return Column(field.name, field if typed else None)


def _types(value: object) -> dict[str, str]:
    """Column -> type. Names are compared after `spine.normalize_identifier`, so header text works too."""
    pairs: list[tuple[Any, Any]] = []
    if isinstance(value, str):
        pairs = [(name, kind) for name, _, kind in (item.partition(":") for item in value.split(","))]
    elif isinstance(value, Mapping):
        pairs = list(value.items())
    if not pairs or not all(
        isinstance(name, str) and isinstance(kind, str) and name.strip() and kind for name, kind in pairs
    ):
        raise _error("types", "column:type pairs separated by commas, like shares:decimal,day:date", value)
    named = [(spine.normalize_identifier(name), kind) for name, kind in pairs]
    _refuse_duplicates("types", [name for name, _ in named])
    return {name: _typed_field("types", name, kind).type for name, kind in named}


def _refuse_duplicates(option: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name.lower() in seen:
            raise spine.ConfigError(
                f"file source option {option!r}: column {name!r} appears twice", context={"option": option}
            )
        seen.add(name.lower())


_PARSERS: dict[str, Callable[[object], Any]] = {
    "format": _choice("format", FORMATS),
    "delimiter": _delimiter,
    "quote": _quote,
    "encoding": _encoding,
    "header": _boolean("header"),
    "columns": _columns,
    "types": _types,
    "infer_rows": _whole_number("infer_rows", 0),
    "field_size_limit": _whole_number("field_size_limit", 1),
    "max_columns": _whole_number("max_columns", 1),
    "max_element_bytes": _whole_number("max_element_bytes", 1),
    "max_line_bytes": _whole_number("max_line_bytes", 1),
    "bad_quotes": _choice("bad_quotes", ("fail", "reject")),
}
OPTIONS = tuple(sorted(_PARSERS))


def check_batch_size(batch_size: object) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise spine.ConfigError(f"batch size: expected a whole number >= 1, got {batch_size!r}")
    return batch_size


def parse_options(options: Mapping[str, object]) -> FileOptions:
    """Validate every option; unknown names are refused with the closest known one."""
    for name in options:
        if name not in _PARSERS:
            close = difflib.get_close_matches(name, OPTIONS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise spine.ConfigError(
                f"unknown file source option {name!r}{hint}; the options are {', '.join(OPTIONS)}",
                context={"option": name},
            )
    values = {name: _PARSERS[name](value) for name, value in options.items()}
    settings = FileOptions(given=frozenset(values), **values)
    if settings.columns is not None and len(settings.columns) > settings.max_columns:
        raise spine.ConfigError(
            f"file source option 'columns': {len(settings.columns)} columns, more than max_columns "
            f"({settings.max_columns}); raise it (-o max_columns=N) to read that many",
            context={"option": "columns"},
        )
    return settings
