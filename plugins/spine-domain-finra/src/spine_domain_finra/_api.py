"""The FINRA query API (otcMarket / weeklySummary), through the http source: one (week, tier) partition.

FINRA caps a page at 5,000 records whatever is asked, and says how many there are in
``Record-Total``; an empty partition is HTTP 204. Paging is by offset in the JSON
body, advancing by the records received, so a silently capped page loses nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import spine

from ._params import TIERS
from ._settings import FinraSettings
from ._table import TableRows

PATH = "/data/group/otcMarket/name/weeklySummary"
PAGE_SIZE = 5000
MAX_OFFSET = 500_000  # FINRA refuses larger offsets: such a partition fails rather than loses rows

# The API's fields, as the http source names its columns, with their types.
FIELDS = {
    "weekStartDate": "date",
    "tierIdentifier": "string",
    "summaryTypeCode": "string",
    "issueSymbolIdentifier": "string",
    "issueName": "string",
    "MPID": "string",
    "firmCRDNumber": "string",
    "marketParticipantName": "string",
    "productTypeCode": "string",
    "totalWeeklyShareQuantity": "decimal",
    "totalWeeklyTradeCount": "integer",
    "totalNotionalSum": "decimal",
    "initialPublishedDate": "date",
    "lastUpdateDate": "date",
}


def open_api(kernel: spine.Spine, week: date, tier: str, summary_types: Sequence[str]) -> spine.Source:
    """The http source over one (week, tier) partition of the given summary types."""
    settings = kernel.plugin_settings(FinraSettings)
    body = {
        "compareFilters": [
            {"compareType": "EQUAL", "fieldName": "weekStartDate", "fieldValue": week.isoformat()},
            {"compareType": "EQUAL", "fieldName": "tierIdentifier", "fieldValue": tier},
        ],
        "domainFilters": [{"fieldName": "summaryTypeCode", "values": list(summary_types)}],
    }
    options: dict[str, Any] = {
        "body": body,
        "format": "json",
        "paginate": "offset",
        "page_size": PAGE_SIZE,
        "max_page_size": PAGE_SIZE,
        "max_offset": MAX_OFFSET,
        "total_header": "Record-Total",
        "types": {spine.normalize_identifier(name): kind for name, kind in FIELDS.items()},
    }
    if settings.finra_client_id and settings.finra_client_secret:
        options |= {
            "client_id": settings.finra_client_id,
            "client_secret": settings.finra_client_secret,
            "token_url": settings.finra_token_url,
        }
    return kernel.open_source(settings.finra_api_url.rstrip("/") + PATH, **options)


class ApiRows(TableRows):
    """The API's records as the table's rows."""

    source = "api"

    def schema(self, schema: spine.Schema) -> spine.Schema:
        self._take = [schema.index(spine.normalize_identifier(name)) for name in FIELDS]
        return super().schema(schema)

    def read(self, row: tuple[Any, ...]) -> tuple[Any, ...] | str:
        week, tier, *values = (row[index] for index in self._take)
        if tier not in TIERS:
            return f"tierIdentifier: expected one of {', '.join(TIERS)}, got {tier!r}"
        if week != self.week:
            return f"weekStartDate: expected {self.week}, the week asked for, got {week}"
        return (tier, *values)
