"""A location (``postgresql://user@host/db``) made into a SQLAlchemy URL and engine.

The bare schemes get the drivers this plugin's extras install: ``postgresql://`` is
psycopg 3, ``mysql://`` and ``mariadb://`` PyMySQL, ``db2://`` ibm_db. A
``dialect+driver`` URL is taken as written. SQLite files are opened read-only
(``mode=ro``), so a missing file is an error instead of a new empty database.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any, NamedTuple

import spine
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
    "db2": "db2+ibm_db",
    "ibm_db_sa": "db2+ibm_db",
}
_USERINFO = re.compile(r"(://[^/:@]*:)[^/@]*@")
# The extra that installs each driver module, for the message when it is missing.
_EXTRAS = {"psycopg": "postgresql", "pymysql": "mysql", "ibm_db": "db2", "ibm_db_dbi": "db2"}


class Location(NamedTuple):
    """Where the source reads: the URL with its driver, and the same for messages (no password)."""

    url: URL
    shown: str

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    @property
    def password(self) -> str | None:
        return None if self.url.password is None else str(self.url.password)


def parse_location(location: str) -> Location:
    """The URL with its driver; a location that is no database URL is a `ConfigError`."""
    try:
        url = make_url(location)
    except (ArgumentError, ValueError) as exc:
        shown = _USERINFO.sub(r"\1***@", location)
        raise spine.ConfigError(f"sql source: {shown!r} is not a database URL ({exc})") from None
    url = url.set(drivername=_DRIVERS.get(url.drivername.lower(), url.drivername))
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and (url.host or not url.database or url.database == ":memory:"):
        raise spine.ConfigError(
            f"sql source: {shown!r} names no SQLite file; expected sqlite:///relative/path.db "
            "or sqlite:////absolute/path.db"
        )
    return Location(url, shown)


def engine(location: Location) -> Engine:
    """An engine for `location` that opens one connection when asked and keeps none."""
    url = location.url
    try:
        dialect = url.get_dialect()
        dialect.import_dbapi()
    except NoSuchModuleError:
        raise spine.ConfigError(
            f"sql source: no SQLAlchemy dialect reads {url.drivername}:// locations ({location.shown})"
        ) from None
    except ImportError as exc:
        module = (exc.name or "").split(".")[0]
        extra = _EXTRAS.get(module)
        install = f"pip install 'spine-source-sql[{extra}]'" if extra else f"install the {module} driver"
        raise spine.ConfigError(
            f"sql source: {url.drivername} needs the {module or 'database'} driver, which is not "
            f"installed; {install}"
        ) from None
    options: dict[str, Any] = {"poolclass": sa.pool.NullPool}
    if url.get_backend_name() == "sqlite":
        path = url.database or ""
        options["creator"] = lambda: _sqlite_read_only(path)
    return sa.create_engine(url, **options)


def _sqlite_read_only(path: str) -> sqlite3.Connection:
    """The file opened read-only, in autocommit mode: the source begins its own read transaction."""
    from urllib.parse import quote

    connection = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, isolation_level=None)
    connection.execute("PRAGMA query_only = ON")
    return connection
