"""How PostgreSQL spells spine's logical types."""

from __future__ import annotations

from spine import Dialect, Field

_TYPES = {
    "string": "text",
    "integer": "bigint",
    "decimal": "numeric",
    "float": "double precision",
    "boolean": "boolean",
    "date": "date",
    # Without time zone: spine's timestamps are naive and mean UTC, so the session's
    # TimeZone setting must not shift them on the way in or out.
    "timestamp": "timestamp",
}

# The types COPY sends, and so the columns of the staging table: unconstrained, so
# that lengths and scales are checked (and rounded) by the target table's own column
# types when the staged rows go in.
COPY_TYPES = {
    "string": "text",
    "integer": "int8",
    "decimal": "numeric",
    "float": "float8",
    "boolean": "bool",
    "date": "date",
    "timestamp": "timestamp",
}


class PostgresDialect(Dialect):
    name = "postgresql"

    def column_type(self, field: Field) -> str:
        if field.type == "string" and field.length is not None:
            return f"varchar({int(field.length)})"
        # numeric(p) means scale 0, as in standard SQL. PostgreSQL cannot state a scale
        # without a precision: such a column stays unconstrained and keeps every digit.
        if field.type == "decimal" and field.precision is not None:
            return f"numeric({int(field.precision)}, {int(field.scale or 0)})"
        return _TYPES[field.type]
