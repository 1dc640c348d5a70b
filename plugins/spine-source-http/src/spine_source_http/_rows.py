"""From a page's records to typed rows: the columns, their types, and the records that do not fit.

Work goes a column at a time. A JSON column whose values already are of the column's
Python type (str, int, Decimal, bool) is taken as it is; any other goes through text
and `spine.text_rows`, like a file's fields.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

import spine

from ._answer import Records

INFER_ROWS = 1000  # the first page's records whose keys are the columns, and whose values give their types
_ON_THE_FIRST_PAGE = "record {} of page 1".format  # where an inferred type's first misfit is, as rejects say
_NATIVE: dict[str, type] = {"string": str, "integer": int, "decimal": Decimal, "boolean": bool}
_BIGINT = (-(2**63), 2**63 - 1)
_NONE = type(None)


class Rows(NamedTuple):
    rows: list[tuple[Any, ...]]
    positions: list[int]
    texts: list[str]
    rejects: list[spine.Reject]


class RowMaker:
    """The columns found in the first page's first records, and how every page's records become rows."""

    def __init__(
        self, first: Records, types: Mapping[str, str], preferred: Mapping[str, str], where: str
    ) -> None:
        keys = (
            first.header
            if first.header is not None
            else list(dict.fromkeys(k for r in first.items for k in r))
        )
        found = {spine.normalize_identifier(key) for key in keys}
        absent = [name for name in types if name not in found]
        if absent and first.header:
            raise spine.ConfigError(
                f"http source option 'types': no column named {', '.join(absent)}; "
                f"the header has {', '.join(first.header)}",
                context={"option": "types"},
            )
        keys = keys + absent  # JSON keys the first page did not have
        self.header = first.header
        if not keys and preferred:
            keys = list(preferred)  # an empty first page: the table's columns
        if not keys:
            raise spine.SourceError(
                f"{where}: no records, so no columns to load into; "
                "declare them with the types option (types=id:integer,name:string)"
            )
        self.keys = keys
        self.names = spine.column_names(keys)
        self._known = frozenset(keys)
        self._getters = list(map(operator.itemgetter, keys))
        fits = self._fits(first)[:INFER_ROWS]
        fitting = _pick(first, [index for index, fit in enumerate(fits) if fit])
        samples = [[spine.value_text(value) for value in column] for column in self._columns(fitting)]
        fields: list[spine.Field] = []
        self.inferred: list[str] = []  # the columns whose type was inferred (see spine.text_rows)
        self.warnings: list[str] = []  # what inferring them found worth telling
        for name, column in zip(self.names, samples, strict=True):
            type_name = types.get(name) or preferred.get(name.lower())
            if type_name is None:
                inference = spine.infer_column(
                    name, zip(column, fitting.positions, strict=True), _ON_THE_FIRST_PAGE
                )
                type_name = inference.type
                self.inferred.append(name)
                if inference.warning:
                    self.warnings.append(inference.warning)
            fields.append(spine.Field(name, type_name))
        self.schema = spine.Schema(tuple(fields))

    def column_of(self, key: str) -> int:
        """The index of the column a key (or its normalised name) reads into."""
        for index, (name, original) in enumerate(zip(self.names, self.keys, strict=True)):
            if key in (name, original):
                return index
        raise spine.ConfigError(
            f"http source option 'incremental_field': {key!r} is not among the columns: "
            + ", ".join(self.names),
            context={"option": "incremental_field"},
        )

    def rows(self, records: Records, origin: str) -> Rows:
        rejects = [reject._replace(origin=origin) for reject in records.rejects]
        columns = self._whole_columns(records)
        if columns is None:
            fits = self._fits(records)
            for index, fit in enumerate(fits):
                if not fit:
                    reason = self._misfit(records.items[index])
                    rejects.append(
                        spine.Reject(origin, records.positions[index], records.text(index), reason)
                    )
            records = _pick(records, [index for index, fit in enumerate(fits) if fit])
            columns = self._columns(records)
        rows, failures = self._convert(columns)
        for number, (column, reason) in failures.items():
            label = (
                f" ({self.keys[column]!r} in the answer)" if self.keys[column] != self.names[column] else ""
            )
            rejects.append(
                spine.Reject(origin, records.positions[number], records.text(number), reason + label)
            )
        if failures:
            kept = [number for number in range(len(rows)) if number not in failures]
            rows = [rows[number] for number in kept]
            records = _pick(records, kept)
        rejects.sort(key=lambda reject: reject.position or 0)
        return Rows(rows, records.positions, records.texts or [], rejects)

    def _whole_columns(self, records: Records) -> list[Sequence[Any]] | None:
        """The columns when every record has exactly the columns' keys (or the header's
        width): the usual page, taken at C speed. None otherwise."""
        items, width = records.items, len(self.keys)
        if not items:
            return [[] for _ in self.keys]
        if records.header is not None:
            return list(zip(*items, strict=True)) if set(map(len, items)) == {width} else None
        if sum(map(len, items)) != len(items) * width:  # a record with more or fewer keys
            return None
        try:  # with every key present, the total says that no record has another
            return [list(map(getter, items)) for getter in self._getters]
        except KeyError:
            return None

    def _fits(self, records: Records) -> list[bool]:
        """Which records can be rows: of the header's width, or with only known keys."""
        if records.header is not None:
            return [len(item) == len(self.keys) for item in records.items]
        return list(map(self._known.issuperset, records.items))

    def _misfit(self, item: Any) -> str:
        if isinstance(item, list):
            return f"expected {len(self.keys)} fields, found {len(item)}"
        unknown = next(key for key in item if key not in self._known)
        return (
            f"key {unknown!r} is not among the columns (the keys of the first page's first "
            f"{INFER_ROWS:,} records); declare it with the types option to read it"
        )

    def _columns(self, records: Records) -> list[Sequence[Any]]:
        """The columns of records that fit, a missing key read as None."""
        if not records.items:
            return [[] for _ in self.keys]
        if records.header is not None:
            return list(zip(*records.items, strict=True))
        return [[item.get(key) for item in records.items] for key in self.keys]

    def _convert(
        self, columns: list[Sequence[Any]]
    ) -> tuple[list[tuple[Any, ...]], dict[int, tuple[int, str]]]:
        """Rows, and the records that failed, as `spine.text_rows` gives them."""
        if not columns or not columns[0]:
            return [], {}
        fields = list(self.schema.fields)
        texts: list[Sequence[Any]] = []
        for index, (column, field) in enumerate(zip(columns, self.schema.fields, strict=True)):
            if _native(column, field):
                fields[index] = spine.Field(field.name, "string")  # taken as it is
                texts.append(column)
            elif set(map(type, column)) <= {str, _NONE}:
                texts.append(column)
            else:
                texts.append([spine.value_text(value) for value in column])
        return spine.text_rows(spine.Schema(tuple(fields)), self.inferred)(texts)


def _pick(records: Records, indexes: list[int]) -> Records:
    texts = records.texts
    return records._replace(
        items=[records.items[index] for index in indexes],
        positions=[records.positions[index] for index in indexes],
        texts=None if texts is None else [texts[index] for index in indexes],
    )


def _native(column: Sequence[Any], field: spine.Field) -> bool:
    """Whether a column's values are already what `field` holds (None aside)."""
    native = _NATIVE.get(field.type)
    if native is None or (field.type == "string" and field.length is not None):
        return False
    if native is str:
        try:
            "".join(column)  # the quickest proof that every value is a str
            return True
        except TypeError:
            pass
    kinds = set(map(type, column))
    if not kinds <= {native, _NONE}:
        return False
    if field.type != "integer":
        return True
    present = [value for value in column if value is not None] if _NONE in kinds else column
    return not present or (_BIGINT[0] <= min(present) and max(present) <= _BIGINT[1])
