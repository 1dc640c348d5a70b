"""Options refused before anything is read: unknown or missing ones, queries that are not one SELECT."""

from __future__ import annotations

import pytest
import spine
from spine_source_sql._source import open_sql

URL = "sqlite:///x.db"


def test_an_unknown_option_is_refused_with_the_one_meant():
    with pytest.raises(spine.ConfigError, match=r"unknown sql source option 'tabel'; did you mean 'table'\?"):
        open_sql(URL, tabel="t")


def test_table_and_query_together_are_refused():
    with pytest.raises(spine.ConfigError, match=r"give one of table= or query=, not both"):
        open_sql(URL, table="t", query="SELECT 1")


def test_neither_table_nor_query_opens_for_listing_but_reads_nothing_and_says_writing_is_the_stores_job():
    source = open_sql(URL)  # what spine inspect opens, to list the tables
    with pytest.raises(spine.ConfigError, match=r"give table= or query=.*spine inspect.*use --store"):
        source.schema()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"table": "t", "batch_rows": "0"}, "batch_rows"),
        ({"table": "t", "batch_bytes": "lots"}, "batch_bytes"),
        ({"table": "t", "statement_timeout": "soon"}, "statement_timeout"),
        ({"table": "t", "cursor": "id", "cursor_op": "<"}, "cursor_op"),
        ({"table": "t", "cursor": "id", "cursor_nulls": "maybe"}, "cursor_nulls"),
        ({"table": "t", "cursor_lag": "5m"}, "need cursor="),
        ({"query": "SELECT 1", "columns": "a"}, "columns= goes with table="),
    ],
)
def test_wrong_values_are_refused_naming_the_option(options, message):
    with pytest.raises(spine.ConfigError, match=message):
        open_sql(URL, **options)


def test_options_from_code_and_from_the_command_line_are_the_same():
    given = open_sql(URL, table="t", columns="a, b", statement_timeout="2m", batch_rows="10").options
    assert given == open_sql(URL, table="t", columns=["a", "b"], statement_timeout=120, batch_rows=10).options


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM t; DELETE FROM t",
        "DELETE FROM t",
        "UPDATE t SET a = 1",
        "WITH gone AS (DELETE FROM t RETURNING *) SELECT * FROM gone",
        "SELECT * INTO copy FROM t",
        "SELECT * FROM t FOR UPDATE",
        "INSERT INTO t SELECT 1",
        "CREATE TABLE x AS SELECT 1",
        "select 1; drop table t; --",
    ],
)
def test_a_query_that_is_not_one_select_is_refused_before_it_runs(query):
    with pytest.raises(spine.ConfigError, match="only a single SELECT"):
        open_sql("sqlite:///no/such/file.db", query=query)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM t;",
        "select 'delete; drop' as words, \"update\" from t -- insert\n",
        "WITH recent AS (SELECT * FROM t WHERE at > '2026-01-01') SELECT * FROM recent",
        "SELECT $$ DELETE FROM t; $$ AS text",
        "/* UPDATE */ SELECT replace(name, 'a', 'b') FROM t",
    ],
)
def test_a_select_is_accepted_whatever_its_strings_and_comments_say(query):
    assert open_sql(URL, query=query).query
