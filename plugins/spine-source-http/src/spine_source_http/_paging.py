"""How to ask for the next page: one strategy for each value of the `paginate` option."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import httpx
import spine

from ._options import HttpOptions

DEFAULT_TOTAL_HEADERS = ("Record-Total", "X-Total-Count")


@dataclass(frozen=True)
class PageRequest:
    """What to ask for: a URL, its query parameters and a JSON body (or None)."""

    url: httpx.URL
    params: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None

    def setting(self, options: HttpOptions, name: str, value: Any) -> PageRequest:
        """This request with `name` (a dotted path in a body) set to `value`, where paging values go."""
        if options.page_in == "body":
            return replace(self, body=set_at(self.body or {}, name, value))
        return replace(self, params={**self.params, name: str(value)})


class Page(NamedTuple):
    """A page as read: its number (from 1), the answer, its JSON document without the
    records (None for an array or a text format) and how many records it held."""

    number: int
    request: PageRequest
    response: httpx.Response
    document: Any
    held: int  # records, readable or not


class Paging(ABC):
    def __init__(self, options: HttpOptions) -> None:
        self.options = options

    def first(self, request: PageRequest) -> PageRequest:
        return request

    @abstractmethod
    def next(self, page: Page) -> PageRequest | None:
        """The request for the page after `page`, or None when there is none."""

    def asks_for(self, request: PageRequest, url: str) -> str:
        """What `request` asks for, as an error about a request made twice says it; `url`
        is its URL as shown (secrets masked)."""
        return f"the next page's URL {url}"

    def total(self, page: Page, where: str) -> int | None:
        """The number of records the API says it holds, from the body or a header."""
        if self.options.total_path:
            found = value_at(page.document, self.options.total_path)
            text = None if found is None else str(found)
            source = f"{self.options.total_path!r} in the answer"
        else:
            names = (self.options.total_header,) if self.options.total_header else DEFAULT_TOTAL_HEADERS
            name = next((name for name in names if name in page.response.headers), None)
            text = None if name is None else page.response.headers[name]
            source = f"header {name}"
        if text is None:
            return None
        try:
            return int(text)
        except ValueError:
            raise spine.SourceError(f"{where}: {source} is {text!r}, not a whole number of records") from None


class _Single(Paging):
    def next(self, page: Page) -> PageRequest | None:
        return None


class _Link(Paging):
    """RFC 8288: ``Link: <https://...?page=2>; rel="next"``."""

    def next(self, page: Page) -> PageRequest | None:
        target = page.response.links.get("next", {}).get("url")
        return PageRequest(page.response.url.join(target), {}, page.request.body) if target else None


class _NextUrl(Paging):
    def next(self, page: Page) -> PageRequest | None:
        target = value_at(page.document, self.options.next_url_path)
        if not isinstance(target, str) or not target:
            return None
        return PageRequest(page.response.url.join(target), {}, page.request.body)


class _Offset(Paging):
    """Offset and limit. The next offset adds the records received, not the limit asked
    for: a server that silently sends fewer than asked loses nothing."""

    def first(self, request: PageRequest) -> PageRequest:
        self.offset = 0
        return self._at(request)

    def next(self, page: Page) -> PageRequest | None:
        self.offset += page.held
        total = self.total(page, f"page {page.number}")
        if total is not None and self.offset >= total:
            return None
        limit = self.options.max_offset
        if limit is not None and self.offset > limit:
            left = "more records remain" if total is None else f"{total - self.offset:,} records remain"
            raise spine.SourceError(
                f"page {page.number}: the API takes offsets up to {limit:,} (max_offset) and {left}; "
                "narrow the request"
            )
        return self._at(page.request)

    def _at(self, request: PageRequest) -> PageRequest:
        request = request.setting(self.options, self.options.offset_param, self.offset)
        return request.setting(self.options, self.options.limit_param, self.options.limit)


class _PageNumber(Paging):
    def first(self, request: PageRequest) -> PageRequest:
        self.page, self.seen = self.options.start_page, 0
        if self.options.page_size_param:
            request = request.setting(self.options, self.options.page_size_param, self.options.limit)
        return request.setting(self.options, self.options.page_param, self.page)

    def next(self, page: Page) -> PageRequest | None:
        self.seen += page.held
        if self.options.total_pages_path:
            pages = value_at(page.document, self.options.total_pages_path)
            if isinstance(pages, int) and page.number >= pages:
                return None
        total = self.total(page, f"page {page.number}")
        if total is not None and self.seen >= total:
            return None
        self.page += 1
        return page.request.setting(self.options, self.options.page_param, self.page)


class _Cursor(Paging):
    def next(self, page: Page) -> PageRequest | None:
        assert self.options.cursor_path, "checked by HttpOptions"
        cursor = value_at(page.document, self.options.cursor_path)
        if cursor is None or cursor == "":
            return None
        return page.request.setting(self.options, self.options.cursor_param, cursor)

    def asks_for(self, request: PageRequest, url: str) -> str:
        name = self.options.cursor_param
        cursor = value_at(request.body, name) if self.options.page_in == "body" else request.params.get(name)
        return f"the cursor {cursor!r} (from {self.options.cursor_path!r})"


_STRATEGIES: dict[str, type[Paging]] = {
    "auto": _Link,
    "link": _Link,
    "next_url": _NextUrl,
    "offset": _Offset,
    "page": _PageNumber,
    "cursor": _Cursor,
    "none": _Single,
}


def paging(options: HttpOptions) -> Paging:
    return _STRATEGIES[options.paginate](options)


def value_at(document: Any, path: str) -> Any:
    """The value at a dotted path (``data.items``) of a JSON document, None when absent."""
    for name in path.split("."):
        if not isinstance(document, dict):
            return None
        document = document.get(name)
    return document


def set_at(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `document` with the dotted `path` set to `value`."""
    head, _, rest = path.partition(".")
    inner = document.get(head)
    return {
        **document,
        head: set_at(inner if isinstance(inner, dict) else {}, rest, value) if rest else value,
    }
