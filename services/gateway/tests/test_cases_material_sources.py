"""POST /api/v1/cases/{id}/materials/{code}/from through the gateway: a file from my cloud drive
(云盘选择, cases asks licences on my behalf) or from an earlier case of mine (历史材料引用);
someone else's file is a 404 and a file the material does not take a 400, both naming the field."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx

from .conftest import Stack
from .test_cases_routes import MATTER, PNG, SITE, seed, submitted
from .test_identity_routes import assert_problem, bearer, person


def ofd() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("OFD.xml", "<ofd/>")
    return buf.getvalue()


async def on_drive(c: httpx.AsyncClient, who: dict[str, str], name: str, content: bytes) -> str:
    r = await c.post("/api/v1/me/drive/files", files={"file": (name, content)}, headers=who)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def draft(c: httpx.AsyncClient, who: dict[str, str]) -> str:
    r = await c.post("/api/v1/cases", json={"site_code": SITE, "matter_code": MATTER}, headers=who)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def m01(case: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for m in case["materials"] if m["code"] == "M01" for f in m.get("files", [])]


async def test_materials_from_my_drive_and_my_earlier_case(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    me = bearer((await person(stack, "13812370001", "郑申请"))["access_token"])
    other = bearer((await person(stack, "13812370002", "王旁人"))["access_token"])
    case_id = await draft(c, me)

    picked = await on_drive(c, me, "申请书.png", PNG)
    r = await c.post(
        f"/api/v1/cases/{case_id}/materials/M01/from", json={"drive_file_id": picked}, headers=me
    )
    assert r.status_code == 200, r.text
    [attached] = m01(r.json())
    assert attached["file_name"] == "申请书.png" and int(attached["size"]) == len(PNG)
    got = await c.get(f"/api/v1/cases/{case_id}/files/{attached['id']}", headers=me)
    assert got.status_code == 200 and got.content == PNG

    [earlier_file] = m01(await submitted(c, me))
    r = await c.post(
        f"/api/v1/cases/{case_id}/materials/M01/from", json={"case_file_id": earlier_file["id"]}, headers=me
    )
    assert r.status_code == 200, r.text
    assert len(m01(r.json())) == 2

    theirs = await on_drive(c, other, "别人的.png", PNG)
    r = await c.post(
        f"/api/v1/cases/{case_id}/materials/M01/from", json={"drive_file_id": theirs}, headers=me
    )
    assert assert_problem(r, 404, "MATERIAL_SOURCE_NOT_FOUND")["errors"][0]["field"] == "drive_file_id"
    [their_case_file] = m01(await submitted(c, other))
    r = await c.post(
        f"/api/v1/cases/{case_id}/materials/M01/from",
        json={"case_file_id": their_case_file["id"]},
        headers=me,
    )
    assert assert_problem(r, 404, "MATERIAL_SOURCE_NOT_FOUND")["errors"][0]["field"] == "case_file_id"

    package = await on_drive(c, me, "营业执照.ofd", ofd())
    r = await c.post(
        f"/api/v1/cases/{case_id}/materials/M01/from", json={"drive_file_id": package}, headers=me
    )
    assert assert_problem(r, 400, "FILE_TYPE_NOT_ACCEPTED")["errors"][0]["field"] == "drive_file_id"
    both = {"drive_file_id": picked, "case_file_id": earlier_file["id"]}
    r = await c.post(f"/api/v1/cases/{case_id}/materials/M01/from", json=both, headers=me)
    assert assert_problem(r, 400, "MATERIAL_SOURCE_AMBIGUOUS")["errors"][0]["field"] == "case_file_id"
    r = await c.post(
        f"/api/v1/cases/{case_id}/materials/M01/from", json={"drive_file_id": picked}, headers=other
    )
    assert r.status_code == 404, r.text
    after = await c.get(f"/api/v1/cases/{case_id}", headers=me)
    assert len(m01(after.json())) == 2
