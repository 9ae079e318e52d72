"""Appointments' metrics move with what happens to bookings: booked, refused as full,
cancelled, checked in, no-show; the slot fill gauge follows the desk's sweep."""

from __future__ import annotations

import datetime as dt

import pytest
from prometheus_client import REGISTRY

from govhall.appointments.desk_sweep import DeskSweep
from govhall.appointments.settings import AppointmentsSettings
from govhall.kit.errors import DomainError
from govhall.protos.appointments.v1 import bookings_pb2 as bpb
from govhall.protos.appointments.v1 import hall_desk_pb2 as pb

from .bookings_world import book, stub, tomorrow
from .conftest import World, person
from .desk_support import TERMINAL, acting_as, queue_at

pytestmark = pytest.mark.integration


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def counts() -> dict[str, float]:
    out = {a: value("govhall_appointments_bookings_total", action=a) for a in ACTIONS}
    out["no_show"] = value("govhall_appointments_no_shows_total")
    return out


ACTIONS = ("booked", "cancelled", "checked_in", "refused_full")


async def test_bookings_no_shows_and_slot_fill_are_measured(world: World) -> None:
    hall_id, window_id = await world.hall()
    start = tomorrow()
    slot = await world.slot(hall_id, window_id, start, capacity=2)
    await world.slot(hall_id, window_id, tomorrow(days=2), capacity=2)  # empty: half the capacity
    before = counts()

    came = (await book(world, person(1), slot)).booking
    await book(world, person(2), slot, contact_mobile="13900002222")  # stays away: a no-show
    with pytest.raises(DomainError) as full:
        await book(world, person(3), slot, contact_mobile="13900003333")
    assert full.value.code == "SLOT_FULL"
    sweep = DeskSweep(world.db, AppointmentsSettings())
    await sweep.sweep(start - dt.timedelta(days=1))
    assert value("govhall_appointments_slot_fill_ratio") == 0.5  # 2 booked of 4 places

    with acting_as(TERMINAL):
        await queue_at(world, start - dt.timedelta(minutes=5)).check_in(
            pb.CheckInRequest(hall_id=hall_id, code=came.code)
        )
    assert await sweep.no_shows(start + dt.timedelta(hours=1)) == 1
    later = (await book(world, person(4), await world.slot(hall_id, window_id, tomorrow(days=3)))).booking
    await world.call(stub(world), "CancelBooking", bpb.CancelBookingRequest(booking_id=later.id), person(4))

    after = counts()
    moved = {k: after[k] - before[k] for k in after}
    assert moved == {"booked": 3, "cancelled": 1, "checked_in": 1, "refused_full": 1, "no_show": 1}
