"""The cases routes through the gateway: the issue's journey (apply, supplement, accept, two
reviews, approve, the decision PDF, the status query and the QR verification), who may see and do
what, agents of enterprises, mail delivery, and bad input as problems (never a 500)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import jwt
from pypdf import PdfReader

from govhall.kit.kv import create_kv
from govhall.kit.testing import ONE_PAGE_PDF, wait_until
from govhall.kit.validators import credit_code_check_char

from .conftest import AUTH, Stack, create_staff, open_gateway
from .test_identity_routes import PASSWORD, assert_problem, bearer, person

SITE, DEPT, OTHER_DEPT = "420502", "420502-SCJGJ", "420502-MZJ"
PDF = ONE_PAGE_PDF
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
    assert (await create_staff(c, body)).status_code == 201
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
    owner = bearer((await person(stack, "13812350001", "周业主"))["access_token"])
    stranger = bearer((await person(stack, "13812350002", "冯路人"))["access_token"])
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
    follower = await person(stack, "13812350015", "孙跟进")
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
    for who, scopes, name in (
        (agent, ["cases.apply"], "郑经办"),
        (viewer, ["licences.view"], "钱查看"),
        (follower, ["cases.view"], "孙跟进"),
    ):
        g = await c.post(
            f"/api/v1/enterprises/{enterprise}/agents",
            json={
                "agent_name": "",
                "agent_id_number": who["id_number"],
                "scopes": scopes,
                "expires_at": expires,
            }
            | {"agent_name": name},
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
    # cases.view follows the enterprise's cases and changes nothing.
    as_follower = await act(follower)
    assert [x["id"] for x in (await c.get("/api/v1/me/cases", headers=as_follower)).json()["cases"]] == [
        case["id"]
    ]
    assert (await c.get(f"/api/v1/cases/{case['id']}", headers=as_follower)).json()["id"] == case["id"]
    r = await c.post("/api/v1/cases", json={"site_code": SITE, "matter_code": MATTER}, headers=as_follower)
    assert_problem(r, 403, "CASE_SCOPE_MISSING")
    r = await c.post(f"/api/v1/cases/{case['id']}/withdraw", json={"reason": "不办了"}, headers=as_follower)
    assert_problem(r, 403, "CASE_SCOPE_MISSING")
    assert (await c.get(f"/api/v1/cases/{case['id']}", headers=as_agent)).json()["state"] == "submitted"
    # The representative, acting for the enterprise, sees the agent's case.
    mine = (await c.get("/api/v1/me/cases", headers=await act(rep))).json()
    assert [x["id"] for x in mine["cases"]] == [case["id"]]
    # Once revoked, the acting token is refused.
    r = await c.delete(
        f"/api/v1/enterprises/{enterprise}/agents/{grants[id(agent)]}", headers=bearer(rep["access_token"])
    )
    assert r.status_code == 200
    # The gateway refuses the old acting token at the door: identity listed its session as revoked.
    assert_problem(await c.get(f"/api/v1/cases/{case['id']}", headers=as_agent), 401, "TOKEN_REVOKED")
    # Behind the door cases checks the session itself on every call: a gateway that never saw the
    # revocation (its own revocation list) passes the token on, and cases refuses it as the gateway
    # would have.
    assert stack.settings is not None and stack.var_dir is not None
    blind = stack.settings.model_copy(update={"kv_namespace": stack.settings.kv_namespace + "-blind"})
    other, lifespan = await open_gateway(blind)
    try:
        reads = (f"/api/v1/cases/{case['id']}", "/api/v1/me/cases")
        for r in (
            await other.get(reads[0], headers=as_agent),
            await other.post(
                "/api/v1/cases", json={"site_code": SITE, "matter_code": MATTER}, headers=as_agent
            ),
            await other.get(reads[1], headers=as_agent),
        ):
            assert_problem(r, 401, "TOKEN_REVOKED")
        # Were the revocation entries lost everywhere, cases still re-reads the authorisation
        # from identity and refuses: a write at once (writes always ask identity), a read once
        # the revocation event has reached cases (a read may use identity's yes of the last
        # few seconds, and the event drops it).
        claims = jwt.decode(as_agent["Authorization"].split()[1], options={"verify_signature": False})
        kv = create_kv(None, stack.settings.kv_namespace, var_dir=stack.var_dir)
        await kv.delete(f"rv:s:{claims['sid']}")
        await kv.delete(f"rv:a:{claims['agt']}")
        await kv.close()
        r = await other.post(
            "/api/v1/cases", json={"site_code": SITE, "matter_code": MATTER}, headers=as_agent
        )
        assert_problem(r, 403, "AGENT_NOT_AUTHORISED")
        for path in reads:

            async def read_refused(path: str = path) -> bool:
                return (await other.get(path, headers=as_agent)).status_code == 403

            # Bounded well under the cache's 10 s: it is the event that refuses it, not the expiry.
            await wait_until(read_refused, timeout=5, what=f"GET {path} refused after the revocation")
            assert_problem(await other.get(path, headers=as_agent), 403, "AGENT_NOT_AUTHORISED")
    finally:
        await other.aclose()
        await lifespan.__aexit__(None, None, None)


async def test_mail_delivery_copies_the_saved_address(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    who = bearer((await person(stack, "13812350006", "陈收件"))["access_token"])
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
    who = bearer((await person(stack, "13812350007", "褚输入"))["access_token"])
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


# The journey ----------------------------------------------------------------------------

JOURNEY_MATTER = "420502-SCJGJ-0102"
FORM_SCHEMA = {
    "type": "object",
    "title": "食品经营许可申请表",
    "properties": {
        "shop_name": {"type": "string", "title": "经营者名称", "minLength": 2},
        "address": {"type": "string", "title": "经营场所", "minLength": 4},
        "staff_count": {"type": "integer", "title": "从业人员数", "minimum": 1},
    },
    "required": ["shop_name", "address"],
}


async def publish_journey_matter(c: httpx.AsyncClient) -> None:
    """Four steps (受理 → 初审 → 复审 → 决定), two required uploads, a form with Chinese titles."""
    matter = {
        "code": JOURNEY_MATTER,
        "name": "食品经营许可（新办）",
        "department_code": DEPT,
        "audiences": ["person", "legal_person"],
        "type": "licensing",
        "handling_type": "promised",
        "promised_limit": {"value": 10},
        "legal_limit": {"value": 20},
        "online_application": True,
        "online_depth": 4,
        "visits": 0,
        "result_name": "食品经营许可证",
        "guide": {"notice": "申请人应对申请材料实质内容的真实性负责。"},
        "steps": [
            {"code": "accept", "name": "受理", "role": "window_clerk"},
            {"code": "first", "name": "初审", "role": "reviewer"},
            {"code": "second", "name": "复审", "role": "reviewer"},
            {"code": "decide", "name": "决定", "role": "approver"},
        ],
        "materials": [
            {"code": "M01", "name": "食品经营许可申请书", "form": "electronic", "necessity": "required"},
            {"code": "M02", "name": "经营场所平面图", "form": "electronic", "necessity": "required"},
        ],
        "form_schema": FORM_SCHEMA,
    }
    r = await c.post(f"/api/v1/admin/sites/{SITE}/matters", json=matter, headers=AUTH)
    assert r.status_code == 201, r.text
    r = await c.post(f"/api/v1/admin/sites/{SITE}/matters/{JOURNEY_MATTER}/publish", headers=AUTH)
    assert r.status_code == 200, r.text


def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


async def test_apply_supplement_accept_review_approve_through_the_gateway(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    await publish_journey_matter(c)
    clerk = await staff(c, "j_clerk", "window_clerk")
    reviewer = await staff(c, "j_reviewer", "reviewer")
    approver = await staff(c, "j_approver", "approver")
    supervisor = await staff(c, "j_supervisor", "supervisor")
    me = bearer((await person(stack, "13812350101", "王小明"))["access_token"])

    # A draft, created once however often the portal retries it.
    draft_body = {
        "site_code": SITE,
        "matter_code": JOURNEY_MATTER,
        "form": {"shop_name": "王记小面"},
        "delivery": {"method": "pick_up"},
    }
    key = {"Idempotency-Key": "draft-13812350101-1"}
    draft = ok(await c.post("/api/v1/cases", json=draft_body, headers={**me, **key}), 201)
    again = ok(await c.post("/api/v1/cases", json=draft_body, headers={**me, **key}), 201)
    assert again["id"] == draft["id"] and draft["state"] == "draft" and draft["state_zh"] == "待提交"
    assert draft["form"] == {"shop_name": "王记小面"} and "form_json" not in draft
    assert draft["form_schema"]["properties"]["shop_name"]["title"] == "经营者名称"
    assert [m["code"] for m in draft["materials"]] == ["M01", "M02"]
    case_id = draft["id"]

    # The rest of the form, against the revision the portal saw (ETag / If-Match).
    got = await c.get(f"/api/v1/cases/{case_id}", headers=me)
    etag = got.headers["etag"]
    assert etag == f'"{got.json()["revision"]}"'
    full_form = {"shop_name": "王记小面", "address": "宜昌市西陵区东山大道88号", "staff_count": 3}
    patched = ok(
        await c.patch(f"/api/v1/cases/{case_id}", json={"form": full_form}, headers={**me, "If-Match": etag})
    )
    assert patched["form"] == full_form and patched["delivery"]["method"] == "pick_up"
    assert patched["revision"] == got.json()["revision"] + 1
    # (A new draft is at revision 0, which the protocol reads as "no check": the guard starts
    # with the first change.)
    stale = {"If-Match": f'"{patched["revision"]}"'}
    ok(await c.patch(f"/api/v1/cases/{case_id}", json={"form": full_form}, headers={**me, **stale}))
    assert_problem(
        await c.patch(f"/api/v1/cases/{case_id}", json={"form": {}}, headers={**me, **stale}),
        409,
        "CASE_CHANGED",
    )
    assert_problem(
        await c.patch(f"/api/v1/cases/{case_id}", json={}, headers={**me, "If-Match": "soon"}),
        400,
        "IF_MATCH_INVALID",
    )

    # Two uploads (multipart), then submit: the notice must be confirmed, and a retry is harmless.
    up1 = ok(
        await c.post(
            f"/api/v1/cases/{case_id}/materials/M01",
            files={"file": ("申请书.pdf", PDF, "application/pdf")},
            headers=me,
        )
    )
    ok(
        await c.post(
            f"/api/v1/cases/{case_id}/materials/M02",
            files={"file": ("平面图.png", PNG, "image/png")},
            headers=me,
        )
    )
    first_file = up1["materials"][0]["files"][0]
    assert first_file["media_type"] == "application/pdf" and first_file["size"] == len(PDF)
    assert_problem(
        await c.post(f"/api/v1/cases/{case_id}/submit", json={}, headers=me), 400, "NOTICE_NOT_READ"
    )
    submit_key = {"Idempotency-Key": f"submit-{case_id}"}
    submitted = ok(
        await c.post(
            f"/api/v1/cases/{case_id}/submit", json={"notice_read": True}, headers={**me, **submit_key}
        )
    )
    password = submitted["query_password"]
    assert submitted["state"] == "submitted" and len(password) == 8
    retried = ok(
        await c.post(
            f"/api/v1/cases/{case_id}/submit", json={"notice_read": True}, headers={**me, **submit_key}
        )
    )
    # The retry may be because the first reply, and its password, were lost: it carries a new
    # one, and the lost one stops working.
    assert retried["state"] == "submitted" and retried["query_password"] not in ("", password)
    old_password, password = password, retried["query_password"]
    application_number = submitted["application_number"]
    assert application_number.startswith(f"SB{SITE}") and submitted["case_number"] == ""
    before = ok(
        await c.post(
            "/api/v1/cases/status-query",
            json={"case_number": application_number, "query_password": password},
        )
    )
    assert before["state_zh"] == "待预审" and before["application_number"] == application_number
    assert_problem(
        await c.post(
            "/api/v1/cases/status-query",
            json={"case_number": application_number, "query_password": old_password},
        ),
        404,
        "CASE_QUERY_FAILED",
    )

    # The window clerk sees it and asks for a supplement (一次性告知).
    queue = ok(await c.get("/api/v1/staff/queue", params={"role": "window_clerk"}, headers=clerk))
    assert case_id in [x["id"] for x in queue["cases"]]
    assert {"key": "submitted", "label": "待预审", "count": 1} in queue["counts"]
    noticed = ok(
        await c.post(
            f"/api/v1/staff/cases/{case_id}/actions/request_supplement",
            json={
                "items": [{"material": "M01", "problem": "申请书缺少经营者签字"}],
                "opinion": "请一次性补正",
            },
            headers=clerk,
        )
    )
    assert noticed["state"] == "supplement_requested"
    assert noticed["supplement"]["items"] == [
        {
            "material": "M01",
            "problem": "申请书缺少经营者签字",
            "field": "",
            "name": "食品经营许可申请书",
            "changed": False,
        }
    ]
    mine = ok(await c.get("/api/v1/me/cases", params={"tab": "supplement"}, headers=me))
    assert [x["id"] for x in mine["cases"]] == [case_id]
    ok(
        await c.post(
            f"/api/v1/cases/{case_id}/materials/M01",
            files={"file": ("申请书（已签字）.pdf", PDF + b"% signed\n", "application/pdf")},
            headers=me,
        )
    )
    resubmitted = ok(await c.post(f"/api/v1/cases/{case_id}/resubmit", json={"note": "已补正"}, headers=me))
    assert resubmitted["state"] == "submitted"

    # Accepted (the case number is issued), two review steps, approved.
    accepted = ok(
        await c.post(
            f"/api/v1/staff/cases/{case_id}/actions/accept", json={"opinion": "材料齐全"}, headers=clerk
        )
    )
    number = accepted["case_number"]
    assert accepted["state"] == "accepted" and number.startswith(SITE)
    assert ok(await c.get("/api/v1/staff/queue", headers=reviewer))["cases"][0]["id"] == case_id
    for opinion in ("初审通过", "复审通过"):
        stepped = ok(
            await c.post(
                f"/api/v1/staff/cases/{case_id}/actions/complete_step",
                json={"outcome": "pass", "opinion": opinion},
                headers=reviewer,
            )
        )
        assert stepped["state"] == "under_review"
    # A field another action uses is refused, not ignored; a stale If-Match changes nothing.
    assert_problem(
        await c.post(
            f"/api/v1/staff/cases/{case_id}/actions/conclude",
            json={"decision": "approved", "outcome": "pass"},
            headers=approver,
        ),
        400,
        "REQUEST_INVALID",
    )
    assert_problem(
        await c.post(
            f"/api/v1/staff/cases/{case_id}/actions/conclude",
            json={"decision": "approved"},
            headers={**approver, "If-Match": f'"{accepted["revision"]}"'},
        ),
        409,
        "CASE_CHANGED",
    )
    done = ok(
        await c.post(
            f"/api/v1/staff/cases/{case_id}/actions/conclude",
            json={"decision": "approved", "opinion": "准予许可"},
            headers={**approver, "If-Match": f'"{stepped["revision"]}"'},
        )
    )
    assert done["state"] == "concluded_approved"

    # The citizen: 待评价 lists it, concluded (办结), with its flow and the decision PDF.
    to_evaluate = ok(await c.get("/api/v1/me/cases", params={"tab": "to_evaluate"}, headers=me))
    assert [x["id"] for x in to_evaluate["cases"]] == [case_id]
    assert to_evaluate["cases"][0]["state_zh"].startswith("办结")
    assert {t["tab"]: t["count"] for t in to_evaluate["tabs"]}["to_evaluate"] == 1
    detail = ok(await c.get(f"/api/v1/cases/{case_id}", headers=me))
    assert detail["state_zh"].startswith("办结") and detail["case_number"] == number
    assert detail["form"] == full_form and detail["ended_at"].endswith("+08:00")
    assert [(f["action"], f["step_name"]) for f in detail["flow"]] == [
        ("submit", ""),
        ("request_supplement", ""),
        ("resubmit", ""),
        ("accept", "受理"),
        ("complete_step", "初审"),
        ("complete_step", "复审"),
        ("conclude", "决定"),
    ]
    assert [len(m["files"]) for m in detail["materials"]] == [2, 1]
    kinds = [d["kind"] for d in detail["documents"]]
    assert kinds == ["supplement", "acceptance", "approval"]
    decision = detail["documents"][-1]
    pdf = await c.get(f"/api/v1/cases/{case_id}/documents/{decision['id']}", headers=me)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    disposition = pdf.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="') and "filename*=UTF-8''" in disposition
    assert quote(f"{decision['title']}-{number}.pdf", safe="") in disposition
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert number in text and "准予" in text
    original = await c.get(f"/api/v1/cases/{case_id}/files/{first_file['id']}", headers=me)
    assert original.content == PDF and original.headers["x-content-type-options"] == "nosniff"
    assert "filename*=UTF-8''%E7%94%B3%E8%AF%B7%E4%B9%A6.pdf" in original.headers["content-disposition"]

    # Anyone: 办件查询 with the number and the query password, nothing naming the applicant; the
    # decision's QR code verifies, a wrong code does not.
    status = ok(
        await c.post("/api/v1/cases/status-query", json={"case_number": number, "query_password": password})
    )
    assert status["case_number"] == number and status["state_zh"].startswith("办结")
    assert "王小明" not in json.dumps(status, ensure_ascii=False)
    assert_problem(
        await c.post(
            "/api/v1/cases/status-query", json={"case_number": number, "query_password": "WRONG123"}
        ),
        404,
        "CASE_QUERY_FAILED",
    )
    verify = f"/api/v1/cases/documents/{decision['id']}/verify"
    checked = ok(await c.get(verify, params={"code": decision["verification_code"]}))
    assert checked["valid"] is True and checked["case_number"] == number
    assert checked["title"] == decision["title"] and checked["sha256"] == decision["sha256"]
    assert ok(await c.get(verify, params={"code": "AAAAAAAA"}))["valid"] is False

    # Supervision: the supervisor's figures count it; an applicant gets none of them.
    assert ok(await c.get("/api/v1/supervision/warnings", headers=supervisor))["warnings"] == []
    perf = ok(await c.get("/api/v1/supervision/performance", headers=supervisor))
    (row,) = perf["departments"]
    assert row["department_code"] == DEPT and row["accepted"] == 1 and row["concluded"] == 1
    stats = ok(await c.get("/api/v1/statistics/cases", params={"site_code": SITE}, headers=supervisor))
    assert stats["total"] == 1 and stats["concluded"] == 1
    assert_problem(await c.get("/api/v1/supervision/warnings", headers=me), 403, "SUPERVISOR_REQUIRED")
    assert_problem(
        await c.get("/api/v1/supervision/performance", params={"from": "2026/11/01"}, headers=supervisor),
        400,
        "REQUEST_INVALID",
    )
    # Not a day of the calendar: the gateway refuses it, naming the parameter.
    bad_day = assert_problem(
        await c.get("/api/v1/supervision/performance", params={"from": "2026-13-01"}, headers=supervisor),
        400,
        "REQUEST_INVALID",
    )
    assert [e["field"] for e in bad_day["errors"]] == ["query.from"]


async def test_drafts_change_only_what_is_sent_and_go_away(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    await publish_journey_matter(c)
    me = bearer((await person(stack, "13812350102", "卫草稿"))["access_token"])
    body = {"site_code": SITE, "matter_code": JOURNEY_MATTER, "form": {"shop_name": "李记"}}
    draft = ok(await c.post("/api/v1/cases", json=body, headers=me), 201)
    case_id = draft["id"]
    # Delivery alone: the form stays.
    changed = ok(
        await c.patch(
            f"/api/v1/cases/{case_id}",
            json={"delivery": {"method": "pick_up"}, "expected_revision": draft["revision"]},
            headers=me,
        )
    )
    assert changed["form"] == {"shop_name": "李记"} and changed["delivery"]["method"] == "pick_up"
    # A form field the schema refuses is named by its Chinese title.
    bad = await c.patch(f"/api/v1/cases/{case_id}", json={"form": {"staff_count": 0}}, headers=me)
    assert bad.status_code == 400 and "从业人员数" in bad.json()["detail_zh"], bad.text
    # A file can be removed again; the material is then empty.
    up = ok(
        await c.post(f"/api/v1/cases/{case_id}/materials/M02", files={"file": ("图.png", PNG)}, headers=me)
    )
    file_id = up["materials"][1]["files"][0]["id"]
    gone = ok(await c.delete(f"/api/v1/cases/{case_id}/materials/M02/files/{file_id}", headers=me))
    assert gone["materials"][1]["files"] == []
    assert_problem(
        await c.delete(f"/api/v1/cases/{case_id}/materials/M02/files/{file_id}", headers=me),
        404,
        "FILE_NOT_FOUND",
    )
    # Submitting an incomplete draft lists every problem at once.
    incomplete = await c.post(f"/api/v1/cases/{case_id}/submit", json={"notice_read": True}, headers=me)
    fields = {e["field"] for e in assert_problem(incomplete, 400, "CASE_INCOMPLETE")["errors"]}
    assert len(fields) >= 3, fields  # the address, M01, M02
    assert ok(await c.get("/api/v1/me/cases", params={"tab": "draft"}, headers=me))["page"]["total"] == 1
    assert (await c.delete(f"/api/v1/cases/{case_id}", headers=me)).status_code == 204
    assert_problem(await c.get(f"/api/v1/cases/{case_id}", headers=me), 404, "CASE_NOT_FOUND")


async def test_withdrawal_before_acceptance(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    me = bearer((await person(stack, "13812350103", "蒋撤回"))["access_token"])
    case = await submitted(c, me)
    withdrawn = ok(
        await c.post(f"/api/v1/cases/{case['id']}/withdraw", json={"reason": "材料有误"}, headers=me)
    )
    assert withdrawn["state"] == "withdrawn"
    other = ok(await c.get("/api/v1/me/cases", params={"tab": "other"}, headers=me))
    assert [x["id"] for x in other["cases"]] == [case["id"]]
    assert_problem(
        await c.post(f"/api/v1/cases/{case['id']}/withdraw", json={}, headers=me), 409, "CASE_NOT_IN_STATE"
    )


async def test_oversized_bodies_are_refused_before_they_are_read(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    me = bearer((await person(stack, "13812350104", "沈大件"))["access_token"])
    draft = ok(
        await c.post("/api/v1/cases", json={"site_code": SITE, "matter_code": MATTER}, headers=me), 201
    )
    url = f"/api/v1/cases/{draft['id']}/materials/M01"
    # Content-Length says it is too big: refused before a byte of it is read.
    huge = PDF + b"0" * (11 << 20)
    assert_problem(await c.post(url, files={"file": ("大文件.pdf", huge)}, headers=me), 413, "FILE_TOO_LARGE")

    # Without a Content-Length (chunked): refused as it streams past the limit.
    async def chunks() -> Any:
        yield b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n'
        for _ in range(12):
            yield b"0" * (1 << 20)

    r = await c.post(url, content=chunks(), headers={**me, "content-type": "multipart/form-data; boundary=x"})
    assert_problem(r, 413, "FILE_TOO_LARGE")
    # No file part, or a text body: a 400 problem.
    assert_problem(await c.post(url, data={"name": "x"}, headers=me), 400, "REQUEST_INVALID")
    r = await c.post(url, content=b"plain", headers={**me, "content-type": "text/plain"})
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json", r.text
    # The case is as it was.
    assert ok(await c.get(f"/api/v1/cases/{draft['id']}", headers=me))["materials"][0]["files"] == []
