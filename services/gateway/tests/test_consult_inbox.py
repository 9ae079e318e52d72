"""我的消息 through the gateway: a citizen's case is submitted and accepted → two messages (the
acceptance also texted to their mobile, in the development SMS file); unread count, mark one and
all read, delete, paging; another user's message id is a 404; bad ids and no sign-in are problems."""

from __future__ import annotations

import json
from typing import Any

import httpx

from govhall.kit.testing import wait_until

from .conftest import Stack
from .test_cases_routes import seed, staff, submitted
from .test_identity_routes import assert_problem, bearer, person

MOBILE, OTHER_MOBILE = "13812350201", "13812350202"


def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


async def messages(c: httpx.AsyncClient, who: dict[str, str], query: str = "") -> dict[str, Any]:
    return dict(ok(await c.get(f"/api/v1/me/messages{query}", headers=who)))


def notices(stack: Stack) -> list[dict[str, Any]]:
    if not stack.sms_file.exists():
        return []
    lines = [json.loads(line) for line in stack.sms_file.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line["purpose"] == "notify"]


async def test_a_citizens_case_events_arrive_and_are_read_and_deleted(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    clerk = await staff(c, "inbox_clerk", "window_clerk")
    me = bearer((await person(stack, MOBILE, "陈消息"))["access_token"])
    other = bearer((await person(stack, OTHER_MOBILE, "王旁人"))["access_token"])
    case = await submitted(c, me)
    ok(await c.post(f"/api/v1/staff/cases/{case['id']}/actions/accept", json={}, headers=clerk))

    async def two() -> dict[str, Any]:
        found = await messages(c, me)
        return found if found["page"]["total"] == 2 else {}

    page = await wait_until(two, what="the submitted and accepted messages")
    newest, oldest = page["items"]
    assert (newest["subject"], oldest["subject"]) == ("cases.case.accepted", "cases.case.submitted")
    assert newest["title"] == "申请已受理：食品经营许可" and "《受理通知书》" in newest["body"]
    assert (newest["link_kind"], newest["link_id"], newest["read"]) == ("case", case["id"], False)
    assert newest["read_at"] is None and newest["created_at"]
    assert ok(await c.get("/api/v1/me/messages/unread-count", headers=me)) == {"unread": 2}
    # The acceptance needs action: texted to the mobile identity has, once.
    texts = await wait_until(lambda: notices(stack), what="the acceptance text")
    assert [t["mobile"] for t in texts] == [MOBILE] and "已受理" in texts[0]["text"]

    # Nobody else sees or touches them.
    assert (await messages(c, other))["items"] == []
    assert_problem(
        await c.post(f"/api/v1/me/messages/{newest['id']}/read", headers=other), 404, "MESSAGE_NOT_FOUND"
    )
    assert_problem(
        await c.delete(f"/api/v1/me/messages/{newest['id']}", headers=other), 404, "MESSAGE_NOT_FOUND"
    )

    read = ok(await c.post(f"/api/v1/me/messages/{newest['id']}/read", headers=me))
    assert read["read"] and read["read_at"]
    assert ok(await c.get("/api/v1/me/messages/unread-count", headers=me)) == {"unread": 1}
    unread_only = await messages(c, me, "?unread_only=true")
    assert [m["id"] for m in unread_only["items"]] == [oldest["id"]]
    paged = await messages(c, me, "?page=2&page_size=1")
    assert [m["id"] for m in paged["items"]] == [oldest["id"]] and paged["page"]["total"] == 2
    assert ok(await c.post("/api/v1/me/messages/read-all", headers=me)) == {"marked": 1}
    assert ok(await c.get("/api/v1/me/messages/unread-count", headers=me)) == {"unread": 0}

    assert ok(await c.delete(f"/api/v1/me/messages/{oldest['id']}", headers=me)) == {"removed": True}
    assert [m["id"] for m in (await messages(c, me))["items"]] == [newest["id"]]
    assert_problem(
        await c.delete(f"/api/v1/me/messages/{oldest['id']}", headers=me), 404, "MESSAGE_NOT_FOUND"
    )


async def test_no_sign_in_and_bad_input_are_problems(stack: Stack) -> None:
    c = stack.client
    assert_problem(await c.get("/api/v1/me/messages"), 401, "UNAUTHENTICATED")
    assert_problem(await c.get("/api/v1/me/messages/unread-count"), 401, "UNAUTHENTICATED")
    me = bearer((await person(stack, "13812350203"))["access_token"])
    assert_problem(await c.get("/api/v1/me/messages?page_size=1000", headers=me), 400, "REQUEST_INVALID")
    assert_problem(await c.post("/api/v1/me/messages/bad%20id/read", headers=me), 400, "REQUEST_INVALID")
    unknown = "0192f7a2-0000-7000-8000-000000000000"
    assert_problem(await c.post(f"/api/v1/me/messages/{unknown}/read", headers=me), 404, "MESSAGE_NOT_FOUND")
    assert ok(await c.post("/api/v1/me/messages/read-all", headers=me)) == {"marked": 0}
