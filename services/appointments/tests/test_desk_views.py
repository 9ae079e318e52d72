"""The staff's view of a hall: a day's bookings per window (contact details masked), search by
code, mobile or name, and statistics per matter and day with the slots' fill."""

from __future__ import annotations

import datetime as dt

import pytest

from govhall.appointments.desk_sweep import DeskSweep
from govhall.appointments.settings import AppointmentsSettings
from govhall.kit.errors import ErrorKind
from govhall.protos.appointments.v1 import hall_desk_pb2 as pb

from .conftest import World, appointments_cipher, person
from .desk_support import ADMIN, CLERK, SUPERVISOR, desk

pytestmark = pytest.mark.integration

START = dt.datetime(2026, 12, 8, 2, 0, tzinfo=dt.UTC)  # 2026-12-08 10:00 in China
DAY = "2026-12-08"


async def test_the_day_view_search_and_statistics(world: World, platform: object) -> None:
    cipher = appointments_cipher(platform)
    hall_id, window_id = await world.hall()
    slot = await world.slot(hall_id, window_id, START, capacity=4)
    other_day = await world.slot(hall_id, window_id, START + dt.timedelta(days=1), capacity=2)
    zhang, zhang_code = await world.booking(slot, cipher=cipher, name="张三", mobile="13800001111")
    li, _ = await world.booking(slot, owner=person(2), cipher=cipher, name="李四", mobile="13900002222")
    await world.booking(slot, owner=person(3), cipher=cipher, state="cancelled", name="王五")
    await world.booking(other_day, owner=person(4), cipher=cipher, name="张三", mobile="13700003333")
    await DeskSweep(world.db, AppointmentsSettings()).no_shows(START + dt.timedelta(hours=2))  # 张三, 李四
    d = desk(world)

    day = await world.call(d, "ListDayBookings", pb.ListDayBookingsRequest(hall_id=hall_id, day=DAY), CLERK)
    assert sorted((b.contact_name_masked, b.mobile_masked, b.state) for b in day.bookings) == [
        ("张*", "138****1111", "no_show"),
        ("李*", "139****2222", "no_show"),
        ("王*", "138****1234", "cancelled"),
    ]
    assert {b.starts_at for b in day.bookings} == {"2026-12-08T10:00:00+08:00"}
    assert all(b.window_name == "1号窗口" for b in day.bookings)

    async def found(query: str) -> list[str]:
        reply = await world.call(
            d, "SearchBookings", pb.SearchBookingsRequest(hall_id=hall_id, day=DAY, query=query), CLERK
        )
        return [b.id for b in reply.bookings]

    assert await found(zhang_code.lower()) == [zhang]
    assert await found("13900002222") == [li]
    assert await found("张三") == [zhang]  # the name only among the day's bookings
    assert await found("赵六") == []

    stats = await world.call(
        d,
        "GetDeskStatistics",
        pb.DeskStatisticsRequest(hall_id=hall_id, from_day=DAY, to_day="2026-12-09"),
        SUPERVISOR,
    )
    assert [
        (m.day, m.matter_code, m.booked, m.checked_in, m.no_show, m.cancelled) for m in stats.matters
    ] == [
        (DAY, "420502-SCJG-0001", 3, 0, 2, 1),
        ("2026-12-09", "420502-SCJG-0001", 1, 0, 0, 0),
    ]
    assert [(f.day, f.capacity, f.booked, f.fill) for f in stats.days] == [
        (DAY, 4, 2, 0.5),
        ("2026-12-09", 2, 1, 0.5),
    ]
    assert (
        await world.call(
            d, "GetDeskStatistics", pb.DeskStatisticsRequest(hall_id=hall_id, from_day=DAY, to_day=DAY), ADMIN
        )
    ).days


async def test_views_are_the_halls_staffs_and_bad_input_names_the_field(world: World) -> None:
    hall_id, _ = await world.hall()
    d = desk(world)
    clerk_stats = await world.fails(d, "GetDeskStatistics", pb.DeskStatisticsRequest(hall_id=hall_id), CLERK)
    assert (clerk_stats.code, clerk_stats.kind) == ("ROLE_REQUIRED", ErrorKind.FORBIDDEN)
    mine = await world.fails(d, "ListDayBookings", pb.ListDayBookingsRequest(hall_id=hall_id), person(1))
    assert (mine.code, mine.kind) == ("STAFF_ONLY", ErrorKind.FORBIDDEN)
    reversed_range = await world.fails(
        d,
        "GetDeskStatistics",
        pb.DeskStatisticsRequest(hall_id=hall_id, from_day=DAY, to_day="2026-12-01"),
        SUPERVISOR,
    )
    assert (reversed_range.code, [f.field for f in reversed_range.fields]) == (
        "DAY_RANGE_INVALID",
        ["to_day"],
    )
    bad_day = await world.fails(
        d, "ListDayBookings", pb.ListDayBookingsRequest(hall_id=hall_id, day="2026-13-01"), CLERK
    )
    assert (bad_day.code, [f.field for f in bad_day.fields]) == ("DAY_INVALID", ["day"])
    empty = await world.fails(
        d, "SearchBookings", pb.SearchBookingsRequest(hall_id=hall_id, query=" "), CLERK
    )
    assert (empty.code, [f.field for f in empty.fields]) == ("QUERY_INVALID", ["query"])
    nul = await world.fails(
        d, "SearchBookings", pb.SearchBookingsRequest(hall_id=hall_id, query="张\x07三"), CLERK
    )
    assert (nul.code, [f.field for f in nul.fields]) == ("QUERY_INVALID", ["query"])
    missing = await world.fails(d, "ListDayBookings", pb.ListDayBookingsRequest(hall_id="nope"), CLERK)
    assert (missing.code, missing.kind) == ("HALL_NOT_FOUND", ErrorKind.NOT_FOUND)
