"""What the gateway refuses before a service sees it: the five inputs that were a 500 (a lone
surrogate in a form, a form 900 levels deep, a revision above 2^63-1, a day after 9999-12-31,
an authorisation expiring in year 1), each a 400 naming the field that keeps the connection
alive, and no problem that repeats what the caller sent. (The sweep over every bound is in
test_request_sweep.py, bodies in test_body_limits.py.)"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import uvicorn

from govhall.gateway import bounds
from govhall.gateway.api import create_app, server_config
from govhall.gateway.settings import GatewaySettings
from govhall.kit.ports import free_port
from govhall.kit.testing import wait_until

from .conftest import AUTH, TOKEN, Stack, create_staff
from .test_cases_routes import MATTER, SITE, seed, staff
from .test_identity_routes import PASSWORD, assert_problem, bearer, person

TOO_BIG = 2**63  # one more than a protobuf int64 holds


def fields(r: httpx.Response) -> list[str]:
    return [e["field"] for e in r.json().get("errors", [])]


def refused(r: httpx.Response, field: str, code: str = "REQUEST_INVALID") -> dict[str, Any]:
    """A 400 problem naming `field` (in English and Chinese), never a 500."""
    body = assert_problem(r, 400, code)
    assert any(f == field or f.endswith(f".{field}") for f in fields(r)), (field, r.text)
    assert all(e["message_zh"] for e in body["errors"])
    return body


async def test_the_five_inputs_that_were_a_500_are_400_naming_the_field(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    me = bearer((await person(stack, "13812360001", "陈申请"))["access_token"])
    start = {"site_code": SITE, "matter_code": MATTER}
    draft = await c.post("/api/v1/cases", json=start, headers=me)
    assert draft.status_code == 201, draft.text
    case = draft.json()["id"]
    as_json = {**me, "content-type": "application/json"}

    # 1. A lone surrogate in a form value: escaped in the JSON, or as raw (not UTF-8) bytes.
    escaped = (
        b'{"site_code":"420502","matter_code":"%s","form":{"business_scope":"\\ud800"}}' % MATTER.encode()
    )
    refused(await c.post("/api/v1/cases", content=escaped, headers=as_json), "form")
    raw = escaped.replace(b"\\ud800", b"\xed\xa0\x80")
    refused(await c.post("/api/v1/cases", content=raw, headers=as_json), "form.business_scope")
    patch = b'{"form":{"business_scope":"ok","\\udfff":1}}'
    refused(await c.patch(f"/api/v1/cases/{case}", content=patch, headers=as_json), "form")
    # ... and anywhere else text is taken.
    refused(
        await c.post(f"/api/v1/cases/{case}/withdraw", content=b'{"reason":"\\ud800"}', headers=as_json),
        "reason",
    )

    # 2. A form nested ~900 levels deep (and a matter's form schema likewise).
    deep = b'{"form":{"x":' + b"[" * 900 + b"]" * 900 + b"}}"
    body = refused(await c.patch(f"/api/v1/cases/{case}", content=deep, headers=as_json), "form")
    assert body["errors"][0]["message_zh"] == "嵌套层级过深"
    deeper = b'{"form":' + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"}"
    r = await c.patch(f"/api/v1/cases/{case}", content=deeper, headers=as_json)
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json", r.text
    schema = {"type": "object", "properties": {"x": {"type": "array", "items": {}}}}
    node = schema["properties"]["x"]["items"]
    for _ in range(60):
        node["items"] = {"type": "array"}
        node = node["items"]
    matter = {"code": "420502-SCJGJ-0900", "name": "深", "department_code": "420502-SCJGJ"}
    matter |= {"audiences": ["person"], "type": "licensing", "form_schema": schema}
    refused(await c.post(f"/api/v1/admin/sites/{SITE}/matters", json=matter, headers=AUTH), "form_schema")

    # 3. A revision above 2^63-1: If-Match, expected_revision on PATCH and on a staff action.
    r = await c.patch(f"/api/v1/cases/{case}", json={}, headers={**me, "If-Match": f'"{TOO_BIG}"'})
    refused(r, "If-Match", "IF_MATCH_INVALID")
    # "²" is a digit to str.isdigit, not to int().
    r = await c.patch(f"/api/v1/cases/{case}", json={}, headers={**me, "If-Match": '"²"'.encode("latin-1")})
    refused(r, "If-Match", "IF_MATCH_INVALID")
    refused(
        await c.patch(f"/api/v1/cases/{case}", json={"expected_revision": TOO_BIG}, headers=me),
        "expected_revision",
    )
    clerk = await staff(c, "xl_clerk_bounds", "window_clerk")
    action = f"/api/v1/staff/cases/{case}/actions/accept"
    refused(await c.post(action, json={"expected_revision": TOO_BIG}, headers=clerk), "expected_revision")
    refused(
        await c.post(action, json={}, headers={**clerk, "If-Match": str(TOO_BIG)}),
        "If-Match",
        "IF_MATCH_INVALID",
    )
    deadline = {"items": [{"material": "M01", "problem": "模糊"}], "deadline": "9999-12-31"}
    refused(
        await c.post(f"/api/v1/staff/cases/{case}/actions/request_supplement", json=deadline, headers=clerk),
        "deadline",
    )
    # The largest revision an int64 holds is an ordinary stale revision.
    r = await c.patch(f"/api/v1/cases/{case}", json={"expected_revision": bounds.MAX_INT64}, headers=me)
    assert r.status_code == 409, r.text

    # 4. Statistics and performance up to 9999-12-31, or on a day that does not exist.
    supervisor = await staff(c, "xl_sup_bounds", "supervisor")
    for path in ("/api/v1/statistics/cases", "/api/v1/supervision/performance"):
        refused(await c.get(path, params={"to": "9999-12-31"}, headers=supervisor), "to")
        refused(await c.get(path, params={"from": "2026-02-30"}, headers=supervisor), "from")
        assert (
            await c.get(path, params={"from": "2026-01-01", "to": "2026-12-31"}, headers=supervisor)
        ).status_code == 200

    # 5. An agent authorisation expiring in year 1 (or 9999, the last instant a Timestamp holds).
    grant = {"agent_name": "郑经办", "agent_id_number": "420502198506120019", "scopes": ["cases.apply"]}
    for when in ("0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00"):
        r = await c.post(
            f"/api/v1/enterprises/{uuid.uuid4()}/agents", json={**grant, "expires_at": when}, headers=me
        )
        body = refused(r, "expires_at")
        assert "1900-01-01" in body["errors"][0]["message_zh"]


# Nothing the caller sent comes back -------------------------------------------------------------


async def test_problems_do_not_repeat_what_the_caller_sent(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    marker = "EVIL<script>名字"
    # A staff member who does not administer the site tries to create one named by the caller.
    body = {"username": "xl_clerk_echo", "name": "刘办理", "mobile": "13700009991", "password": PASSWORD}
    body |= {"site_code": SITE, "department_code": "420502-SCJGJ", "roles": ["window_clerk"]}
    assert (await create_staff(c, body)).status_code == 201
    login = {"method": "staff", "username": "xl_clerk_echo", "password": PASSWORD}
    clerk = bearer((await c.post("/api/v1/auth/login", json=login)).json()["access_token"])
    site = {"name": marker, "level": "county", "parent_code": "420500"}
    r = await c.put("/api/v1/admin/sites/420506", json=site, headers=clerk)
    assert_problem(r, 403, "FORBIDDEN")
    assert "EVIL" not in r.text and "script" not in r.text
    # An unknown field's name and an unknown login method are not repeated either.
    r = await c.post(
        "/api/v1/auth/login", json={"method": "password", "login_name": "x", "password": "y", marker: 1}
    )
    assert_problem(r, 400, "REQUEST_INVALID")
    assert "EVIL" not in r.text and "script" not in r.text
    r = await c.post("/api/v1/auth/login", json={"method": marker})
    assert_problem(r, 400, "REQUEST_INVALID")
    assert "EVIL" not in r.text and "script" not in r.text


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    """One HTTP/1.1 request and its response on an open connection."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return status, head + await reader.readexactly(length)


def http_request(method: str, target: str, body: bytes = b"", **headers: str) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: gateway", f"Authorization: Bearer {TOKEN}"]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def test_refusals_keep_the_connection_alive() -> None:
    """The five inputs on one keep-alive connection to a real server: each a 400, none drops it
    (a 500 did). No service is needed: the gateway refuses them itself."""
    port = free_port()
    settings = GatewaySettings(admin_token=TOKEN, port=port)  # type: ignore[arg-type]
    server = uvicorn.Server(server_config(create_app(settings), settings, "warning"))
    task = asyncio.create_task(server.serve())
    try:
        await wait_until(lambda: server.started, 30, what="uvicorn started")
        async with asyncio.timeout(30):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            draft = b'{"site_code":"420502","matter_code":"M","form":{"business_scope":"\\ud800"}}'
            agent = b'{"agent_name":"a","agent_id_number":"1","scopes":["cases.apply"],"expires_at":"0001-01-01T00:00:00+08:00"}'
            requests = [
                http_request("POST", "/api/v1/cases", draft),
                http_request("POST", "/api/v1/cases", draft.replace(b"\\ud800", b"\xed\xa0\x80")),
                http_request("PATCH", "/api/v1/cases/c1", b'{"form":' + b"[" * 900 + b"]" * 900 + b"}"),
                http_request("PATCH", "/api/v1/cases/c1", b"{}", If_Match=f'"{TOO_BIG}"'),
                http_request("PATCH", "/api/v1/cases/c1", b'{"expected_revision":%d}' % TOO_BIG),
                http_request(
                    "POST", "/api/v1/staff/cases/c1/actions/accept", b'{"expected_revision":%d}' % TOO_BIG
                ),
                http_request("GET", "/api/v1/statistics/cases?to=9999-12-31"),
                http_request("GET", "/api/v1/supervision/performance?to=9999-12-31"),
                http_request("POST", f"/api/v1/enterprises/{uuid.uuid4()}/agents", agent),
            ]
            for raw in requests:
                status, response = await exchange(reader, writer, raw)
                assert status == 400 and b"application/problem+json" in response, response
                assert b"connection: close" not in response.lower()
            status, _ = await exchange(reader, writer, http_request("GET", "/healthz"))
            assert status == 200
            writer.close()
    finally:
        server.should_exit = True
        await task
