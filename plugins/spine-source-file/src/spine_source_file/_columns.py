"""From column names and a sample of text values to a `spine.Schema`, and from text to typed rows."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import spine

from ._files import FileRef
from ._options import Column


def columns_from_text(texts: Sequence[str]) -> list[Column]:
    """Header texts (or JSON keys) as columns, named by `spine.column_names`."""
    return [Column(name, None, text) for name, text in zip(spine.column_names(texts), texts, strict=True)]


def too_many_columns(ref: FileRef, found: str, limit: int, line: int | None = None) -> spine.SourceError:
    """The error for input wider than `limit` (max_columns); `found` says what was counted:
    ``the header has 40000`` or ``the first record has more than 10000``."""
    return ref.error(
        f"{found} columns, more than max_columns ({limit}); raise it (-o max_columns=N) if the "
        "input is that wide, though a table holds at most 2000 columns in SQLite, 1600 in PostgreSQL",
        line,
    )


def same_column(text: str, name: str) -> bool:
    """Whether header text (or a key) names the column: exactly, or once both are normalised."""
    return text == name or spine.normalize_identifier(text) == spine.normalize_identifier(name)


def check_types(columns: Sequence[Column], types: Mapping[str, str] | None) -> None:
    """A `ConfigError` when `types` (the option, by normalised name) names a column that is not there."""
    names = {spine.normalize_identifier(column.name) for column in columns}
    absent = [name for name in types or () if name not in names]
    if absent:
        raise spine.ConfigError(
            f"file source option 'types': no column named {', '.join(absent)}; "
            f"the columns are {', '.join(column.name for column in columns)}",
            context={"option": "types"},
        )


class Typed(NamedTuple):
    """The schema of a file, and what inferring its types did."""

    schema: spine.Schema
    inferred: list[str]  # the columns whose type was inferred (see spine.text_rows)
    warnings: list[str]  # what inferring them found worth telling


def build_schema(
    columns: Sequence[Column],
    types: Mapping[str, str] | None,
    samples: Sequence[Sequence[str | None]],
    lines: Sequence[int],
    preferred: Mapping[str, str] | None = None,
) -> Typed:
    """Fields in column order. Each column's type is, first found: from `types` (the
    option), declared with the column, `preferred` (by lower-case name: the types of the
    table a load goes into), or inferred by `spine.infer_column` from `samples` (for
    each column, a list of its first values; missing values, None, are skipped), the
    value of record i being on line `lines[i]`.
    """
    check_types(columns, types)
    pending = dict(types or {})
    fields: list[spine.Field] = []
    inferred: list[str] = []
    warnings: list[str] = []
    for index, column in enumerate(columns):
        type_name = pending.pop(spine.normalize_identifier(column.name), None)
        if type_name is not None:  # keeping what else was declared (precision, length, ...)
            field = dataclasses.replace(column.field or spine.Field(column.name), type=type_name)
        elif column.field is not None:
            field = column.field
        elif preferred and column.name.lower() in preferred:
            field = spine.Field(column.name, preferred[column.name.lower()])
        else:
            inference = spine.infer_column(column.name, zip(samples[index], lines, strict=True))
            field = spine.Field(column.name, inference.type)
            inferred.append(column.name)
            if inference.warning:
                warnings.append(inference.warning)
        fields.append(field)
    return Typed(spine.Schema(tuple(fields)), inferred, warnings)


def failure_labels(columns: Sequence[Column]) -> list[str]:
    """For each column, what to add to a conversion failure: how the file names the
    column, when that differs from its name."""
    return [
        f" ({column.label!r} in the file)" if column.label not in ("", column.name) else ""
        for column in columns
    ]
