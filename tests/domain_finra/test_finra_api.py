"""finra.otc_weekly with source=api, against a local server that behaves like FINRA's query API."""

from __future__ import annotations

import base64
import json
from decimal import Decimal

import pytest
import spine
from spine.testing import HttpRequest, Reply

from .conftest import query
from .finra_api import PATH, TOKEN_PATH, WEEK, FinraApi, record


def run(kernel: spine.Spine, **params: str) -> spine.RunResult:
    return kernel.run("finra.otc_weekly", {"source": "api", "week": WEEK, "tier": "T1", **params})


def test_a_partition_is_paged_to_record_total_with_pages_of_5000_at_most(api_kernel, server):
    records = [record(n) for n in range(12)] + [record(n, summary="OTC_W_SMBL_FIRM") for n in range(12, 15)]
    records += [record(99, tier="T2"), record(98, week="2026-10-12"), record(97, summary="ATS_W_SMBL")]
    api = FinraApi(server, records, cap=4)  # a server that silently sends fewer than asked
    with api_kernel() as kernel:
        result = run(kernel)
        assert (result.status, result.counts.rows_written) == ("succeeded", 15)
        sent = [request.body for request in server.seen(PATH)]
        assert [(body["offset"], body["limit"]) for body in sent] == [
            (0, 5000),
            (4, 5000),
            (8, 5000),
            (12, 5000),
        ]
        assert sent[0]["domainFilters"] == [
            {"fieldName": "summaryTypeCode", "values": ["ATS_W_SMBL_FIRM", "OTC_W_SMBL_FIRM"]}
        ]
        assert server.seen(PATH)[0].headers["accept"] == "application/json"
        assert "authorization" not in server.seen(PATH)[0].headers  # anonymous by default
        found = query(
            kernel, "SELECT summary_type, COUNT(*), MIN(source) FROM finra_otc_weekly GROUP BY 1 ORDER BY 1"
        )
        assert found == [("ATS_W_SMBL_FIRM", 12, "api"), ("OTC_W_SMBL_FIRM", 3, "api")]
        (row,) = query(
            kernel,
            "SELECT mpid, firm_crd, product_type, total_weekly_share_quantity, initial_published_date"
            " FROM finra_otc_weekly WHERE symbol = 'S0013'",
        )
        assert row == ("", "1003", "EQUITY", 13.25, "2026-10-26")
        assert api.records  # the derived tables are rebuilt from what came in:
        assert query(kernel, "SELECT SUM(total_shares) FROM finra_otc_symbol_weekly") == [
            (sum(float(f"{n}.25") for n in range(15)),)
        ]


def test_an_empty_partition_is_a_204_and_a_run_that_loads_nothing(api_kernel, server):
    FinraApi(server, [])
    with api_kernel() as kernel:
        result = run(kernel)
        assert (result.status, result.counts.rows_written) == ("succeeded", 0)
        assert len(server.seen(PATH)) == 1


def test_a_429_is_waited_out_and_the_load_goes_on(api_kernel, server):
    api = FinraApi(server, [record(n) for n in range(3)])
    api.busy = 1
    with api_kernel() as kernel:
        assert run(kernel).counts.rows_written == 3
        assert len(server.seen(PATH)) == 2


def test_with_credentials_a_token_is_fetched_and_fetched_again_once_on_a_401(api_kernel, server):
    api = FinraApi(server, [record(n) for n in range(3)])
    tokens = iter(["first", "second"])
    server.route(
        "POST", TOKEN_PATH, lambda request: (200, {}, {"access_token": next(tokens), "expires_in": 43200})
    )
    refused = {"once": True}

    def answer(request: HttpRequest) -> Reply:
        if request.headers.get("authorization") == "Bearer first" and refused.pop("once", False):
            return 401, {}, {"error": "token expired"}
        return api.answer(request)

    server.route("POST", PATH, answer)
    with api_kernel(SPINE_FINRA_CLIENT_ID="spine-client", SPINE_FINRA_CLIENT_SECRET="s3cret-value") as kernel:
        result = run(kernel)
        assert (result.status, result.counts.rows_written) == ("succeeded", 3)
    first, _ = server.seen(TOKEN_PATH)  # a second token after the 401
    assert (
        first.headers["authorization"] == "Basic " + base64.b64encode(b"spine-client:s3cret-value").decode()
    )
    assert [r.headers["authorization"] for r in server.seen(PATH)] == ["Bearer first", "Bearer second"]
    assert "s3cret-value" not in json.dumps(result.to_dict(), default=str)


def test_an_anonymous_401_says_that_finra_wants_credentials(api_kernel, server):
    server.route("POST", PATH, lambda request: (401, {}, {"error": "unauthorized"}))
    with api_kernel() as kernel:
        result = run(kernel)
    assert (result.status, result.error.category) == ("failed", "source")
    assert "SPINE_FINRA_CLIENT_ID and SPINE_FINRA_CLIENT_SECRET" in result.error.message


def test_a_record_of_another_week_or_tier_is_rejected(api_kernel, server):
    records = [record(n) for n in range(20)]
    records[3]["tierIdentifier"] = "T9"
    records[5]["weekStartDate"] = "2026-10-12"
    server.route(
        "POST",
        PATH,
        lambda request: (200, {"Record-Total": "20"}, records if request.body["offset"] == 0 else []),
    )
    with api_kernel() as kernel:
        result = run(kernel)
        assert (result.status, result.counts.rows_rejected) == ("partial", 2)
        rejects = [(r.position, r.reason) for r in kernel.runlog().rejects(result.run_id)]
    assert rejects == [
        (4, "tierIdentifier: expected one of T1, T2, OTCE, got 'T9'"),
        (6, "weekStartDate: expected 2026-10-05, the week asked for, got 2026-10-12"),
    ]


@pytest.mark.parametrize(
    ("params", "why"),
    [
        ({"tier": "T4"}, "param 'tier': expected one of T1, T2, OTCE, got 'T4'"),
        ({"tier": None}, "finra.otc_weekly: param 'tier' is required with source=api"),
        ({"summary_types": "ats w smbl"}, "param 'summary_types': expected codes like"),
        ({"file": "x.psv"}, "param(s) file do not go with source=api"),
    ],
)
def test_api_params_are_checked(api_kernel, server, params, why):
    with api_kernel() as kernel:
        try:
            result = run(kernel, **params)
        except spine.ConfigError as exc:  # what the kernel checks: before the run starts
            message = str(exc)
        else:  # what only the pipeline can: a failed run
            assert (result.status, result.error.category) == ("failed", "config")
            message = result.error.message
    assert why in message
    assert server.seen(PATH) == []


def test_quantities_from_the_api_are_exact(api_kernel, server):
    exact = record(1)
    exact["totalWeeklyShareQuantity"] = 123456789.123456
    FinraApi(server, [exact])
    with api_kernel() as kernel:
        run(kernel)
        ((text,),) = query(kernel, "SELECT CAST(total_weekly_share_quantity AS TEXT) FROM finra_otc_weekly")
    assert Decimal(text) == Decimal("123456789.123456")


def test_a_partition_past_finras_offset_limit_fails_and_loads_nothing(api_kernel, server, monkeypatch):
    monkeypatch.setattr("spine_domain_finra._api.MAX_OFFSET", 5)  # FINRA's is 500,000
    FinraApi(server, [record(n) for n in range(12)], cap=4)
    with api_kernel() as kernel:
        result = run(kernel)
        assert (result.status, result.error.category) == ("failed", "source")
        assert (
            "page 2: the API takes offsets up to 5 (max_offset) and 4 records remain" in result.error.message
        )
        assert not kernel.runlog().store.declared_columns("finra_otc_weekly")  # the load rolled back
