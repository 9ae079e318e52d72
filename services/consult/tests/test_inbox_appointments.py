"""Appointments' booking events in 我的消息: each becomes exactly one message for the booking's
owner, rendered from the event's notice (consult never calls appointments back); the reminder is
also texted; a no-show warns about the suspension rule."""

from __future__ import annotations

from typing import Any

from govhall.contracts import appointments as appointments_contract
from govhall.kit.events import Event, make_event
from govhall.kit.testing import wait_until
from govhall.protos.appointments.v1 import events_pb2 as ev
from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.consult.v1 import inbox_pb2 as pb

from .conftest import person
from .inbox_support import MOBILE, InboxWorld, inbox_world_fixture  # noqa: F401 - the fixture


def booking_event(name: str, reason: str = "", **fields: Any) -> Event:
    message = ev.BookingChanged(
        booking_id="booking-1",
        code="K7PX3M9Q",
        site_code="420502",
        matter_code="420502-SCJG-0001",
        from_state="confirmed",
        state=fields.pop("state", "confirmed"),
        starts_at="2026-12-08T10:00:00+08:00",
        reason=reason,
        owner_kind=C.CALLER_KIND_PERSON,
        owner_subject="person-1",
        revision=2,
        notice=C.UserNotice(
            recipient_kind=C.CALLER_KIND_PERSON,
            recipient_subject="person-1",
            object_id="booking-1",
            object_number="K7PX3M9Q",
            title="食品经营许可",
            site_name="西陵区",
            when="2026-12-08 10:00",
            place="西陵区政务服务中心 1号窗口",
            reason=reason,
        ),
        **fields,
    )
    return make_event(appointments_contract.booking(name), message, "420502")


async def test_booking_events_become_one_message_each_and_the_reminder_a_text(
    inbox_world: InboxWorld,
) -> None:
    w = inbox_world
    w.identity.mobiles[(C.CALLER_KIND_PERSON, "person-1")] = MOBILE
    booked = booking_event("booked", state="pending_reply")
    reminder = booking_event("reminder", reason="day_before")
    for event in (booked, booked, reminder, reminder):  # each delivered twice
        await w.bus.publish(event)
    await w.bus.publish(booking_event("declined", reason="材料不齐，请补充后重新预约", state="declined"))
    await w.bus.publish(booking_event("no_show", state="no_show"))
    await w.bus.publish(booking_event("checked_in", state="checked_in"))  # no template: no message

    page = await w.call("ListMessages", pb.ListMessagesRequest(page=C.PageRequest()), person(1))
    by_subject = {m.subject: m for m in page.messages}
    assert page.page.total == 4 and set(by_subject) == {
        "appointments.booking.booked",
        "appointments.booking.reminder",
        "appointments.booking.declined",
        "appointments.booking.no_show",
    }
    pending = by_subject["appointments.booking.booked"]
    assert pending.title == "预约待确认：食品经营许可" and "K7PX3M9Q" in pending.body
    assert (pending.link_kind, pending.link_id) == ("booking", "booking-1")
    assert "材料不齐" in by_subject["appointments.booking.declined"].body
    assert "30天内爽约2次将暂停预约资格30天" in by_subject["appointments.booking.no_show"].body
    other = await w.call("ListMessages", pb.ListMessagesRequest(page=C.PageRequest()), person(2))
    assert other.page.total == 0

    texts = await wait_until(lambda: w.texts(), what="the reminder's text")
    assert len(texts) == 1 and texts[0]["mobile"] == MOBILE
    assert "2026-12-08 10:00" in texts[0]["text"] and "K7PX3M9Q" in texts[0]["text"]
