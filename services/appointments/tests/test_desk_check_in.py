"""取号 at the hall: a confirmed booking checks in by its code from 15 minutes before its start to
15 minutes after, and gets a ticket for its window; only the hall's staff check people in."""

from __future__ import annotations

import datetime as dt

import pytest

from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.races import concurrently, outcomes
from govhall.protos.appointments.v1 import hall_desk_pb2 as pb

from .conftest import CITY, World, person, staff
from .desk_support import CLERK, TERMINAL, acting_as, booking_row, desk, published, queue_at

pytestmark = pytest.mark.integration


def soon(minutes: int = 5) -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(minutes=minutes)


async def test_check_in_gives_a_ticket_once_and_tells_the_owner(world: World) -> None:
    hall_id, window_id = await world.hall()
    slot = await world.slot(hall_id, window_id, soon())
    booking_id, code = await world.booking(slot)

    ticket = await world.call(
        desk(world), "CheckIn", pb.CheckInRequest(hall_id=hall_id, code=code.lower()), TERMINAL
    )

    assert (ticket.booking_id, ticket.number, ticket.state, ticket.display) == (
        booking_id,
        1,
        "waiting",
        "1号窗口-001",
    )
    assert ticket.checked_in_at.endswith("+08:00")
    row = await booking_row(world, booking_id)
    assert (row.state, row.active_key, row.revision) == ("checked_in", None, 2)
    assert row.checked_in_at is not None
    again = await world.call(desk(world), "CheckIn", pb.CheckInRequest(hall_id=hall_id, code=code), CLERK)
    assert again == ticket
    [event] = await published(world, "checked_in")
    assert (event.booking_id, event.from_state, event.state, event.revision) == (
        booking_id,
        "confirmed",
        "checked_in",
        2,
    )
    assert event.notice.place == "西陵区政务服务中心 1号窗口"


async def test_check_in_opens_15_minutes_before_and_closes_15_after(world: World) -> None:
    hall_id, window_id = await world.hall()
    start = dt.datetime(2026, 12, 7, 1, 0, tzinfo=dt.UTC)  # 09:00 in China
    slot = await world.slot(hall_id, window_id, start, capacity=5)
    codes = [(await world.booking(slot, owner=person(n)))[1] for n in range(4)]
    edge = dt.timedelta(minutes=15)
    second = dt.timedelta(seconds=1)

    with acting_as(TERMINAL):
        early = await _fails(
            queue_at(world, start - edge - second).check_in(pb.CheckInRequest(hall_id=hall_id, code=codes[0]))
        )
        late = await _fails(
            queue_at(world, start + edge + second).check_in(pb.CheckInRequest(hall_id=hall_id, code=codes[0]))
        )
        first = await queue_at(world, start - edge).check_in(
            pb.CheckInRequest(hall_id=hall_id, code=codes[0])
        )
        last = await queue_at(world, start + edge).check_in(pb.CheckInRequest(hall_id=hall_id, code=codes[1]))

    assert (early.code, early.kind) == ("CHECK_IN_TOO_EARLY", ErrorKind.WRONG_STATE)
    assert (late.code, late.kind) == ("CHECK_IN_TOO_LATE", ErrorKind.WRONG_STATE)
    assert (first.number, last.number, first.day) == (1, 2, "2026-12-07")


async def test_only_a_confirmed_booking_at_this_hall_checks_in_by_its_own_staff(world: World) -> None:
    hall_id, window_id = await world.hall()
    other_hall, _ = await world.hall(name="西陵区不动产登记中心")
    slot = await world.slot(hall_id, window_id, soon())
    _, pending = await world.booking(slot, state="pending_reply")
    _, cancelled = await world.booking(slot, owner=person(2), state="cancelled")
    _, code = await world.booking(slot, owner=person(3))
    d = desk(world)

    async def refused(hall: str, code: str, caller: object) -> tuple[str, ErrorKind]:
        err = await world.fails(d, "CheckIn", pb.CheckInRequest(hall_id=hall, code=code), caller)  # type: ignore[arg-type]
        return err.code, err.kind

    assert await refused(hall_id, pending, TERMINAL) == ("BOOKING_NOT_CONFIRMED", ErrorKind.WRONG_STATE)
    assert await refused(hall_id, cancelled, TERMINAL) == ("BOOKING_NOT_CONFIRMED", ErrorKind.WRONG_STATE)
    assert await refused(other_hall, code, TERMINAL) == ("BOOKING_NOT_FOUND", ErrorKind.NOT_FOUND)
    assert await refused(hall_id, code, staff(["window_clerk"], site=CITY)) == (
        "NOT_YOUR_HALL",
        ErrorKind.FORBIDDEN,
    )
    assert await refused(hall_id, code, person(3)) == ("STAFF_ONLY", ErrorKind.FORBIDDEN)
    bad = await world.fails(d, "CheckIn", pb.CheckInRequest(hall_id=hall_id, code="好的"), TERMINAL)
    assert (bad.code, [f.field for f in bad.fields]) == ("BOOKING_CODE_INVALID", ["code"])
    assert (await booking_row(world, (await world.booking(slot, owner=person(4)))[0])).state == "confirmed"


async def test_check_ins_at_one_window_at_once_draw_distinct_numbers(world: World) -> None:
    hall_id, window_id = await world.hall()
    slot = await world.slot(hall_id, window_id, soon(), capacity=8)
    codes = [(await world.booking(slot, owner=person(n)))[1] for n in range(8)]

    results = await concurrently(
        8,
        lambda i: world.call(
            desk(world), "CheckIn", pb.CheckInRequest(hall_id=hall_id, code=codes[i]), TERMINAL
        ),
    )

    tickets, failed = outcomes(results)
    assert failed == []
    assert sorted(t.number for t in tickets) == list(range(1, 9))


async def _fails(call: object) -> DomainError:
    with pytest.raises(DomainError) as info:
        await call  # type: ignore[misc]
    return info.value
