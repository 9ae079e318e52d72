"""The cases routes through the gateway: who may see and do what, agents of enterprises, mail
delivery, and bad input as problems (never a 500)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from govhall.kit.validators import credit_code_check_char

from .conftest import AUTH, Stack
from .test_identity_routes import PASSWORD, assert_problem, bearer, person

SITE, DEPT, OTHER_DEPT = "420502", "420502-SCJGJ", "420502-MZJ"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)
MATTER = "420502-SCJGJ-0101"


async def seed(c: httpx.AsyncClient) -> None:
    for code, body in [
        ("420000", {"name": "湖北省", "level": "province"}),
        ("420500", {"name": "宜昌市", "level": "city", "parent_code": "420000"}),
        (SITE, {"name": "西陵区", "level": "county", "parent_code": "420500"}),
    ]:
        assert (await c.put(f"/api/v1/admin/sites/{code}", json=body, headers=AUTH)).status_code == 200
    for code, name in ((DEPT, "西陵区市场监督管理局"), (OTHER_DEPT, "西陵区民政局")):
        r = await c.put(f"/api/v1/admin/sites/{SITE}/departments/{code}", json={"name": name}, headers=AUTH)
        assert r.status_code == 200, r.text
    matter = {
        "code": MATTER,
        "name": "食品经营许可",
        "department_code": DEPT,
        "audiences": ["person", "legal_person"],
        "type": "licensing",
        "handling_type": "promised",
        "promised_limit": {"value": 10},
        "legal_limit": {"value": 20},
        "online_application": True,
        "online_depth": 4,
        "visits": 0,
        "steps": [
            {"code": "accept", "name": "受理", "role": "window_clerk"},
            {"code": "review", "name": "审核", "role": "reviewer"},
            {"code": "decide", "name": "决定", "role": "approver"},
        ],
        "materials": [
            {
                "code": "M01",
                "name": "申请书",
                "form": "electronic",
                "necessity": "required",
                "source": "applicant",
            }
        ],
    }
    r = await c.post(f"/api/v1/admin/sites/{SITE}/matters", json=matter, headers=AUTH)
    assert r.status_code == 201, r.text
    assert (
        await c.post(f"/api/v1/admin/sites/{SITE}/matters/{MATTER}/publish", headers=AUTH)
    ).status_code == 200


async def staff(c: httpx.AsyncClient, username: str, role: str, dept: str = DEPT) -> dict[str, str]:
    body = {
        "username": username,
        "name": "刘办理",
        "mobile": f"1370000{abs(hash(username)) % 10_000:04d}",
        "password": PASSWORD,
        "site_code": SITE,
        "department_code": dept,
        "roles": [role],
    }
    assert (await c.post("/api/v1/admin/staff", json=body, headers=AUTH)).status_code == 201
    r = await c.post(
        "/api/v1/auth/login", json={"method": "staff", "username": username, "password": PASSWORD}
    )
    return bearer(r.json()["access_token"])


async def submitted(c: httpx.AsyncClient, who: dict[str, str], **extra: Any) -> dict[str, Any]:
    r = await c.post("/api/v1/cases", json={"site_code": SITE, "matter_code": MATTER, **extra}, headers=who)
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    r = await c.post(
        f"/api/v1/cases/{case_id}/materials/M01", files={"file": ("申请书.pdf", PDF)}, headers=who
    )
    assert r.status_code == 200, r.text
    r = await c.post(f"/api/v1/cases/{case_id}/submit", json={}, headers=who)
    assert r.status_code == 200 and r.json()["state"] == "submitted", r.text
    return dict(r.json())


async def test_others_see_nothing_and_the_wrong_department_changes_nothing(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    owner = bearer((await person(stack, "13812350001"))["access_token"])
    stranger = bearer((await person(stack, "13812350002"))["access_token"])
    case = await submitted(c, owner)
    assert len(case["query_password"]) == 8
    assert_problem(await c.get(f"/api/v1/cases/{case['id']}", headers=stranger), 404, "CASE_NOT_FOUND")
    assert_problem(await c.get("/api/v1/me/cases"), 401, "UNAUTHENTICATED")
    assert (await c.get("/api/v1/me/cases", headers=stranger)).json()["cases"] == []

    clerk = await staff(c, "xl_clerk1", "window_clerk")
    outsider = await staff(c, "mz_reviewer", "reviewer", OTHER_DEPT)
    accepted = await c.post(f"/api/v1/staff/cases/{case['id']}/actions/accept", json={}, headers=clerk)
    assert accepted.status_code == 200 and accepted.json()["case_number"], accepted.text
    r = await c.post(
        f"/api/v1/staff/cases/{case['id']}/actions/complete_step", json={"outcome": "pass"}, headers=outsider
    )
    assert_problem(r, 403, "CASE_WRONG_DEPARTMENT")
    after = (await c.get(f"/api/v1/cases/{case['id']}", headers=owner)).json()
    assert after["state"] == "accepted" and after["revision"] == accepted.json()["revision"]
    # An applicant cannot act as staff.
    r = await c.post(
        f"/api/v1/staff/cases/{case['id']}/actions/terminate", json={"result_code": 2}, headers=owner
    )
    assert_problem(r, 403, "CASE_WRONG_ACTOR")


async def test_an_agent_files_for_the_enterprise_only_with_the_cases_scope(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    rep = await person(stack, "13812350003", "吴代表")
    agent = await person(stack, "13812350004", "郑经办")
    viewer = await person(stack, "13812350005", "钱查看")
    body = "91420500MA4K77701"
    created = await c.post(
        "/api/v1/enterprises",
        json={
            "credit_code": body + credit_code_check_char(body),
            "name": "宜昌三峡餐饮有限公司",
            "type": "enterprise",
            "password": PASSWORD,
        },
        headers=bearer(rep["access_token"]),
    )
    assert created.status_code == 201, created.text
    enterprise = created.json()["id"]
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    grants = {}
    for who, scopes in ((agent, ["cases.apply"]), (viewer, ["licences.view"])):
        g = await c.post(
            f"/api/v1/enterprises/{enterprise}/agents",
            json={
                "agent_name": "",
                "agent_id_number": who["id_number"],
                "scopes": scopes,
                "expires_at": expires,
            }
            | {"agent_name": "郑经办" if who is agent else "钱查看"},
            headers=bearer(rep["access_token"]),
        )
        assert g.status_code == 201, g.text
        grants[id(who)] = g.json()["id"]

    async def act(who: dict[str, Any]) -> dict[str, str]:
        r = await c.post(f"/api/v1/enterprises/{enterprise}/act", headers=bearer(who["access_token"]))
        assert r.status_code == 200, r.text
        return bearer(r.json()["access_token"])

    as_agent = await act(agent)
    case = await submitted(c, as_agent)
    assert case["applicant"]["kind"] == "legal_person" and case["applicant"]["subject"] == enterprise
    # Someone authorised for other things is refused, whatever the token carries.
    r = await c.post(
        "/api/v1/cases", json={"site_code": SITE, "matter_code": MATTER}, headers=await act(viewer)
    )
    assert_problem(r, 403, "AGENT_NOT_AUTHORISED")
    # The representative, acting for the enterprise, sees the agent's case.
    mine = (await c.get("/api/v1/me/cases", headers=await act(rep))).json()
    assert [x["id"] for x in mine["cases"]] == [case["id"]]
    # Once revoked, the acting token is refused.
    r = await c.delete(
        f"/api/v1/enterprises/{enterprise}/agents/{grants[id(agent)]}", headers=bearer(rep["access_token"])
    )
    assert r.status_code == 200
    r = await c.get(f"/api/v1/cases/{case['id']}", headers=as_agent)
    assert r.status_code in (401, 403), r.text


async def test_mail_delivery_copies_the_saved_address(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    who = bearer((await person(stack, "13812350006"))["access_token"])
    address = {"recipient": "王五", "mobile": "13700001234", "county_code": SITE, "detail": "夷陵大道52号"}
    saved = (await c.post("/api/v1/me/addresses", json=address, headers=who)).json()
    r = await c.post(
        "/api/v1/cases",
        json={
            "site_code": SITE,
            "matter_code": MATTER,
            "delivery": {"method": "mail", "address_id": saved["id"]},
        },
        headers=who,
    )
    assert r.status_code == 201, r.text
    delivery = r.json()["delivery"]
    assert delivery["method"] == "mail" and delivery["recipient"] == "王五"
    assert (
        delivery["address_text"].endswith("西陵区夷陵大道52号") and delivery["mobile_masked"] == "137****1234"
    )
    assert "13700001234" not in r.text


async def test_bad_input_is_a_problem_not_a_crash(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    who = bearer((await person(stack, "13812350007"))["access_token"])
    draft = (
        await c.post("/api/v1/cases", json={"site_code": SITE, "matter_code": MATTER}, headers=who)
    ).json()
    exe = b"MZ\x90\x00\x03" + b"\x00" * 100
    r = await c.post(
        f"/api/v1/cases/{draft['id']}/materials/M01", files={"file": ("申请书.pdf", exe)}, headers=who
    )
    assert_problem(r, 400, "FILE_TYPE_NOT_ACCEPTED")
    r = await c.post(
        f"/api/v1/cases/{draft['id']}/materials/M01",
        files={"file": ("big.pdf", PDF + b"0" * (10 << 20))},
        headers=who,
    )
    assert_problem(r, 400, "FILE_TOO_LARGE")
    r = await c.post(
        "/api/v1/cases", content=b"{not json", headers={**who, "content-type": "application/json"}
    )
    assert_problem(r, 400, "REQUEST_INVALID")
    r = await c.post(f"/api/v1/staff/cases/{draft['id']}/actions/approve_everything", json={}, headers=who)
    assert r.status_code in (400, 404, 422) and r.status_code != 500
    r = await c.get("/api/v1/me/cases", params={"tab": "nonsense"}, headers=who)
    assert_problem(r, 400, "REQUEST_INVALID")
    r = await c.post(
        "/api/v1/cases/status-query", json={"case_number": "420502202611230000001", "query_password": "X"}
    )
    assert_problem(r, 404, "CASE_QUERY_FAILED")
    ok = await c.post(
        f"/api/v1/cases/{draft['id']}/materials/M01", files={"file": ("平面图.pdf", PNG)}, headers=who
    )
    assert ok.status_code == 200 and ok.json()["materials"][0]["files"][0]["file_name"] == "平面图.png"
    file_id = ok.json()["materials"][0]["files"][0]["id"]
    got = await c.get(f"/api/v1/cases/{draft['id']}/files/{file_id}", headers=who)
    assert got.content == PNG and got.headers["content-type"] == "image/png"
    assert "filename*=UTF-8''%E5%B9%B3%E9%9D%A2%E5%9B%BE.png" in got.headers["content-disposition"]
