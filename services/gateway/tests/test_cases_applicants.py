"""Applicants through the gateway (issue 11): real-name first, an enterprise applying as itself
and its representative reaching its cases, the status-query lock per client, idempotency keys
that cannot be reused, a new query password, and supplements that name form fields."""

from __future__ import annotations

from typing import Any

import httpx

from govhall.kit.validators import credit_code_check_char

from .conftest import Stack, create_staff
from .test_cases_routes import JOURNEY_MATTER, MATTER, PDF, PNG, SITE, publish_journey_matter, seed, submitted
from .test_identity_routes import PASSWORD, assert_problem, bearer, person


async def clerk(c: httpx.AsyncClient, username: str) -> dict[str, str]:
    body = {
        "username": username,
        "name": "刘受理",
        "mobile": "13700009999",
        "password": PASSWORD,
        "site_code": SITE,
        "department_code": "420502-SCJGJ",
        "roles": ["window_clerk"],
    }
    assert (await create_staff(c, body)).status_code == 201
    r = await c.post(
        "/api/v1/auth/login", json={"method": "staff", "username": username, "password": PASSWORD}
    )
    return bearer(r.json()["access_token"])


async def test_an_unverified_person_is_told_how_to_verify(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    who = bearer((await person(stack, "13812360001"))["access_token"])
    r = await c.post("/api/v1/cases", json={"site_code": SITE, "matter_code": MATTER}, headers=who)
    problem = assert_problem(r, 403, "REAL_NAME_REQUIRED")
    assert "实名认证" in problem["detail_zh"] and "身份证" in problem["detail_zh"]


async def test_an_enterprise_applies_as_itself_and_its_representative_reaches_its_cases(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    rep = await person(stack, "13812360002", "吴法人")
    stranger = await person(stack, "13812360003", "郑旁人")
    body = "91420500MA4K88801"
    credit_code = body + credit_code_check_char(body)
    created = await c.post(
        "/api/v1/enterprises",
        json={
            "credit_code": credit_code,
            "name": "宜昌夷陵食品有限公司",
            "type": "enterprise",
            "password": PASSWORD,
        },
        headers=bearer(rep["access_token"]),
    )
    assert created.status_code == 201, created.text
    login = await c.post(
        "/api/v1/auth/login",
        json={"method": "legal_person", "credit_code": credit_code, "password": PASSWORD},
    )
    assert login.status_code == 200, login.text
    enterprise = bearer(login.json()["access_token"])

    case = await submitted(c, enterprise)
    assert (
        case["applicant"]["kind"] == "legal_person" and case["applicant"]["subject"] == created.json()["id"]
    )
    mine = await c.get("/api/v1/me/cases", headers=enterprise)
    assert mine.status_code == 200 and [x["id"] for x in mine.json()["cases"]] == [case["id"]]

    # The legal representative, signed in as themselves, sees the case and may act on it.
    own = bearer(rep["access_token"])
    seen = await c.get(f"/api/v1/cases/{case['id']}", headers=own)
    assert seen.status_code == 200 and seen.json()["id"] == case["id"], seen.text
    withdrawn = await c.post(f"/api/v1/cases/{case['id']}/withdraw", json={"reason": "重新申请"}, headers=own)
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn", withdrawn.text
    # Anyone else learns nothing.
    r = await c.get(f"/api/v1/cases/{case['id']}", headers=bearer(stranger["access_token"]))
    assert_problem(r, 404, "CASE_NOT_FOUND")


def from_address(stack: Stack, host: str) -> httpx.AsyncClient:
    """A client of the same gateway app, connecting from another address."""
    app: Any = stack.client._transport.app  # type: ignore[attr-defined]
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(host, 40000)), base_url="http://gateway"
    )


async def test_wrong_query_passwords_lock_out_only_the_guesser(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    me = bearer((await person(stack, "13812360004", "孙查询"))["access_token"])
    case = await submitted(c, me)
    number, password = case["application_number"], case["query_password"]
    query = "/api/v1/cases/status-query"
    async with from_address(stack, "203.0.113.9") as guesser:
        for _ in range(5):
            r = await guesser.post(query, json={"case_number": number, "query_password": "WRONG123"})
            assert_problem(r, 404, "CASE_QUERY_FAILED")
        r = await guesser.post(query, json={"case_number": number, "query_password": password})
        assert_problem(r, 429, "CASE_QUERY_LOCKED")
    r = await c.post(query, json={"case_number": number, "query_password": password})
    assert r.status_code == 200 and r.json()["application_number"] == number, r.text


async def test_keys_are_not_reused_and_a_query_password_can_be_reset(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    me = bearer((await person(stack, "13812360005", "李幂等"))["access_token"])
    key = {"Idempotency-Key": "draft-13812360005"}
    first = await c.post(
        "/api/v1/cases", json={"site_code": SITE, "matter_code": MATTER}, headers={**me, **key}
    )
    assert first.status_code == 201
    other = {"site_code": SITE, "matter_code": MATTER, "form": {"shop_name": "另一家"}}
    assert_problem(
        await c.post("/api/v1/cases", json=other, headers={**me, **key}), 422, "IDEMPOTENCY_KEY_REUSED"
    )

    case = await submitted(c, me)
    reset = await c.post(f"/api/v1/cases/{case['id']}/query-password", headers=me)
    assert reset.status_code == 200 and reset.json()["query_password"] not in ("", case["query_password"])
    query = "/api/v1/cases/status-query"
    number = case["application_number"]
    r = await c.post(query, json={"case_number": number, "query_password": reset.json()["query_password"]})
    assert r.status_code == 200, r.text
    r = await c.post(query, json={"case_number": number, "query_password": case["query_password"]})
    assert_problem(r, 404, "CASE_QUERY_FAILED")


async def test_a_supplement_names_form_fields_the_applicant_may_then_change(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    await publish_journey_matter(c)
    window = await clerk(c, "sup_clerk")
    me = bearer((await person(stack, "13812360006", "钱补正"))["access_token"])
    form = {"shop_name": "钱记小面", "address": "宜昌市西陵区东山大道88号"}
    draft = await c.post(
        "/api/v1/cases", json={"site_code": SITE, "matter_code": JOURNEY_MATTER, "form": form}, headers=me
    )
    case_id = draft.json()["id"]
    for code, name, content in (("M01", "申请书.pdf", PDF), ("M02", "平面图.png", PNG)):
        r = await c.post(
            f"/api/v1/cases/{case_id}/materials/{code}", files={"file": (name, content)}, headers=me
        )
        assert r.status_code == 200, r.text
    r = await c.post(f"/api/v1/cases/{case_id}/submit", json={"notice_read": True}, headers=me)
    assert r.status_code == 200, r.text

    action = f"/api/v1/staff/cases/{case_id}/actions/request_supplement"
    r = await c.post(
        action,
        json={"items": [{"material": "M99", "problem": "?"}, {"field": "contact", "problem": "?"}]},
        headers=window,
    )
    problem = assert_problem(r, 400, "CASE_SUPPLEMENT_ITEM_UNKNOWN")
    assert [e["field"] for e in problem["errors"]] == ["items[0].material", "items[1].field"]
    r = await c.post(
        action, json={"items": [{"field": "shop_name", "problem": "与营业执照不一致"}]}, headers=window
    )
    assert r.status_code == 200, r.text
    assert r.json()["supplement"]["items"][0]["name"] == "经营者名称"
    # Resubmitting with nothing changed is refused; only the named field may change.
    r = await c.post(f"/api/v1/cases/{case_id}/resubmit", json={}, headers=me)
    assert_problem(r, 400, "CASE_SUPPLEMENT_NOT_DONE")
    r = await c.patch(
        f"/api/v1/cases/{case_id}", json={"form": {**form, "address": "宜昌市西陵区别处1号"}}, headers=me
    )
    assert_problem(r, 409, "CASE_FIELD_NOT_IN_SUPPLEMENT")
    r = await c.patch(
        f"/api/v1/cases/{case_id}", json={"form": {**form, "shop_name": "宜昌钱记餐饮店"}}, headers=me
    )
    assert r.status_code == 200 and r.json()["supplement"]["items"][0]["changed"] is True, r.text
    r = await c.post(f"/api/v1/cases/{case_id}/resubmit", json={}, headers=me)
    assert r.status_code == 200 and r.json()["state"] == "submitted", r.text
    assert r.json()["form"]["shop_name"] == "宜昌钱记餐饮店"
