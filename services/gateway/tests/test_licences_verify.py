"""Verification, status changes and licence types through the gateway: an administrator keeps a
type and links its matter; anyone verifies a code (valid with the holder masked); the issuing
department's approver revokes and the verify route says revoked within a bounded wait; another
department's staff get 404; bad input is a problem naming the field."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from govhall.kit.testing import wait_until
from govhall.licences import tables

from .conftest import AUTH, Stack
from .test_cases_routes import DEPT, MATTER, OTHER_DEPT, seed, staff
from .test_identity_routes import assert_problem

TYPE = "11100000000013338W011"
ISSUER = "11420502MB1234567X"
FOOD = {
    "code": TYPE,
    "name": "食品经营许可证",
    "issuer_department_code": DEPT,
    "issuer_name": "西陵区市场监督管理局",
    "issuer_code": ISSUER,
    "holder_kind": "legal_person",
    "validity_years": 5,
    "fields": [{"key": "business_scope", "label": "经营项目", "required": True}],
}


async def a_licence(db_file: Path, code: str) -> str:
    """A level-A licence of TYPE straight into licences' SQLite file (issuance is its own area)."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{db_file}")
    licence_id = uuid.uuid4().hex
    now = dt.datetime.now(dt.UTC)
    async with engine.begin() as conn:
        await conn.execute(
            tables.licences.insert().values(
                id=licence_id,
                identifier=f"1.2.156.3005.2.{TYPE}.{ISSUER}.20260000001.001.X",
                verify_code=code,
                level="A",
                type_code=TYPE,
                number="JY14205020000001",
                holder_kind="legal_person",
                holder_subject="enterprise-1",
                holder_name="宜昌好味餐饮有限公司",
                holder_code_masked="9142**********123X",
                issuer_department_code=DEPT,
                issuer_name="西陵区市场监督管理局",
                issuer_code=ISSUER,
                site_code="420502",
                issued_on=dt.date(2026, 1, 5),
                valid_until=dt.date(2031, 1, 4),
                state="valid",
                status_index=0,
                created_at=now,
                updated_at=now,
            )
        )
    await engine.dispose()
    return licence_id


async def test_types_verify_and_a_revocation_seen_by_verify(stack: Stack, tmp_path: Path) -> None:
    c = stack.client
    await seed(c)
    r = await c.post("/api/v1/admin/licence-types", json=FOOD, headers=AUTH)
    assert r.status_code == 201, r.text
    r = await c.put(
        f"/api/v1/admin/licence-types/{TYPE}", json={**FOOD, "code": None} | {"revision": 1}, headers=AUTH
    )
    assert_problem(r, 400, "REQUEST_INVALID")
    body = {k: v for k, v in FOOD.items() if k != "code"} | {"name": "食品经营许可证（新版）", "revision": 1}
    r = await c.put(f"/api/v1/admin/licence-types/{TYPE}", json=body, headers=AUTH)
    assert r.status_code == 200 and r.json()["name"] == "食品经营许可证（新版）", r.text
    r = await c.put(f"/api/v1/admin/licence-types/{TYPE}/matters/{MATTER}", headers=AUTH)
    assert r.status_code == 200 and r.json()["matter_codes"] == [MATTER], r.text
    assert_problem(
        await c.put(f"/api/v1/admin/licence-types/{TYPE}", json=body, headers=AUTH), 409, "REVISION_MISMATCH"
    )

    code = "Zq3uJ8kP0wXyT5nB2mR7vA"
    licence_id = await a_licence(tmp_path / "l.db", code)
    r = await c.get("/api/v1/licences/verify", params={"code": code})
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["status"], got["holder_name"], got["holder_code"]) == (
        "valid",
        "宜*********",
        "9142**********123X",
    )
    assert (got["issuer_code"], got["valid_until"]) == (ISSUER, "2031-01-04")
    assert_problem(
        await c.get("/api/v1/licences/verify", params={"code": "NoSuchCode123456"}), 404, "LICENCE_NOT_FOUND"
    )
    assert_problem(await c.get("/api/v1/licences/verify"), 400, "REQUEST_INVALID")

    elsewhere = await staff(c, "mz_approver", "approver", dept=OTHER_DEPT)
    change = {"reason": "以欺骗手段取得许可", "revision": 1}
    r = await c.post(f"/api/v1/staff/licences/{licence_id}/revoke", json=change, headers=elsewhere)
    assert_problem(r, 404, "LICENCE_NOT_FOUND")
    approver = await staff(c, "sc_approver", "approver")
    r = await c.post(f"/api/v1/staff/licences/{licence_id}/revoke", json={"revision": 1}, headers=approver)
    assert_problem(r, 400, "REQUEST_INVALID")
    r = await c.post(f"/api/v1/staff/licences/{licence_id}/revoke", json=change, headers=approver)
    assert r.status_code == 200 and r.json()["state"] == "revoked", r.text

    async def says_revoked() -> bool:
        answer = await c.get("/api/v1/licences/verify", params={"code": code})
        return bool(answer.json()["status"] == "revoked")

    await wait_until(says_revoked, timeout=5, what="verify to say revoked")
    r = await c.get(f"/api/v1/licences/status-lists/{ISSUER}/revocation")
    assert r.status_code == 200 and r.json()["revision"] == 1, r.text
    assert_problem(await c.get(f"/api/v1/licences/status-lists/{ISSUER}/other"), 400, "REQUEST_INVALID")


async def test_only_admins_keep_types(stack: Stack) -> None:
    c: httpx.AsyncClient = stack.client
    assert (await c.post("/api/v1/admin/licence-types", json=FOOD)).status_code in (401, 403)
    r = await c.post("/api/v1/admin/licence-types", json=FOOD | {"issuer_code": "short"}, headers=AUTH)
    assert_problem(r, 400, "REQUEST_INVALID")


async def test_an_import_answers_its_row_level_report(stack: Stack) -> None:
    c = stack.client
    assert (await c.post("/api/v1/admin/licence-types", json=FOOD, headers=AUTH)).status_code == 201
    csv = (
        "number,holder_subject,holder_name,holder_code,issued_on,valid_until,business_scope\n"
        "JY1,enterprise-1,甲公司,91420500MA4F12345X,2025-03-01,,热食类\n"
        "JY2,enterprise-2,乙公司,BAD,2025-03-01,,热食类\n"
    )
    url = f"/api/v1/admin/licence-types/{TYPE}/imports"
    r = await c.post(url, files={"file": ("b.csv", csv.encode())}, headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == 0 and r.json()["problems"] == [
        {"row": 3, "field": "holder_code", "problem": r.json()["problems"][0]["problem"]}
    ]
    good = csv.replace("BAD", "91420500MA4F67890Y")
    r = await c.post(url, files={"file": ("b.csv", good.encode())}, headers=AUTH)
    assert r.status_code == 200 and r.json()["imported"] == 2, r.text
    assert (await c.post(url, files={"file": ("b.csv", good.encode())})).status_code in (401, 403)
