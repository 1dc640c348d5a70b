"""A local server that behaves like FINRA's query API, and the records it serves."""

from __future__ import annotations

from datetime import date, timedelta

from spine.testing import HttpRequest, HttpServer, Reply

WEEK = "2026-10-05"
PATH = "/data/group/otcMarket/name/weeklySummary"
TOKEN_PATH = "/oauth2/access_token"


def record(n: int, tier: str = "T1", summary: str = "ATS_W_SMBL_FIRM", week: str = WEEK) -> dict[str, object]:
    ats = summary.startswith("ATS")
    published = str(date.fromisoformat(week) + timedelta(days=21))
    return {
        "weekStartDate": week,
        "tierIdentifier": tier,
        "tierDescription": "NMS Tier 1",
        "summaryTypeCode": summary,
        "summaryStartDate": week,
        "issueSymbolIdentifier": f"S{n:04d}",
        "issueName": f"Issue {n}, Inc.",
        "MPID": f"V{n % 5:03d}" if ats else None,
        "firmCRDNumber": 1000 + n % 5,
        "marketParticipantName": f"VENUE {n % 5}",
        "productTypeCode": "EQUITY",
        "totalWeeklyTradeCount": n,
        "totalWeeklyShareQuantity": float(f"{n}.25"),
        "totalNotionalSum": None,
        "initialPublishedDate": published,
        "lastUpdateDate": published,
        "lastReportedDate": published,
    }


class FinraApi:
    """Pages like FINRA: limit capped at `cap` whatever is asked, Record-Total, 204 when empty."""

    def __init__(self, server: HttpServer, records: list[dict[str, object]], cap: int = 5000) -> None:
        self.server, self.records, self.cap = server, records, cap
        self.busy = 0  # answer this many requests 429 first
        self.url = server.route("POST", PATH, self.answer)

    def answer(self, request: HttpRequest) -> Reply:
        if self.busy:
            self.busy -= 1
            return 429, {"Retry-After": "0"}, {"error": "too many requests"}
        body = request.body
        wanted = {f["fieldName"]: f["fieldValue"] for f in body["compareFilters"]}
        types = set(body["domainFilters"][0]["values"])
        matching = [
            r
            for r in self.records
            if r["weekStartDate"] == wanted["weekStartDate"]
            and r["tierIdentifier"] == wanted["tierIdentifier"]
            and r["summaryTypeCode"] in types
        ]
        if not matching:
            return 204, {}, None
        offset, limit = body["offset"], min(body["limit"], self.cap)
        page = matching[offset : offset + limit]
        return 200, {"Record-Total": str(len(matching)), "Record-Offset": str(offset)}, page
