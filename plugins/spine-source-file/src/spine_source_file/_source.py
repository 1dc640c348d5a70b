"""The factory the kernel calls: ``open_file(location, **options)`` picks the format and its reader."""

from __future__ import annotations

import os

import spine

from ._delimited import DelimitedSource
from ._files import format_from_content, format_from_name, resolve
from ._json import JsonSource
from ._options import DELIMITED, parse_options
from ._parquet import ParquetSource
from ._text import TextSource

_TEXT = frozenset({"format", "encoding", "columns", "types", "infer_rows", "max_columns"})
_APPLIES = {
    "delimited": _TEXT | {"header", "delimiter", "quote", "field_size_limit", "max_line_bytes", "bad_quotes"},
    "json": _TEXT | {"max_element_bytes"},
    "parquet": frozenset({"format", "columns", "max_columns"}),
}


def open_file(location: str | os.PathLike[str], **options: object) -> spine.Source:
    """A source over the file at `location` (a path or a ``file://`` URL).

    The format is the ``format`` option, else the extension (``.csv``, ``.tsv``,
    ``.psv``, ``.json``, ``.jsonl``, ``.parquet``, each optionally ``.gz``), else the
    content: Parquet's magic bytes, a JSON array or object, otherwise delimited text
    whose delimiter is sniffed. Options are validated here (`spine.ConfigError`), the
    types option against the file's columns too, which reads them; a missing or empty
    file, or one whose columns cannot be read then, raises `spine.SourceError`.
    """
    settings = parse_options(options)
    ref = resolve(location)
    format_name = settings.format or format_from_name(ref) or format_from_content(ref, settings.decoding)
    family = "delimited" if format_name in (*DELIMITED, "delimited") else format_name.removesuffix("l")
    misplaced = sorted(settings.given - _APPLIES[family])
    if misplaced:
        raise spine.ConfigError(
            f"file source option {misplaced[0]!r} does not apply to {format_name} files; "
            f"their options are {', '.join(sorted(_APPLIES[family]))}",
            context={"option": misplaced[0]},
        )
    if family == "parquet":
        return ParquetSource(ref, settings)
    source: TextSource = (
        JsonSource(ref, settings, format_name)
        if family == "json"
        else DelimitedSource(ref, settings, format_name)
    )
    if settings.types is not None:
        source.check_types()
    return source
