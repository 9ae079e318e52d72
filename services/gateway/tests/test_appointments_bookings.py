"""Booking through the gateway: a real-name person books a slot (201 with id, code and the QR, the
mobile prefilled from identity and masked), the next is 409 SLOT_FULL, 我的预约 by tab, someone
else's booking is a 404, cancelling frees the place; a clerk of the site confirms or declines a
booking waiting for a reply; rules and bad input are problems naming the field."""

from __future__ import annotations

import base64
import datetime as dt
import io
import uuid
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import zxingcpp
from PIL import Image
from sqlalchemy.ext.asyncio import create_async_engine

from govhall.appointments import tables
from govhall.kit.validators import credit_code_check_char

from .conftest import AUTH, Stack
from .test_cases_routes import DEPT, SITE, seed, staff
from .test_identity_routes import PASSWORD, assert_problem, bearer, person

BOOKABLE = "420502-SCJGJ-0199"
CHINA = dt.timezone(dt.timedelta(hours=8))


async def bookable_matter(c: httpx.AsyncClient) -> None:
    matter = {
        "code": BOOKABLE,
        "name": "食品经营许可变更",
        "department_code": DEPT,
        "audiences": ["person", "legal_person"],
        "type": "licensing",
        "handling_type": "promised",
        "promised_limit": {"value": 10},
        "legal_limit": {"value": 20},
        "appointment": True,
    }
    r = await c.post(f"/api/v1/admin/sites/{SITE}/matters", json=matter, headers=AUTH)
    assert r.status_code == 201, r.text
    r = await c.post(f"/api/v1/admin/sites/{SITE}/matters/{BOOKABLE}/publish", headers=AUTH)
    assert r.status_code == 200, r.text


async def hall_with_slot(tmp_path: Path, capacity: int = 1, requires_reply: bool = False) -> str:
    """A hall, a window serving BOOKABLE and one slot tomorrow at 10:00 China time, written into
    appointments' own database (the admin routes that keep halls are another part)."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    now = dt.datetime.now(dt.UTC)
    hall, window, slot = uuid.uuid4().hex, uuid.uuid4().hex, uuid.uuid4().hex
    day = dt.datetime.now(CHINA).date() + dt.timedelta(days=1)
    starts = dt.datetime(day.year, day.month, day.day, 10, tzinfo=CHINA).astimezone(dt.UTC)
    async with engine.begin() as conn:
        await conn.execute(
            tables.halls.insert().values(
                id=hall,
                site_code=SITE,
                name=f"西陵区政务服务中心{hall[:4]}",
                requires_reply=requires_reply,
                created_at=now,
                updated_at=now,
            )
        )
        await conn.execute(
            tables.windows.insert().values(id=window, hall_id=hall, name="1号窗口", created_at=now)
        )
        await conn.execute(tables.window_matters.insert().values(window_id=window, matter_code=BOOKABLE))
        await conn.execute(
            tables.slots.insert().values(
                id=slot,
                hall_id=hall,
                window_id=window,
                site_code=SITE,
                day=day,
                starts_at=starts,
                ends_at=starts + dt.timedelta(minutes=30),
                capacity=capacity,
            )
        )
    await engine.dispose()
    return slot


async def booked(engine_path: Path, slot: str) -> int:
    engine = create_async_engine(f"sqlite+aiosqlite:///{engine_path / 'a.db'}")
    async with engine.connect() as conn:
        n = (
            await conn.execute(sa.select(tables.slots.c.booked).where(tables.slots.c.id == slot))
        ).scalar_one()
    await engine.dispose()
    return int(n)


def data_uri_bytes(uri: str, media_type: str) -> bytes:
    """The bytes of a base64 data: URI of that media type."""
    prefix = f"data:{media_type};base64,"
    assert uri.startswith(prefix), uri[:40]
    return base64.b64decode(uri.removeprefix(prefix), validate=True)


def decode_qr_png(data: bytes) -> str:
    """The text of the one QR code in a PNG, read as a phone's camera would (tests/e2e/qr.py)."""
    assert data.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(data)) as image:
        (found,) = zxingcpp.read_barcodes(image.convert("L"))
    return str(found.text)


def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


async def test_book_full_mine_cancel_and_the_place_is_free_again(stack: Stack, tmp_path: Path) -> None:
    c = stack.client
    await seed(c)
    await bookable_matter(c)
    slot = await hall_with_slot(tmp_path)
    me = bearer((await person(stack, "13912340201", "陈预约"))["access_token"])
    other = bearer((await person(stack, "13912340202", "赵旁人"))["access_token"])
    unverified = bearer((await person(stack, "13912340203"))["access_token"])

    body = {"slot_id": slot, "matter_code": BOOKABLE, "purpose": "变更经营场所"}
    assert_problem(await c.post("/api/v1/appointments", json=body), 401, "SIGN_IN_REQUIRED")
    assert_problem(
        await c.post("/api/v1/appointments", json=body, headers=unverified), 403, "REAL_NAME_REQUIRED"
    )
    made = ok(await c.post("/api/v1/appointments", json=body, headers=me), 201)
    assert made["id"] and len(made["code"]) == 8 and made["state"] == "confirmed"
    assert made["qr"].startswith("data:image/png;base64,") and made["warning"] == ""
    # Prefilled from the account: the name (masked) and identity's notification mobile (masked).
    assert made["contact_name_masked"] == "陈**" and made["contact_mobile_masked"] == "139****0201"
    assert made["starts_at"].endswith("T10:00:00+08:00")
    assert await booked(tmp_path, slot) == 1

    assert_problem(await c.post("/api/v1/appointments", json=body, headers=other), 409, "SLOT_FULL")
    assert_problem(await c.get(f"/api/v1/appointments/{made['id']}", headers=other), 404, "BOOKING_NOT_FOUND")
    detail = ok(await c.get(f"/api/v1/appointments/{made['id']}", headers=me))
    assert detail["code"] == made["code"] and detail["state"] == "confirmed"
    # The detail carries the code's QR as the booking answer did: the QR shown at the hall.
    assert decode_qr_png(data_uri_bytes(detail["qr"], "image/png")) == made["code"]
    svg = ok(await c.get(f"/api/v1/appointments/{made['id']}?qr_format=svg", headers=me))
    assert b"<svg" in data_uri_bytes(svg["qr"], "image/svg+xml")
    bogus = await c.get(f"/api/v1/appointments/{made['id']}?qr_format=bogus", headers=me)
    problem = assert_problem(bogus, 400, "REQUEST_INVALID")
    assert [e["field"] for e in problem["errors"]] == ["query.qr_format"]
    pending = ok(await c.get("/api/v1/me/appointments?tab=pending", headers=me))
    assert [b["id"] for b in pending["items"]] == [made["id"]] and pending["page"]["total"] == 1
    assert ok(await c.get("/api/v1/me/appointments?tab=history", headers=me))["items"] == []

    r = await c.post(f"/api/v1/appointments/{made['id']}/cancel", json={"revision": 1}, headers=me)
    assert ok(r)["state"] == "cancelled"
    # A cancelled booking can no longer be checked in with: no QR to show.
    cancelled = ok(await c.get(f"/api/v1/appointments/{made['id']}", headers=me))
    assert cancelled["state"] == "cancelled" and cancelled["qr"] is None
    assert await booked(tmp_path, slot) == 0
    history = ok(await c.get("/api/v1/me/appointments?tab=history", headers=me))
    assert [b["state"] for b in history["items"]] == ["cancelled"]
    again = ok(await c.post("/api/v1/appointments", json=body, headers=other), 201)
    assert again["contact_mobile_masked"] == "139****0202"


async def test_a_clerk_of_the_site_replies_on_the_revision_seen(stack: Stack, tmp_path: Path) -> None:
    c = stack.client
    await seed(c)
    await bookable_matter(c)
    slot = await hall_with_slot(tmp_path, capacity=2, requires_reply=True)
    me = bearer((await person(stack, "13912340211", "钱宁夏"))["access_token"])
    you = bearer((await person(stack, "13912340212", "孙宁夏"))["access_token"])
    clerk = await staff(c, "clerk_appt", "window_clerk")
    body = {"slot_id": slot, "matter_code": BOOKABLE, "contact_mobile": "13700001111", "email": "a@b.cn"}
    first = ok(await c.post("/api/v1/appointments", json=body, headers=me), 201)
    second = ok(await c.post("/api/v1/appointments", json=body, headers=you), 201)
    assert first["state"] == "pending_reply" and first["contact_mobile_masked"] == "137****1111"

    url = f"/api/v1/staff/appointments/{first['id']}"
    assert_problem(await c.post(f"{url}/confirm", json={"revision": 1}, headers=me), 404, "BOOKING_NOT_FOUND")
    assert_problem(
        await c.post(f"{url}/confirm", json={"revision": 5}, headers=clerk), 409, "REVISION_MISMATCH"
    )
    assert ok(await c.post(f"{url}/confirm", json={"revision": 1}, headers=clerk))["state"] == "confirmed"
    url = f"/api/v1/staff/appointments/{second['id']}"
    assert_problem(
        await c.post(f"{url}/decline", json={"revision": 1}, headers=clerk), 400, "REQUEST_INVALID"
    )
    declined = ok(await c.post(f"{url}/decline", json={"revision": 1, "reason": "材料不全"}, headers=clerk))
    assert (declined["state"], declined["state_reason"]) == ("declined", "材料不全")
    assert await booked(tmp_path, slot) == 1


async def test_bad_bookings_are_problems_naming_the_field(stack: Stack, tmp_path: Path) -> None:
    c = stack.client
    await seed(c)
    await bookable_matter(c)
    slot = await hall_with_slot(tmp_path)
    me = bearer((await person(stack, "13912340221", "李规则"))["access_token"])
    cases = [
        ({"slot_id": slot, "matter_code": BOOKABLE, "contact_mobile": "123"}, 400, "MOBILE_BAD_FORMAT"),
        ({"slot_id": slot, "matter_code": BOOKABLE, "email": "nope"}, 400, "EMAIL_INVALID"),
        ({"slot_id": slot, "matter_code": "420502-SCJGJ-0101"}, 400, "MATTER_NOT_BOOKABLE"),
        ({"slot_id": slot, "matter_code": "420502-NONE-0001"}, 404, "MATTER_NOT_FOUND"),
        ({"slot_id": "no-such-slot", "matter_code": BOOKABLE}, 404, "SLOT_NOT_FOUND"),
        ({"slot_id": slot, "matter_code": BOOKABLE, "purpose": "x" * 501}, 400, "REQUEST_INVALID"),
        ({"slot_id": "bad id", "matter_code": BOOKABLE}, 400, "REQUEST_INVALID"),
        ({"slot_id": slot}, 400, "REQUEST_INVALID"),
    ]
    for body, status, code in cases:
        assert_problem(await c.post("/api/v1/appointments", json=body, headers=me), status, code)
    assert_problem(await c.get("/api/v1/me/appointments?tab=later", headers=me), 400, "REQUEST_INVALID")
    assert_problem(await c.get("/api/v1/appointments/bad%20id", headers=me), 400, "REQUEST_INVALID")
    assert await booked(tmp_path, slot) == 0


async def test_an_agent_books_for_the_enterprise_only_with_the_booking_scope(
    stack: Stack, tmp_path: Path
) -> None:
    c = stack.client
    await seed(c)
    await bookable_matter(c)
    slot = await hall_with_slot(tmp_path, capacity=3)
    rep = await person(stack, "13812350031", "吴代表")
    agent = await person(stack, "13812350032", "郑经办")
    other = await person(stack, "13812350033", "钱查看")
    body = "91420500MA4K77702"
    created = await c.post(
        "/api/v1/enterprises",
        json={
            "credit_code": body + credit_code_check_char(body),
            "name": "宜昌三峡食品有限公司",
            "type": "enterprise",
            "password": PASSWORD,
        },
        headers=bearer(rep["access_token"]),
    )
    enterprise = ok(created, 201)["id"]
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat()
    for who, scopes, name in ((agent, ["appointments.book"], "郑经办"), (other, ["cases.view"], "钱查看")):
        g = await c.post(
            f"/api/v1/enterprises/{enterprise}/agents",
            json={
                "agent_name": name,
                "agent_id_number": who["id_number"],
                "scopes": scopes,
                "expires_at": expires,
            },
            headers=bearer(rep["access_token"]),
        )
        ok(g, 201)

    async def act(who: dict[str, Any]) -> dict[str, str]:
        r = await c.post(f"/api/v1/enterprises/{enterprise}/act", headers=bearer(who["access_token"]))
        return bearer(ok(r)["access_token"])

    request = {"slot_id": slot, "matter_code": BOOKABLE, "contact_mobile": "13700002222"}
    made = ok(await c.post("/api/v1/appointments", json=request, headers=await act(agent)), 201)
    mine = ok(await c.get("/api/v1/me/appointments", headers=await act(agent)))
    assert [b["id"] for b in mine["items"]] == [made["id"]]
    # The agent as a person does not own the enterprise's booking.
    r = await c.get(f"/api/v1/appointments/{made['id']}", headers=bearer(agent["access_token"]))
    assert_problem(r, 404, "BOOKING_NOT_FOUND")
    r = await c.post("/api/v1/appointments", json=request, headers=await act(other))
    assert_problem(r, 403, "AGENT_NOT_AUTHORISED")
    assert await booked(tmp_path, slot) == 1
