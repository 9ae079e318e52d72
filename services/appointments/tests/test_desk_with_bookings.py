"""The hall desk on bookings made through BookingsService (not written into the table): the
staff find them by the mobile and name booking encrypted, check them in for a ticket, and a
no-show the sweep marks is what the booking rules then count."""

from __future__ import annotations

import datetime as dt

import pytest

from govhall.appointments.desk_sweep import DeskSweep
from govhall.appointments.settings import AppointmentsSettings
from govhall.protos.appointments.v1 import hall_desk_pb2 as pb

from .bookings_world import MOBILE, book, tomorrow
from .conftest import World, person
from .desk_support import CLERK, TERMINAL, acting_as, desk, queue_at

pytestmark = pytest.mark.integration


async def test_a_booked_appointment_is_found_checked_in_and_its_no_show_counted(world: World) -> None:
    hall_id, window_id = await world.hall()
    start = tomorrow()
    day = start.astimezone(dt.timezone(dt.timedelta(hours=8))).date().isoformat()
    slot = await world.slot(hall_id, window_id, start, capacity=3)
    later = await world.slot(hall_id, window_id, tomorrow(days=2), capacity=3)
    came = (await book(world, person(1, "张三丰"), slot)).booking
    absent = (await book(world, person(2, "李四"), slot, contact_mobile="13900002222")).booking
    d = desk(world)

    found = await world.call(
        d, "SearchBookings", pb.SearchBookingsRequest(hall_id=hall_id, query=MOBILE), CLERK
    )
    assert [(b.code, b.contact_name_masked, b.mobile_masked) for b in found.bookings] == [
        (came.code, "张**", "138****5678")
    ]
    named = await world.call(
        d, "SearchBookings", pb.SearchBookingsRequest(hall_id=hall_id, day=day, query="李四"), CLERK
    )
    assert [b.id for b in named.bookings] == [absent.id]

    with acting_as(TERMINAL):
        ticket = await queue_at(world, start - dt.timedelta(minutes=5)).check_in(
            pb.CheckInRequest(hall_id=hall_id, code=came.code)
        )
    assert (ticket.booking_id, ticket.number, ticket.day) == (came.id, 1, day)

    assert await DeskSweep(world.db, AppointmentsSettings()).no_shows(start + dt.timedelta(hours=1)) == 1
    again = await book(world, person(2, "李四"), later, contact_mobile="13900002222")
    assert again.warning  # one no-show already counts towards the suspension
    assert not (await book(world, person(1, "张三丰"), later)).warning
