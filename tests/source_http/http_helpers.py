"""Helpers for the http source tests: records to serve, paged APIs, and reading a source to the end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import spine
from spine.testing import HttpRequest, HttpServer, Reply, SourceRead, read_source
from spine_source_http._source import open_http


def items(count: int, start: int = 1) -> list[dict[str, Any]]:
    """Records ``{"id": n, "name": "item n"}``."""
    return [{"id": n, "name": f"item {n}"} for n in range(start, start + count)]


def rows_of(records: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The rows the source should make of `items` records."""
    return [(record["id"], record["name"]) for record in records]


def link(url: str, rel: str = "next") -> str:
    return f'<{url}>; rel="{rel}"'


def linked_pages(
    server: HttpServer,
    path: str,
    pages: list[Any],
    *,
    relative: bool = False,
    headers: dict[str, Any] | None = None,
) -> str:
    """Serve `pages` at `path`: page N (query ``page``, default 1) links to page N+1 with a
    ``Link: <...>; rel="next"`` header (a relative URL with `relative`). Returns the URL."""

    def handle(request: HttpRequest) -> Reply:
        number = int(request.query.get("page", "1"))
        answer = dict(headers or {})
        if number < len(pages):
            target = f"{path}?page={number + 1}"
            answer["Link"] = link(target if relative else server.to(target))
        return 200, answer, pages[number - 1]

    return server.route("GET", path, handle)


def endless_pages(server: HttpServer, path: str, per_page: int) -> str:
    """Pages linked to a next page forever; page N holds ids (N-1)*per_page+1 onwards."""

    def handle(request: HttpRequest) -> Reply:
        number = int(request.query.get("page", "1"))
        next_url = server.to(f"{path}?page={number + 1}")
        return 200, {"Link": link(next_url)}, items(per_page, (number - 1) * per_page + 1)

    return server.route("GET", path, handle)


def offset_api(
    records: list[dict[str, Any]],
    *,
    cap: int | None = None,
    headers: dict[str, Any] | None = None,
    envelope: Callable[[list[dict[str, Any]]], Any] | None = None,
    offset_param: str = "offset",
    limit_param: str = "limit",
) -> Callable[[HttpRequest], Reply]:
    """A route answering ``offset``/``limit`` from the query; at most `cap` records when given."""

    def handle(request: HttpRequest) -> Reply:
        offset = int(request.query[offset_param])
        limit = int(request.query[limit_param])
        page = records[offset : offset + min(limit, cap or limit)]
        return 200, dict(headers or {}), page if envelope is None else envelope(page)

    return handle


def page_api(
    records: list[dict[str, Any]],
    *,
    page_param: str = "page",
    size_param: str = "per_page",
    size: int = 3,
    first: int = 1,
    envelope: Callable[[list[dict[str, Any]], int], Any] | None = None,
) -> Callable[[HttpRequest], Reply]:
    """A route answering page numbers (``first`` is the first page); the size from the query or `size`."""

    def handle(request: HttpRequest) -> Reply:
        number = int(request.query[page_param]) - first
        per_page = int(request.query.get(size_param, size))
        page = records[number * per_page : (number + 1) * per_page]
        return 200, {}, page if envelope is None else envelope(page, number)

    return handle


def read(url: str, *, batch_size: int = 1000, **options: Any) -> SourceRead:
    """Everything the http source yields for `url`, batches flattened."""
    return read_source(open_http(url, **options), batch_size)


def types(schema: spine.Schema) -> dict[str, str]:
    return {field.name: field.type for field in schema.fields}


def pages_read(result: SourceRead) -> list[tuple[str, list[int]]]:
    """(the end of each batch's origin from 'page', its positions) for batches holding rows."""
    return [
        (batch.origin[batch.origin.rfind("page") :], batch.positions)
        for batch in result.batches
        if batch.rows
    ]
