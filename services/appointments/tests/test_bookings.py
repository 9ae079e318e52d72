"""Booking a slot: confirmed at once or waiting for a clerk's reply, the code and its QR, contact
details encrypted and shown masked, the rules as data with their own codes, mine and someone
else's, and cancelling giving the place back at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import io

import sqlalchemy as sa
import zxingcpp
from PIL import Image

from govhall.appointments import tables
from govhall.appointments.bookings import CODE_ALPHABET
from govhall.kit.errors import ErrorKind
from govhall.protos.appointments.v1 import bookings_pb2 as pb
from govhall.protos.common.v1 import common_pb2 as C

from .bookings_world import MOBILE, book, published, stub, tomorrow
from .conftest import CHINA, NOT_BOOKABLE, World, person, staff


def decode_qr_png(data: bytes) -> str:
    """The text of the one QR code in a PNG, read as a phone's camera would (tests/e2e/qr.py)."""
    with Image.open(io.BytesIO(data)) as image:
        (found,) = zxingcpp.read_barcodes(image.convert("L"))
    return str(found.text)


async def test_a_booking_is_confirmed_at_once_with_a_code_and_its_qr(world: World) -> None:
    hall, window = await world.hall()
    slot = await world.slot(hall, window, tomorrow(), capacity=2)

    made = await book(world, person(1, "张三"), slot)

    b = made.booking
    assert b.state == "confirmed" and b.revision == 1
    assert len(b.code) == 8 and set(b.code) <= set(CODE_ALPHABET)
    assert made.qr.media_type == "image/png" and made.qr.data.startswith(b"\x89PNG")
    assert b.contact_name_masked == "张*" and b.contact_mobile_masked == "138****5678"
    assert b.starts_at == tomorrow().astimezone(CHINA).isoformat() and b.starts_at.endswith("+08:00")
    assert (
        b.hall_name == "西陵区政务服务中心" and b.window_name == "1号窗口" and b.matter_name == "食品经营许可"
    )
    assert (await world.slot_row(slot)).booked == 1
    async with world.db.reader() as uow:
        row = (await uow.conn.execute(sa.select(tables.bookings))).one()
    # Personal data at rest is encrypted; the hash finds it by mobile.
    assert MOBILE not in row.contact_mobile and "张三" not in row.contact_name
    assert row.active_key and row.owner_kind == "person" and row.owner_subject == "person-1"
    ((subject, event),) = await published(world)
    assert subject == "appointments.booking.confirmed" and event.booking_id == b.id and event.code == b.code
    svg = await book(world, person(2), slot, qr_format=pb.BOOKING_QR_FORMAT_SVG)
    assert svg.qr.media_type == "image/svg+xml" and b"<svg" in svg.qr.data


async def test_the_owner_reads_it_in_mine_and_nobody_else_sees_it(world: World) -> None:
    hall, window = await world.hall()
    slot = await world.slot(hall, window, tomorrow())
    me, other = person(1), person(2)
    made = (await book(world, me, slot)).booking
    s = stub(world)

    got = await world.call(s, "GetBooking", pb.GetBookingRequest(booking_id=made.id), me)
    assert got.booking.code == made.code
    # The detail carries the code's QR as the booking answer does (PNG unless SVG is asked for).
    assert got.qr.media_type == "image/png" and got.qr.data.startswith(b"\x89PNG")
    assert decode_qr_png(got.qr.data) == made.code
    svg = await world.call(
        s, "GetBooking", pb.GetBookingRequest(booking_id=made.id, qr_format=pb.BOOKING_QR_FORMAT_SVG), me
    )
    assert svg.qr.media_type == "image/svg+xml" and b"<svg" in svg.qr.data
    err = await world.fails(s, "GetBooking", pb.GetBookingRequest(booking_id=made.id), other)
    assert err.code == "BOOKING_NOT_FOUND" and err.kind == ErrorKind.NOT_FOUND
    err = await world.fails(
        s, "GetBooking", pb.GetBookingRequest(booking_id=made.id), staff(["window_clerk"], site="420503")
    )
    assert err.code == "BOOKING_NOT_FOUND"
    clerk = await world.call(
        s, "GetBooking", pb.GetBookingRequest(booking_id=made.id), staff(["window_clerk"])
    )
    assert clerk.booking.id == made.id and clerk.qr.data.startswith(b"\x89PNG")

    pending = await world.call(s, "ListMyBookings", pb.ListMyBookingsRequest(tab="pending"), me)
    assert [b.id for b in pending.bookings] == [made.id] and pending.page.total == 1
    assert not (await world.call(s, "ListMyBookings", pb.ListMyBookingsRequest(tab="history"), me)).bookings
    assert not (await world.call(s, "ListMyBookings", pb.ListMyBookingsRequest(), other)).bookings
    err = await world.fails(s, "ListMyBookings", pb.ListMyBookingsRequest(tab="later"), me)
    assert err.code == "TAB_INVALID" and err.fields[0].field == "tab"

    await world.call(s, "CancelBooking", pb.CancelBookingRequest(booking_id=made.id, revision=1), me)
    history = await world.call(s, "ListMyBookings", pb.ListMyBookingsRequest(tab="history"), me)
    assert [(b.id, b.state, b.state_reason) for b in history.bookings] == [(made.id, "cancelled", "本人取消")]
    # A cancelled booking can no longer be checked in with: its detail has no QR.
    cancelled = await world.call(s, "GetBooking", pb.GetBookingRequest(booking_id=made.id), me)
    assert cancelled.booking.state == "cancelled" and not cancelled.HasField("qr")


async def test_cancelling_frees_the_place_at_once(world: World) -> None:
    hall, window = await world.hall()
    slot = await world.slot(hall, window, tomorrow(), capacity=1)
    first = (await book(world, person(1), slot)).booking
    err = await world.fails(
        stub(world),
        "Book",
        pb.BookRequest(slot_id=slot, matter_code=first.matter_code, contact_mobile=MOBILE),
        person(2),
    )
    assert err.code == "SLOT_FULL" and err.kind == ErrorKind.CONFLICT

    err = await world.fails(
        stub(world), "CancelBooking", pb.CancelBookingRequest(booking_id=first.id), person(2)
    )
    assert err.code == "BOOKING_NOT_FOUND"
    err = await world.fails(
        stub(world), "CancelBooking", pb.CancelBookingRequest(booking_id=first.id, revision=7), person(1)
    )
    assert err.code == "REVISION_MISMATCH"
    cancelled = await world.call(
        stub(world), "CancelBooking", pb.CancelBookingRequest(booking_id=first.id), person(1)
    )
    assert cancelled.state == "cancelled" and cancelled.revision == 2
    assert (await world.slot_row(slot)).booked == 0

    second = (await book(world, person(2), slot)).booking
    assert second.state == "confirmed" and (await world.slot_row(slot)).booked == 1
    # The same person may book the same matter that day again once the first is cancelled.
    err = await world.fails(
        stub(world), "CancelBooking", pb.CancelBookingRequest(booking_id=first.id), person(1)
    )
    assert err.code == "BOOKING_NOT_ACTIVE"
    subjects = [s for s, _ in await published(world)]
    assert subjects == [
        "appointments.booking.confirmed",
        "appointments.booking.cancelled",
        "appointments.booking.confirmed",
    ]


async def test_each_rule_refuses_with_its_own_code_naming_the_field(world: World) -> None:
    hall, window = await world.hall(matters=("420502-SCJG-0001", NOT_BOOKABLE))
    now = dt.datetime.now(CHINA)
    soon = await world.slot(hall, window, (now + dt.timedelta(minutes=20)).astimezone(dt.UTC))
    far = await world.slot(hall, window, tomorrow(days=15))
    ok = await world.slot(hall, window, tomorrow(), capacity=5)
    s = stub(world)

    for slot, code in ((soon, "BOOKING_TOO_SOON"), (far, "BOOKING_TOO_FAR")):
        err = await world.fails(
            s,
            "Book",
            pb.BookRequest(slot_id=slot, matter_code="420502-SCJG-0001", contact_mobile=MOBILE),
            person(),
        )
        assert (err.code, err.kind, err.fields[0].field) == (code, ErrorKind.INVALID, "slot_id")
    cases = [
        ({"matter_code": NOT_BOOKABLE}, "MATTER_NOT_BOOKABLE", "matter_code"),
        ({"contact_mobile": "12345"}, "MOBILE_BAD_FORMAT", "contact_mobile"),
        ({"email": "not-an-address"}, "EMAIL_INVALID", "email"),
        ({"purpose": "办" * 501}, "PURPOSE_TOO_LONG", "purpose"),
        ({"slot_id": "bad id!"}, "ID_INVALID", "slot_id"),
    ]
    for fields, code, field in cases:
        values = {"slot_id": ok, "matter_code": "420502-SCJG-0001", "contact_mobile": MOBILE, **fields}
        err = await world.fails(s, "Book", pb.BookRequest(**values), person())
        assert err.code == code and err.fields and err.fields[0].field == field, (code, err)
    err = await world.fails(
        s, "Book", pb.BookRequest(slot_id="nope", matter_code="420502-SCJG-0001"), person()
    )
    assert err.code == "SLOT_NOT_FOUND" and err.kind == ErrorKind.NOT_FOUND
    # A person below the real-name level is refused after asking identity: the gateway's tests.
    err = await world.fails(
        s, "Book", pb.BookRequest(slot_id=ok, matter_code="420502-SCJG-0001"), staff(["window_clerk"])
    )
    assert err.code == "OWNER_ONLY"
    err = await world.fails(
        s,
        "Book",
        pb.BookRequest(slot_id=ok, matter_code="420502-SCJG-0001"),
        C.CallerIdentity(kind=C.CALLER_KIND_ANONYMOUS),
    )
    assert err.kind == ErrorKind.UNAUTHENTICATED

    # One per matter and day; the second matter the same day is fine.
    await book(world, person(), ok)
    err = await world.fails(
        s, "Book", pb.BookRequest(slot_id=ok, matter_code="420502-SCJG-0001", contact_mobile=MOBILE), person()
    )
    assert err.code == "ALREADY_BOOKED_THAT_DAY" and err.kind == ErrorKind.CONFLICT
    assert (await world.slot_row(ok)).booked == 1


async def test_at_most_three_active_and_cancelling_too_late_is_refused(world: World) -> None:
    hall, window = await world.hall()
    me = person(1)
    made = [
        (await book(world, me, await world.slot(hall, window, tomorrow(days=d)))).booking for d in (1, 2, 3)
    ]
    fourth = await world.slot(hall, window, tomorrow(days=4))
    err = await world.fails(
        stub(world),
        "Book",
        pb.BookRequest(slot_id=fourth, matter_code=made[0].matter_code, contact_mobile=MOBILE),
        me,
    )
    assert err.code == "TOO_MANY_ACTIVE_BOOKINGS" and err.kind == ErrorKind.CONFLICT
    assert (await world.slot_row(fourth)).booked == 0

    # Less than 30 minutes before the start: the slot moves closer (as time passes).
    async with world.db.uow() as uow:
        await uow.conn.execute(
            sa.update(tables.bookings)
            .where(tables.bookings.c.id == made[0].id)
            .values(starts_at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10))
        )
        await uow.commit()
    err = await world.fails(stub(world), "CancelBooking", pb.CancelBookingRequest(booking_id=made[0].id), me)
    assert err.code == "CANCEL_TOO_LATE" and err.kind == ErrorKind.WRONG_STATE
