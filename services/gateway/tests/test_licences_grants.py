"""用证授权 through the gateway and real services: the holder grants a case's handling staff their
licence as the case's material; staff of the handling department read it (recorded) while the grant
lives and get 404 after it is revoked; someone else's licence is 404; bad input names the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from .conftest import Stack
from .test_api import assert_problem
from .test_cases_routes import AUTH, DEPT, OTHER_DEPT, SITE, seed, staff
from .test_identity_routes import bearer, person
from .test_licences_mine import MARRIAGE, form, in_licences_db, marriage_type, png

LICENCE_MATTER = "420502-SCJGJ-0109"


async def publish_licence_matter(c: httpx.AsyncClient) -> None:
    """A matter whose material M02 is taken from a 结婚证 (a reused licence, 免提交)."""
    matter: dict[str, Any] = {
        "code": LICENCE_MATTER,
        "name": "个体工商户登记",
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
            {"code": "M01", "name": "申请书", "form": "electronic", "necessity": "required"},
            {
                "code": "M02",
                "name": "结婚证",
                "form": "electronic",
                "necessity": "required",
                "source": "licence",
                "licence_type_code": MARRIAGE,
            },
        ],
    }
    r = await c.post(f"/api/v1/admin/sites/{SITE}/matters", json=matter, headers=AUTH)
    assert r.status_code == 201, r.text
    r = await c.post(f"/api/v1/admin/sites/{SITE}/matters/{LICENCE_MATTER}/publish", headers=AUTH)
    assert r.status_code == 200, r.text


async def granted_world(stack: Stack, tmp_path: Path, mobile: str) -> tuple[dict[str, str], str, str]:
    """A signed-in holder with their own 结婚证 (level C) and a draft case of LICENCE_MATTER."""
    c = stack.client
    await seed(c)
    await publish_licence_matter(c)
    await in_licences_db(tmp_path, marriage_type())
    me = bearer((await person(stack, mobile, "张三"))["access_token"])
    r = await c.post(
        "/api/v1/me/licences", data=form(), files={"file": ("结婚证.png", png(), "image/png")}, headers=me
    )
    assert r.status_code == 201, r.text
    body = {"site_code": SITE, "matter_code": LICENCE_MATTER, "form": {}, "delivery": {"method": "pick_up"}}
    r = await c.post("/api/v1/cases", json=body, headers=me)
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    [licence] = (await c.get("/api/v1/me/licences", headers=me)).json()["items"]
    return me, case_id, licence["id"]


async def test_staff_read_a_granted_licence_until_the_holder_revokes_the_grant(
    stack: Stack, tmp_path: Path
) -> None:
    c = stack.client
    me, case_id, licence_id = await granted_world(stack, tmp_path, "13900000171")
    other = bearer((await person(stack, "13900000172", "李四"))["access_token"])
    clerk = await staff(c, "grant_clerk", "window_clerk")
    elsewhere = await staff(c, "grant_other", "window_clerk", dept=OTHER_DEPT)
    read = f"/api/v1/staff/cases/{case_id}/licences/{licence_id}"

    # Without a grant staff see nothing.
    assert_problem(await c.get(read, headers=clerk), 404, "LICENCE_NOT_FOUND")

    body = {
        "case_id": case_id,
        "material_code": "M02",
        "purpose": "个体工商户登记核验婚姻状况",
        "expires_in_days": 7,
    }
    r = await c.post(f"/api/v1/me/licences/{licence_id}/grants", json=body, headers=me)
    assert r.status_code == 201, r.text
    grant = r.json()
    assert (grant["case_id"], grant["material_code"], grant["state"], grant["department_code"]) == (
        case_id,
        "M02",
        "active",
        DEPT,
    )
    # The case's material shows the licence (cases confirmed the grant with licences).
    [material] = [
        x
        for x in (await c.get(f"/api/v1/cases/{case_id}", headers=me)).json()["materials"]
        if x["code"] == "M02"
    ]
    assert (
        material["licence"]["grant_id"],
        material["licence"]["licence_id"],
        material["licence"]["type_name"],
    ) == (
        grant["id"],
        licence_id,
        "结婚证",
    )
    # Someone else's licence does not exist for them.
    assert_problem(
        await c.post(f"/api/v1/me/licences/{licence_id}/grants", json=body, headers=other),
        404,
        "LICENCE_NOT_FOUND",
    )
    assert_problem(
        await c.get(f"/api/v1/me/licences/{licence_id}/grants", headers=other), 404, "LICENCE_NOT_FOUND"
    )
    assert_problem(
        await c.get(f"/api/v1/me/licences/{licence_id}/accesses", headers=other), 404, "LICENCE_NOT_FOUND"
    )

    # The handling department's staff read the licence and its file; another department's do not.
    r = await c.get(read, headers=clerk)
    assert r.status_code == 200 and (r.json()["id"], r.json()["type_name"]) == (licence_id, "结婚证"), r.text
    scan = await c.get(f"{read}/file", headers=clerk)
    assert scan.status_code == 200 and scan.content == png() and scan.headers["content-type"] == "image/png"
    assert_problem(await c.get(read, headers=elsewhere), 404, "LICENCE_NOT_FOUND")
    assert_problem(await c.get(read, headers=me), 404, "LICENCE_NOT_FOUND")

    accesses = (await c.get(f"/api/v1/me/licences/{licence_id}/accesses", headers=me)).json()
    assert accesses["page"]["total"] == 2
    assert sorted(a["what"] for a in accesses["items"]) == ["file", "licence"]
    assert {
        (a["grant_id"], a["case_id"], a["reader_name"], a["department_code"]) for a in accesses["items"]
    } == {(grant["id"], case_id, "刘办理", DEPT)}

    r = await c.delete(f"/api/v1/me/licences/{licence_id}/grants/{grant['id']}", headers=me)
    assert r.status_code == 200 and r.json()["state"] == "revoked" and r.json()["revoked_at"], r.text
    assert_problem(await c.get(read, headers=clerk), 404, "LICENCE_NOT_FOUND")
    assert_problem(await c.get(f"{read}/file", headers=clerk), 404, "LICENCE_NOT_FOUND")
    listing = (await c.get(f"/api/v1/me/licences/{licence_id}/grants", headers=me)).json()
    assert [(g["id"], g["state"]) for g in listing["items"]] == [(grant["id"], "revoked")]
    assert_problem(
        await c.delete(f"/api/v1/me/licences/{licence_id}/grants/{grant['id']}", headers=other),
        404,
        "LICENCE_NOT_FOUND",
    )

    # Once the case is submitted its materials are not the applicant's to change: a grant for it
    # is refused and not left alive.
    r = await c.post(
        f"/api/v1/cases/{case_id}/materials/M01",
        files={"file": ("申请书.png", png(1), "image/png")},
        headers=me,
    )
    assert r.status_code == 200, r.text
    r = await c.post(f"/api/v1/cases/{case_id}/submit", json={"notice_read": True}, headers=me)
    assert r.status_code == 200, r.text
    assert_problem(
        await c.post(f"/api/v1/me/licences/{licence_id}/grants", json=body, headers=me),
        409,
        "CASE_NOT_IN_STATE",
    )
    listing = (await c.get(f"/api/v1/me/licences/{licence_id}/grants", headers=me)).json()
    assert [g["state"] for g in listing["items"]] == ["revoked", "revoked"]


async def test_a_licence_granted_to_a_case_is_deleted_once_the_grant_is_revoked(
    stack: Stack, tmp_path: Path
) -> None:
    c = stack.client
    me, case_id, licence_id = await granted_world(stack, tmp_path, "13900000174")
    body = {"case_id": case_id, "material_code": "M02", "purpose": "核验婚姻状况"}
    r = await c.post(f"/api/v1/me/licences/{licence_id}/grants", json=body, headers=me)
    assert r.status_code == 201, r.text
    grant = r.json()
    url = f"/api/v1/me/licences/{licence_id}"

    # While the grant lives the delete is refused, saying what to do (not a 500).
    problem = assert_problem(await c.delete(f"{url}?revision=1", headers=me), 409, "LICENCE_GRANTED")
    assert problem["detail_zh"] == "该证照正授权给办件使用，请先撤销授权后再删除"
    assert (await c.get(url, headers=me)).status_code == 200

    r = await c.delete(f"{url}/grants/{grant['id']}", headers=me)
    assert r.status_code == 200, r.text
    assert (await c.delete(f"{url}?revision=1", headers=me)).status_code == 204
    assert_problem(await c.get(url, headers=me), 404, "LICENCE_NOT_FOUND")
    assert_problem(await c.get(f"{url}/grants", headers=me), 404, "LICENCE_NOT_FOUND")


async def test_bad_grants_are_problems_naming_the_field(stack: Stack, tmp_path: Path) -> None:
    c = stack.client
    me, case_id, licence_id = await granted_world(stack, tmp_path, "13900000173")
    url = f"/api/v1/me/licences/{licence_id}/grants"
    good = {"case_id": case_id, "material_code": "M02", "purpose": "核验"}
    refusals: list[tuple[dict[str, Any], int, str, str | None]] = [
        ({"material_code": "M01"}, 400, "MATERIAL_NOT_FROM_LICENCE", "material_code"),
        ({"expires_in_days": 366}, 400, "EXPIRES_AT_INVALID", "expires_at"),
        ({"purpose": "   "}, 400, "PURPOSE_INVALID", "purpose"),
        ({"case_id": "no-such-case"}, 404, "CASE_NOT_FOUND", None),
    ]
    for change, status, code, field in refusals:
        problem = assert_problem(await c.post(url, json={**good, **change}, headers=me), status, code)
        if field:
            assert field in str(problem), problem
    for change in ({"purpose": ""}, {"expires_in_days": -1}, {"case_id": "bad id"}):
        assert_problem(await c.post(url, json={**good, **change}, headers=me), 400, "REQUEST_INVALID")
    assert_problem(await c.get(f"{url}?page_size=1000", headers=me), 400, "REQUEST_INVALID")
    assert_problem(await c.delete(f"{url}/bad%20id", headers=me), 400, "REQUEST_INVALID")
    assert_problem(await c.delete(f"{url}/{'0' * 32}", headers=me), 404, "GRANT_NOT_FOUND")
