"""The SQL text the Db2 store sends: loads, named locks and catalog look-ups.

Every parameter marker is cast to the type it stands for (``CAST(? AS BIGINT)``):
Db2 refuses untyped markers in many positions (select lists, both sides of an
operator, function arguments), and a cast marker is typed everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from spine import Field, Schema, Target, WriteMode

from ._dialect import Db2Dialect

# Quoted names that no spine identifier can take (check_identifier allows letters,
# digits and underscores only), so they never meet a user's table or column.
STAGING = 'SESSION."spine:staging"'
SEQUENCE = '"spine:seq"'
RANK = '"spine:rank"'

# Named locks are rows of one table, created on first use: a transaction holding a
# lock has updated (or inserted) its row, and Db2 keeps the row locked until commit.
LOCK_NAME_BYTES = 255
LOCKS_TABLE = "spine_locks"
CREATE_LOCKS = (
    f'CREATE TABLE "{LOCKS_TABLE}" ("name" VARCHAR({LOCK_NAME_BYTES}) NOT NULL, '
    '"taken_at" TIMESTAMP NOT NULL, PRIMARY KEY ("name"))'
)
TAKE_LOCK = (
    f'UPDATE "{LOCKS_TABLE}" SET "taken_at" = CAST(? AS TIMESTAMP) '
    f'WHERE "name" = CAST(? AS VARCHAR({LOCK_NAME_BYTES}))'
)
ADD_LOCK = (
    f'INSERT INTO "{LOCKS_TABLE}" ("name", "taken_at") '
    f"VALUES (CAST(? AS VARCHAR({LOCK_NAME_BYTES})), CAST(? AS TIMESTAMP))"
)

# Tables are created unqualified, so in the CURRENT SCHEMA, and named with quotes,
# so SYSCAT holds their names exactly as given.
COLUMNS = (
    "SELECT COLNAME, TYPENAME FROM SYSCAT.COLUMNS "
    "WHERE TABSCHEMA = CURRENT SCHEMA AND TABNAME = CAST(? AS VARCHAR(128)) ORDER BY COLNO"
)
UNIQUE_KEYS = (
    "SELECT I.INDNAME, C.COLNAME FROM SYSCAT.INDEXES AS I "
    "JOIN SYSCAT.INDEXCOLUSE AS C ON C.INDSCHEMA = I.INDSCHEMA AND C.INDNAME = I.INDNAME "
    "WHERE I.TABSCHEMA = CURRENT SCHEMA AND I.TABNAME = CAST(? AS VARCHAR(128)) "
    "AND I.UNIQUERULE IN ('P', 'U') AND C.COLORDER <> 'I' ORDER BY I.INDNAME, C.COLSEQ"
)


@dataclass(frozen=True)
class LoadSql:
    """The statements of one load, in the order they run."""

    create_table: str
    declare_staging: str
    insert_staging: str  # one marker for SEQUENCE, then one per column
    lock_table: str
    move: tuple[str, ...]  # into the target; the last one's row count is the load's
    drop_staging: str


def cast_marker(dialect: Db2Dialect, field: Field) -> str:
    return f"CAST(? AS {dialect.column_type(field)})"


def load_sql(dialect: Db2Dialect, target: Target, schema: Schema) -> LoadSql:
    quote = dialect.quote
    table = quote(target.table)
    columns = ", ".join(map(quote, schema.names))
    definitions = ", ".join(f"{quote(field.name)} {dialect.column_type(field)}" for field in schema.fields)
    markers = ", ".join(cast_marker(dialect, field) for field in schema.fields)
    insert = f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {STAGING}"
    if target.mode is WriteMode.MERGE:
        move: tuple[str, ...] = (_merge(dialect, target, schema),)
    elif target.mode is WriteMode.REPLACE:
        # Not TRUNCATE: Db2 allows it only as a unit of work's first statement, and
        # cannot roll it back.
        move = (f"DELETE FROM {table}", insert)
    else:
        move = (insert,)
    return LoadSql(
        create_table=dialect.create_table(target.table, schema, target.keys),
        # NOT LOGGED: staged rows need no recovery; WITH REPLACE: a staging table left
        # on this connection by an earlier load is dropped first.
        declare_staging=(
            f"DECLARE GLOBAL TEMPORARY TABLE {STAGING} ({SEQUENCE} BIGINT NOT NULL, {definitions}) "
            "ON COMMIT DELETE ROWS NOT LOGGED WITH REPLACE"
        ),
        insert_staging=(
            f"INSERT INTO {STAGING} ({SEQUENCE}, {columns}) VALUES (CAST(? AS BIGINT), {markers})"
        ),
        lock_table=f"LOCK TABLE {table} IN EXCLUSIVE MODE",
        move=move,
        drop_staging=f"DROP TABLE {STAGING}",
    )


def _merge(dialect: Db2Dialect, target: Target, schema: Schema) -> str:
    """One MERGE: the last staged row of each key wins; rows already equal are not rewritten."""
    quote = dialect.quote
    columns = ", ".join(map(quote, schema.names))
    keys = ", ".join(map(quote, target.keys))
    others = [quote(name) for name in schema.names if name not in target.keys]
    statement = [
        f"MERGE INTO {quote(target.table)} AS T",
        f"USING (SELECT {columns} FROM (",
        f"  SELECT {columns}, ROW_NUMBER() OVER (PARTITION BY {keys} ORDER BY {SEQUENCE} DESC) AS {RANK}",
        f"  FROM {STAGING}",
        f") AS R WHERE {RANK} = 1) AS S",
        "ON " + " AND ".join(f"T.{quote(key)} = S.{quote(key)}" for key in target.keys),
    ]
    if others:
        changed = " OR ".join(f"T.{column} IS DISTINCT FROM S.{column}" for column in others)
        assignments = ", ".join(f"{column} = S.{column}" for column in others)
        statement.append(f"WHEN MATCHED AND ({changed}) THEN UPDATE SET {assignments}")
    values = ", ".join(f"S.{quote(name)}" for name in schema.names)
    statement.append(f"WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({values})")
    return "\n".join(statement)
