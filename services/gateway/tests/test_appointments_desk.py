"""The hall desk through the gateway: check-in gives a ticket, the window's clerk calls, skips
and finishes tickets, the staff read the day, search and statistics; times in Beijing time;
who may not, and bad input, are problems naming what is wrong (never a 500)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import create_async_engine

from govhall.appointments import tables
from govhall.appointments.desk_tables import queue_tickets  # noqa: F401 - the desk's columns on bookings

from .conftest import Stack
from .test_cases_routes import MATTER, SITE, seed, staff
from .test_identity_routes import assert_problem

CHINA = dt.timezone(dt.timedelta(hours=8))


async def hall_with_bookings(db_file: Path, codes: list[str]) -> tuple[str, str, str]:
    """A hall, its window and a slot starting in five minutes with a confirmed booking per code,
    written into appointments' database (the booking routes are another part's)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = now + dt.timedelta(minutes=5)
    hall_id, window_id, slot_id = (uuid.uuid4().hex for _ in range(3))
    day = start.astimezone(CHINA).date()
    engine = create_async_engine(f"sqlite+aiosqlite:///{db_file}")
    async with engine.begin() as conn:
        await conn.execute(
            tables.halls.insert().values(
                id=hall_id, site_code=SITE, name="西陵区政务服务中心", created_at=now, updated_at=now
            )
        )
        await conn.execute(
            tables.windows.insert().values(id=window_id, hall_id=hall_id, name="3号窗口", created_at=now)
        )
        await conn.execute(
            tables.slots.insert().values(
                id=slot_id,
                hall_id=hall_id,
                window_id=window_id,
                site_code=SITE,
                day=day,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=30),
                capacity=5,
                booked=len(codes),
            )
        )
        for n, code in enumerate(codes):
            await conn.execute(
                tables.bookings.insert().values(
                    id=uuid.uuid4().hex,
                    code=code,
                    slot_id=slot_id,
                    hall_id=hall_id,
                    window_id=window_id,
                    site_code=SITE,
                    matter_code=MATTER,
                    matter_name="食品经营许可",
                    day=day,
                    starts_at=start,
                    ends_at=start + dt.timedelta(minutes=30),
                    owner_kind="person",
                    owner_subject=f"p-{n}",
                    contact_name="placeholder",
                    contact_mobile="placeholder",
                    contact_mobile_hash="",
                    mobile_masked="138****0000",
                    state="confirmed",
                    active_key=f"p-{n}:{MATTER}:{day}",
                    created_at=now,
                    updated_at=now,
                )
            )
    await engine.dispose()
    return hall_id, window_id, day.isoformat()


async def test_check_in_call_and_the_day_view(stack: Stack, tmp_path: Path) -> None:
    c = stack.client
    await seed(c)
    clerk = await staff(c, "deskclerk", "window_clerk")
    supervisor = await staff(c, "desksupervisor", "supervisor")
    hall, window, day = await hall_with_bookings(tmp_path / "a.db", ["K7PX3M9Q", "H4WN8R2T"])

    r = await c.post(f"/api/v1/halls/{hall}/check-in", json={"code": "k7px3m9q"}, headers=clerk)
    assert r.status_code == 200, r.text
    first = r.json()
    assert (first["number"], first["state"], first["display"], first["day"]) == (
        1,
        "waiting",
        "3号窗口-001",
        day,
    )
    assert first["checked_in_at"].endswith("+08:00")
    r = await c.post(f"/api/v1/halls/{hall}/check-in", json={"code": "H4WN8R2T"}, headers=clerk)
    assert r.json()["number"] == 2

    r = await c.post(f"/api/v1/staff/windows/{window}/call-next", headers=clerk)
    assert r.status_code == 200, r.text
    called = r.json()
    assert (called["number"], called["state"]) == (1, "called")
    stale = await c.post(f"/api/v1/staff/tickets/{called['id']}/done", json={"revision": 1}, headers=clerk)
    assert_problem(stale, 409, "STALE_REVISION")
    r = await c.post(
        f"/api/v1/staff/tickets/{called['id']}/done", json={"revision": called["revision"]}, headers=clerk
    )
    assert r.json()["state"] == "done"
    r = await c.get(f"/api/v1/staff/windows/{window}/queue", headers=clerk)
    assert [(t["number"], t["state"]) for t in r.json()["items"]] == [(1, "done"), (2, "waiting")]
    assert r.json()["waiting"] == 1

    r = await c.get(f"/api/v1/staff/halls/{hall}/bookings?day={day}", headers=clerk)
    assert r.status_code == 200, r.text
    assert sorted((b["code"], b["state"], b["ticket_number"]) for b in r.json()["items"]) == [
        ("H4WN8R2T", "checked_in", 2),
        ("K7PX3M9Q", "checked_in", 1),
    ]
    r = await c.get(f"/api/v1/staff/halls/{hall}/bookings/search?q=H4WN8R2T", headers=clerk)
    assert [b["code"] for b in r.json()["items"]] == ["H4WN8R2T"]
    r = await c.get(f"/api/v1/staff/halls/{hall}/statistics?from={day}&to={day}", headers=supervisor)
    assert r.status_code == 200, r.text
    assert [(m["booked"], m["checked_in"]) for m in r.json()["matters"]] == [(2, 2)]
    assert [(d["capacity"], d["booked"], d["fill"]) for d in r.json()["days"]] == [(5, 2, 0.4)]


async def test_who_may_not_and_bad_input_are_problems(stack: Stack, tmp_path: Path) -> None:
    c = stack.client
    await seed(c)
    supervisor = await staff(c, "desksupervisor2", "supervisor")
    hall, window, _ = await hall_with_bookings(tmp_path / "a.db", ["M3QZ7KX2"])

    assert_problem(
        await c.post(f"/api/v1/halls/{hall}/check-in", json={"code": "M3QZ7KX2"}), 401, "UNAUTHENTICATED"
    )
    assert_problem(
        await c.post(f"/api/v1/halls/{hall}/check-in", json={"code": "no!"}, headers=supervisor),
        400,
        "REQUEST_INVALID",
    )
    assert_problem(
        await c.post(f"/api/v1/halls/{hall}/check-in", json={"code": "ZZZZ9999"}, headers=supervisor),
        404,
        "BOOKING_NOT_FOUND",
    )
    assert_problem(
        await c.post(f"/api/v1/staff/windows/{window}/call-next", headers=supervisor), 403, "ROLE_REQUIRED"
    )
    assert_problem(
        await c.get(f"/api/v1/staff/halls/{hall}/bookings?day=2026-13-40", headers=supervisor),
        400,
        "REQUEST_INVALID",  # no such day: refused by the gateway, naming `day`
    )
    assert_problem(
        await c.post("/api/v1/staff/tickets/nope/skip", json={"revision": 0}, headers=supervisor),
        400,
        "REQUEST_INVALID",
    )
