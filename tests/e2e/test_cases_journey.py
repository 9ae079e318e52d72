"""Journey: a citizen applies online with two uploads, a clerk asks for a supplement, the citizen
resubmits, the case is accepted, passes two review steps and is approved; the citizen sees it
concluded with a decision PDF that carries the case number. Through the gateway over HTTP, every
service its own process on the real servers (PostgreSQL, NATS JetStream, Redis, Elasticsearch).
"""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import httpx
from pypdf import PdfReader

from govhall.kit.testing import ONE_PAGE_PDF

from .conftest import ADMIN, DEPT, SITE
from .test_identity_journey import PASSWORD, bearer, register_and_verify

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)


# A real one-page PDF (cases parses uploads and refuses what does not parse); the text, in a
BLANK_PDF = ONE_PAGE_PDF


def pdf(text: str) -> bytes:
    return BLANK_PDF + b"% " + text.encode() + b"\n"


def ok(reply: httpx.Response, status: int = 200) -> Any:
    assert reply.status_code == status, f"{reply.status_code}: {reply.text}"
    return reply.json()


def matter_body(code: str, dept: str = DEPT, **changes: Any) -> dict[str, Any]:
    """A 食品经营许可 matter of `dept` (accept, two reviews, decide; two required uploads; a
    two-field form), with `changes` replacing whole top-level fields."""
    form = {
        "type": "object",
        "title": "食品经营许可申请表",
        "properties": {
            "shop_name": {"type": "string", "title": "经营者名称", "minLength": 2},
            "address": {"type": "string", "title": "经营场所", "minLength": 4},
        },
        "required": ["shop_name", "address"],
    }
    upload = {"form": "electronic", "necessity": "required", "source": "applicant"}
    return {
        "code": code,
        "name": "食品经营许可（新办）",
        "department_code": dept,
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
            {**upload, "code": "M01", "name": "食品经营许可申请书"},
            {**upload, "code": "M02", "name": "经营场所平面图"},
        ],
        "form_schema": form,
        **changes,
    }


def publish_matter(api: httpx.Client, site: str = SITE, dept: str = DEPT, **changes: Any) -> str:
    """Publish a matter_body at `site`; its code."""
    code = f"{dept}-{uuid.uuid4().hex[:6].upper()}"
    ok(
        api.post(
            f"/api/v1/admin/sites/{site}/matters", json=matter_body(code, dept, **changes), headers=ADMIN
        ),
        201,
    )
    ok(api.post(f"/api/v1/admin/sites/{site}/matters/{code}/publish", headers=ADMIN))
    return code


STAFF_NAMES = {"window_clerk": "刘受理", "reviewer": "陈审核", "approver": "赵审批"}


def staff_token(api: httpx.Client, role: str) -> str:
    username = f"{role[:6]}{uuid.uuid4().hex[:8]}"
    ok(
        api.post(
            "/api/v1/admin/staff",
            json={
                "username": username,
                "name": STAFF_NAMES[role],
                "mobile": f"137{uuid.uuid4().int % 10**8:08d}",
                "password": PASSWORD,
                "site_code": SITE,
                "department_code": DEPT,
                "roles": [role],
            },
            headers=ADMIN,
        ),
        201,
    )
    body = ok(
        api.post("/api/v1/auth/login", json={"method": "staff", "username": username, "password": PASSWORD})
    )
    return str(body["access_token"])


def act(api: httpx.Client, token: str, case_id: str, action: str, body: dict[str, Any] | None = None) -> Any:
    return ok(
        api.post(f"/api/v1/staff/cases/{case_id}/actions/{action}", json=body or {}, headers=bearer(token))
    )


def upload(
    api: httpx.Client, token: str, case_id: str, code: str, name: str, content: bytes, kind: str
) -> Any:
    return ok(
        api.post(
            f"/api/v1/cases/{case_id}/materials/{code}",
            files={"file": (name, content, kind)},
            headers=bearer(token),
        )
    )


def submit_application(api: httpx.Client, citizen: Any, matter: str, shop: str, address: str) -> str:
    """A citizen's application through the gateway, drafted with its form and both uploads and
    submitted: the case id (the consult journeys start from a submitted case)."""
    me = bearer(citizen.access_token)
    form = {"shop_name": shop, "address": address}
    draft = ok(
        api.post(
            "/api/v1/cases",
            json={"site_code": SITE, "matter_code": matter, "form": form, "delivery": {"method": "pick_up"}},
            headers=me,
        ),
        201,
    )
    upload(api, citizen.access_token, draft["id"], "M01", "申请书.pdf", pdf("申请书"), "application/pdf")
    upload(api, citizen.access_token, draft["id"], "M02", "平面图.png", PNG, "image/png")
    ok(api.post(f"/api/v1/cases/{draft['id']}/submit", json={"notice_read": True}, headers=me))
    return str(draft["id"])


def test_apply_supplement_accept_review_approve(api: httpx.Client, e2e: Any) -> None:
    matter = publish_matter(api)
    clerk, reviewer, approver = (staff_token(api, r) for r in ("window_clerk", "reviewer", "approver"))
    citizen = register_and_verify(api, e2e, "王小明")
    me = bearer(citizen.access_token)

    # Apply: a draft with the form, two uploads, the notice read, submit.
    draft = ok(
        api.post(
            "/api/v1/cases",
            json={
                "site_code": SITE,
                "matter_code": matter,
                "form": {"shop_name": "王记小面", "address": "宜昌市西陵区东山大道88号"},
                "delivery": {"method": "pick_up"},
            },
            headers=me,
        ),
        201,
    )
    assert draft["state"] == "draft" and draft["state_zh"] == "待提交"
    upload(api, citizen.access_token, draft["id"], "M01", "申请书.pdf", pdf("申请书"), "application/pdf")
    upload(api, citizen.access_token, draft["id"], "M02", "平面图.png", PNG, "image/png")
    submitted = ok(api.post(f"/api/v1/cases/{draft['id']}/submit", json={"notice_read": True}, headers=me))
    case_id, password = submitted["id"], submitted["query_password"]
    assert submitted["state"] == "submitted" and password

    # The clerk asks for a supplement; the citizen uploads again and resubmits.
    queue = ok(api.get("/api/v1/staff/queue", headers=bearer(clerk)))
    assert case_id in [c["id"] for c in queue["cases"]]
    notice = act(
        api,
        clerk,
        case_id,
        "request_supplement",
        {"items": [{"material": "M01", "problem": "申请书缺少经营者签字"}], "opinion": "请一次性补正"},
    )
    assert notice["state"] == "supplement_requested"
    mine = ok(api.get("/api/v1/me/cases", params={"tab": "supplement"}, headers=me))
    assert [c["id"] for c in mine["cases"]] == [case_id]
    upload(
        api, citizen.access_token, case_id, "M01", "申请书（已签字）.pdf", pdf("已签字"), "application/pdf"
    )
    assert (
        ok(api.post(f"/api/v1/cases/{case_id}/resubmit", json={"note": "已补正"}, headers=me))["state"]
        == "submitted"
    )

    # Accepted (a case number), two review steps, approved.
    accepted = act(api, clerk, case_id, "accept", {"opinion": "材料齐全"})
    number = accepted["case_number"]
    assert accepted["state"] == "accepted" and number.startswith(SITE)
    act(api, reviewer, case_id, "complete_step", {"outcome": "pass", "opinion": "初审通过"})
    act(api, reviewer, case_id, "complete_step", {"outcome": "pass", "opinion": "复审通过"})
    done = act(api, approver, case_id, "conclude", {"decision": "approved", "opinion": "准予许可"})
    assert done["state"] == "concluded_approved"

    # The citizen sees it concluded (办结), with the flow and the decision PDF.
    detail = ok(api.get(f"/api/v1/cases/{case_id}", headers=me))
    assert detail["state_zh"].startswith("办结") and detail["case_number"] == number
    assert [f["action"] for f in detail["flow"]] == [
        "submit",
        "request_supplement",
        "resubmit",
        "accept",
        "complete_step",
        "complete_step",
        "conclude",
    ]
    assert [f["step_name"] for f in detail["flow"][4:]] == ["初审", "复审", "决定"]
    decision = next(d for d in detail["documents"] if d["kind"] == "approval")
    reply = api.get(f"/api/v1/cases/{case_id}/documents/{decision['id']}", headers=me)
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(reply.content)).pages)
    assert number in text and "准予" in text
    done_tab = ok(api.get("/api/v1/me/cases", params={"tab": "to_evaluate"}, headers=me))
    assert [c["id"] for c in done_tab["cases"]] == [case_id]

    # Anyone with the number and the query password follows it; the notice's QR code verifies.
    status = ok(
        api.post("/api/v1/cases/status-query", json={"case_number": number, "query_password": password})
    )
    assert status["state_zh"].startswith("办结") and "王小明" not in json.dumps(status, ensure_ascii=False)
    check = ok(
        api.get(
            f"/api/v1/cases/documents/{decision['id']}/verify", params={"code": decision["verification_code"]}
        )
    )
    assert check["valid"] is True and check["case_number"] == number

    # The citizen keeps the matter in 我的收藏 (consult), shown with the catalogue's name.
    kept = ok(api.put(f"/api/v1/me/favourites/{SITE}/{matter}", headers=me))
    assert (kept["matter_name"], kept["state"]) == ("食品经营许可（新办）", "available")
    favourites = ok(api.get("/api/v1/me/favourites", headers=me))
    assert [f["matter_code"] for f in favourites["items"]] == [matter]
