"""Letters (咨询/投诉/建议) through the gateway: an anonymous complaint confirmed by SMS, replied to
and read back by number and password (locked per client after wrong ones); a signed-in
consultation with a follow-up and a rating; who may not read or act; the public Q&A; problems."""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import Stack
from .test_cases_routes import DEPT, MATTER, OTHER_DEPT, SITE, seed, staff
from .test_identity_routes import assert_problem, bearer, person


async def anonymous_complaint(stack: Stack, mobile: str) -> dict[str, Any]:
    c = stack.client
    r = await c.post("/api/v1/auth/sms-codes", json={"mobile": mobile, "purpose": "letter"})
    assert r.status_code == 200, r.text
    body = {
        "site_code": SITE,
        "kind": "complaint",
        "department_code": DEPT,
        "reason": "attitude",
        "case_number": "420502-20261201-0001",
        "title": "窗口人员态度差",
        "content": "办理时窗口人员态度恶劣。",
        "writer_name": "王投诉",
        "writer_mobile": mobile,
        "sms_code": stack.sms(mobile),
    }
    r = await c.post("/api/v1/consultations", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_an_anonymous_complaint_is_replied_and_read_back_by_number_and_password(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    written = await anonymous_complaint(stack, "13912340101")
    letter, password = written["letter"], written["query_password"]
    assert letter["kind"] == "complaint" and letter["state"] == "pending" and letter["anonymous"] is True
    assert (letter["writer_name_masked"], letter["writer_mobile_masked"]) == ("王**", "139****0101")
    assert letter["letter_number"].startswith(f"TS{SITE}-") and len(password) == 8

    clerk = await staff(c, "letter_clerk", "window_clerk")
    other = await staff(c, "letter_other", "window_clerk", dept=OTHER_DEPT)
    queue = (await c.get("/api/v1/staff/consultations", headers=clerk)).json()
    assert [x["id"] for x in queue["items"]] == [letter["id"]]
    assert (await c.get("/api/v1/staff/consultations", headers=other)).json()["items"] == []
    path = f"/api/v1/staff/consultations/{letter['id']}"
    assert_problem(
        await c.post(f"{path}/claim", json={"revision": 1}, headers=other), 404, "LETTER_NOT_FOUND"
    )
    r = await c.post(f"{path}/claim", json={"revision": 1}, headers=clerk)
    assert r.status_code == 200 and r.json()["state"] == "processing", r.text
    # The same revision again: someone else already acted.
    assert_problem(await c.post(f"{path}/claim", json={"revision": 1}, headers=clerk), 409, "LETTER_CHANGED")
    r = await c.post(
        f"{path}/reply", json={"revision": 2, "content": "已核实并批评教育。", "public": False}, headers=clerk
    )
    assert r.status_code == 200 and r.json()["state"] == "replied", r.text

    query = {"letter_number": letter["letter_number"], "query_password": password}
    r = await c.post("/api/v1/letters/query", json=query)
    assert r.status_code == 200, r.text
    assert [m["action"] for m in r.json()["messages"]] == ["complaint", "reply"]
    assert r.json()["messages"][1]["content"] == "已核实并批评教育。"
    # Wrong passwords lock this client out of this letter (the gateway passes the client's address).
    for _ in range(5):
        assert_problem(
            await c.post("/api/v1/letters/query", json={**query, "query_password": "WRONG234"}),
            404,
            "LETTER_QUERY_FAILED",
        )
    assert_problem(await c.post("/api/v1/letters/query", json=query), 429, "LETTER_QUERY_LOCKED")


async def test_a_consultation_with_a_follow_up_a_rating_and_the_public_answers(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    me = bearer((await person(stack, "13912340102", "陈咨询"))["access_token"])
    someone = bearer((await person(stack, "13912340103", "赵旁人"))["access_token"])
    body = {
        "site_code": SITE,
        "kind": "consultation",
        "department_code": DEPT,
        "matter_code": MATTER,
        "title": "食品经营许可材料",
        "content": "需要哪些材料？联系电话13912340102",
        "agrees_to_publish": True,
    }
    r = await c.post("/api/v1/consultations", json=body, headers=me)
    assert r.status_code == 201, r.text
    assert r.json()["query_password"] == "" and r.json()["letter"]["anonymous"] is False
    letter_id = r.json()["letter"]["id"]
    mine = (await c.get("/api/v1/me/consultations", headers=me)).json()
    assert [x["id"] for x in mine["items"]] == [letter_id] and mine["page"]["total"] == 1
    assert (await c.get("/api/v1/me/consultations", headers=someone)).json()["items"] == []
    assert_problem(
        await c.get(f"/api/v1/consultations/{letter_id}", headers=someone), 404, "LETTER_NOT_FOUND"
    )
    assert_problem(await c.get(f"/api/v1/consultations/{letter_id}"), 401, "UNAUTHENTICATED")

    clerk = await staff(c, "letter_clerk2", "window_clerk")
    path = f"/api/v1/staff/consultations/{letter_id}"
    assert (await c.post(f"{path}/claim", json={"revision": 1}, headers=clerk)).status_code == 200
    r = await c.post(
        f"{path}/reply",
        json={"revision": 2, "content": "营业执照和场所证明。", "public": True},
        headers=clerk,
    )
    assert r.status_code == 200, r.text
    follow = f"/api/v1/consultations/{letter_id}/follow-ups"
    assert_problem(
        await c.post(follow, json={"content": "复印件？"}, headers=someone), 404, "LETTER_NOT_FOUND"
    )
    r = await c.post(follow, json={"content": "复印件可以吗？"}, headers=me)
    assert r.status_code == 200 and r.json()["state"] == "followed_up", r.text
    r = await c.post(f"{path}/reply", json={"revision": 4, "content": "需原件。"}, headers=clerk)
    assert [m["action"] for m in r.json()["messages"]] == [
        "consultation",
        "reply",
        "follow_up",
        "follow_up_answer",
    ]
    r = await c.post(f"/api/v1/consultations/{letter_id}/rating", json={"rating": "satisfied"}, headers=me)
    assert r.status_code == 200 and (r.json()["state"], r.json()["rating"]) == ("closed", "satisfied"), r.text

    public = (await c.get(f"/api/v1/sites/{SITE}/consultations", params={"matter_code": MATTER})).json()
    (item,) = public["items"]
    assert (item["title"], item["answer"]) == ("食品经营许可材料", "营业执照和场所证明。")
    assert "13912340102" not in item["question"] and "letter_number" not in item


async def test_bad_letters_are_problems_naming_the_field(stack: Stack) -> None:
    c: httpx.AsyncClient = stack.client
    await seed(c)
    base = {"site_code": SITE, "kind": "consultation", "title": "t", "content": "c"}
    # Anonymous without a code; a wrong kind; too long; an unknown department.
    r = await c.post(
        "/api/v1/consultations", json={**base, "writer_name": "张", "writer_mobile": "13912340104"}
    )
    assert_problem(r, 400, "SMS_CODE_MISSING")
    assert_problem(
        await c.post("/api/v1/consultations", json={**base, "kind": "praise"}), 400, "REQUEST_INVALID"
    )
    assert_problem(
        await c.post("/api/v1/consultations", json={**base, "content": "长" * 2001}), 400, "REQUEST_INVALID"
    )
    r = await c.post(
        "/api/v1/consultations",
        json={
            **base,
            "department_code": "420502-NONE",
            "writer_name": "张",
            "writer_mobile": "13912340104",
            "sms_code": "1",
        },
    )
    assert_problem(r, 400, "DEPARTMENT_UNKNOWN")
    assert_problem(await c.get("/api/v1/staff/consultations"), 401, "UNAUTHENTICATED")
    me = bearer((await person(stack, "13912340105", "钱普通"))["access_token"])
    assert_problem(await c.get("/api/v1/staff/consultations", headers=me), 403, "STAFF_ONLY")
    assert_problem(await c.get("/api/v1/sites/42/consultations"), 400, "REQUEST_INVALID")


async def test_an_extension_is_asked_and_a_supervisor_decides(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    me = bearer((await person(stack, "13912340106", "孙延期"))["access_token"])
    body = {
        "site_code": SITE,
        "kind": "suggestion",
        "department_code": DEPT,
        "title": "建议",
        "content": "增加窗口",
    }
    letter = (await c.post("/api/v1/consultations", json=body, headers=me)).json()["letter"]
    clerk = await staff(c, "letter_clerk3", "window_clerk")
    boss = await staff(c, "letter_boss", "supervisor", dept=f"{SITE}-ZWFW")
    path = f"/api/v1/staff/consultations/{letter['id']}"
    r = await c.post(f"{path}/extension", json={"revision": 1, "days": 5, "reason": "需调研"}, headers=clerk)
    assert r.status_code == 200 and r.json()["extension_state"] == "requested", r.text
    assert_problem(
        await c.post(f"{path}/extension/decision", json={"revision": 2, "approve": True}, headers=clerk),
        403,
        "SUPERVISOR_ONLY",
    )
    r = await c.post(f"{path}/extension/decision", json={"revision": 2, "approve": True}, headers=boss)
    assert r.status_code == 200 and r.json()["extension_state"] == "approved", r.text
    assert r.json()["due_date"] > letter["due_date"]
    listed = (await c.get("/api/v1/staff/consultations/supervised", headers=boss)).json()
    assert [x["id"] for x in listed["items"]] == [letter["id"]]
    overdue = (await c.get("/api/v1/staff/consultations/supervised?overdue_only=true", headers=boss)).json()
    assert overdue["items"] == []
    assert_problem(
        await c.get("/api/v1/staff/consultations/supervised", headers=clerk), 403, "SUPERVISOR_ONLY"
    )
    assert_problem(
        await c.post(f"{path}/extension", json={"revision": 3, "days": 99, "reason": "x"}, headers=clerk),
        400,
        "REQUEST_INVALID",
    )
