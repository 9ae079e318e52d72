"""Site administrators keep halls, windows and timetables; slots follow the timetables and the
kit calendar (statutory holidays, adjusted working days)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from govhall.appointments import tables
from govhall.appointments.timetables import Timetables
from govhall.kit.errors import DomainError
from govhall.kit.races import concurrently, outcomes
from govhall.kit.workdays import default_calendar
from govhall.protos.appointments.v1 import hall_admin_pb2 as pb
from govhall.protos.appointments.v1 import hall_admin_pb2_grpc
from govhall.protos.common.v1 import common_pb2 as C

from .conftest import CHINA, CITY, COUNTY, MATTER, World, person, staff

pytestmark = pytest.mark.integration

ADMIN = C.CallerIdentity(kind=C.CALLER_KIND_ADMIN, subject="admin-1", name="平台管理员")
SITE_ADMIN = staff(["site_admin"])
WEEKDAYS = [pb.Session(weekday=d, start="09:00", end="10:00") for d in range(1, 6)]


def admin(world: World) -> hall_admin_pb2_grpc.HallAdminServiceStub:
    return world.stub(hall_admin_pb2_grpc.HallAdminServiceStub)


async def new_hall(
    world: World, caller: C.CallerIdentity = SITE_ADMIN, name: str = "西陵区政务服务中心"
) -> str:
    hall = await world.call(
        admin(world),
        "SaveHall",
        pb.SaveHallRequest(
            site_code=COUNTY, hall=pb.HallDraft(name=name, hours="工作日 9:00-12:00", phone="0717-1")
        ),
        caller,
    )
    return str(hall.id)


async def weekday_hall(world: World) -> tuple[str, str]:
    """The world's hall and window with a timetable of 09:00-10:00 each weekday, 30-minute slots
    for 3 people, saved by the site admin: its hall id and window id."""
    hall_id, window_id = await world.hall()
    await world.call(
        admin(world),
        "SaveTimetable",
        pb.SaveTimetableRequest(
            timetable=pb.Timetable(hall_id=hall_id, slot_minutes=30, capacity=3, sessions=WEEKDAYS)
        ),
        SITE_ADMIN,
    )
    return hall_id, window_id


async def test_a_site_admin_keeps_its_halls_and_windows_with_revision_checks(world: World) -> None:
    hall_id = await new_hall(world)
    window = await world.call(
        admin(world),
        "SaveWindow",
        pb.SaveWindowRequest(hall_id=hall_id, window=pb.WindowDraft(name="1号窗口", matter_codes=[MATTER])),
        SITE_ADMIN,
    )
    assert (list(window.matter_codes), window.revision, window.active) == ([MATTER], 1, True)

    changed = await world.call(
        admin(world),
        "SaveHall",
        pb.SaveHallRequest(
            hall_id=hall_id, revision=1, hall=pb.HallDraft(name="西陵区政务服务中心", requires_reply=True)
        ),
        ADMIN,
    )
    assert (changed.revision, changed.requires_reply, [w.name for w in changed.windows]) == (
        2,
        True,
        ["1号窗口"],
    )
    stale = await world.fails(
        admin(world),
        "SaveHall",
        pb.SaveHallRequest(hall_id=hall_id, revision=1, hall=pb.HallDraft(name="新名称")),
        SITE_ADMIN,
    )
    assert stale.code == "REVISION_STALE" and stale.kind.http_status == 409
    window2 = await world.call(
        admin(world),
        "SaveWindow",
        pb.SaveWindowRequest(
            hall_id=hall_id,
            window_id=window.id,
            revision=1,
            window=pb.WindowDraft(name="1号窗口 综合受理", department_code="420502-SCJG"),
        ),
        SITE_ADMIN,
    )
    assert (window2.revision, list(window2.matter_codes), window2.department_code) == (2, [], "420502-SCJG")
    stale_window = await world.fails(
        admin(world),
        "SaveWindow",
        pb.SaveWindowRequest(
            hall_id=hall_id, window_id=window.id, revision=1, window=pb.WindowDraft(name="x")
        ),
        SITE_ADMIN,
    )
    assert stale_window.code == "REVISION_STALE"
    taken = await world.fails(
        admin(world),
        "SaveHall",
        pb.SaveHallRequest(site_code=COUNTY, hall=pb.HallDraft(name="西陵区政务服务中心")),
        ADMIN,
    )
    assert (taken.code, [f.field for f in taken.fields]) == ("NAME_TAKEN", ["name"])


async def test_only_the_sites_administrators_keep_its_halls_and_bad_input_names_the_field(
    world: World,
) -> None:
    hall_id = await new_hall(world)
    for caller in (person(), staff(["site_admin"], site=CITY), staff(["window_clerk"])):
        refused = await world.fails(
            admin(world),
            "SaveWindow",
            pb.SaveWindowRequest(hall_id=hall_id, window=pb.WindowDraft(name="2号")),
            caller,
        )
        assert refused.code == "FORBIDDEN" and refused.kind.http_status == 403
    no_name = await world.fails(admin(world), "SaveHall", pb.SaveHallRequest(site_code=COUNTY), SITE_ADMIN)
    assert (no_name.code, [f.field for f in no_name.fields]) == ("FIELD_REQUIRED", ["name"])
    bad_time = await world.fails(
        admin(world),
        "SaveTimetable",
        pb.SaveTimetableRequest(
            timetable=pb.Timetable(
                hall_id=hall_id,
                slot_minutes=30,
                capacity=5,
                sessions=[pb.Session(weekday=1, start="9h", end="12:00")],
            )
        ),
        SITE_ADMIN,
    )
    assert (bad_time.code, [f.field for f in bad_time.fields]) == ("TIME_INVALID", ["sessions.start"])
    bad_capacity = await world.fails(
        admin(world),
        "SaveTimetable",
        pb.SaveTimetableRequest(
            timetable=pb.Timetable(hall_id=hall_id, slot_minutes=30, capacity=0, sessions=WEEKDAYS)
        ),
        SITE_ADMIN,
    )
    assert (bad_capacity.code, [f.field for f in bad_capacity.fields]) == ("CAPACITY_INVALID", ["capacity"])


async def slot_days(world: World, window_id: str) -> dict[dt.date, int]:
    async with world.db.reader() as uow:
        rows = await uow.conn.execute(
            sa.select(tables.slots.c.day, sa.func.count())
            .where(tables.slots.c.window_id == window_id)
            .group_by(tables.slots.c.day)
        )
        return {(d if isinstance(d, dt.date) else dt.date.fromisoformat(d)): n for d, n in rows}


async def test_slots_follow_the_calendar_no_holidays_and_adjusted_working_days(world: World) -> None:
    hall_id, window_id = await weekday_hall(world)
    # From Monday 2026-09-28 for 14 days: 国庆 is 10-01..10-07 (10-05..10-07 are weekdays off)
    # and Saturday 10-10 is worked (调休).
    making = Timetables(world.db, default_calendar(), 14)
    at = dt.datetime(2026, 9, 28, 8, 0, tzinfo=CHINA)
    made = await making.make(hall_id, at=at)
    days = {d: n for d, n in (await slot_days(world, window_id)).items() if d < dt.date(2026, 10, 12)}
    expected = [dt.date(2026, 9, 28), dt.date(2026, 9, 29), dt.date(2026, 9, 30)]
    expected += [dt.date(2026, 10, 8), dt.date(2026, 10, 9), dt.date(2026, 10, 10)]
    assert days == {d: 2 for d in expected}
    assert made == 12
    assert await making.make(hall_id, at=at) == 0  # idempotent


async def test_making_again_writes_only_the_missing_slots(world: World) -> None:
    """Every start makes the horizon again: the slots already there are not written again."""
    hall_id, window_id = await weekday_hall(world)
    making = Timetables(world.db, default_calendar(), 14)
    at = dt.datetime(2026, 9, 28, 8, 0, tzinfo=CHINA)
    assert await making.make(hall_id, at=at) == 12
    # One slot lost (say, removed by hand): the next round makes that one alone.
    async with world.db.uow() as uow:
        first = (
            await uow.conn.execute(
                sa.select(tables.slots.c.id)
                .where(tables.slots.c.window_id == window_id)
                .order_by(tables.slots.c.starts_at)
                .limit(1)
            )
        ).scalar_one()
        await uow.conn.execute(sa.delete(tables.slots).where(tables.slots.c.id == first))
        await uow.commit()
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = world.db.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert await making.make(hall_id, at=at) == 1
        assert await making.make(hall_id, at=at) == 0
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert sum(s.lstrip().upper().startswith("INSERT") for s in statements) == 1
    # (The service also makes its own horizon from today's date: only the test's fortnight counts.)
    days = await slot_days(world, window_id)
    assert sum(n for d, n in days.items() if d < dt.date(2026, 10, 12)) == 12


async def test_weekend_sessions_run_on_ordinary_weekends_only(world: World) -> None:
    hall_id, window_id = await world.hall()
    saturday = pb.Session(weekday=6, start="09:00", end="09:30")  # 周六延时服务
    await world.call(
        admin(world),
        "SaveTimetable",
        pb.SaveTimetableRequest(
            timetable=pb.Timetable(
                hall_id=hall_id, slot_minutes=30, capacity=3, sessions=[*WEEKDAYS, saturday]
            )
        ),
        SITE_ADMIN,
    )
    making = Timetables(world.db, default_calendar(), 28)
    await making.make(hall_id, at=dt.datetime(2026, 9, 28, 8, 0, tzinfo=CHINA))
    days = await slot_days(world, window_id)
    # 10-03 is a Saturday inside 国庆; 10-10 is worked (a full working day); 10-17 and 10-24
    # are ordinary Saturdays with their one session.
    assert dt.date(2026, 10, 3) not in days and dt.date(2026, 10, 4) not in days
    assert (days[dt.date(2026, 10, 10)], days[dt.date(2026, 10, 17)], days[dt.date(2026, 10, 24)]) == (
        2,
        1,
        1,
    )
    assert dt.date(2026, 10, 18) not in days
    async with world.db.reader() as uow:
        first = (
            await uow.conn.execute(
                sa.select(tables.slots)
                .where(tables.slots.c.day == dt.date(2026, 10, 10))
                .order_by(tables.slots.c.starts_at)
            )
        ).first()
    assert first is not None and first.capacity == 3
    starts = first.starts_at if first.starts_at.tzinfo else first.starts_at.replace(tzinfo=dt.UTC)
    assert starts.astimezone(CHINA) == dt.datetime(2026, 10, 10, 9, 0, tzinfo=CHINA)


async def test_the_most_specific_timetable_wins_and_a_change_keeps_booked_slots(world: World) -> None:
    hall_id, window_id = await world.hall()
    hall_table = pb.Timetable(hall_id=hall_id, slot_minutes=30, capacity=3, sessions=WEEKDAYS)
    await world.call(admin(world), "SaveTimetable", pb.SaveTimetableRequest(timetable=hall_table), SITE_ADMIN)
    # The horizon from now follows the hall's timetable; one of its slots gets a booking.
    async with world.db.uow() as uow:
        future = (
            await uow.conn.execute(sa.select(tables.slots).where(tables.slots.c.window_id == window_id))
        ).all()
        assert future and {r.capacity for r in future} == {3}
        kept = future[0].id
        await uow.conn.execute(tables.slots.update().where(tables.slots.c.id == kept).values(booked=1))
        await uow.commit()

    matter_table = pb.Timetable(
        hall_id=hall_id,
        window_id=window_id,
        matter_code=MATTER,
        slot_minutes=60,
        capacity=8,
        sessions=[pb.Session(weekday=1, start="14:00", end="16:00")],
    )
    saved = await world.call(
        admin(world), "SaveTimetable", pb.SaveTimetableRequest(timetable=matter_table), SITE_ADMIN
    )
    assert (saved.revision, saved.matter_code, saved.window_id) == (1, MATTER, window_id)
    async with world.db.reader() as uow:
        now_rows = (
            await uow.conn.execute(sa.select(tables.slots).where(tables.slots.c.window_id == window_id))
        ).all()
    # The booked slot is untouched; every other slot is the matter's (60 minutes, 8 places).
    assert [(r.capacity, r.booked) for r in now_rows if r.id == kept] == [(3, 1)]
    others = [r for r in now_rows if r.id != kept]
    assert others and {r.capacity for r in others} == {8}

    # On a calendar with 国庆: Monday 09-28 and the worked Saturday 10-10 (Monday's sessions).
    making = Timetables(world.db, default_calendar(), 14)
    await making.make(hall_id, at=dt.datetime(2026, 9, 28, 8, 0, tzinfo=CHINA))
    days = {d: n for d, n in (await slot_days(world, window_id)).items() if d < dt.date(2026, 10, 12)}
    assert days == {dt.date(2026, 9, 28): 2, dt.date(2026, 10, 10): 2}

    stale = await world.fails(
        admin(world), "SaveTimetable", pb.SaveTimetableRequest(timetable=matter_table), SITE_ADMIN
    )
    assert stale.code == "REVISION_STALE"
    listed = await world.call(
        admin(world), "ListTimetables", pb.ListTimetablesRequest(hall_id=hall_id), SITE_ADMIN
    )
    assert [(t.window_id, t.matter_code) for t in listed.timetables] == [("", ""), (window_id, MATTER)]


async def test_racing_administrators_make_one_hall_and_one_timetable_and_get_409s(world: World) -> None:
    async def open_hall(i: int) -> str:
        return await new_hall(world, SITE_ADMIN, name="夷陵区政务服务中心")

    opened, refused = outcomes(await concurrently(6, open_hall))
    assert len(opened) == 1
    assert [(e.code, e.kind.http_status) for e in refused if isinstance(e, DomainError)] == [
        ("NAME_TAKEN", 409)
    ] * 5
    hall_id = opened[0]

    async def first_timetable(i: int) -> pb.Timetable:
        table = pb.Timetable(hall_id=hall_id, slot_minutes=30, capacity=i + 1, sessions=WEEKDAYS)
        return await world.call(
            admin(world), "SaveTimetable", pb.SaveTimetableRequest(timetable=table), SITE_ADMIN
        )

    saved, stale = outcomes(await concurrently(6, first_timetable))
    assert len(saved) == 1
    assert [e.code for e in stale if isinstance(e, DomainError)] == ["REVISION_STALE"] * 5
    async with world.db.reader() as uow:
        count = await uow.conn.scalar(
            sa.select(sa.func.count()).where(tables.timetables.c.hall_id == hall_id)
        )
    assert count == 1
