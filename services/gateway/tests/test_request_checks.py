"""What the gateway refuses before any service is asked: query parameters an operation does not
take, and bodies that are not JSON (saying where they broke)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import SecretStr

from govhall.gateway.api import create_app

from .conftest import AUTH, TOKEN, open_gateway
from .test_api import MATTER, seed
from .test_openapi import NOWHERE


@pytest.fixture
async def lone_gateway() -> AsyncIterator[httpx.AsyncClient]:
    client, lifespan = await open_gateway(NOWHERE)
    yield client
    await client.aclose()
    await lifespan.__aexit__(None, None, None)


def unknown_fields(r: httpx.Response) -> list[str]:
    assert r.status_code == 400, r.text[:300]
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == "REQUEST_INVALID" and body["detail_zh"]
    return [e["field"] for e in body["errors"]]


async def test_an_unknown_query_parameter_is_named_not_ignored(lone_gateway: httpx.AsyncClient) -> None:
    # The FAQ filter is `matter`: matter_code listed every FAQ.
    r = await lone_gateway.get("/api/v1/sites/420502/faqs", params={"matter_code": "420502-A-1"})
    assert unknown_fields(r) == ["query.matter_code"]
    error = r.json()["errors"][0]
    assert "did you mean matter?" in error["message"]
    assert error["message_zh"] == "本接口不支持查询参数 matter_code（是否应为 matter？）"
    r = await lone_gateway.get("/api/v1/sites/420502/matters", params={"audiance": "person", "page": 1})
    assert unknown_fields(r) == ["query.audiance"]
    assert "audience" in r.json()["errors"][0]["message"]
    # What the operation takes passes on to the service (down here: 503, not 400).
    r = await lone_gateway.get("/api/v1/sites/420502/faqs", params={"matter": "420502-A-1", "page": 2})
    assert r.status_code == 503, r.text
    r = await lone_gateway.get("/api/v1/statistics/cases", params={"from": "2026-01-01"})
    assert r.status_code == 401, "`from` is the alias statistics declare"


async def test_a_name_that_is_not_a_parameter_name_is_not_repeated(lone_gateway: httpx.AsyncClient) -> None:
    r = await lone_gateway.get("/api/v1/taxonomy", params={"<script>alert(1)</script>": "x", "zz": "1"})
    assert unknown_fields(r) == ["query", "query.zz"]
    assert "script" not in r.text


async def test_every_route_refuses_unknown_query_parameters(lone_gateway: httpx.AsyncClient) -> None:
    app = create_app(NOWHERE)
    checked = 0
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute):
            continue  # /openapi.json and /docs
        for method in route.methods or ():
            path = re.sub(r"\{([a-z_]+)(:[a-z_]+)?\}", "publish", route.path_format or "")
            if method == "HEAD" or "{" in path:
                continue
            r = await lone_gateway.request(method, path, params={"unasked": "1"})
            assert "query.unasked" in unknown_fields(r), (method, path)
            checked += 1
    assert checked >= 74  # every documented operation


@pytest.mark.parametrize(
    ("body", "where", "where_zh", "why_zh"),
    [
        (
            b'{"method": "password",\n "login_name": "x" "password": "secret-1"}',
            "line 2 column 20",
            "第 2 行第 20 列",
            "此处缺少逗号",
        ),
        (b"{not json", "line 1 column 2", "第 1 行第 2 列", "属性名应使用双引号"),
        (b'{"a": 1} trailing-secret', "line 1 column 10", "第 1 行第 10 列", "JSON 之后还有多余内容"),
    ],
    ids=["missing comma", "unquoted name", "extra data"],
)
async def test_malformed_json_says_where_it_broke(
    lone_gateway: httpx.AsyncClient, body: bytes, where: str, where_zh: str, why_zh: str
) -> None:
    r = await lone_gateway.post(
        "/api/v1/auth/login", content=body, headers={"content-type": "application/json"}
    )
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    [error] = problem["errors"]
    assert error["field"] == "body"
    assert where in error["message"] and where_zh in error["message_zh"] and why_zh in error["message_zh"]
    assert problem["detail_zh"] == f"请求参数有误：{error['message_zh']}"
    assert "secret" not in r.text and "login_name" not in r.text  # never the body itself


async def test_a_body_is_read_as_the_document_says_not_coerced() -> None:
    client, lifespan = await open_gateway(NOWHERE.model_copy(update={"admin_token": SecretStr(TOKEN)}))
    try:
        matter = {**MATTER, "online_application": 0, "visits": "1", "promised_limit": {"value": 1.0}}
        r = await client.post("/api/v1/admin/sites/420502/matters", json=matter, headers=AUTH)
        assert r.status_code == 400, r.text
        fields = {e["field"] for e in r.json()["errors"]}
        assert fields == {"online_application", "visits", "promised_limit.value"}
        # Dates still come as ISO 8601 text; this one passes on to the catalogue (down: 503).
        article = {"kind": "faq", "title": "问", "body": "答", "publish_at": "2026-12-01T09:00:00+08:00"}
        r = await client.post("/api/v1/admin/sites/420502/articles", json=article, headers=AUTH)
        assert r.status_code == 503, r.text
    finally:
        await client.aclose()
        await lifespan.__aexit__(None, None, None)


async def test_an_error_with_hundreds_of_fields_is_a_400_not_a_500(gateway: httpx.AsyncClient) -> None:
    await seed(gateway)
    option = {"code": "A", "label": "甲", "form_sections": [""] * 200}
    matter = {**MATTER, "situations": [{"code": "S1", "question": "问", "options": [option]}]}
    r = await gateway.post("/api/v1/admin/sites/420502/matters", json=matter, headers=AUTH)
    assert r.status_code == 400, r.text[:300]
    body = r.json()
    assert body["errors"] and body["detail_zh"] and len(r.content) < 16 * 1024
