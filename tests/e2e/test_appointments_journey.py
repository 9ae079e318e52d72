"""预约 end to end, through separate processes and the real servers: a site's hall that requires a
reply, a window serving a bookable matter and a timetable on every weekday; a person books, the
window's clerk confirms, the hour-before reminder arrives in 我的消息 and as a text, the booking
checks in (取号) for ticket 1 and the clerk calls it (叫号); a second person meets SLOT_FULL; a
third booking left unattended becomes a no-show, counted; a cancellation frees a full slot for
the person who met SLOT_FULL.

It passes on any date and at any hour: the timetable covers all seven days around the clock, so
the 14-day horizon has slots whatever today is (a statutory holiday has none, the days after do),
and where the journey needs "the slot is about to start" or "the slot is over" it moves that
booking in time (`move_in_time`) instead of waiting for the clock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

import asyncpg
import httpx

from govhall.kit.testing import wait_until_sync

from .conftest import ADMIN, DEPT, SITE, Cluster
from .test_cases_journey import ok, staff_token
from .test_identity_journey import Person, bearer, register_and_verify

CHINA = dt.timezone(dt.timedelta(hours=8))
HALLS = f"/api/v1/admin/sites/{SITE}/halls"


def publish_bookable_matter(api: httpx.Client) -> str:
    """A matter of the journey's own whose guide allows appointments (the catalogue's flag)."""
    code = f"{DEPT}-Y{uuid.uuid4().hex[:5].upper()}"
    body = {
        "code": code,
        "name": "食品经营许可证补办",
        "department_code": DEPT,
        "audiences": ["person"],
        "type": "licensing",
        "handling_type": "instant",
        "promised_limit": {"value": 1},
        "legal_limit": {"value": 20},
        "appointment": True,
    }
    ok(api.post(f"/api/v1/admin/sites/{SITE}/matters", json=body, headers=ADMIN), 201)
    ok(api.post(f"/api/v1/admin/sites/{SITE}/matters/{code}/publish", headers=ADMIN))
    return code


def open_hall(api: httpx.Client, matter: str, name: str = "西陵区政务服务中心") -> tuple[str, str]:
    """A hall requiring a reply, one window serving `matter`, 30-minute slots all day every day.
    Hall names are unique per site, and the modules share one cluster: another module names its own."""
    hall = ok(api.post(HALLS, json={"name": name, "requires_reply": True}, headers=ADMIN), 201)
    window = ok(
        api.post(
            f"{HALLS}/{hall['id']}/windows", json={"name": "5号窗口", "matter_codes": [matter]}, headers=ADMIN
        ),
        201,
    )
    sessions = [{"weekday": d, "start": "00:00", "end": "23:59"} for d in range(1, 8)]
    ok(
        api.put(
            f"{HALLS}/{hall['id']}/timetables",
            json={"sessions": sessions, "slot_minutes": 30, "capacity": 2},
            headers=ADMIN,
        )
    )
    return str(hall["id"]), str(window["id"])


def move_in_time(e2e: Cluster, booking_id: str, starts: dt.datetime) -> str:
    """Move a booking and its slot to start at `starts` (30 minutes long), as if booked for then;
    returns the new China day.

    The journey cannot wait an hour for a reminder or a slot's end, and no route may move a
    booking, so it writes appointments' own database of the run directly (as the superuser).
    The reminder level goes back to none: a reminder raised for the old time says nothing about
    the new one. The times carry seconds, so they never meet a timetable slot's (UNIQUE per window).
    """
    ends = starts + dt.timedelta(minutes=30)
    day = starts.astimezone(CHINA).date()
    dsn = e2e.servers["GOVHALL_PG_URL"].replace("postgresql+asyncpg://", "postgresql://")

    async def move() -> None:
        conn = await asyncpg.connect(f"{dsn}/{e2e.databases['appointments']}")
        try:
            async with conn.transaction():
                slot = await conn.fetchval(
                    "UPDATE bookings SET starts_at = $2, ends_at = $3, day = $4, reminded = 'none' "
                    "WHERE id = $1 RETURNING slot_id",
                    booking_id,
                    starts,
                    ends,
                    day,
                )
                assert slot is not None, f"no booking {booking_id}"
                await conn.execute(
                    "UPDATE slots SET starts_at = $2, ends_at = $3, day = $4 WHERE id = $1",
                    slot,
                    starts,
                    ends,
                    day,
                )
        finally:
            await conn.close()

    asyncio.run(move())
    return day.isoformat()


def texts_to(e2e: Cluster, mobile: str) -> list[dict[str, Any]]:
    if not e2e.sms_file.exists():
        return []
    lines = [json.loads(line) for line in e2e.sms_file.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line["mobile"] == mobile and line["purpose"] == "notify"]


def message_about(api: httpx.Client, person: Person, subject: str, booking_id: str) -> list[dict[str, Any]]:
    listed = ok(api.get("/api/v1/me/messages", headers=bearer(person.access_token)))
    return [
        m
        for m in listed["items"]
        if m["subject"] == subject and (m["link_kind"], m["link_id"]) == ("booking", booking_id)
    ]


def book(api: httpx.Client, person: Person, slot: str, matter: str, status: int = 201) -> Any:
    body = {"slot_id": slot, "matter_code": matter, "purpose": "补办食品经营许可证"}
    return ok(api.post("/api/v1/appointments", json=body, headers=bearer(person.access_token)), status)


def confirm(api: httpx.Client, clerk: dict[str, str], booking: dict[str, Any]) -> dict[str, Any]:
    url = f"/api/v1/staff/appointments/{booking['id']}/confirm"
    confirmed = ok(api.post(url, json={"revision": booking["revision"]}, headers=clerk))
    assert (confirmed["state"], confirmed["revision"]) == ("confirmed", booking["revision"] + 1)
    return dict(confirmed)


def test_book_confirm_remind_check_in_call_full_no_show_and_a_freed_place(
    api: httpx.Client, e2e: Cluster
) -> None:
    matter = publish_bookable_matter(api)
    hall, window = open_hall(api, matter)
    clerk = bearer(staff_token(api, "window_clerk"))
    first, second, third, fourth = (
        register_and_verify(api, e2e, name) for name in ("王预约", "李满额", "张爽约", "赵取消")
    )

    # The first slot bookable now (the rules' minimum notice is 30 minutes; a minute's margin for
    # the request), and two hours later ones a booking can still be cancelled from.
    slots = ok(api.get(f"/api/v1/sites/{SITE}/matters/{matter}/slots", params={"hall": hall}))["items"]
    assert slots and all(s["window_id"] == window and s["starts_at"].endswith("+08:00") for s in slots)
    now = dt.datetime.now(dt.UTC)
    ahead = [s for s in slots if dt.datetime.fromisoformat(s["starts_at"]) >= now + dt.timedelta(minutes=31)]
    # (After the first: on a holiday the first bookable slot may itself be days ahead.)
    later = [s for s in ahead[1:] if dt.datetime.fromisoformat(s["starts_at"]) >= now + dt.timedelta(hours=3)]
    slot, unattended, freed = ahead[0], later[0], later[1]
    for s in (slot, freed):
        capped = ok(
            api.put(
                f"{HALLS}/{hall}/slots/{s['id']}/capacity", json={"capacity": 1, "revision": 1}, headers=ADMIN
            )
        )
        assert (capped["capacity"], capped["remaining"]) == (1, 1)

    # Booked, waiting for the window's reply; the clerk confirms on the revision seen.
    booked = book(api, first, slot["id"], matter)
    assert booked["state"] == "pending_reply" and len(booked["code"]) == 8
    assert booked["starts_at"] == slot["starts_at"]
    confirm(api, clerk, booked)
    shown = ok(api.get(f"/api/v1/appointments/{booked['id']}", headers=bearer(first.access_token)))
    assert (shown["state"], shown["code"]) == ("confirmed", booked["code"])
    assert shown["qr"].startswith("data:image/png;base64,")

    # The slot is full: the second person is refused, the place stays taken.
    refused = api.post(
        "/api/v1/appointments",
        json={"slot_id": slot["id"], "matter_code": matter},
        headers=bearer(second.access_token),
    )
    assert refused.status_code == 409 and refused.json()["code"] == "SLOT_FULL", refused.text

    # The hour before: moved to start in three minutes, the sweep reminds, the inbox tells and texts.
    starts = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=3)).replace(microsecond=0) + dt.timedelta(
        seconds=7
    )
    day = move_in_time(e2e, booked["id"], starts)
    when = starts.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    reminded = wait_until_sync(
        lambda: [
            m
            for m in message_about(api, first, "appointments.booking.reminder", booked["id"])
            if when in m["body"]
        ],
        60,
        interval=0.5,
        what="the hour-before reminder in the inbox",
    )
    assert len(reminded) == 1 and booked["code"] in reminded[0]["body"]
    texts = wait_until_sync(
        lambda: [t for t in texts_to(e2e, first.mobile) if when in t["text"]],
        60,
        interval=0.5,
        what="the reminder texted",
    )
    assert len(texts) == 1 and booked["code"] in texts[0]["text"]

    # 取号 by the booking code at the hall: ticket 1 at the window; 叫号 calls it.
    ticket = ok(api.post(f"/api/v1/halls/{hall}/check-in", json={"code": booked["code"]}, headers=clerk))
    assert (ticket["number"], ticket["state"], ticket["day"]) == (1, "waiting", day)
    assert ticket["display"] == "5号窗口-001"
    # The queue is the day's: a start moved past China midnight is called once that day has come.
    wait_until_sync(
        lambda: dt.datetime.now(CHINA).date().isoformat() == day, 240, interval=1, what="the booking's day"
    )
    called = ok(api.post(f"/api/v1/staff/windows/{window}/call-next", headers=clerk))
    assert (called["id"], called["number"], called["state"]) == (ticket["id"], 1, "called")
    mine = ok(api.get(f"/api/v1/appointments/{booked['id']}", headers=bearer(first.access_token)))
    # Checked in: the QR has done its work and is no longer given.
    assert mine["state"] == "checked_in" and mine["qr"] is None

    # A booking nobody comes for: moved to have ended an hour ago, the sweep marks it, once.
    absent = confirm(api, clerk, book(api, third, unattended["id"], matter))
    gone = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=90, seconds=7)
    past_day = move_in_time(e2e, absent["id"], gone)
    wait_until_sync(
        lambda: (
            ok(api.get(f"/api/v1/appointments/{absent['id']}", headers=bearer(third.access_token)))["state"]
            == "no_show"
        ),
        60,
        interval=0.5,
        what="the no-show",
    )
    told = wait_until_sync(
        lambda: message_about(api, third, "appointments.booking.no_show", absent["id"]),
        60,
        interval=0.5,
        what="the no-show in the inbox",
    )
    assert len(told) == 1 and absent["code"] in told[0]["body"]
    stats = ok(
        api.get(
            f"/api/v1/staff/halls/{hall}/statistics", params={"from": past_day, "to": past_day}, headers=ADMIN
        )
    )
    assert [(m["matter_code"], m["no_show"]) for m in stats["matters"] if m["no_show"]] == [(matter, 1)]

    # A full capacity-1 slot: refused, then its booking is cancelled and the place is free at once.
    held = book(api, fourth, freed["id"], matter)
    full = api.post(
        "/api/v1/appointments",
        json={"slot_id": freed["id"], "matter_code": matter},
        headers=bearer(second.access_token),
    )
    assert full.status_code == 409 and full.json()["code"] == "SLOT_FULL", full.text
    cancelled = ok(
        api.post(
            f"/api/v1/appointments/{held['id']}/cancel",
            json={"revision": held["revision"], "reason": "行程有变"},
            headers=bearer(fourth.access_token),
        )
    )
    assert cancelled["state"] == "cancelled"
    listed = ok(api.get(f"/api/v1/sites/{SITE}/matters/{matter}/slots", params={"hall": hall}))["items"]
    assert [s["remaining"] for s in listed if s["id"] == freed["id"]] == [1]
    taken = book(api, second, freed["id"], matter)
    assert (taken["state"], taken["starts_at"]) == ("pending_reply", freed["starts_at"])
    pending = ok(
        api.get("/api/v1/me/appointments", params={"tab": "pending"}, headers=bearer(second.access_token))
    )
    assert [b["id"] for b in pending["items"]] == [taken["id"]]
