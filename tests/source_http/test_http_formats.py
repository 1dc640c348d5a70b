"""What an answer may hold (JSON at a path, arrays, JSON Lines, CSV, PSV, TSV), how records become
typed rows, what becomes a reject, and what every request says about itself."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from importlib.metadata import version

import pytest
import spine
from spine_source_http._source import open_http

from .http_helpers import items, linked_pages, pages_read, read, rows_of, types

ITEMS = items(3)
CSV = {"Content-Type": "text/csv; charset=utf-8"}


# -- where the records are -------------------------------------------------------------------------


def test_records_names_the_dotted_path_to_the_list(server):
    body = {"status": "ok", "data": {"count": 3, "items": ITEMS, "more": [{"other": 1}]}}
    url = server.route("GET", "/items", lambda request: (200, {}, body))
    result = read(url, records="data.items")
    assert result.schema.names == ["id", "name"]
    assert result.rows == rows_of(ITEMS)


def test_a_top_level_array_needs_no_option(server):
    url = server.route("GET", "/items", lambda request: (200, {}, ITEMS))
    assert read(url).rows == rows_of(ITEMS)


def test_the_one_member_that_is_an_array_of_objects_is_found_without_records(server):
    body = {"meta": {"page": 1}, "warnings": ["slow query"], "count": 3, "results": ITEMS}
    url = server.route("GET", "/items", lambda request: (200, {}, body))
    assert read(url).rows == rows_of(ITEMS)


def test_an_object_with_two_arrays_of_objects_is_a_source_error_asking_for_records(server):
    body = {"results": ITEMS, "included": [{"type": "user", "id": 9}]}
    url = server.route("GET", "/items", lambda request: (200, {}, body))
    with pytest.raises(spine.SourceError, match="records"):
        read(url)


def test_a_records_path_that_is_not_in_the_answer_is_a_source_error(server):
    url = server.route("GET", "/items", lambda request: (200, {}, {"data": {"rows": ITEMS}}))
    with pytest.raises(spine.SourceError, match=r"data\.items"):
        read(url, records="data.items")


# -- formats ---------------------------------------------------------------------------------------


def _jsonl(records):
    return "".join(json.dumps(record) + "\n" for record in records)


def test_json_lines_with_format_jsonl(server):
    url = server.route("GET", "/items", lambda request: (200, {"Content-Type": "text/plain"}, _jsonl(ITEMS)))
    assert read(url, format="jsonl").rows == rows_of(ITEMS)


def test_json_lines_are_recognised_by_their_content_type(server):
    url = linked_pages(
        server,
        "/items",
        [_jsonl(ITEMS[:2]), _jsonl(ITEMS[2:])],
        headers={"Content-Type": "application/x-ndjson"},
    )
    result = read(url)
    assert result.rows == rows_of(ITEMS)
    assert pages_read(result) == [("page 1", [1, 2]), ("page 2", [1])]


def test_a_json_line_that_does_not_parse_is_a_reject_naming_the_page_and_the_line(server):
    text = '{"id": 3, "name": "item 3"}\n{"id": 4, "name": \n{"id": 5, "name": "item 5"}\n'
    url = linked_pages(
        server, "/items", [_jsonl(ITEMS[:2]), text], headers={"Content-Type": "application/x-ndjson"}
    )
    result = read(url)
    assert result.rows == [*rows_of(ITEMS[:2]), (3, "item 3"), (5, "item 5")]
    (reject,) = result.rejects
    assert reject.origin.endswith("page 2")
    assert (reject.position, reject.raw) == (2, '{"id": 4, "name": ')
    assert pages_read(result) == [("page 1", [1, 2]), ("page 2", [1, 3])]


def test_json_is_recognised_by_its_first_character_without_a_content_type(server):
    url = server.route("GET", "/items", lambda request: (200, {}, json.dumps(ITEMS).encode()))
    assert read(url).rows == rows_of(ITEMS)


def test_csv_is_recognised_by_its_content_type_and_paged_with_link_headers(server):
    pages = ["Id,Name\n1,item 1\n2,item 2\n", "Id,Name\n3,item 3\n"]
    url = linked_pages(server, "/items.csv", pages, headers=CSV)
    result = read(url)
    assert types(result.schema) == {"id": "integer", "name": "string"}
    assert result.rows == rows_of(ITEMS)
    assert pages_read(result) == [("page 1", [1, 2]), ("page 2", [1])]


def test_csv_with_a_delimiter(server):
    text = 'id;name\n1;"item 1"\n2;item 2\n3;item 3\n'
    url = server.route("GET", "/items", lambda request: (200, {"Content-Type": "text/plain"}, text))
    assert read(url, format="csv", delimiter=";").rows == rows_of(ITEMS)


def test_pipe_delimited_text_with_format_psv(server):
    text = 'id|name|note\n1|item 1|a, b\n2|item 2|\n3|item 3|"quoted"\n'
    url = server.route("GET", "/items", lambda request: (200, {"Content-Type": "text/plain"}, text))
    result = read(url, format="psv")
    assert result.rows == [(1, "item 1", "a, b"), (2, "item 2", ""), (3, "item 3", '"quoted"')]


def test_tab_separated_text_with_format_tsv(server):
    text = "id\tname\n1\titem 1\n2\titem 2\n3\titem 3\n"
    url = server.route("GET", "/items", lambda request: (200, {"Content-Type": "text/plain"}, text))
    assert read(url, format="tsv").rows == rows_of(ITEMS)


# -- records to rows -------------------------------------------------------------------------------


def test_keys_are_normalised_and_nested_values_become_json_text(server):
    body = [
        {"tradeDate": "2026-11-16", "Trade ID": 1, "tags": ["a", "b"], "extra": {"venue": "XNAS", "n": 2}},
        {"tradeDate": "2026-11-17", "Trade ID": 2, "tags": [], "extra": None},
    ]
    url = server.route("GET", "/trades", lambda request: (200, {}, body))
    result = read(url)
    assert result.schema.names == ["trade_date", "trade_id", "tags", "extra"]
    first, second = result.rows
    assert first[:2] == (date(2026, 11, 16), 1)
    assert json.loads(first[2]) == ["a", "b"]
    assert json.loads(first[3]) == {"venue": "XNAS", "n": 2}
    assert (json.loads(second[2]), second[3]) == ([], None)


def test_types_are_inferred_from_the_first_page(server):
    body = [
        {"id": 1, "symbol": "AAPL", "price": 10.25, "day": "2026-11-16", "active": True},
        {"id": 2, "symbol": "BRK.B", "price": 0.5, "day": "2026-11-17", "active": False},
    ]
    url = server.route("GET", "/trades", lambda request: (200, {}, body))
    result = read(url)
    assert types(result.schema) == {
        "id": "integer",
        "symbol": "string",
        "price": "decimal",
        "day": "date",
        "active": "boolean",
    }
    assert result.rows[0] == (1, "AAPL", Decimal("10.25"), date(2026, 11, 16), True)


@pytest.mark.parametrize("given", ["id:string, price:decimal", {"id": "string", "price": "decimal"}])
def test_the_types_option_sets_column_types(server, given):
    body = [{"id": 1, "price": "10.25"}, {"id": 2, "price": 3}]
    url = server.route("GET", "/trades", lambda request: (200, {}, body))
    result = read(url, types=given)
    assert types(result.schema) == {"id": "string", "price": "decimal"}
    assert result.rows == [("1", Decimal("10.25")), ("2", Decimal("3"))]


def test_the_target_tables_types_are_used_unless_types_says_otherwise(server):
    body = [{"id": 1, "code": 7, "price": "10.25"}]
    url = server.route("GET", "/trades", lambda request: (200, {}, body))
    with open_http(url, types="code:integer") as source:
        source.prefer_types({"id": "string", "code": "string", "price": "decimal"})
        schema = source.schema()
        rows = [row for batch in source.batches() for row in batch.rows]
    assert types(schema) == {"id": "string", "code": "integer", "price": "decimal"}
    assert rows == [("1", 7, Decimal("10.25"))]


def test_a_value_that_does_not_fit_its_type_is_a_reject_naming_the_page_and_the_record(server):
    pages = [
        [{"id": 1, "amount": "1.5"}, {"id": 2, "amount": "2"}],
        [{"id": 3, "amount": "3"}, {"id": 4, "amount": "lots"}, {"id": 5, "amount": "5"}],
    ]
    url = linked_pages(server, "/items", pages)
    result = read(url, types="amount:decimal")
    assert [row[0] for row in result.rows] == [1, 2, 3, 5]
    (reject,) = result.rejects
    assert reject.origin.startswith(url) and reject.origin.endswith("page 2")
    assert reject.position == 2
    assert "amount" in reject.reason
    assert "lots" in reject.raw
    assert pages_read(result) == [("page 1", [1, 2]), ("page 2", [1, 3])]


def test_a_value_that_does_not_fit_the_inferred_type_is_a_reject(server):
    pages = [[{"id": 1, "name": "a"}], [{"id": "seven", "name": "b"}, {"id": 8, "name": "c"}]]
    url = linked_pages(server, "/items", pages)
    result = read(url)
    assert result.rows == [(1, "a"), (8, "c")]
    (reject,) = result.rejects
    assert (reject.origin[-6:], reject.position) == ("page 2", 1)
    assert "id" in reject.reason


def test_a_key_the_first_page_did_not_have_is_a_reject(server):
    pages = [ITEMS[:2], [{"id": 3, "name": "item 3", "colour": "red"}, {"id": 4, "name": "item 4"}]]
    url = linked_pages(server, "/items", pages)
    result = read(url)
    assert result.rows == [*rows_of(ITEMS[:2]), (4, "item 4")]
    (reject,) = result.rejects
    assert (reject.origin[-6:], reject.position) == ("page 2", 1)
    assert "colour" in reject.reason


def test_a_missing_key_reads_as_null_while_an_unknown_one_on_the_same_page_is_a_reject(server):
    # One record short of a key and one with a key too many: as many keys in all as if none were.
    pages = [
        ITEMS[:2],
        [{"id": 3}, {"id": 4, "name": "item 4", "colour": "red"}, {"id": 5, "name": "item 5"}],
    ]
    result = read(linked_pages(server, "/items", pages))
    assert result.rows == [*rows_of(ITEMS[:2]), (3, None), (5, "item 5")]
    (reject,) = result.rejects
    assert (reject.position, "colour" in reject.reason) == (2, True)


def test_json_numbers_keep_every_digit(server):
    body = (
        '[{"id": 9223372036854775807, "big": 12345678901234567890123,'
        ' "amount": 12345678901234567890.123456789012, "tiny": 1e-30}]'
    )
    url = server.route("GET", "/items", lambda request: (200, {"Content-Type": "application/json"}, body))
    result = read(url)
    # An integer a bigint cannot hold is read as a decimal, whole.
    assert types(result.schema) == {"id": "integer", "big": "decimal", "amount": "decimal", "tiny": "decimal"}
    assert result.rows == [
        (
            9223372036854775807,
            Decimal("12345678901234567890123"),
            Decimal("12345678901234567890.123456789012"),
            Decimal("1E-30"),
        )
    ]


def test_types_are_inferred_from_the_first_1000_records_and_a_later_misfit_is_a_reject(server):
    records = [{"id": n, "code": str(n)} for n in range(1, 1002)] + [{"id": 1002, "code": "X-1002"}]
    url = server.route("GET", "/items", lambda request: (200, {}, records))
    result = read(url)
    assert types(result.schema) == {"id": "integer", "code": "integer"}
    assert len(result.rows) == 1001
    (reject,) = result.rejects
    assert (reject.position, "X-1002" in reject.raw) == (1002, True)


def test_a_column_that_falls_back_to_text_is_a_warning_naming_the_record(server):
    body = [{"id": n, "qty": n * 10, "zip": z} for n, z in enumerate(["10001", "02134", "94105", "60601"], 1)]
    body[2]["qty"] = "ten"
    url = server.route("GET", "/items", lambda request: (200, {}, body))
    with open_http(url) as source:
        assert source.warnings() == []  # nothing decided before the schema
        assert types(source.schema()) == {"id": "integer", "qty": "string", "zip": "string"}
        found = source.warnings()
        rows = [row for batch in source.batches() for row in batch.rows]
    assert [row[1:] for row in rows] == [("10", "10001"), ("20", "02134"), ("ten", "94105"), ("40", "60601")]
    assert found == [
        "column qty is read as string: of the 4 values sampled, 1 does not read as an integer "
        "('ten' on record 3 of page 1); declare the type with the types option (-o types=qty:integer) "
        "to reject such values instead",
        "column zip is read as string: of the 4 values sampled, 1 has a leading zero that an integer "
        "would drop ('02134' on record 2 of page 1); declare the type with the types option "
        "(-o types=zip:integer) only if they are numbers: the leading zeros are then dropped",
    ]


def test_csv_answers_warn_the_same_way_and_declared_types_do_not(server):
    text = "day,n\n2026-01-01,1\n2026-01-02,2\n2026-13-01,3\n"
    url = server.route("GET", "/items", lambda request: (200, CSV, text))
    with open_http(url) as source:
        assert types(source.schema()) == {"day": "string", "n": "integer"}
        (warning,) = source.warnings()
    assert "1 does not read as a date (YYYY-MM-DD) ('2026-13-01' on record 3 of page 1)" in warning
    with open_http(url, types="day:date") as source:
        source.schema()
        assert source.warnings() == []
        rejects = [reject for batch in source.batches() for reject in batch.rejects]
    assert [(reject.position, reject.raw) for reject in rejects] == [(3, "2026-13-01,3")]


def test_records_left_out_of_inference_keep_their_place_in_the_warning(server):
    text = "id,name\n1,a\n2,b,extra\n3,c\nx,d\n5,e\n6,f\n"  # record 2 is one field too long
    url = server.route("GET", "/items", lambda request: (200, CSV, text))
    with open_http(url) as source:
        source.schema()
        (warning,) = source.warnings()
    assert "of the 5 values sampled, 1 does not read as an integer ('x' on record 4 of page 1)" in warning


def test_a_later_value_an_inferred_number_would_change_is_a_reject(server):
    pages = [
        [{"id": 1, "zip": "10001"}, {"id": 2, "zip": "94105"}],
        [{"id": 3, "zip": "02134"}, {"id": 4, "zip": 60601}],
    ]
    result = read(linked_pages(server, "/items", pages))
    assert types(result.schema) == {"id": "integer", "zip": "integer"}
    assert result.rows == [(1, 10001), (2, 94105), (4, 60601)]
    (reject,) = result.rejects
    assert (reject.origin[-6:], reject.position) == ("page 2", 1)
    assert reject.reason.startswith(
        "column zip: expected an integer, got '02134', whose leading zero it would drop"
    )


def test_later_csv_pages_may_repeat_the_header_or_leave_it_out(server):
    pages = ["id,name\n1,item 1\n", "id,name\n2,item 2\n", "3,item 3\n"]
    url = server.route("GET", "/items", _csv_pages(server, pages))
    result = read(url)
    assert result.rows == rows_of(ITEMS)
    assert result.positions == [1, 1, 1]


def test_types_naming_a_column_the_csv_header_lacks_is_a_config_error(server):
    url = server.route("GET", "/items", lambda request: (200, {"Content-Type": "text/csv"}, "id,name\n1,a\n"))
    with pytest.raises(spine.ConfigError, match="no column named colour; the header has id, name"):
        read(url, types="colour:string")


def _csv_pages(server, pages):
    def handle(request):
        number = int(request.query.get("page", 1))
        more = {"Link": f'</items?page={number + 1}>; rel="next"'} if number < len(pages) else {}
        return 200, {"Content-Type": "text/csv", **more}, pages[number - 1]

    return handle


def test_a_csv_row_with_too_many_or_too_few_fields_is_a_reject(server):
    text = "id,name\n1,item 1\n2,item 2,extra\n3\n4,item 4\n"
    url = server.route("GET", "/items", lambda request: (200, {"Content-Type": "text/csv"}, text))
    result = read(url)
    assert result.rows == [(1, "item 1"), (4, "item 4")]
    assert [(reject.position, reject.raw, reject.reason) for reject in result.rejects] == [
        (2, "2,item 2,extra", "expected 2 fields, found 3"),
        (3, "3", "expected 2 fields, found 1"),
    ]


def test_a_key_declared_in_types_is_read_although_the_first_page_did_not_have_it(server):
    pages = [ITEMS[:2], [{"id": 3, "name": "item 3", "colour": "red"}]]
    url = linked_pages(server, "/items", pages)
    result = read(url, types="colour:string")
    assert result.rejects == []
    colour = result.schema.index("colour")
    assert [row[colour] for row in result.rows] == [None, None, "red"]


# -- what every request says -----------------------------------------------------------------------


def test_every_request_names_spine_and_the_source_in_its_user_agent(server):
    url = linked_pages(server, "/items", [ITEMS[:2], ITEMS[2:]])
    read(url)
    expected = f"spine/{spine.__version__} spine-source-http/{version('spine-source-http')}"
    assert [request.headers.get("user-agent") for request in server.requests] == [expected] * 2


def test_accept_names_the_formats_read_or_only_the_chosen_one(server):
    url = server.route("GET", "/items", lambda request: (200, CSV, "id,name\n1,item 1\n"))
    read(url)
    assert "application/json" in server.requests[-1].headers["accept"]
    read(url, format="csv")
    accept = server.requests[-1].headers["accept"]
    assert "text/csv" in accept
    assert "json" not in accept
