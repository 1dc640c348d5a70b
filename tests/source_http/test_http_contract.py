"""The kernel's source contract, run against the http source over a real server."""

from __future__ import annotations

from datetime import date

import pytest
from spine.testing import SourceCase, SourceContract
from spine_source_http._source import open_http

from .http_helpers import linked_pages

RECORDS = [
    {"id": 1, "name": "Smith, John", "day": "2026-11-16"},
    {"id": 2, "name": 'The "Best" Co', "day": "2026-11-17"},
    {"id": 3, "name": "", "day": "2026-11-18"},
    {"id": 4, "name": "ünïcödé ✓", "day": "2026-11-19"},
]


class TestHttpJsonPages(SourceContract):
    @pytest.fixture
    def source_case(self, server):
        url = linked_pages(server, "/items", [RECORDS[:2], RECORDS[2:3], RECORDS[3:]])
        rows = [(r["id"], r["name"], date.fromisoformat(r["day"])) for r in RECORDS]
        return SourceCase(lambda: open_http(url), ["id", "name", "day"], rows)


class TestHttpOffsetCsv(SourceContract):
    @pytest.fixture
    def source_case(self, server):
        lines = ["id,name,day", "1,a,2026-11-16", "2,b,2026-11-17", "3,c,2026-11-18"]

        def handle(request):
            offset, limit = int(request.query["offset"]), int(request.query["limit"])
            body = "\n".join([lines[0], *lines[1 + offset : 1 + offset + limit]]) + "\n"
            return 200, {"Content-Type": "text/csv", "Record-Total": "3"}, body

        url = server.route("GET", "/items.csv", handle)
        rows = [(1, "a", date(2026, 11, 16)), (2, "b", date(2026, 11, 17)), (3, "c", date(2026, 11, 18))]
        return SourceCase(lambda: open_http(url, paginate="offset", page_size=2), ["id", "name", "day"], rows)
