"""The public slots of a bookable matter; one slot's capacity (never below booked) and a closed
day that cancels its bookings with a reason and an event each."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from govhall.appointments import tables
from govhall.kit.eventstore import OUTBOX
from govhall.kit.races import concurrently, outcomes
from govhall.protos.appointments.v1 import events_pb2, hall_admin_pb2_grpc
from govhall.protos.appointments.v1 import hall_admin_pb2 as pb

from .conftest import ANONYMOUS, CHINA, COUNTY, DEPT, MATTER, NOT_BOOKABLE, World, person, staff

pytestmark = pytest.mark.integration

SITE_ADMIN = staff(["site_admin"])


def admin(world: World) -> hall_admin_pb2_grpc.HallAdminServiceStub:
    return world.stub(hall_admin_pb2_grpc.HallAdminServiceStub)


def public(world: World) -> hall_admin_pb2_grpc.SlotsServiceStub:
    return world.stub(hall_admin_pb2_grpc.SlotsServiceStub)


def tomorrow_at(hour: int, days: int = 1) -> dt.datetime:
    """In UTC: SQLite keeps the wall time it is given (appointments stores UTC)."""
    day = dt.datetime.now(CHINA).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), CHINA).astimezone(dt.UTC)


async def book(world: World, slot_id: str, n: int, state: str = "confirmed") -> str:
    """A booking row on the slot, taking its place as booking does (booked + 1)."""
    slot = await world.slot_row(slot_id)
    booking_id, at = uuid.uuid4().hex, dt.datetime.now(dt.UTC)
    async with world.db.uow() as uow:
        await uow.conn.execute(
            tables.bookings.insert().values(
                id=booking_id, code=f"C{n:07d}", slot_id=slot_id, hall_id=slot.hall_id, window_id=slot.window_id,
                site_code=COUNTY, matter_code=MATTER, matter_name="食品经营许可", day=slot.day,
                starts_at=slot.starts_at, ends_at=slot.ends_at, owner_kind="person", owner_subject=f"person-{n}",
                contact_name="enc", contact_mobile="enc", contact_mobile_hash="h", mobile_masked="138****0000",
                state=state, active_key=f"person-{n}|{MATTER}|{slot.day}" if state == "confirmed" else None,
                created_at=at, updated_at=at,
            )
        )  # fmt: skip
        await uow.conn.execute(
            tables.slots.update().where(tables.slots.c.id == slot_id).values(booked=tables.slots.c.booked + 1)
        )
        await uow.commit()
    return booking_id


async def test_a_bookable_matters_slots_at_the_windows_serving_it(world: World) -> None:
    hall_id, window_id = await world.hall()
    _, other_window = await world.hall(name="西陵区不动产登记中心", matters=("420502-BDC-0001",))
    await world.slot(_, other_window, tomorrow_at(9))  # serves another matter only
    # A window of the matter's department serves it too.
    dept_hall, dept_window = await world.hall(name="西陵区市民之家", matters=())
    async with world.db.uow() as uow:
        await uow.conn.execute(
            tables.windows.update().where(tables.windows.c.id == dept_window).values(department_code=DEPT)
        )
        await uow.commit()
    first = await world.slot(hall_id, window_id, tomorrow_at(9), capacity=5)
    await book(world, first, 1)
    closed = await world.slot(hall_id, window_id, tomorrow_at(10))
    async with world.db.uow() as uow:
        await uow.conn.execute(tables.slots.update().where(tables.slots.c.id == closed).values(closed=True))
        await uow.commit()
    await world.slot(dept_hall, dept_window, tomorrow_at(11), capacity=2)
    await world.slot(hall_id, window_id, tomorrow_at(9, days=-1))  # already past

    reply = await world.call(
        public(world), "ListSlots", pb.ListSlotsRequest(site_code=COUNTY, matter_code=MATTER), ANONYMOUS
    )
    got = [(s.window_id, s.starts_at, s.capacity, s.remaining) for s in reply.slots]
    assert got == [
        (window_id, tomorrow_at(9).astimezone(CHINA).isoformat(), 5, 4),
        (dept_window, tomorrow_at(11).astimezone(CHINA).isoformat(), 2, 2),
    ]
    assert reply.slots[0].hall_name == "西陵区政务服务中心" and reply.slots[0].window_name == "1号窗口"
    assert reply.slots[0].starts_at.endswith("+08:00")
    one_hall = await world.call(
        public(world),
        "ListSlots",
        pb.ListSlotsRequest(site_code=COUNTY, matter_code=MATTER, hall_id=dept_hall),
        person(),
    )
    assert [s.window_id for s in one_hall.slots] == [dept_window]


async def test_a_matter_not_bookable_and_days_beyond_the_horizon_are_refused(world: World) -> None:
    refused = await world.fails(
        public(world), "ListSlots", pb.ListSlotsRequest(site_code=COUNTY, matter_code=NOT_BOOKABLE), ANONYMOUS
    )
    assert (refused.code, refused.kind.http_status) == ("MATTER_NOT_BOOKABLE", 422)
    today = dt.datetime.now(CHINA).date()
    far = await world.fails(
        public(world),
        "ListSlots",
        pb.ListSlotsRequest(site_code=COUNTY, matter_code=MATTER, to_day=str(today + dt.timedelta(days=14))),
        ANONYMOUS,
    )
    assert (far.code, [f.field for f in far.fields]) == ("TO_BEYOND_HORIZON", ["to"])
    past = await world.fails(
        public(world),
        "ListSlots",
        pb.ListSlotsRequest(site_code=COUNTY, matter_code=MATTER, from_day=str(today - dt.timedelta(days=1))),
        ANONYMOUS,
    )
    assert (past.code, [f.field for f in past.fields]) == ("FROM_BEFORE_TODAY", ["from"])
    bad = await world.fails(
        public(world),
        "ListSlots",
        pb.ListSlotsRequest(site_code=COUNTY, matter_code=MATTER, from_day="2026-13-01"),
        ANONYMOUS,
    )
    assert (bad.code, [f.field for f in bad.fields]) == ("DAY_INVALID", ["from"])
    unknown = await world.fails(
        public(world),
        "ListSlots",
        pb.ListSlotsRequest(site_code=COUNTY, matter_code="420502-XX-0009"),
        ANONYMOUS,
    )
    assert unknown.code == "MATTER_NOT_FOUND"


async def test_capacity_never_below_booked_in_the_service_and_in_the_database(world: World) -> None:
    hall_id, window_id = await world.hall()
    slot_id = await world.slot(hall_id, window_id, tomorrow_at(9), capacity=3)
    await book(world, slot_id, 1)
    await book(world, slot_id, 2)

    below = await world.fails(
        admin(world),
        "SetSlotCapacity",
        pb.SetSlotCapacityRequest(slot_id=slot_id, capacity=1, revision=1),
        SITE_ADMIN,
    )
    assert (below.code, below.kind.http_status) == ("CAPACITY_BELOW_BOOKED", 409)
    changed = await world.call(
        admin(world),
        "SetSlotCapacity",
        pb.SetSlotCapacityRequest(slot_id=slot_id, capacity=2, revision=1),
        SITE_ADMIN,
    )
    assert (changed.capacity, changed.booked, changed.remaining, changed.revision) == (2, 2, 0, 2)
    stale = await world.fails(
        admin(world),
        "SetSlotCapacity",
        pb.SetSlotCapacityRequest(slot_id=slot_id, capacity=9, revision=1),
        SITE_ADMIN,
    )
    assert stale.code == "REVISION_STALE"
    other = await world.fails(
        admin(world),
        "SetSlotCapacity",
        pb.SetSlotCapacityRequest(slot_id=slot_id, capacity=9, revision=2),
        staff(["site_admin"], site="420503"),
    )
    assert other.code == "FORBIDDEN"
    # The CHECK holds whatever writes the row.
    with pytest.raises(sa.exc.IntegrityError):
        async with world.db.uow() as uow:
            await uow.conn.execute(
                tables.slots.update().where(tables.slots.c.id == slot_id).values(capacity=1)
            )
            await uow.commit()
    assert (await world.slot_row(slot_id)).capacity == 2


async def booking_rows(world: World, ids: list[str]) -> dict[str, Any]:
    async with world.db.reader() as uow:
        rows = (await uow.conn.execute(sa.select(tables.bookings).where(tables.bookings.c.id.in_(ids)))).all()
    return {r.id: r for r in rows}


async def test_closing_a_day_cancels_its_bookings_with_the_reason_and_an_event_each(world: World) -> None:
    hall_id, window_id = await world.hall()
    morning = await world.slot(hall_id, window_id, tomorrow_at(9), capacity=3)
    noon = await world.slot(hall_id, window_id, tomorrow_at(11), capacity=3)
    next_day = await world.slot(hall_id, window_id, tomorrow_at(9, days=2), capacity=3)
    a, b = await book(world, morning, 1), await book(world, noon, 2)
    gone = await book(world, morning, 3, state="cancelled")
    kept = await book(world, next_day, 4)
    day = str(tomorrow_at(9).astimezone(CHINA).date())

    reply = await world.call(
        admin(world),
        "CloseSlots",
        pb.CloseSlotsRequest(hall_id=hall_id, day=day, reason="系统升级停止服务"),
        SITE_ADMIN,
    )
    assert (reply.slots_closed, reply.bookings_cancelled) == (2, 2)
    rows = await booking_rows(world, [a, b, gone, kept])
    for booking_id in (a, b):
        row = rows[booking_id]
        assert (row.state, row.active_key, row.state_reason, row.revision) == (
            "cancelled",
            None,
            "系统升级停止服务",
            2,
        )
    assert (rows[kept].state, rows[gone].revision) == ("confirmed", 1)
    assert [(await world.slot_row(s)).booked for s in (morning, noon, next_day)] == [1, 0, 1]
    assert (await world.slot_row(morning)).closed and not (await world.slot_row(next_day)).closed

    async with world.db.reader() as uow:
        events = (
            await uow.conn.execute(
                sa.select(OUTBOX.c.subject, OUTBOX.c.payload).where(
                    OUTBOX.c.subject.like("appointments.booking.%")
                )
            )
        ).all()
    told = [
        events_pb2.BookingChanged.FromString(p) for s, p in events if s == "appointments.booking.cancelled"
    ]
    assert sorted((m.booking_id, m.from_state, m.state, m.reason) for m in told) == sorted(
        [(a, "confirmed", "cancelled", "系统升级停止服务"), (b, "confirmed", "cancelled", "系统升级停止服务")]
    )
    assert len(events) == 2
    # Closed slots are no longer offered; closing again changes nothing.
    listed = await world.call(
        public(world), "ListSlots", pb.ListSlotsRequest(site_code=COUNTY, matter_code=MATTER), ANONYMOUS
    )
    assert [s.id for s in listed.slots] == [next_day]
    again = await world.call(
        admin(world), "CloseSlots", pb.CloseSlotsRequest(hall_id=hall_id, day=day, reason="再次"), SITE_ADMIN
    )
    assert (again.slots_closed, again.bookings_cancelled) == (0, 0)
    one = await world.call(
        admin(world),
        "CloseSlots",
        pb.CloseSlotsRequest(hall_id=hall_id, slot_id=next_day, reason="窗口检修"),
        SITE_ADMIN,
    )
    assert (one.slots_closed, one.bookings_cancelled) == (1, 1)
    no_reason = await world.fails(
        admin(world), "CloseSlots", pb.CloseSlotsRequest(hall_id=hall_id, day=day), SITE_ADMIN
    )
    assert (no_reason.code, [f.field for f in no_reason.fields]) == ("FIELD_REQUIRED", ["reason"])
    by_day = await world.call(
        admin(world), "ListHallSlots", pb.ListHallSlotsRequest(hall_id=hall_id, day=day), SITE_ADMIN
    )
    assert [(s.closed, s.close_reason) for s in by_day.slots] == [(True, "系统升级停止服务")] * 2


async def test_a_day_closed_while_people_book_leaves_no_active_booking_on_it(world: World) -> None:
    """Closing races bookings that take places as booking does (one conditional UPDATE, NOT
    closed): each booking either lands before the close and is cancelled by it, or finds the
    slot closed. Real concurrency on PostgreSQL; SQLite serialises the writers."""
    hall_id, window_id = await world.hall()
    slot_id = await world.slot(hall_id, window_id, tomorrow_at(9), capacity=20)
    slot = await world.slot_row(slot_id)

    async def one(i: int) -> str:
        if i == 15:
            closed = await world.call(
                admin(world),
                "CloseSlots",
                pb.CloseSlotsRequest(hall_id=hall_id, slot_id=slot_id, reason="停电"),
                SITE_ADMIN,
            )
            return f"closed:{closed.bookings_cancelled}"
        at = dt.datetime.now(dt.UTC)
        async with world.db.uow() as uow:
            took = await uow.conn.execute(
                tables.slots.update()
                .where(
                    tables.slots.c.id == slot_id,
                    tables.slots.c.booked < tables.slots.c.capacity,
                    tables.slots.c.closed.is_(False),
                )
                .values(booked=tables.slots.c.booked + 1)
            )
            if took.rowcount != 1:
                return "refused"
            await uow.conn.execute(
                tables.bookings.insert().values(
                    id=uuid.uuid4().hex, code=f"R{i:07d}", slot_id=slot_id, hall_id=hall_id, window_id=window_id,
                    site_code=COUNTY, matter_code=MATTER, matter_name="食品经营许可", day=slot.day,
                    starts_at=slot.starts_at, ends_at=slot.ends_at, owner_kind="person", owner_subject=f"p{i}",
                    contact_name="enc", contact_mobile="enc", contact_mobile_hash="h", mobile_masked="138****0000",
                    state="confirmed", active_key=f"p{i}|{MATTER}|{slot.day}", created_at=at, updated_at=at,
                )
            )  # fmt: skip
            await uow.commit()
        return "booked"

    results, failed = outcomes(await concurrently(30, one))
    assert failed == []
    cancelled_by_close = int(next(r for r in results if r.startswith("closed:")).split(":")[1])
    async with world.db.reader() as uow:
        states = [
            s
            for (s,) in await uow.conn.execute(
                sa.select(tables.bookings.c.state).where(tables.bookings.c.slot_id == slot_id)
            )
        ]
        events = await uow.conn.scalar(
            sa.select(sa.func.count()).where(OUTBOX.c.subject == "appointments.booking.cancelled")
        )
    row = await world.slot_row(slot_id)
    assert row.closed and row.booked == 0
    assert states == ["cancelled"] * results.count("booked")
    assert cancelled_by_close == results.count("booked") == events
