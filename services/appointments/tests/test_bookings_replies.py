"""Halls and windows that require a reply (Ningxia): the booking waits as pending_reply, a window
clerk of the hall's site confirms it or declines it with a reason (giving the place back), on the
revision they saw; the suspension rules count no-shows and the owner's own cancellations."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from govhall.appointments import tables
from govhall.appointments.booking_rules import Strikes, for_site
from govhall.appointments.bookings import _situation
from govhall.kit.errors import DomainError, ErrorKind
from govhall.protos.appointments.v1 import bookings_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.common.v1 import common_pb2 as C

from .bookings_world import book, published, stub, tomorrow
from .conftest import World, person, staff

CLERK = staff(["window_clerk"])


async def test_a_clerk_confirms_or_declines_a_booking_waiting_for_a_reply(world: World) -> None:
    hall, window = await world.hall(requires_reply=True)
    slot = await world.slot(hall, window, tomorrow(), capacity=2)
    s = stub(world)
    first = (await book(world, person(1), slot)).booking
    second = (await book(world, person(2), slot)).booking
    assert (first.state, second.state) == ("pending_reply", "pending_reply")

    reply = pb.ReplyBookingRequest(booking_id=first.id, revision=1)
    err = await world.fails(s, "ConfirmBooking", reply, staff(["window_clerk"], site="420503"))
    assert err.code == "BOOKING_NOT_FOUND"  # another site's clerk is not told it exists
    err = await world.fails(s, "ConfirmBooking", reply, staff(["reviewer"]))
    assert err.code == "ROLE_REQUIRED" and err.kind == ErrorKind.FORBIDDEN
    err = await world.fails(s, "ConfirmBooking", reply, person(1))
    assert err.code == "BOOKING_NOT_FOUND"
    err = await world.fails(
        s, "ConfirmBooking", pb.ReplyBookingRequest(booking_id=first.id, revision=2), CLERK
    )
    assert err.code == "REVISION_MISMATCH" and err.kind == ErrorKind.CONFLICT
    confirmed = await world.call(s, "ConfirmBooking", reply, CLERK)
    assert (confirmed.state, confirmed.revision) == ("confirmed", 2)
    err = await world.fails(s, "ConfirmBooking", reply, CLERK)  # a second clerk on the old revision
    assert err.code == "REVISION_MISMATCH"

    err = await world.fails(
        s, "DeclineBooking", pb.ReplyBookingRequest(booking_id=second.id, revision=1), CLERK
    )
    assert err.code == "REASON_REQUIRED" and err.fields[0].field == "reason"
    declined = await world.call(
        s,
        "DeclineBooking",
        pb.ReplyBookingRequest(booking_id=second.id, revision=1, reason="材料不全"),
        CLERK,
    )
    assert (declined.state, declined.state_reason, declined.revision) == ("declined", "材料不全", 2)
    assert (await world.slot_row(slot)).booked == 1
    err = await world.fails(
        s, "DeclineBooking", pb.ReplyBookingRequest(booking_id=first.id, revision=2, reason="x"), CLERK
    )
    assert err.code == "BOOKING_NOT_PENDING" and err.kind == ErrorKind.WRONG_STATE

    events = [(subject, e.booking_id, e.from_state, e.reason) for subject, e in await published(world)]
    assert events == [
        ("appointments.booking.booked", first.id, "", ""),
        ("appointments.booking.booked", second.id, "", ""),
        ("appointments.booking.confirmed", first.id, "pending_reply", ""),
        ("appointments.booking.declined", second.id, "pending_reply", "材料不全"),
    ]
    # The declined person may book that matter and day again.
    again = (await book(world, person(2), slot)).booking
    assert again.state == "pending_reply" and (await world.slot_row(slot)).booked == 2


async def test_a_no_show_warns_and_two_in_thirty_days_suspend_booking(world: World) -> None:
    hall, window = await world.hall()
    me = person(1)
    days = iter(range(1, 10))
    first = (await book(world, me, await world.slot(hall, window, tomorrow(days=next(days))))).booking
    await _mark(world, first.id, "no_show")
    warned = await book(world, me, await world.slot(hall, window, tomorrow(days=next(days))))
    assert "1次预约未到" in warned.warning
    await _mark(world, warned.booking.id, "no_show")

    err = await world.fails(
        stub(world),
        "Book",
        pb.BookRequest(
            slot_id=await world.slot(hall, window, tomorrow(days=next(days))),
            matter_code=first.matter_code,
            contact_mobile="13812345678",
        ),
        me,
    )
    assert (
        err.code == "BOOKING_SUSPENDED" and err.kind == ErrorKind.FORBIDDEN and "暂停预约" in err.message_zh
    )
    assert (await book(world, person(2), await world.slot(hall, window, tomorrow(11, days=3)))).warning == ""


async def test_five_own_cancellations_in_a_month_suspend_booking(world: World) -> None:
    hall, window = await world.hall()
    me = person(1)
    for d in range(1, 6):
        made = (await book(world, me, await world.slot(hall, window, tomorrow(days=d)))).booking
        await world.call(stub(world), "CancelBooking", pb.CancelBookingRequest(booking_id=made.id), me)
    with_slot = await world.slot(hall, window, tomorrow(days=6))
    try:
        await book(world, me, with_slot)
        raise AssertionError("booked while suspended")
    except DomainError as err:
        assert err.code == "BOOKING_SUSPENDED"
    assert (await world.slot_row(with_slot)).booked == 0


async def _mark(world: World, booking_id: str, state: str) -> None:
    """What the desk's sweep does to a booking not checked in (built in its own part)."""
    async with world.db.uow() as uow:
        await uow.conn.execute(
            sa.update(tables.bookings)
            .where(tables.bookings.c.id == booking_id)
            .values(state=state, active_key=None, starts_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
        )
        await uow.commit()


def test_strikes_count_within_the_window_and_suspend_after_the_last() -> None:
    rule = Strikes(2, dt.timedelta(days=30), dt.timedelta(days=30))
    now = dt.datetime(2026, 12, 5, tzinfo=dt.UTC)
    day = dt.timedelta(days=1)
    assert rule.suspended_until([now - 40 * day, now - 5 * day], now) is None  # 35 days apart
    assert rule.suspended_until([now - 20 * day, now - 5 * day], now) == now + 25 * day
    assert rule.suspended_until([now - 50 * day, now - 35 * day], now) is None  # served already
    assert rule.warns([now - 5 * day], now) and not rule.warns([now - 31 * day], now)
    assert for_site("640000").min_notice == dt.timedelta(minutes=60)
    assert for_site("420502").min_notice == dt.timedelta(minutes=30) and for_site("420502").max_active == 3


def test_a_situation_is_required_when_the_matter_has_some_and_must_be_one_of_them() -> None:
    matter = cat.Matter(
        code="M",
        draft=cat.MatterDraft(
            situations=[cat.Situation(code="S1", options=[cat.SituationOption(code="S1A", label="是")])]
        ),
    )
    assert _situation(matter, "S1A") == "S1A"
    assert _situation(cat.Matter(code="M"), "anything") == ""
    for chosen, code in (("", "SITUATION_REQUIRED"), ("S9", "SITUATION_INVALID")):
        try:
            _situation(matter, chosen)
            raise AssertionError(chosen)
        except DomainError as err:
            assert err.code == code and err.fields[0].field == "situation"


async def test_an_enterprise_signed_in_as_itself_owns_its_booking(world: World) -> None:
    # An agent acting for it is re-checked with identity on every booking: the gateway's tests.
    hall, window = await world.hall()
    slot = await world.slot(hall, window, tomorrow())
    enterprise = C.CallerIdentity(
        kind=C.CALLER_KIND_LEGAL_PERSON, subject="ent-1", name="宜昌某某食品有限公司"
    )
    made = (await book(world, enterprise, slot, contact_name="王五")).booking
    assert made.contact_name_masked == "王*"
    async with world.db.reader() as uow:
        row = (await uow.conn.execute(sa.select(tables.bookings))).one()
    assert (row.owner_kind, row.owner_subject, row.agent_subject) == ("legal_person", "ent-1", "")
    mine = await world.call(stub(world), "ListMyBookings", pb.ListMyBookingsRequest(), enterprise)
    assert [b.id for b in mine.bookings] == [made.id]
    err = await world.fails(stub(world), "GetBooking", pb.GetBookingRequest(booking_id=made.id), person(7))
    assert err.code == "BOOKING_NOT_FOUND"
