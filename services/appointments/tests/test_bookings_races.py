"""Booking under real concurrency, on SQLite and PostgreSQL (`db_url`): the database decides who
gets a place (the slot's conditional UPDATE) and how many one owner holds (the owner's row lock),
so no interleaving of requests overbooks a slot or gives one person more than the rules allow."""

from __future__ import annotations

import datetime as dt

from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.races import concurrently, outcomes
from govhall.protos.appointments.v1 import bookings_pb2 as pb

from .bookings_world import book, stub, tomorrow
from .conftest import MATTER, World, person

# A matter code the test catalogue has never heard of.
UNKNOWN = "420502-SCJG-9999"


def codes(failed: list[BaseException]) -> list[str]:
    assert all(isinstance(e, DomainError) for e in failed), failed
    return sorted(e.code for e in failed if isinstance(e, DomainError))


async def test_fifty_people_racing_for_five_places_get_exactly_five(world: World) -> None:
    hall, window = await world.hall()
    slot = await world.slot(hall, window, tomorrow(), capacity=5)

    results = await concurrently(50, lambda i: book(world, person(100 + i), slot), timeout=120)

    done, failed = outcomes(results)
    assert len(done) == 5 and len({r.booking.code for r in done}) == 5
    assert codes(failed) == ["SLOT_FULL"] * 45
    assert all(isinstance(e, DomainError) and e.kind == ErrorKind.CONFLICT for e in failed)
    row = await world.slot_row(slot)
    assert (row.booked, row.capacity) == (5, 5)


async def test_one_person_sending_ten_bookings_for_one_matter_and_day_gets_one(world: World) -> None:
    hall, window = await world.hall()
    slots = [await world.slot(hall, window, tomorrow(9) + i * dt.timedelta(minutes=30)) for i in range(10)]
    me = person(1)

    results = await concurrently(10, lambda i: book(world, me, slots[i]))

    done, failed = outcomes(results)
    assert len(done) == 1
    assert codes(failed) == ["ALREADY_BOOKED_THAT_DAY"] * 9
    assert sum([(await world.slot_row(s)).booked for s in slots]) == 1


async def test_one_person_racing_six_bookings_on_six_days_holds_at_most_three(world: World) -> None:
    hall, window = await world.hall()
    slots = [await world.slot(hall, window, tomorrow(days=d)) for d in range(1, 7)]
    me = person(1)

    results = await concurrently(6, lambda i: book(world, me, slots[i]))

    done, failed = outcomes(results)
    assert len(done) == 3
    assert codes(failed) == ["TOO_MANY_ACTIVE_BOOKINGS"] * 3
    assert sum([(await world.slot_row(s)).booked for s in slots]) == 3


async def test_a_cancelled_place_goes_to_the_next_of_many_racing_for_it(world: World) -> None:
    hall, window = await world.hall()
    slot = await world.slot(hall, window, tomorrow(), capacity=1)
    first = (await book(world, person(1), slot)).booking
    await world.call(
        stub(world),
        "CancelBooking",
        pb.CancelBookingRequest(booking_id=first.id),
        person(1),
    )

    results = await concurrently(10, lambda i: book(world, person(200 + i), slot))

    done, failed = outcomes(results)
    assert len(done) == 1 and codes(failed) == ["SLOT_FULL"] * 9
    assert (await world.slot_row(slot)).booked == 1


async def test_a_full_slot_is_refused_before_the_catalogue_is_asked(world: World) -> None:
    # In a rush nearly every request meets a full slot: it is refused from the slot's row, without
    # a call to the catalogue (or identity) that a thousand such requests would queue behind. A
    # matter the catalogue does not know shows which came first: on a free slot it is looked up.
    hall, window = await world.hall(matters=(MATTER, UNKNOWN))
    full = await world.slot(hall, window, tomorrow(), capacity=1)
    free = await world.slot(hall, window, tomorrow(hour=11), capacity=1)
    await book(world, person(1), full)

    err = await world.fails(stub(world), "Book", pb.BookRequest(slot_id=full, matter_code=UNKNOWN), person(2))
    assert (err.code, err.kind) == ("SLOT_FULL", ErrorKind.CONFLICT)
    err = await world.fails(stub(world), "Book", pb.BookRequest(slot_id=free, matter_code=UNKNOWN), person(2))
    assert err.code == "MATTER_NOT_FOUND"
    assert (await world.slot_row(full)).booked == 1 and (await world.slot_row(free)).booked == 0
