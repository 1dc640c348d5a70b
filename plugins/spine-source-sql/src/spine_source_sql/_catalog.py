"""What a location holds, for ``spine inspect URL`` when no table or query is named: every
table and view of its user schemas, with its columns as spine would read them and what
reading it would warn about.
"""

from __future__ import annotations

import spine
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ._describe import declared, reflecting
from ._types import columns_of, from_sqlalchemy

_SYSTEM_SCHEMAS = frozenset(
    {"information_schema", "pg_catalog", "pg_toast", "sys", "mysql", "performance_schema"}
)


def list_tables(connection: Connection) -> list[spine.SourceTable]:
    """Every table and view the connection's database holds (schema-qualified where it has
    schemas), sorted by name within each schema."""
    found = []
    inspector = sa.inspect(connection)
    for schema in _user_schemas(inspector, connection.dialect):
        names = inspector.get_table_names(schema) + inspector.get_view_names(schema)
        for name in sorted(names):
            with reflecting(connection, name, schema) as unrecognized:
                reflected = inspector.get_columns(name, schema)
            columns, renamed = columns_of(
                [declared(column["name"], connection.dialect) for column in reflected],
                [
                    from_sqlalchemy(column["type"], connection.dialect, unrecognized.get(column["name"]))
                    for column in reflected
                ],
            )
            shown = name if schema is None else f"{schema}.{name}"
            notes = renamed + [note for column in columns for note in column.notes()]
            found.append(
                spine.SourceTable(shown, spine.Schema(tuple(c.field for c in columns)), tuple(notes))
            )
    return found


def _user_schemas(inspector: sa.Inspector, dialect: sa.engine.Dialect) -> list[str | None]:
    """The schemas whose tables a listing shows: the database's own on SQLite and MariaDB
    (where a schema is another database), every user schema elsewhere."""
    if dialect.name in ("sqlite", "mysql", "mariadb"):
        return [None]
    return [
        schema
        for schema in inspector.get_schema_names()
        if schema.lower() not in _SYSTEM_SCHEMAS and not schema.lower().startswith(("pg_", "sys", "nullid"))
    ]
