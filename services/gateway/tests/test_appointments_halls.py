"""Slots and hall keeping through the gateway: a site admin opens a hall, a window and a
timetable; the public lists the matter's slots in Beijing time; capacity and a closed day; bad
input, other sites and stale revisions are problems naming what is wrong."""

from __future__ import annotations

import datetime as dt

import httpx

from .conftest import AUTH, Stack
from .test_api import assert_problem
from .test_cases_routes import DEPT, MATTER, SITE, seed
from .test_catalogue_admin_routes import staff_token
from .test_identity_routes import bearer, person

BOOKABLE = "420502-SCJGJ-0102"
HALLS = f"/api/v1/admin/sites/{SITE}/halls"
CHINA = dt.timezone(dt.timedelta(hours=8))


async def bookable_matter(c: httpx.AsyncClient) -> None:
    body = {
        "code": BOOKABLE,
        "name": "食品经营许可证补办",
        "department_code": DEPT,
        "audiences": ["person"],
        "type": "licensing",
        "handling_type": "instant",
        "promised_limit": {"value": 1},
        "legal_limit": {"value": 20},
        "appointment": True,
    }
    r = await c.post(f"/api/v1/admin/sites/{SITE}/matters", json=body, headers=AUTH)
    assert r.status_code == 201, r.text
    r = await c.post(f"/api/v1/admin/sites/{SITE}/matters/{BOOKABLE}/publish", headers=AUTH)
    assert r.status_code == 200, r.text


async def test_a_site_admin_opens_a_hall_and_the_public_books_from_its_slots(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    await bookable_matter(c)
    admin = await staff_token(c, "xl_hall_admin", SITE, "13900005001")

    r = await c.post(HALLS, json={"name": "西陵区政务服务中心", "hours": "工作日 9:00-12:00"}, headers=admin)
    assert r.status_code == 201, r.text
    hall = r.json()
    assert (hall["site_code"], hall["revision"], hall["windows"]) == (SITE, 1, [])
    r = await c.post(
        f"{HALLS}/{hall['id']}/windows", json={"name": "1号窗口", "matter_codes": [BOOKABLE]}, headers=admin
    )
    assert r.status_code == 201, r.text
    window = r.json()
    assert (window["matter_codes"], window["revision"]) == ([BOOKABLE], 1)
    sessions = [{"weekday": d, "start": "09:00", "end": "10:00"} for d in range(1, 6)]
    r = await c.put(
        f"{HALLS}/{hall['id']}/timetables",
        json={"sessions": sessions, "slot_minutes": 30, "capacity": 2},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert r.json()["revision"] == 1

    r = await c.get(f"/api/v1/sites/{SITE}/matters/{BOOKABLE}/slots")
    assert r.status_code == 200, r.text
    slots = r.json()["items"]
    assert slots and all(s["window_id"] == window["id"] and s["remaining"] == 2 for s in slots)
    first = slots[0]
    start = dt.datetime.fromisoformat(first["starts_at"])
    assert first["starts_at"].endswith("+08:00") and (start.hour, start.minute) == (9, 0)
    assert dt.datetime.fromisoformat(first["ends_at"]) - start == dt.timedelta(minutes=30)
    r = await c.get(
        f"/api/v1/sites/{SITE}/matters/{BOOKABLE}/slots", params={"hall": hall["id"], "to": str(start.date())}
    )
    same_day = [s["id"] for s in slots if s["starts_at"][:10] == str(start.date())]
    assert [s["id"] for s in r.json()["items"]] == same_day

    r = await c.put(
        f"{HALLS}/{hall['id']}/slots/{first['id']}/capacity",
        json={"capacity": 1, "revision": 1},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["capacity"], r.json()["remaining"]) == (1, 1)
    assert_problem(
        await c.put(
            f"{HALLS}/{hall['id']}/slots/{first['id']}/capacity",
            json={"capacity": 3, "revision": 1},
            headers=admin,
        ),
        409,
        "REVISION_STALE",
    )
    r = await c.post(
        f"{HALLS}/{hall['id']}/close", json={"day": str(start.date()), "reason": "停电检修"}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"slots_closed": len(same_day), "bookings_cancelled": 0}
    left = (await c.get(f"/api/v1/sites/{SITE}/matters/{BOOKABLE}/slots")).json()["items"]
    assert first["id"] not in [s["id"] for s in left]
    day = (
        await c.get(f"{HALLS}/{hall['id']}/slots", params={"day": str(start.date())}, headers=admin)
    ).json()
    assert [(s["closed"], s["close_reason"]) for s in day["items"]] == [(True, "停电检修")] * len(same_day)

    listed = (await c.get(f"/api/v1/sites/{SITE}/halls")).json()["items"]
    assert [w["name"] for w in listed[0]["windows"]] == ["1号窗口"]
    r = await c.put(
        f"{HALLS}/{hall['id']}",
        json={"name": "西陵区政务服务中心", "revision": 1, "requires_reply": True},
        headers=admin,
    )
    assert r.status_code == 200 and r.json()["requires_reply"] is True
    assert_problem(
        await c.put(f"{HALLS}/{hall['id']}", json={"name": "x", "revision": 1}, headers=admin),
        409,
        "REVISION_STALE",
    )


async def test_slots_and_hall_keeping_refuse_what_they_must(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    await bookable_matter(c)
    assert_problem(await c.get(f"/api/v1/sites/{SITE}/matters/{MATTER}/slots"), 422, "MATTER_NOT_BOOKABLE")
    far = str(dt.datetime.now(CHINA).date() + dt.timedelta(days=30))
    body = assert_problem(
        await c.get(f"/api/v1/sites/{SITE}/matters/{BOOKABLE}/slots", params={"to": far}),
        400,
        "TO_BEYOND_HORIZON",
    )
    assert [f["field"] for f in body["errors"]] == ["to"]
    assert_problem(
        await c.get(f"/api/v1/sites/{SITE}/matters/{BOOKABLE}/slots", params={"from": "tomorrow"}),
        400,
        "REQUEST_INVALID",
    )

    assert_problem(await c.post(HALLS, json={"name": "大厅"}), 401, "UNAUTHENTICATED")
    citizen = bearer((await person(stack, "13800005001"))["access_token"])
    assert_problem(await c.post(HALLS, json={"name": "大厅"}, headers=citizen), 403, "FORBIDDEN")
    city_admin = await staff_token(c, "yc_hall_admin", "420500", "13900005002")
    assert_problem(await c.post(HALLS, json={"name": "大厅"}, headers=city_admin), 403, "FORBIDDEN")
    assert_problem(
        await c.post(HALLS, json={"name": "大厅", "extra": 1}, headers=AUTH), 400, "REQUEST_INVALID"
    )
    r = await c.post(HALLS, json={"name": "大厅"}, headers=AUTH)
    assert r.status_code == 201, r.text
    bad = assert_problem(
        await c.put(
            f"{HALLS}/{r.json()['id']}/timetables",
            json={
                "sessions": [{"weekday": 1, "start": "9:00", "end": "12:00"}],
                "slot_minutes": 30,
                "capacity": 2,
            },
            headers=AUTH,
        ),
        400,
        "TIME_INVALID",
    )
    assert [f["field"] for f in bad["errors"]] == ["sessions.start"]
