"""Every paging strategy, every way paging stops, and pages read one at a time."""

from __future__ import annotations

import pytest
import spine
from spine_source_http._source import open_http

from .http_helpers import (
    endless_pages,
    items,
    link,
    linked_pages,
    offset_api,
    page_api,
    pages_read,
    read,
    rows_of,
)

ITEMS = items(7)


def _offsets(server):
    return [(request.query.get("offset"), request.query.get("limit")) for request in server.requests]


# -- offset and limit ------------------------------------------------------------------------------


def test_offset_paging_stops_at_the_total_given_in_the_record_total_header(server):
    url = server.route("GET", "/items", offset_api(ITEMS, headers={"Record-Total": "7"}))
    result = read(url, paginate="offset", page_size=3)
    assert result.rows == rows_of(ITEMS)
    assert _offsets(server) == [("0", "3"), ("3", "3"), ("6", "3")]


def test_offset_paging_falls_back_to_the_x_total_count_header(server):
    url = server.route("GET", "/items", offset_api(ITEMS, headers={"X-Total-Count": "7"}))
    result = read(url, paginate="offset", page_size="3")
    assert result.rows == rows_of(ITEMS)
    assert _offsets(server) == [("0", "3"), ("3", "3"), ("6", "3")]


def test_total_header_names_the_header_that_holds_the_total(server):
    url = server.route("GET", "/items", offset_api(ITEMS, headers={"X-Count": "4"}))
    result = read(url, paginate="offset", page_size=2, total_header="X-Count")
    assert result.rows == rows_of(ITEMS[:4])  # the API said 4: paging stops there
    assert _offsets(server) == [("0", "2"), ("2", "2")]


def test_offset_paging_reads_the_total_at_a_path_in_the_body(server):
    def envelope(page):
        return {"data": {"items": page}, "meta": {"total": 7}}

    url = server.route("GET", "/items", offset_api(ITEMS, envelope=envelope))
    result = read(url, paginate="offset", page_size=3, records="data.items", total_path="meta.total")
    assert result.rows == rows_of(ITEMS)
    assert _offsets(server) == [("0", "3"), ("3", "3"), ("6", "3")]


@pytest.mark.parametrize(
    ("headers", "offsets"),
    [({}, ["0", "2", "4", "6", "7"]), ({"Record-Total": "7"}, ["0", "2", "4", "6"])],
    ids=["until-an-empty-page", "until-the-total"],
)
def test_a_server_that_silently_returns_fewer_rows_than_asked_loses_none(server, headers, offsets):
    url = server.route("GET", "/items", offset_api(ITEMS, cap=2, headers=headers))
    result = read(url, paginate="offset", page_size=5)
    assert result.rows == rows_of(ITEMS)
    assert [offset for offset, _ in _offsets(server)] == offsets
    assert {limit for _, limit in _offsets(server)} == {"5"}


def test_max_page_size_caps_the_limit_sent(server):
    url = server.route("GET", "/items", offset_api(ITEMS))
    result = read(url, paginate="offset", page_size=1000, max_page_size=3)
    assert result.rows == rows_of(ITEMS)
    assert _offsets(server) == [("0", "3"), ("3", "3"), ("6", "3"), ("7", "3")]


def test_an_offset_past_max_offset_fails_the_read_saying_how_many_records_remain(server):
    records = items(10)
    url = server.route("GET", "/items", offset_api(records, headers={"Record-Total": "10"}))
    with pytest.raises(
        spine.SourceError, match=r"page 2: the API takes offsets up to 5 \(max_offset\) and 4 records"
    ):
        read(url, paginate="offset", page_size=3, max_offset=5)
    assert _offsets(server) == [("0", "3"), ("3", "3")]


def test_offset_paging_stops_on_an_empty_page(server):
    url = server.route("GET", "/items", offset_api(ITEMS[:6]))
    result = read(url, paginate="offset", page_size=3)
    assert result.rows == rows_of(ITEMS[:6])
    assert _offsets(server) == [("0", "3"), ("3", "3"), ("6", "3")]


def test_the_offset_and_limit_parameters_can_be_renamed(server):
    url = server.route("GET", "/items", offset_api(ITEMS[:3], offset_param="skip", limit_param="take"))
    result = read(url, paginate="offset", page_size=2, offset_param="skip", limit_param="take")
    assert result.rows == rows_of(ITEMS[:3])
    assert [request.query for request in server.requests] == [
        {"skip": "0", "take": "2"},
        {"skip": "2", "take": "2"},
        {"skip": "3", "take": "2"},
    ]


def test_the_default_page_size_is_100(server):
    url = server.route("GET", "/items", offset_api(ITEMS))
    assert read(url, paginate="offset").rows == rows_of(ITEMS)
    assert _offsets(server) == [("0", "100"), ("7", "100")]


# -- page numbers ----------------------------------------------------------------------------------


def test_page_paging_sends_the_page_number_and_size_until_an_empty_page(server):
    url = server.route("GET", "/items", page_api(ITEMS))
    result = read(url, paginate="page", page_size=3, page_size_param="per_page")
    assert result.rows == rows_of(ITEMS)
    assert [request.query for request in server.requests] == [
        {"page": str(number), "per_page": "3"} for number in (1, 2, 3, 4)
    ]


def test_page_paging_starts_at_start_page_and_sends_only_the_page_without_a_size_param(server):
    url = server.route("GET", "/items", page_api(ITEMS, page_param="p", size=4, first=0))
    result = read(url, paginate="page", page_param="p", start_page=0)
    assert result.rows == rows_of(ITEMS)
    assert [request.query for request in server.requests] == [{"p": "0"}, {"p": "1"}, {"p": "2"}]


def test_page_paging_stops_at_the_total_pages_at_a_path_in_the_body(server):
    def envelope(page, number):
        return {"meta": {"pages": 3}, "results": page}

    url = server.route("GET", "/items", page_api(ITEMS, envelope=envelope))
    result = read(
        url, paginate="page", page_size=3, page_size_param="per_page", total_pages_path="meta.pages"
    )
    assert result.rows == rows_of(ITEMS)
    assert [request.query["page"] for request in server.requests] == ["1", "2", "3"]


def test_page_paging_stops_at_the_total_given_in_a_header(server):
    def handle(request):
        number = int(request.query["page"])
        return 200, {"X-Total-Count": "7"}, ITEMS[(number - 1) * 3 : number * 3]

    url = server.route("GET", "/items", handle)
    assert read(url, paginate="page").rows == rows_of(ITEMS)
    assert [request.query["page"] for request in server.requests] == ["1", "2", "3"]


def test_http_204_ends_paging(server):
    def handle(request):
        number = int(request.query["page"])
        return (204, {}, None) if number == 3 else (200, {}, ITEMS[(number - 1) * 3 : number * 3])

    url = server.route("GET", "/items", handle)
    result = read(url, paginate="page")
    assert result.rows == rows_of(ITEMS[:6])
    assert [request.query["page"] for request in server.requests] == ["1", "2", "3"]


# -- cursors and next URLs in the body -------------------------------------------------------------


def test_cursor_paging_sends_the_token_of_the_last_answer_until_it_is_missing(server):
    answers = {
        None: {"items": ITEMS[:3], "meta": {"next": "c2"}},
        "c2": {"items": ITEMS[3:6], "meta": {"next": "c3"}},
        "c3": {"items": ITEMS[6:], "meta": {}},
    }
    url = server.route("GET", "/items", lambda request: (200, {}, answers[request.query.get("cursor")]))
    result = read(url, paginate="cursor", cursor_path="meta.next")
    assert result.rows == rows_of(ITEMS)
    assert [request.query.get("cursor") for request in server.requests] == [None, "c2", "c3"]


def test_cursor_paging_stops_on_an_empty_token_and_the_parameter_can_be_renamed(server):
    answers = {
        None: {"items": ITEMS[:3], "next_token": "abc=="},
        "abc==": {"items": ITEMS[3:], "next_token": ""},
    }
    url = server.route("GET", "/items", lambda request: (200, {}, answers[request.query.get("after")]))
    result = read(url, paginate="cursor", cursor_path="next_token", cursor_param="after")
    assert result.rows == rows_of(ITEMS)
    assert [request.query.get("after") for request in server.requests] == [None, "abc=="]


def test_next_url_paging_follows_relative_and_absolute_urls_from_the_body(server):
    def handle(request):
        number = int(request.query.get("page", "1"))
        following = {
            1: "/v1/items?page=2",  # an absolute path
            2: server.to("/v1/items?page=3"),  # an absolute URL
            3: "items?page=4",  # relative to /v1/items
            4: None,
        }[number]
        return 200, {}, {"results": items(2, number * 10), "next": following}

    url = server.route("GET", "/v1/items", handle)
    result = read(url, paginate="next_url")
    assert [row[0] for row in result.rows] == [10, 11, 20, 21, 30, 31, 40, 41]
    assert [request.target for request in server.requests] == [
        "/v1/items",
        "/v1/items?page=2",
        "/v1/items?page=3",
        "/v1/items?page=4",
    ]


def test_next_url_path_says_where_the_next_url_is(server):
    def handle(request):
        if request.query.get("page") == "2":
            return 200, {}, {"data": ITEMS[3:], "links": {"next": ""}}
        return 200, {}, {"data": ITEMS[:3], "links": {"next": server.to("/items?page=2")}}

    url = server.route("GET", "/items", handle)
    result = read(url, paginate="next_url", next_url_path="links.next")
    assert result.rows == rows_of(ITEMS)
    assert len(server.requests) == 2


# -- Link headers ----------------------------------------------------------------------------------


def test_link_headers_are_followed_without_any_option(server):
    def handle(request):
        number = int(request.query.get("page", "1"))
        links = {
            1: f"{link(server.to('/items?page=1'), 'first')}, {link(server.to('/items?page=2'))}, "
            f"{link(server.to('/items?page=3'), 'last')}",
            2: '</items?page=1>; rel="prev", </items?page=3>; rel="next"',  # relative URLs
            3: link(server.to("/items?page=2"), "prev"),
        }[number]
        return 200, {"Link": links}, ITEMS[(number - 1) * 3 : number * 3]

    url = server.route("GET", "/items", handle)
    result = read(url)
    assert result.rows == rows_of(ITEMS)
    assert [request.target for request in server.requests] == ["/items", "/items?page=2", "/items?page=3"]


def test_paginate_link_follows_link_headers_too(server):
    url = linked_pages(server, "/items", [ITEMS[:3], ITEMS[3:6], ITEMS[6:]], relative=True)
    assert read(url, paginate="link").rows == rows_of(ITEMS)
    assert len(server.requests) == 3


def test_without_a_link_header_one_page_is_read(server):
    url = server.route("GET", "/items", lambda request: (200, {}, ITEMS))
    assert read(url).rows == rows_of(ITEMS)
    assert len(server.requests) == 1


def test_paginate_none_makes_one_request_even_with_a_next_link(server):
    url = linked_pages(server, "/items", [ITEMS[:3], ITEMS[3:]])
    assert read(url, paginate="none").rows == rows_of(ITEMS[:3])
    assert len(server.requests) == 1


def test_link_paging_stops_on_an_empty_page(server):
    url = linked_pages(server, "/items", [ITEMS[:3], [], ITEMS[3:]])
    assert read(url).rows == rows_of(ITEMS[:3])
    assert len(server.requests) == 2


# -- max_pages -------------------------------------------------------------------------------------


def test_max_pages_stops_paging_and_leaves_a_reject_saying_that_pages_were_left(server):
    url = endless_pages(server, "/items", per_page=4)
    result = read(url, max_pages=5)
    assert result.rows == rows_of(items(20))
    assert len(server.requests) == 5
    (reject,) = result.rejects
    assert "max_pages" in reject.reason
    assert list(result.batches[-1].rejects) == [reject], "the last batch carries it"


def test_a_load_that_reaches_max_pages_ends_partial_with_what_it_read(kernel, server):
    url = endless_pages(server, "/items", per_page=4)
    result = kernel.load(url, "items", options={"max_pages": "5"})
    assert result.status == "partial"
    assert (result.counts.rows_written, result.counts.rows_rejected) == (20, 1)
    (reject,) = kernel.runlog().rejects(result.run_id)
    assert "max_pages" in reject.reason


# -- paging parameters in a JSON body --------------------------------------------------------------


def _body_offsets(request):
    offset, limit = int(request.body["offset"]), int(request.body["limit"])
    return 200, {}, ITEMS[offset : offset + limit]


def test_page_in_body_puts_the_paging_parameters_in_the_json_body(server):
    url = server.route("POST", "/search", _body_offsets)
    body = {"filter": {"status": "open"}}
    result = read(url, body=body, paginate="offset", page_size=3, page_in="body")
    assert result.rows == rows_of(ITEMS)
    assert [request.method for request in server.requests] == ["POST"] * 4
    assert [request.query for request in server.requests] == [{}] * 4
    assert [request.body["filter"] for request in server.requests] == [{"status": "open"}] * 4
    assert [int(request.body["offset"]) for request in server.requests] == [0, 3, 6, 7]
    assert body == {"filter": {"status": "open"}}, "the caller's body is left as it was"


def test_page_in_query_keeps_the_paging_parameters_in_the_query_of_a_post(server):
    def handle(request):
        assert request.body == {"filter": {"status": "open"}}
        offset, limit = int(request.query["offset"]), int(request.query["limit"])
        return 200, {}, ITEMS[offset : offset + limit]

    url = server.route("POST", "/search", handle)
    result = read(url, body='{"filter": {"status": "open"}}', paginate="offset", page_size=4, page_in="query")
    assert result.rows == rows_of(ITEMS)
    assert [request.query["offset"] for request in server.requests] == ["0", "4", "7"]


# -- streaming and positions -----------------------------------------------------------------------


def test_pages_are_fetched_one_at_a_time_as_batches_are_taken(server):
    url = endless_pages(server, "/items", per_page=3)
    with open_http(url, max_pages=50) as source:
        source.schema()
        batches = source.batches(1000)
        first = next(batches)
        assert first.rows == rows_of(items(3))
        assert len(server.requests) == 1
        second = next(batches)
        assert second.rows == rows_of(items(3, 4))
        assert len(server.requests) == 2


def test_each_batch_names_its_page_and_each_row_its_index_in_the_page(server):
    url = linked_pages(server, "/items", [ITEMS[:3], ITEMS[3:5], ITEMS[5:]])
    result = read(url)
    assert pages_read(result) == [("page 1", [1, 2, 3]), ("page 2", [1, 2]), ("page 3", [1, 2])]
    assert all(batch.origin.startswith(url) for batch in result.batches)


def test_batches_smaller_than_a_page_keep_the_index_in_the_page(server):
    url = linked_pages(server, "/items", [ITEMS[:5], ITEMS[5:]])
    result = read(url, batch_size=2)
    assert result.rows == rows_of(ITEMS)
    assert pages_read(result) == [
        ("page 1", [1, 2]),
        ("page 1", [3, 4]),
        ("page 1", [5]),
        ("page 2", [1, 2]),
    ]
