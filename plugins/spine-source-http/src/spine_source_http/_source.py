"""The http source: pages fetched one at a time, their records typed and cut into batches."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Mapping
from datetime import date
from functools import partial
from itertools import chain
from typing import Any, NamedTuple

import httpx
import spine

from ._answer import ACCEPT, PageReader, Records, joined, no_records
from ._auth import sent_secrets
from ._fetch import Fetcher
from ._hosts import CredentialGuard
from ._options import HttpOptions, parse_options
from ._paging import Page, PageRequest, paging, set_at
from ._rows import INFER_ROWS, RowMaker
from ._watch import Watchdog


def open_http(location: str, **options: Any) -> HttpSource:
    """The factory registered as the ``http`` source: options are validated, nothing is fetched yet."""
    return HttpSource(location, parse_options(options))


class _PageRead(NamedTuple):
    """A page being read: its number (from 1) and its records, in blocks as they arrive."""

    number: int
    blocks: Iterator[Records]


class HttpSource(spine.Source):
    """Records of a REST API, page by page; see the plugin's README for the options."""

    def __init__(self, location: str, options: HttpOptions) -> None:
        self._secrets = sent_secrets(options)
        self.redactor = spine.Redactor(self._secrets)
        self.shown = self.redactor.text(location)
        try:
            url = httpx.URL(location)
            if url.port is not None and not 0 < url.port < 65536:  # httpx leaves this to connect
                raise httpx.InvalidURL(f"port {url.port} is out of range")
        except httpx.InvalidURL as exc:  # a port that is no number, say: the user's to fix
            raise spine.ConfigError(f"http source: {self.shown!r} is not a URL ({exc})") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise spine.ConfigError(f"http source: expected an http:// or https:// URL, got {self.shown!r}")
        self.url = url
        self.options = options
        self._since = options.since_initial
        self._preferred: Mapping[str, str] = {}
        self._maker: RowMaker | None = None  # made from the first page, by schema()
        self._marked: int | None = None  # the column of incremental_field
        self._pages: Iterator[_PageRead] | None = None
        self._first: _PageRead | None = None
        self._watch: Watchdog | None = None  # the deadlines of the read under way
        self._client: httpx.Client | None = None
        self._stopped_at: int | None = None  # the page max_pages stopped at, when there were more
        self._highest: Any = None
        self._masking = spine.RedactingFilter(self.redactor)
        self._hops: list[httpx.URL] = []  # where the request being sent went, redirects followed
        self._guard = CredentialGuard(url, options, self._secrets, self.shown)

    # -- spine.Source --------------------------------------------------------------------

    def schema(self) -> spine.Schema:
        if self._maker is None:
            self._pages = self._fetch_pages()
            self._first = next(self._pages, None)
            records = no_records()
            if self._first is not None:  # the columns are the first records' keys (or header)
                records, rest = _head(self._first.blocks, INFER_ROWS)
                self._first = self._first._replace(blocks=chain([records], rest))
            self._maker = RowMaker(records, self.options.types, self._preferred, self._where(1))
            field = self.options.incremental_field
            self._marked = None if field is None else self._maker.column_of(field)
        return self._maker.schema

    def batches(self, batch_size: int = spine.DEFAULT_BATCH_SIZE) -> Iterator[spine.Batch]:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise spine.ConfigError(f"batch size: expected a whole number >= 1, got {batch_size!r}")
        self.schema()
        pages, first, self._pages, self._first = self._pages, self._first, None, None
        if pages is None:  # a second reading fetches again
            pages = self._fetch_pages()
            first = next(pages, None)
        if first is None:
            return
        yield from self._page_batches(first, batch_size)
        for page in pages:
            yield from self._page_batches(page, batch_size)
        if self._stopped_at is not None:
            reason = (
                f"stopped after max_pages={self.options.max_pages}: the API had more pages; "
                "raise max_pages or narrow the request"
            )
            where = self._where(self._stopped_at)
            yield spine.Batch([], [], where, [spine.Reject(where, None, "", reason)])

    def prefer_types(self, types: Mapping[str, str]) -> None:
        self._preferred = types

    def warnings(self) -> list[str]:
        return [] if self._maker is None else list(self._maker.warnings)

    def describe(self) -> str:
        return f"{self.shown} ({self.options.paginate} paging, {self.options.format} format)"

    def secrets(self) -> list[str]:
        return list(self._secrets)

    def state_key(self) -> str | None:
        field = self.options.incremental_field
        return None if field is None else f"http:{self.url.host}{self.url.path}:{field}"

    def resume(self, saved: str | None) -> None:
        self._since = saved if saved is not None else self.options.since_initial

    def checkpoint(self) -> str | None:
        highest = self._highest
        if highest is None:
            return None
        return highest.isoformat() if isinstance(highest, date) else str(highest)

    def close(self) -> None:
        self._pages = self._first = None
        if self._watch is not None:
            self._watch.close()
        if self._client is not None:
            self._client.close()
            self._client = None
            _HTTPX_LOG.removeFilter(self._masking)

    # -- fetching ------------------------------------------------------------------------

    def _fetch_pages(self) -> Iterator[_PageRead]:
        """Each page, fetched when the one before has been read to its end."""
        options = self.options
        if self._client is None:
            _HTTPX_LOG.addFilter(self._masking)
            self._client = httpx.Client(
                timeout=options.timeout,
                verify=options.verify,
                follow_redirects=True,
                headers={
                    "User-Agent": spine.user_agent("spine-source-http"),
                    "Accept": ACCEPT[options.format],
                    **options.headers,
                },
                event_hooks={"request": [self._guard.keep_credentials_home, self._hop, self._traced]},
            )
        self._stopped_at = None
        self._watch = watch = Watchdog(options.request_deadline, options.run_deadline)
        try:
            fetcher = Fetcher(options, self._client, self.redactor, self._hops, watch, self._fetched_secret)
            yield from self._pages_read(fetcher)
        finally:
            watch.close()

    def _fetched_secret(self, secret: str) -> None:
        """A secret obtained while reading (an OAuth2 token): masked in this source's messages
        at once, and by the kernel, which asks `secrets` again as batches arrive."""
        self.redactor.add(secret)
        self._secrets.append(secret)

    def _pages_read(self, fetcher: Fetcher) -> Iterator[_PageRead]:
        options = self.options
        assert self._client is not None, "made by _fetch_pages"
        strategy = paging(options)
        request: PageRequest | None = strategy.first(self._first_request())
        asked: dict[bytes, int] = {}  # each request made (a digest of it), with its page's number
        number = 0
        while request is not None:
            number += 1
            where = self._where(number)
            self._guard.refuse_other_hosts(request.url, where)
            # Merged into the URL's own query: httpx's params= would replace it.
            url = request.url.copy_merge_params(request.params) if request.params else request.url
            key = _digest(options.method, url, request.body)
            if key in asked:
                asks_for = strategy.asks_for(request, self.redactor.text(str(url)))
                raise spine.SourceError(
                    self.redactor.text(
                        f"{where}: {asks_for} was already asked for by page {asked[key]}: the API's "
                        "pages go round in a loop; stopped instead of reading the same pages again"
                    ),
                    context={"page": number, "repeats_page": asked[key]},
                )
            asked[key] = number
            sent = self._client.build_request(options.method, url, json=request.body)
            header = self._maker.header if self._maker is not None and number > 1 else None
            start = partial(self._reader, where=where, header=header, watch=fetcher.watch)
            reader = fetcher.open(sent, where, start)
            yield _PageRead(number, reader.blocks())
            # Read to its end by now: paging may look at all of it.
            if reader.held == 0:
                return
            page = Page(number, request, reader.response, reader.document, reader.held)
            try:
                request = strategy.next(page)
            except spine.SourceError as exc:  # a strategy knows the page, not the URL
                raise spine.SourceError(f"{self.shown} {exc}", context=exc.context) from None
            if request is not None and number >= options.max_pages:
                self._stopped_at = number
                return

    def _first_request(self) -> PageRequest:
        params = dict(self.options.params)
        body = dict(self.options.body) if self.options.body is not None else None
        if self._since is not None:
            if self.options.since_param:
                params[self.options.since_param] = self._since
            if self.options.since_body:
                body = set_at(body or {}, self.options.since_body, self._since)
        return PageRequest(self.url, params, body)

    def _reader(
        self, response: httpx.Response, where: str, header: list[str] | None, watch: Watchdog
    ) -> PageReader:
        return PageReader(self.options, response, where, watch, header).prime()

    def _hop(self, request: httpx.Request) -> None:
        self._hops.append(request.url)

    def _traced(self, request: httpx.Request) -> None:
        """Every request (redirects and token requests too) tells the watchdog of its connection."""
        if self._watch is not None:
            request.extensions["trace"] = self._watch.trace

    def _where(self, number: int) -> str:
        return f"{self.shown} page {number}"

    def _page_batches(self, page: _PageRead, batch_size: int) -> Iterator[spine.Batch]:
        """The page's rows in batches of `batch_size` (the last one of the page may be smaller),
        made as its blocks arrive: memory holds a batch and a block, not the page."""
        assert self._maker is not None, "schema() made it"
        origin = self._where(page.number)
        rows: list[tuple[Any, ...]] = []
        positions: list[int] = []
        texts: list[str] = []
        rejects: list[spine.Reject] = []
        sent = False
        for records in page.blocks:
            made = self._maker.rows(records, origin)
            if self._marked is not None and made.rows:
                self._mark([row[self._marked] for row in made.rows])
            rows += made.rows
            positions += made.positions
            texts += made.texts
            rejects += made.rejects
            while len(rows) > batch_size:
                # A batch's stretch ends at its last row: later rejects wait for the next one.
                last = positions[batch_size - 1]
                ours = [reject for reject in rejects if (reject.position or 0) <= last]
                yield spine.Batch(rows[:batch_size], positions[:batch_size], origin, ours, texts[:batch_size])
                del rows[:batch_size], positions[:batch_size], texts[:batch_size], rejects[: len(ours)]
                sent = True
        if rows or rejects or not sent:
            yield spine.Batch(rows, positions, origin, rejects, texts)

    def _mark(self, values: list[Any]) -> None:
        present = [value for value in values if value is not None]
        if present:
            highest = max(present)
            self._highest = highest if self._highest is None else max(self._highest, highest)


# httpx logs every request's URL, an API key in the query included, on its own logger.
_HTTPX_LOG = logging.getLogger("httpx")


def _head(blocks: Iterator[Records], count: int) -> tuple[Records, Iterator[Records]]:
    """The first `count` records of `blocks` as one block, and the blocks that follow."""
    taken: list[Records] = []
    held = 0
    for block in blocks:
        if held + len(block.items) >= count:
            head, tail = block.split(count - held)
            return joined([*taken, head]), chain([tail], blocks)
        taken.append(block)
        held += len(block.items)
    return (joined(taken) if taken else no_records()), blocks


def _digest(method: str, url: httpx.URL, body: Any) -> bytes:
    # A digest, not the request: cursors may be kilobytes long, and max_pages of them are kept.
    text = json.dumps([method, str(url), body], sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).digest()
