"""跨省通办 at the receiving window through the gateway: the clerk records a handover, scans a
material (multipart, checked by content), sends it and lists their site's; the applicant follows
their own by A's number and sees nobody else's; bad input is a problem naming the field."""

from __future__ import annotations

from typing import Any

import jwt

from .conftest import Stack
from .test_api import assert_problem
from .test_cases_routes import PDF, SITE, seed, staff
from .test_identity_routes import bearer, person


def handover_body(applicant_subject: str = "", **kw: Any) -> dict[str, Any]:
    return {
        "partner_province": "220000",
        "matter_code": "220102-SCJG-0001",
        "matter_name": "食品经营许可",
        "applicant": {"kind": "person", "name": "张三", "id_number": "420502199001011234"},
        "applicant_subject": applicant_subject,
        "form": {"shop_name": "老张面馆"},
        "delivery_method": "post",
        "consent_text": "本人同意将申请信息及材料转送吉林省办理",
        "window_name": "跨省通办窗口",
        "site_code": SITE,
        **kw,
    }


async def test_the_window_records_and_sends_and_the_applicant_follows(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    clerk = await staff(c, "xp_clerk", "window_clerk")
    tokens = await person(stack, "13811110001", "张三")
    applicant = bearer(tokens["access_token"])
    subject = jwt.decode(tokens["access_token"], options={"verify_signature": False})["sub"]
    other = bearer((await person(stack, "13811110002"))["access_token"])

    r = await c.post("/api/v1/staff/handovers", json=handover_body(subject), headers=clerk)
    assert r.status_code == 201, r.text
    record = r.json()
    assert record["state"] == "draft" and record["number"].startswith("KS" + SITE)
    assert record["applicant_id_masked"] == "4205**********1234" and "420502199001011234" not in r.text
    hid = record["id"]
    r = await c.post(
        f"/api/v1/staff/handovers/{hid}/materials/M01",
        files={"file": ("申请书.pdf", PDF)},
        data={"name": "申请书"},
        headers=clerk,
    )
    assert r.status_code == 200, r.text
    material = r.json()["materials"][0]
    assert (material["material_code"], material["media_type"]) == ("M01", "application/pdf")
    r = await c.post(f"/api/v1/staff/handovers/{hid}/send", headers=clerk)
    assert r.status_code == 200 and r.json()["state"] == "sending", r.text

    listed = await c.get("/api/v1/staff/handovers", params={"state": "sending"}, headers=clerk)
    assert [h["id"] for h in listed.json()["items"]] == [hid]
    assert (await c.get("/api/v1/staff/handovers", params={"state": "draft"}, headers=clerk)).json()[
        "items"
    ] == []
    scan = await c.get(f"/api/v1/staff/handovers/{hid}/files/{material['file_id']}", headers=clerk)
    assert scan.status_code == 200 and scan.content == PDF

    mine = await c.get("/api/v1/me/handovers", headers=applicant)
    assert [h["number"] for h in mine.json()["items"]] == [record["number"]]
    one = await c.get(f"/api/v1/me/handovers/{hid}", headers=applicant)
    assert one.status_code == 200 and one.json()["state"] == "sending"
    assert_problem(await c.get(f"/api/v1/me/handovers/{hid}", headers=other), 404, "HANDOVER_NOT_FOUND")
    assert (await c.get("/api/v1/me/handovers", headers=other)).json()["items"] == []
    # The applicant is no clerk; nothing to deliver before the result is back.
    assert_problem(
        await c.post(f"/api/v1/staff/handovers/{hid}/send", headers=applicant), 403, "HANDOVER_WRONG_ACTOR"
    )
    r = await c.post(f"/api/v1/staff/handovers/{hid}/deliver", json={"delivered_by": "post"}, headers=clerk)
    assert_problem(r, 409, "HANDOVER_NOT_IN_STATE")


async def test_bad_input_is_a_problem_naming_the_field(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    clerk = await staff(c, "xp_clerk2", "window_clerk")
    r = await c.post("/api/v1/staff/handovers", json=handover_body(partner_province="22"), headers=clerk)
    body = assert_problem(r, 400, "REQUEST_INVALID")
    assert [e["field"] for e in body["errors"]] == ["partner_province"]
    # My own province is no partner: cases says so, naming the field.
    r = await c.post("/api/v1/staff/handovers", json=handover_body(partner_province="420000"), headers=clerk)
    body = assert_problem(r, 400, "HANDOVER_PARTNER_INVALID")
    assert [e["field"] for e in body["errors"]] == ["partner_province"]
    hid = (await c.post("/api/v1/staff/handovers", json=handover_body(), headers=clerk)).json()["id"]
    r = await c.post(
        f"/api/v1/staff/handovers/{hid}/materials/M01",
        files={"file": ("申请书.pdf", b"not a pdf")},
        headers=clerk,
    )
    assert 400 <= r.status_code < 500 and r.headers["content-type"] == "application/problem+json", r.text
    r = await c.post(f"/api/v1/staff/handovers/{hid}/deliver", json={"delivered_by": "drone"}, headers=clerk)
    body = assert_problem(r, 400, "REQUEST_INVALID")
    assert [e["field"] for e in body["errors"]] == ["delivered_by"]
