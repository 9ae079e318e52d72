"""The holder's 证照库 through the gateway: level C kept by the holder (multipart upload, edit,
delete), every level read; someone else's licence is 404; bad input a problem naming the field."""

from __future__ import annotations

import datetime as dt
import json
import struct
import uuid
import zlib
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from govhall.kit.testing import wait_until
from govhall.kit.validators import mask_id_number
from govhall.licences import tables

from .conftest import Stack
from .test_api import assert_problem
from .test_identity_routes import bearer, person

MARRIAGE = "11100000000013338W012"


def png(seed: int = 0) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00" + bytes([seed % 256, 0, 0])))
        + chunk(b"IEND", b"")
    )


async def in_licences_db(tmp_path: Path, *statements: sa.Executable) -> list[sa.Row]:
    """Write into (or read from) licences' own database: types are kept by another part."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'l.db'}")
    try:
        async with engine.begin() as conn:
            rows: list[sa.Row] = []
            for statement in statements:
                result = await conn.execute(statement)
                if result.returns_rows:
                    rows.extend(result.all())
            return rows
    finally:
        await engine.dispose()


def marriage_type() -> sa.Executable:
    return tables.licence_types.insert().values(
        code=MARRIAGE,
        name="结婚证",
        issuer_department_code="420502-MZJ",
        issuer_name="西陵区民政局",
        issuer_code="11420502MB7654321X",
        holder_kind="person",
        validity_years=0,
        fields=json.dumps([{"key": "spouse", "label": "配偶姓名", "required": True}]),
        holder_maintained=True,
        updated_at=dt.datetime.now(dt.UTC),
    )


def form(**kw: str) -> dict[str, str]:
    values = {
        "type_code": MARRIAGE,
        "number": "J2020-001",
        "issued_on": "2020-05-20",
        "metadata": '{"spouse": "李四"}',
    }
    values.update(kw)
    return values


async def test_a_holder_keeps_reads_edits_and_deletes_their_own_licence(stack: Stack, tmp_path: Path) -> None:
    c = stack.client
    await in_licences_db(tmp_path, marriage_type())
    me = bearer((await person(stack, "13900000161", "张三"))["access_token"])
    other = bearer((await person(stack, "13900000162", "李四"))["access_token"])

    r = await c.post(
        "/api/v1/me/licences", data=form(), files={"file": ("结婚证.png", png(), "image/png")}, headers=me
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert (created["level"], created["type_name"], created["metadata"], created["editable"]) == (
        "C",
        "结婚证",
        {"spouse": "李四"},
        True,
    )
    listing = (await c.get("/api/v1/me/licences", headers=me)).json()
    assert [i["id"] for i in listing["items"]] == [created["id"]] and listing["page"]["total"] == 1
    assert (await c.get(f"/api/v1/me/licences/{created['id']}", headers=me)).json() == created
    scan = await c.get(f"/api/v1/me/licences/{created['id']}/file", headers=me)
    assert scan.status_code == 200 and scan.content == png() and scan.headers["content-type"] == "image/png"

    # Someone else's licence does not exist for them; nobody signed out reads any.
    assert (await c.get("/api/v1/me/licences", headers=other)).json()["items"] == []
    assert_problem(
        await c.get(f"/api/v1/me/licences/{created['id']}", headers=other), 404, "LICENCE_NOT_FOUND"
    )
    assert (await c.get("/api/v1/me/licences")).status_code == 401

    edit = {"revision": 1, "number": "J2020-002", "issued_on": "2020-05-21", "metadata": {"spouse": "李四"}}
    r = await c.patch(f"/api/v1/me/licences/{created['id']}", json=edit, headers=me)
    assert r.status_code == 200 and (r.json()["number"], r.json()["revision"]) == ("J2020-002", 2), r.text
    assert_problem(
        await c.patch(f"/api/v1/me/licences/{created['id']}", json=edit, headers=me), 409, "LICENCE_CHANGED"
    )

    # An issued licence (level A) of the same holder is read-only to them.
    [holder] = await in_licences_db(
        tmp_path, sa.select(tables.licences.c.holder_subject).where(tables.licences.c.id == created["id"])
    )
    issued = uuid.uuid4().hex
    now = dt.datetime.now(dt.UTC)
    await in_licences_db(
        tmp_path,
        tables.licences.insert().values(
            id=issued,
            level="A",
            type_code=MARRIAGE,
            number="A-1",
            holder_kind="person",
            holder_subject=holder.holder_subject,
            holder_name="张三",
            state="valid",
            metadata="{}",
            created_at=now,
            updated_at=now,
        ),
    )
    assert_problem(
        await c.patch(f"/api/v1/me/licences/{issued}", json=edit, headers=me), 403, "LICENCE_READ_ONLY"
    )
    assert_problem(
        await c.delete(f"/api/v1/me/licences/{issued}?revision=1", headers=me), 403, "LICENCE_READ_ONLY"
    )
    assert len((await c.get("/api/v1/me/licences", headers=me)).json()["items"]) == 2
    assert [i["id"] for i in (await c.get("/api/v1/me/licences?level=C", headers=me)).json()["items"]] == [
        created["id"]
    ]

    assert (await c.delete(f"/api/v1/me/licences/{created['id']}?revision=2", headers=me)).status_code == 204
    assert_problem(await c.get(f"/api/v1/me/licences/{created['id']}", headers=me), 404, "LICENCE_NOT_FOUND")


async def test_bad_input_is_a_problem_naming_the_field(stack: Stack, tmp_path: Path) -> None:
    c = stack.client
    await in_licences_db(tmp_path, marriage_type())
    me = bearer((await person(stack, "13900000163", "王五"))["access_token"])

    def upload(content: bytes = png(), **kw: str) -> dict[str, object]:
        return {"data": form(**kw), "files": {"file": ("x.png", content, "image/png")}, "headers": me}

    cases = [
        (upload(b"%!PS-not an image"), "FILE_TYPE_NOT_ACCEPTED", "content"),
        (upload(metadata="[1]"), "METADATA_INVALID", "metadata"),
        (upload(metadata="{}"), "FIELD_REQUIRED", "metadata.spouse"),
        (upload(issued_on="yesterday"), "DATE_INVALID", "issued_on"),
        (upload(type_code="NOSUCH"), "LICENCE_TYPE_NOT_FOUND", None),
    ]
    for kwargs, code, field in cases:
        r = await c.post("/api/v1/me/licences", **kwargs)  # type: ignore[arg-type]
        body = assert_problem(r, 404 if code == "LICENCE_TYPE_NOT_FOUND" else 400, code)
        if field:
            assert [e["field"] for e in body.get("errors", body.get("fields", []))] == [field], body
    assert_problem(await c.get("/api/v1/me/licences?level=D", headers=me), 400, "REQUEST_INVALID")
    assert_problem(await c.get("/api/v1/me/licences/bad%20id", headers=me), 400, "REQUEST_INVALID")
    assert_problem(await c.delete("/api/v1/me/licences/x", headers=me), 400, "REQUEST_INVALID")


async def test_a_case_concluded_approved_puts_an_issued_licence_in_the_applicants_library(
    stack: Stack, tmp_path: Path
) -> None:
    """Through separate services: cases concludes, licences hears it, reads the form at cases
    (as itself) and issues; the applicant reads the licence and its PDF through the gateway."""
    from .test_cases_routes import JOURNEY_MATTER, PDF, PNG, SITE, publish_journey_matter, seed, staff

    c = stack.client
    await seed(c)
    await publish_journey_matter(c)
    food = marriage_type().values(code="11100000000013338W011", name="食品经营许可证", holder_kind="person")
    food = food.values(fields=json.dumps([{"key": "shop_name", "label": "经营者名称", "required": True}]))
    link = tables.type_matters.insert().values(matter_code=JOURNEY_MATTER, type_code="11100000000013338W011")
    await in_licences_db(tmp_path, food, link)
    citizen = await person(stack, "13900000164", "赵六")
    me = bearer(citizen["access_token"])
    form = {"shop_name": "王记小面", "address": "宜昌市西陵区东山大道88号", "staff_count": 3}
    body = {"site_code": SITE, "matter_code": JOURNEY_MATTER, "form": form, "delivery": {"method": "pick_up"}}
    r = await c.post("/api/v1/cases", json=body, headers=me)
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    for code, name, content in (("M01", "申请书.pdf", PDF), ("M02", "平面图.png", PNG)):
        r = await c.post(
            f"/api/v1/cases/{case_id}/materials/{code}", files={"file": (name, content)}, headers=me
        )
        assert r.status_code == 200, r.text
    r = await c.post(f"/api/v1/cases/{case_id}/submit", json={"notice_read": True}, headers=me)
    assert r.status_code == 200, r.text
    clerk = await staff(c, "lic_clerk", "window_clerk")
    reviewer = await staff(c, "lic_reviewer", "reviewer")
    approver = await staff(c, "lic_approver", "approver")
    base = f"/api/v1/staff/cases/{case_id}/actions"
    assert (await c.post(f"{base}/accept", json={}, headers=clerk)).status_code == 200
    for _ in range(2):
        r = await c.post(f"{base}/complete_step", json={"outcome": "pass"}, headers=reviewer)
        assert r.status_code == 200, r.text
    r = await c.post(f"{base}/conclude", json={"decision": "approved"}, headers=approver)
    assert r.status_code == 200 and r.json()["state"] == "concluded_approved", r.text

    async def issued() -> list[dict[str, object]]:
        return list((await c.get("/api/v1/me/licences", headers=me)).json()["items"])

    [licence] = await wait_until(issued, timeout=60, what="the level-A licence")
    # The holder is who identity verified (the token the case was filed with was signed before
    # the real-name check, so cases knows no name), with their ID number masked.
    masked = mask_id_number(citizen["id_number"])
    assert (licence["level"], licence["type_name"], licence["case_id"], licence["holder_name"]) == (
        "A",
        "食品经营许可证",
        case_id,
        "赵六",
    )
    assert licence["holder_code_masked"] == masked and citizen["id_number"] not in json.dumps(licence)
    check = await c.get("/api/v1/licences/verify", params={"code": licence["verify_code"]})
    assert check.status_code == 200 and check.json()["holder_code"] == masked, check.text
    assert licence["metadata"] == {"shop_name": "王记小面"} and licence["has_file"] is True
    pdf = await c.get(f"/api/v1/me/licences/{licence['id']}/file", headers=me)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), pdf.text[:200]
