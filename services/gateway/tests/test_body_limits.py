"""Bodies other than uploads are capped before they are read (413), by Content-Length or as a
chunked body streams in; the limits are settings; a gRPC transport error is never passed on."""

from __future__ import annotations

import json
from typing import Any

from govhall.gateway import bounds

from .conftest import Stack, open_gateway
from .test_cases_routes import MATTER, SITE, seed
from .test_identity_routes import PASSWORD, assert_problem, bearer, person
from .test_request_bounds import refused


async def test_bodies_other_than_uploads_are_capped_before_they_are_read(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    me = bearer((await person(stack, "13812360002", "陈申请"))["access_token"])
    json_type = {"content-type": "application/json"}
    # 100 MB to the login, 20 MB to cases: a 413 by Content-Length, nothing parsed.
    for url, size in (("/api/v1/auth/login", 100 << 20), ("/api/v1/cases", 20 << 20)):
        r = await c.post(url, content=b"[" + b"0," * (size // 2) + b"0]", headers={**me, **json_type})
        body = assert_problem(r, 413, "BODY_TOO_LARGE")
        assert body["errors"][0]["field"] == "body" and "1 MB" in body["detail_zh"]

    # Without a Content-Length (chunked): counted as it streams.
    async def chunks() -> Any:
        yield b'{"method":"password","login_name":"'
        for _ in range(3):
            yield b"x" * (512 << 10)

    assert_problem(
        await c.post("/api/v1/auth/login", content=chunks(), headers=json_type), 413, "BODY_TOO_LARGE"
    )

    async def small() -> Any:
        yield b'{"method":"password",'
        yield b'"login_name":"13812360002","password":"' + PASSWORD.encode() + b'"}'

    assert (await c.post("/api/v1/auth/login", content=small(), headers=json_type)).status_code == 200
    # An upload keeps its own, larger limit (a 2 MB file is not a body too large).
    case = (await c.post("/api/v1/cases", json={"site_code": SITE, "matter_code": MATTER}, headers=me)).json()
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\n" + b"%" * (2 << 20) + b"\ntrailer<<>>\n%%EOF\n"
    r = await c.post(f"/api/v1/cases/{case['id']}/materials/M01", files={"file": ("a.pdf", pdf)}, headers=me)
    assert r.status_code != 413 and "BODY_TOO_LARGE" not in r.text, r.text


async def test_the_limits_are_settings_and_a_transport_error_is_not_passed_on(stack: Stack) -> None:
    assert stack.settings is not None
    me = bearer((await person(stack, "13812360003", "陈申请"))["access_token"])
    small, lifespan = await open_gateway(
        stack.settings.model_copy(update={"max_body_bytes": 4096, "json_max_depth": 3})
    )
    try:
        login = {"method": "password", "login_name": "13812360003", "password": PASSWORD}
        assert_problem(
            await small.post("/api/v1/auth/login", json={**login, "x": "y" * 5000}), 413, "BODY_TOO_LARGE"
        )
        assert (
            "4 KB"
            in (await small.post("/api/v1/auth/login", json={**login, "x": "y" * 5000})).json()["detail"]
        )
        draft = {"site_code": SITE, "matter_code": MATTER, "form": {"a": {"b": {"c": {}}}}}
        refused(await small.post("/api/v1/cases", json=draft, headers=me), "form")
    finally:
        await small.aclose()
        await lifespan.__aexit__(None, None, None)
    # Limits raised past what gRPC carries: the service never sees the message, and the caller
    # gets a generic problem, not RESOURCE_EXHAUSTED's 429 and its text.
    big, lifespan = await open_gateway(
        stack.settings.model_copy(update={"max_body_bytes": 64 << 20, "json_max_bytes": 64 << 20})
    )
    try:
        form = {"business_scope": "x" * (20 << 20)}
        r = await big.post(
            "/api/v1/cases", json={"site_code": SITE, "matter_code": MATTER, "form": form}, headers=me
        )
        assert_problem(r, 500, "INTERNAL")
        assert "larger than max" not in r.text and "Received" not in r.text
    finally:
        await big.aclose()
        await lifespan.__aexit__(None, None, None)


def test_json_depth_is_counted_without_recursion() -> None:
    value: Any = 1
    for _ in range(50_000):
        value = [value]
    assert bounds.depth(value) == 50_000
    assert bounds.depth({"a": [1, {"b": []}]}) == 4 and bounds.depth("text") == 0
    assert json.dumps(bounds.JsonLimits().max_depth) == "32"


async def test_a_request_without_a_body_is_passed_on_unread_and_one_with_a_body_is_bounded() -> None:
    """A GET says it has no body (neither Content-Length nor Transfer-Encoding): nothing is read
    or matched against the upload routes before the route sees it."""
    from starlette.types import Message, Receive, Scope, Send

    from govhall.gateway.guards import RequestLimits
    from govhall.gateway.settings import GatewaySettings

    seen: list[bytes] = []

    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append((await receive()).get("body", b""))

    def never(scope: Scope) -> bool:
        raise AssertionError("a request without a body was matched against the upload routes")

    guard = RequestLimits(route, GatewaySettings(), never)
    guard.max_bytes = 4
    messages: list[Message] = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        seen.append(message.get("status", 0) if message["type"] == "http.response.start" else b"")  # type: ignore[arg-type]

    await guard({"type": "http", "path": "/api/v1/me", "headers": []}, receive, send)
    assert seen == [b""]
    seen.clear()
    big = {"type": "http", "method": "POST", "path": "/api/v1/cases", "headers": [(b"content-length", b"9")]}
    guard.own_limit = lambda scope: False
    await guard(big, receive, send)
    assert seen[0] == 413  # with a body: bounded as before
