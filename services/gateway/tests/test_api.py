"""The gateway's REST API for the catalogue and search, over real services (embedded back ends)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from prometheus_client import generate_latest

from govhall.gateway.settings import GatewaySettings
from govhall.kit.testing import wait_until

from .conftest import AUTH, TOKEN, open_gateway


async def seed(client: httpx.AsyncClient) -> None:
    for code, body in [
        ("420000", {"name": "湖北省", "level": "province"}),
        ("420500", {"name": "宜昌市", "level": "city", "parent_code": "420000"}),
        ("420502", {"name": "西陵区", "level": "county", "parent_code": "420500"}),
    ]:
        r = await client.put(f"/api/v1/admin/sites/{code}", json=body, headers=AUTH)
        assert r.status_code == 200, r.text
    r = await client.put(
        "/api/v1/admin/sites/420502/departments/420502-XZSP", json={"name": "西陵区行政审批局"}, headers=AUTH
    )
    assert r.status_code == 200, r.text


MATTER: dict[str, Any] = {
    "code": "420502-XZSP-0001",
    "name": "食品经营许可",
    "department_code": "420502-XZSP",
    "audiences": ["legal_person", "person"],
    "type": "licensing",
    "handling_type": "promised",
    "promised_limit": {"value": 10},
    "legal_limit": {"value": 20},
    "online_application": True,
    "online_depth": 4,
    "visits": 0,
    "themes": ["准营准办"],
    "guide": {"acceptance_conditions": "已取得营业执照", "consult_phone": "0717-6222222"},
    "materials": [
        {"code": "M01", "name": "食品经营许可申请书", "form": "electronic", "necessity": "required"},
        {"code": "M02", "name": "营业执照", "form": "copy", "copies": 1, "necessity": "required"},
    ],
    "places": [{"name": "西陵区政务服务中心", "window": "二楼 综合受理窗口", "hours": "工作日 9:00-17:00"}],
    "form_schema": {
        "type": "object",
        "properties": {"shop_name": {"type": "string", "title": "店铺名称"}},
        "required": ["shop_name"],
    },
}


def assert_problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == code and body["status"] == status
    assert body["detail_zh"] and "Traceback" not in r.text
    return body


async def test_admin_publishes_and_the_county_finds_it(gateway: httpx.AsyncClient) -> None:
    await seed(gateway)
    r = await gateway.post("/api/v1/admin/sites/420502/matters", json=MATTER, headers=AUTH)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "draft" and r.json()["type_label"] == "行政许可"
    assert_problem(
        await gateway.get(f"/api/v1/sites/420502/matters/{MATTER['code']}"), 404, "MATTER_NOT_FOUND"
    )

    r = await gateway.post(f"/api/v1/admin/sites/420502/matters/{MATTER['code']}/publish", headers=AUTH)
    assert r.status_code == 200 and r.json()["status"] == "published"
    guide = (await gateway.get(f"/api/v1/sites/420502/matters/{MATTER['code']}")).json()
    assert guide["guide"]["acceptance_conditions"] == "已取得营业执照"
    assert guide["audiences"] == ["person", "legal_person"] and guide["site_name"] == "西陵区"
    assert [m["form"] for m in guide["materials"]] == ["electronic", "copy"]
    assert guide["form_schema"]["properties"]["shop_name"]["title"] == "店铺名称"
    assert guide["version"] == 1 and guide["published_at"].endswith("+08:00")
    # No steps given: the default chain for a 承诺件, with a role for each.
    assert [s["role"] for s in guide["steps"]] == ["window_clerk", "reviewer", "approver"]
    listed = (await gateway.get("/api/v1/sites/420502/matters", params={"audience": "legal_person"})).json()
    assert [m["code"] for m in listed["items"]] == [MATTER["code"]] and listed["page"]["total"] == 1

    async def searched() -> Any:
        found = (await gateway.get("/api/v1/sites/420502/search", params={"q": "食品经营"})).json()
        return found if found["items"] else None

    # The matter reaches search by the catalogue's event, a moment after the publish.
    found = await wait_until(searched)
    assert [h["id"] for h in found["items"]] == [MATTER["code"]]
    assert found["items"][0]["title_highlighted"] == "<em>食品经营</em>许可"
    # The province does not see a county's matter.
    province = (await gateway.get("/api/v1/sites/420000/search", params={"q": "食品经营"})).json()
    assert province["items"] == []


async def test_bad_input_is_a_problem_in_two_languages(gateway: httpx.AsyncClient) -> None:
    await seed(gateway)
    body = assert_problem(await gateway.get("/api/v1/sites/42050x/matters"), 400, "REQUEST_INVALID")
    assert body["errors"][0]["field"] == "path.site"
    body = assert_problem(await gateway.get("/api/v1/sites/420502/search"), 400, "REQUEST_INVALID")
    assert body["errors"][0]["message_zh"] == "此项必填"
    assert_problem(
        await gateway.get("/api/v1/sites/420502/search", params={"q": "x" * 101}), 400, "REQUEST_INVALID"
    )
    assert_problem(await gateway.get("/api/v1/sites/420502/search", params={"q": "  "}), 400, "QUERY_EMPTY")
    assert_problem(
        await gateway.get("/api/v1/sites/420502/matters", params={"page": 0}), 400, "REQUEST_INVALID"
    )
    assert_problem(await gateway.get("/api/v1/sites/999999/matters"), 404, "SITE_NOT_FOUND")
    assert_problem(await gateway.get("/api/v1/nowhere"), 404, "NOT_FOUND")

    bad = {**MATTER, "type": "unknown", "promised_limit": {"value": -1}}
    body = assert_problem(
        await gateway.post("/api/v1/admin/sites/420502/matters", json=bad, headers=AUTH),
        400,
        "REQUEST_INVALID",
    )
    assert {e["field"] for e in body["errors"]} == {"type", "promised_limit.value"}
    r = await gateway.post(
        "/api/v1/admin/sites/420502/matters",
        content=b"{not json",
        headers={**AUTH, "content-type": "application/json"},
    )
    assert_problem(r, 400, "REQUEST_INVALID")
    too_long = {**MATTER, "promised_limit": {"value": 30}}
    body = assert_problem(
        await gateway.post("/api/v1/admin/sites/420502/matters", json=too_long, headers=AUTH),
        400,
        "MATTER_INVALID",
    )
    assert "承诺办结时限不能超过法定办结时限" in [e["message_zh"] for e in body["errors"]]
    bad_material = {**MATTER, "materials": [{**MATTER["materials"][0], "form": "paper"}]}
    body = assert_problem(
        await gateway.post("/api/v1/admin/sites/420502/matters", json=bad_material, headers=AUTH),
        400,
        "VALUE_INVALID",
    )
    assert body["errors"][0]["field"] == "materials[0].form"


async def test_writes_need_the_admin_token(gateway: httpx.AsyncClient) -> None:
    await seed(gateway)
    for headers, code in [
        ({}, "UNAUTHENTICATED"),
        ({"Authorization": "Bearer wrong"}, "TOKEN_INVALID"),
        ({"Authorization": TOKEN + "x"}, "TOKEN_INVALID"),
    ]:
        r = await gateway.post("/api/v1/admin/sites/420502/matters", json=MATTER, headers=headers)
        assert_problem(r, 401, code)
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
    listed = (await gateway.get("/api/v1/sites/420502/matters")).json()
    assert listed["page"]["total"] == 0


async def test_operations_endpoints(gateway: httpx.AsyncClient) -> None:
    assert (await gateway.get("/healthz")).json() == {"status": "ok"}
    ready = await gateway.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {
        "key_value_store": True,
        "signing_key": True,
    }
    upstreams = await gateway.get("/healthz/upstreams")
    assert upstreams.status_code == 200 and upstreams.json()["checks"] == {
        "catalogue": True,
        "search": True,
        "identity": True,
        "cases": True,
        "consult": True,
        "appointments": True,
        "licences": True,
    }
    await gateway.get("/api/v1/sites/420502/matters")
    # The metrics are kept, and served on their own port (GOVHALL_GATEWAY_METRICS_PORT), not here.
    metrics = generate_latest().decode()
    assert (
        'govhall_gateway_request_seconds_count{method="GET",route="/api/v1/sites/{site}/matters"' in metrics
    )
    assert_problem(await gateway.get("/metrics"), 404, "NOT_FOUND")
    docs = (await gateway.get("/openapi.json")).json()
    assert "/api/v1/sites/{site}/search" in docs["paths"]


async def test_upstreams_health_says_which_are_down_and_readyz_stays_ready() -> None:
    client, lifespan = await open_gateway(
        GatewaySettings(catalogue_address="127.0.0.1:1", search_address="127.0.0.1:1")
    )
    r = await client.get("/healthz/upstreams")
    assert r.status_code == 503 and r.json()["status"] == "degraded"
    assert r.json()["checks"]["catalogue"] is False and r.json()["checks"]["search"] is False
    assert (await client.get("/readyz")).status_code == 200
    assert_problem(await client.get("/api/v1/sites/420502/matters"), 503, "UPSTREAM_UNAVAILABLE")
    await client.aclose()
    await lifespan.__aexit__(None, None, None)


@pytest.mark.parametrize("store", ["memory", "redis"])
async def test_rate_limit(store: str, request: pytest.FixtureRequest) -> None:
    cluster = request.getfixturevalue("cluster") if store == "redis" else None
    redis_url = cluster["GOVHALL_REDIS_URL"] if cluster else None
    settings = GatewaySettings(
        catalogue_address="127.0.0.1:1",
        search_address="127.0.0.1:1",
        rate_limit_per_minute=3,
        kv_namespace=f"t{uuid.uuid4().hex[:8]}",  # apart from other runs (the shared Redis, memory)
    )
    client, lifespan = await open_gateway(settings, redis_url, cluster=cluster)
    statuses = [(await client.get("/api/v1/sites/420502/matters")).status_code for _ in range(5)]
    assert statuses[:3] == [503, 503, 503] and statuses[3:] == [429, 429]
    limited = await client.get("/api/v1/sites/420502/matters")
    assert_problem(limited, 429, "RATE_LIMITED")
    assert limited.headers["Retry-After"] == "60"
    assert (await client.get("/healthz")).status_code == 200, "operations endpoints are not limited"
    await client.aclose()
    await lifespan.__aexit__(None, None, None)
