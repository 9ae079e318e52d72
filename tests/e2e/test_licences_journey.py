"""Journey: an administrator links a 食品经营许可 matter to a licence type; a citizen applies, the
case is accepted, reviewed and approved; licences issues a level-A licence into the applicant's
证照库 (from cases' concluded event, over NATS) that the public verify route finds valid; the
issuing department's approver revokes it and verify says revoked within seconds. Before that,
a new application reuses the licence as a material (用证授权): the citizen grants the case, the
department's clerk reads it, the citizen revokes the grant, the clerk gets 404, and the citizen's
accesses list shows the read. Then the citizen's 政务云盘: a folder, an upload, a rename and a
move, the file picked into an application (云盘选择) beside a file reused from an earlier case
(历史材料引用). Every service its own process on the real servers, through the gateway over HTTP.
"""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import httpx
from pypdf import PdfReader

from govhall.kit.testing import wait_until_sync
from govhall.kit.validators import mask_id_number

from .conftest import ADMIN, DEPT, SITE
from .test_cases_journey import STAFF_NAMES, act, ok, pdf, publish_matter, staff_token, submit_application
from .test_identity_journey import bearer, login, register_and_verify

# The demo department's unified social credit code (as in licences' demo types).
ISSUER_CODE = "11420502MB0000010U"


def licence_type(api: httpx.Client, matter: str) -> str:
    """A fresh 食品经营许可证 type issued by the journey's department, linked to ``matter``."""
    code = f"JY{uuid.uuid4().hex[:10].upper()}"
    body = {
        "code": code,
        "name": "食品经营许可证",
        "issuer_department_code": DEPT,
        "issuer_name": "西陵区市场监督管理局",
        "issuer_code": ISSUER_CODE,
        "holder_kind": "person",
        "validity_years": 5,
        "fields": [
            {"key": "shop_name", "label": "经营者名称", "required": True},
            {"key": "address", "label": "经营场所", "required": True},
        ],
    }
    made = ok(api.post("/api/v1/admin/licence-types", json=body, headers=ADMIN), 201)
    assert made["code"] == code
    linked = ok(api.put(f"/api/v1/admin/licence-types/{code}/matters/{matter}", headers=ADMIN))
    assert linked["matter_codes"] == [matter]
    return code


def publish_reuse_matter(api: httpx.Client, kind: str) -> str:
    """A matter whose material M02 is taken from a licence of type ``kind`` (免提交)."""
    code = f"{DEPT}-{uuid.uuid4().hex[:6].upper()}"
    body = {
        "code": code,
        "name": "食品经营许可（延续）",
        "department_code": DEPT,
        "audiences": ["person"],
        "type": "licensing",
        "handling_type": "promised",
        "promised_limit": {"value": 10},
        "legal_limit": {"value": 20},
        "online_application": True,
        "online_depth": 4,
        "visits": 0,
        "steps": [
            {"code": "accept", "name": "受理", "role": "window_clerk"},
            {"code": "decide", "name": "决定", "role": "approver"},
        ],
        "materials": [
            {"code": "M01", "name": "延续申请书", "form": "electronic", "necessity": "required"},
            {
                "code": "M02",
                "name": "食品经营许可证",
                "form": "electronic",
                "necessity": "required",
                "source": "licence",
                "licence_type_code": kind,
            },
        ],
    }
    ok(api.post(f"/api/v1/admin/sites/{SITE}/matters", json=body, headers=ADMIN), 201)
    ok(api.post(f"/api/v1/admin/sites/{SITE}/matters/{code}/publish", headers=ADMIN))
    return code


def draft_case(api: httpx.Client, token: str, matter: str, form: dict[str, str] | None = None) -> Any:
    body = {"site_code": SITE, "matter_code": matter, "form": form or {}, "delivery": {"method": "pick_up"}}
    return ok(api.post("/api/v1/cases", json=body, headers=bearer(token)), 201)


def material(case: Any, code: str) -> Any:
    [found] = [m for m in case["materials"] if m["code"] == code]
    return found


def my_licences(api: httpx.Client, token: str) -> list[Any]:
    return list(ok(api.get("/api/v1/me/licences", headers=bearer(token)))["items"])


def verify(api: httpx.Client, code: str) -> Any:
    return ok(api.get("/api/v1/licences/verify", params={"code": code}))


def test_concluded_case_issues_a_licence_that_verifies_until_revoked(api: httpx.Client, e2e: Any) -> None:
    matter = publish_matter(api)
    kind = licence_type(api, matter)
    clerk, reviewer, approver = (staff_token(api, r) for r in ("window_clerk", "reviewer", "approver"))
    citizen = register_and_verify(api, e2e, "李食安")
    # A token names the person as they were at login: log in again now that the name is verified,
    # so the case (and the licence) carry it.
    login(api, citizen)
    assert my_licences(api, citizen.access_token) == []

    case_id = submit_application(api, citizen, matter, "李记面馆", "宜昌市西陵区夷陵大道12号")
    act(api, clerk, case_id, "accept", {"opinion": "材料齐全"})
    act(api, reviewer, case_id, "complete_step", {"outcome": "pass", "opinion": "初审通过"})
    act(api, reviewer, case_id, "complete_step", {"outcome": "pass", "opinion": "复审通过"})
    done = act(api, approver, case_id, "conclude", {"decision": "approved", "opinion": "准予许可"})
    assert done["state"] == "concluded_approved"

    # Licences hears the conclusion over NATS and issues: bounded wait for the 证照库 to show it.
    wait_until_sync(
        lambda: len(my_licences(api, citizen.access_token)) == 1, 60, interval=0.2, what="the issued licence"
    )
    [licence] = my_licences(api, citizen.access_token)
    assert (licence["level"], licence["type_code"], licence["case_id"]) == ("A", kind, case_id)
    assert licence["state"] == "valid" and licence["editable"] is False
    assert licence["holder_name"] == "李食安" and licence["issuer_code"] == ISSUER_CODE
    # Identity's verified ID number, asked by licences when it issued, shown masked only.
    id_masked = mask_id_number(citizen.id_number)
    assert licence["holder_code_masked"] == id_masked and citizen.id_number not in json.dumps(licence)
    assert f".{kind}.{ISSUER_CODE}." in licence["identifier"]
    assert licence["metadata"] == {"shop_name": "李记面馆", "address": "宜昌市西陵区夷陵大道12号"}
    code = licence["verify_code"]
    assert code and code not in licence["identifier"] and code != licence["number"]

    # The PDF carries the number; its QR opens this run's verify route with the same code.
    reply = api.get(f"/api/v1/me/licences/{licence['id']}/file", headers=bearer(citizen.access_token))
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(reply.content)).pages)
    assert licence["number"] in text and id_masked in text and citizen.id_number not in text

    # Anyone verifies it: valid, the holder masked.
    check = verify(api, code)
    assert check["status"] == "valid" and check["identifier"] == licence["identifier"]
    assert check["holder_name"] != "李食安" and check["holder_name"].startswith("李")
    assert check["holder_code"] == id_masked
    unknown = api.get(
        "/api/v1/licences/verify", params={"code": code[:-2] + ("xy" if code[-2:] != "xy" else "yx")}
    )
    assert unknown.status_code == 404, unknown.text

    # Another citizen sees nothing of it; a clerk of the site (not the issuer's approver) cannot revoke.
    other = register_and_verify(api, e2e, "张旁人")
    assert my_licences(api, other.access_token) == []
    reply = api.get(f"/api/v1/me/licences/{licence['id']}", headers=bearer(other.access_token))
    assert reply.status_code == 404, reply.text
    reason = {"reason": "以欺骗手段取得许可", "revision": licence["revision"]}
    reply = api.post(f"/api/v1/staff/licences/{licence['id']}/revoke", json=reason, headers=bearer(clerk))
    assert reply.status_code in (403, 404), reply.text
    assert verify(api, code)["status"] == "valid"

    # A new application reuses the licence as its material M02 (用证授权): the citizen grants the
    # case; the case's material shows the licence; the handling department's clerk reads it.
    me = bearer(citizen.access_token)
    reuse = draft_case(api, citizen.access_token, publish_reuse_matter(api, kind))
    read = f"/api/v1/staff/cases/{reuse['id']}/licences/{licence['id']}"
    assert api.get(read, headers=bearer(clerk)).status_code == 404  # no grant yet: nothing
    body = {
        "case_id": reuse["id"],
        "material_code": "M02",
        "purpose": "食品经营许可延续",
        "expires_in_days": 30,
    }
    grant = ok(api.post(f"/api/v1/me/licences/{licence['id']}/grants", json=body, headers=me), 201)
    assert grant["state"] == "active" and grant["department_code"] == DEPT
    shown = material(ok(api.get(f"/api/v1/cases/{reuse['id']}", headers=me)), "M02")["licence"]
    assert (shown["grant_id"], shown["identifier"]) == (grant["id"], licence["identifier"])
    seen = ok(api.get(read, headers=bearer(clerk)))
    assert (seen["id"], seen["identifier"], seen["state"]) == (licence["id"], licence["identifier"], "valid")
    # The holder revokes the grant: the clerk reads nothing; the holder sees who read it.
    revoked_grant = ok(api.delete(f"/api/v1/me/licences/{licence['id']}/grants/{grant['id']}", headers=me))
    assert revoked_grant["state"] == "revoked"
    reply = api.get(read, headers=bearer(clerk))
    assert reply.status_code == 404, reply.text
    accesses = ok(api.get(f"/api/v1/me/licences/{licence['id']}/accesses", headers=me))["items"]
    assert [(a["grant_id"], a["case_id"], a["reader_name"], a["what"]) for a in accesses] == [
        (grant["id"], reuse["id"], STAFF_NAMES["window_clerk"], "licence")
    ]

    # The issuing department's approver revokes it; verify says so within seconds.
    revoked = ok(
        api.post(f"/api/v1/staff/licences/{licence['id']}/revoke", json=reason, headers=bearer(approver))
    )
    assert revoked["state"] == "revoked"
    wait_until_sync(
        lambda: verify(api, code)["status"] == "revoked", 15, interval=0.1, what="verify: revoked"
    )
    [after] = my_licences(api, citizen.access_token)
    assert after["state"] == "revoked"


def test_drive_folder_upload_rename_move(api: httpx.Client, e2e: Any) -> None:
    citizen = register_and_verify(api, e2e, "周云盘")
    me = bearer(citizen.access_token)
    papers = ok(api.post("/api/v1/me/drive/folders", json={"name": "证件"}, headers=me), 201)
    archive = ok(api.post("/api/v1/me/drive/folders", json={"name": "归档"}, headers=me), 201)
    content = pdf("营业场所租赁合同")
    uploaded = ok(
        api.post(
            "/api/v1/me/drive/files",
            files={"file": ("合同.pdf", content, "application/pdf")},
            data={"folder": papers["id"]},
            headers=me,
        ),
        201,
    )
    assert (uploaded["kind"], uploaded["parent_id"], int(uploaded["size"])) == (
        "file",
        papers["id"],
        len(content),
    )

    renamed = ok(
        api.patch(f"/api/v1/me/drive/items/{uploaded['id']}", json={"name": "租赁合同.pdf"}, headers=me)
    )
    assert renamed["name"] == "租赁合同.pdf"
    moved = ok(
        api.patch(f"/api/v1/me/drive/items/{uploaded['id']}", json={"parent_id": archive["id"]}, headers=me)
    )
    assert moved["parent_id"] == archive["id"] and moved["name"] == "租赁合同.pdf"

    root = ok(api.get("/api/v1/me/drive", headers=me))
    assert sorted(i["name"] for i in root["items"]) == ["归档", "证件"]
    assert int(root["usage"]["used_bytes"]) == len(content)
    assert ok(api.get("/api/v1/me/drive", params={"folder": papers["id"]}, headers=me))["items"] == []
    inside = ok(api.get("/api/v1/me/drive", params={"folder": archive["id"]}, headers=me))
    assert [(i["id"], i["name"]) for i in inside["items"]] == [(uploaded["id"], "租赁合同.pdf")]
    assert [p["name"] for p in inside["path"]] == ["归档"]
    reply = api.get(f"/api/v1/me/drive/files/{uploaded['id']}", headers=me)
    assert reply.status_code == 200 and reply.content == content

    # Someone else's drive does not hold it.
    other = register_and_verify(api, e2e, "吴旁观")
    reply = api.get(f"/api/v1/me/drive/files/{uploaded['id']}", headers=bearer(other.access_token))
    assert reply.status_code == 404, reply.text

    # Materials the citizen already has: the drive file picked as M02 (云盘选择), and M01 reused
    # from an earlier case of theirs (历史材料引用); the new case then submits.
    matter = publish_matter(api)
    earlier = submit_application(api, citizen, matter, "周记茶铺", "宜昌市西陵区东湖大道3号")
    [earlier_file] = material(ok(api.get(f"/api/v1/cases/{earlier}", headers=me)), "M01")["files"]
    form = {"shop_name": "周记茶铺", "address": "宜昌市西陵区东湖大道3号"}
    case = draft_case(api, citizen.access_token, matter, form)
    base = f"/api/v1/cases/{case['id']}/materials"
    picked = ok(api.post(f"{base}/M02/from", json={"drive_file_id": uploaded["id"]}, headers=me))
    [from_drive] = material(picked, "M02")["files"]
    assert (from_drive["file_name"], from_drive["sha256"]) == ("租赁合同.pdf", uploaded["sha256"])
    reused = ok(api.post(f"{base}/M01/from", json={"case_file_id": earlier_file["id"]}, headers=me))
    [from_case] = material(reused, "M01")["files"]
    assert from_case["sha256"] == earlier_file["sha256"] and from_case["id"] != earlier_file["id"]
    reply = api.get(f"/api/v1/cases/{case['id']}/files/{from_drive['id']}", headers=me)
    assert reply.status_code == 200 and reply.content == content
    # Another citizen's drive file is not theirs to pick.
    reply = api.post(
        f"{base}/M02/from", json={"drive_file_id": uploaded["id"]}, headers=bearer(other.access_token)
    )
    assert reply.status_code == 404, reply.text
    submitted = ok(api.post(f"/api/v1/cases/{case['id']}/submit", json={"notice_read": True}, headers=me))
    assert submitted["state"] == "submitted"
