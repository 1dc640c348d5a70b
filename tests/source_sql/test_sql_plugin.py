"""The distribution, its entry point, and how the kernel finds the source."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import spine
from spine.testing import modules_imported_by
from spine_source_sql._source import SqlSource, open_sql

PLUGIN = Path(__file__).parents[2] / "plugins" / "spine-source-sql"


def test_the_distribution_declares_its_entry_point_dependencies_and_driver_extras():
    project = tomllib.loads((PLUGIN / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["spine.plugins"] == {"sql": "spine_source_sql"}
    assert any(req.startswith("sqlalchemy>=2.0") for req in project["dependencies"])
    assert set(project["optional-dependencies"]) == {"postgresql", "mysql", "db2"}


def test_the_entry_module_imports_neither_sqlalchemy_nor_a_driver():
    assert modules_imported_by("spine_source_sql") == ["spine_source_sql"]


@pytest.mark.parametrize(
    "location",
    [
        "postgresql://u@h/db",
        "postgres://u@h/db",
        "postgresql+psycopg://u@h/db",
        "mysql://u@h/db",
        "mariadb://u@h/db",
        "mysql+pymysql://u@h/db",
        "db2://u@h:50000/db",
        "ibm_db_sa://u@h:50000/db",
        "sqlite:///x.db",
    ],
)
def test_the_kernel_opens_database_urls_with_it_and_reads_nothing_yet(kernel, location):
    source = kernel.open_source(location, table="t")
    assert isinstance(source, SqlSource)


@pytest.mark.parametrize(
    ("location", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("mysql://u@h/db", "mysql+pymysql"),
        ("mariadb://u@h/db", "mariadb+pymysql"),
        ("db2://u@h/db", "db2+ibm_db"),
        ("ibm_db_sa://u@h/db", "db2+ibm_db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg2"),
        ("sqlite:///x.db", "sqlite"),
    ],
)
def test_a_bare_scheme_gets_the_driver_of_its_extra_and_a_given_driver_is_kept(location, driver):
    assert open_sql(location, table="t").location.url.drivername == driver


def test_a_missing_driver_is_a_config_error_naming_the_extra(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_psycopg(name, *args, **kwargs):
        if name.split(".")[0] == "psycopg":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_psycopg)
    source = open_sql("postgresql://u@127.0.0.1/db", table="t")
    with pytest.raises(spine.ConfigError, match=r"spine-source-sql\[postgresql\]"):
        source.schema()


def test_the_password_is_a_secret_and_never_shown():
    source = open_sql("postgresql://reader:s3cret-pw@127.0.0.1/db", table="t")
    assert source.secrets() == ["s3cret-pw"]
    assert "s3cret-pw" not in source.describe()
    assert "reader" in source.describe()


def test_a_sqlite_url_without_a_file_is_refused():
    for location in ("sqlite://", "sqlite://name.db", "sqlite:///:memory:"):
        with pytest.raises(spine.ConfigError, match="names no SQLite file"):
            open_sql(location, table="t")


def test_spine_load_copies_a_sqlite_table_and_refuses_a_misspelled_option(spine_cli, tmp_path):
    import sqlite3

    path = tmp_path / "source.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT)")
        connection.execute("INSERT INTO people VALUES (1, 'a'), (2, 'b')")
    connection.close()
    store = f"sqlite:///{tmp_path}/store.db"
    done = spine_cli("load", f"sqlite:///{path}", "-o", "table=people", "--table", "copy", "--store", store)
    assert done.returncode == 0, done.stderr
    wrong = spine_cli("load", f"sqlite:///{path}", "-o", "tabel=people", "--table", "copy", "--store", store)
    assert wrong.returncode == 2
    assert "unknown sql source option 'tabel'; did you mean 'table'?" in wrong.stderr


def test_spine_inspect_lists_a_databases_tables_or_one_table_and_load_says_what_to_read(spine_cli, tmp_path):
    import json
    import sqlite3

    path = tmp_path / "source.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, seen TIMESTAMP)")
        connection.execute("CREATE TABLE places (code TEXT PRIMARY KEY, shape BLOB)")
    connection.close()
    listed = spine_cli("inspect", f"sqlite:///{path}", "--json")
    assert listed.returncode == 0, listed.stderr
    tables = {table["name"]: table for table in json.loads(listed.stdout)}
    assert set(tables) == {"people", "places"}
    assert tables["people"]["columns"] == [
        {"name": "id", "type": "integer"},
        {"name": "name", "type": "string"},
        {"name": "seen", "type": "timestamp"},
    ]
    assert any("'seen'" in warning and "no time zone" in warning for warning in tables["people"]["warnings"])
    assert any("'shape'" in warning for warning in tables["places"]["warnings"])
    one = spine_cli("inspect", f"sqlite:///{path}", "-o", "table=places")
    assert one.stdout.splitlines()[0] == f"sqlite:///{path} table places"
    store = f"sqlite:///{tmp_path}/store.db"
    unnamed = spine_cli("load", f"sqlite:///{path}", "--table", "copy", "--store", store)
    assert unnamed.returncode == 1
    assert "give table= or query=, what to read (spine inspect" in unnamed.stderr
