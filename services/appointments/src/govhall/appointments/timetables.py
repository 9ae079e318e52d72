"""Timetables as data (weekly sessions, slot length, capacity per slot) and the slots they make.

Whose timetable a window follows: the most specific one wins, a matter's at this window, then a
matter's at the hall (for a matter the window serves, first by code), then the window's own,
then the hall's. Slots exist for the booking horizon only and are made from the kit calendar:
none on statutory holidays (weekends inside a holiday break included), on an adjusted working
day (调休, a weekend day worked) the sessions of the first weekday that has any, and on an
ordinary weekend only the weekend sessions a timetable has (周六延时服务). Making slots is idempotent (one INSERT ... ON
CONFLICT DO NOTHING per slot over UNIQUE(window_id, starts_at)), so the start, the periodic task
and a timetable change may all run at once. A timetable change removes only the future slots
nobody ever booked; a slot with bookings keeps its times and capacity.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
from typing import Any

import sqlalchemy as sa

from govhall.appointments import access
from govhall.appointments.events import CHINA
from govhall.appointments.hall_admin import admin_hall, now, stale
from govhall.appointments.tables import bookings, halls, slots, timetables, window_matters, windows
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.dialect import locked, upsert
from govhall.kit.errors import invalid
from govhall.kit.ids import new_id
from govhall.kit.workdays import WorkingCalendar
from govhall.protos.appointments.v1 import hall_admin_pb2 as pb

log = logging.getLogger(__name__)
CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MAX_SESSIONS, MAX_CAPACITY, MAX_SLOT_MINUTES = 50, 1_000, 480


def minutes(value: str, field: str) -> int:
    if not CLOCK.match(value or ""):
        raise invalid("TIME_INVALID", f"{field} is a time HH:MM", f"{field} 应为 HH:MM 格式的时间", field)
    return int(value[:2]) * 60 + int(value[3:])


def checked(t: pb.Timetable) -> list[dict[str, Any]]:
    """The sessions as stored, after checking the whole timetable (each problem names its field)."""
    if not 1 <= t.slot_minutes <= MAX_SLOT_MINUTES:
        raise invalid(
            "SLOT_MINUTES_INVALID",
            f"a slot lasts 1 to {MAX_SLOT_MINUTES} minutes",
            f"时段长度应为1至{MAX_SLOT_MINUTES}分钟",
            "slot_minutes",
        )
    if not 1 <= t.capacity <= MAX_CAPACITY:
        raise invalid(
            "CAPACITY_INVALID",
            f"capacity is 1 to {MAX_CAPACITY}",
            f"每个时段可预约人数应为1至{MAX_CAPACITY}",
            "capacity",
        )
    if not t.sessions or len(t.sessions) > MAX_SESSIONS:
        raise invalid(
            "SESSIONS_INVALID",
            f"give 1 to {MAX_SESSIONS} weekly sessions",
            f"请提供1至{MAX_SESSIONS}个每周时段",
            "sessions",
        )
    out = []
    for s in t.sessions:
        if not 1 <= s.weekday <= 7:
            raise invalid(
                "WEEKDAY_INVALID", "weekday is 1 (Monday) to 7", "星期应为1（周一）至7", "sessions.weekday"
            )
        if minutes(s.end, "sessions.end") - minutes(s.start, "sessions.start") < t.slot_minutes:
            raise invalid(
                "SESSION_TOO_SHORT",
                "a session ends at least one slot after it starts",
                "每个时段的结束时间应至少晚于开始时间一个时段长度",
                "sessions.end",
            )
        out.append({"weekday": s.weekday, "start": s.start, "end": s.end})
    return sorted(out, key=lambda s: (s["weekday"], s["start"]))


def timetable_out(row: Any) -> pb.Timetable:
    return pb.Timetable(
        id=row.id,
        hall_id=row.hall_id,
        window_id=row.window_id or "",
        matter_code=row.matter_code or "",
        sessions=[pb.Session(**s) for s in json.loads(row.sessions)],
        slot_minutes=row.slot_minutes,
        capacity=row.capacity,
        revision=row.revision,
    )


def scope(t: Any) -> Any:
    """The row of a hall, window or matter timetable (NULL compared as NULL)."""
    window = timetables.c.window_id == t.window_id if t.window_id else timetables.c.window_id.is_(None)
    matter = (
        timetables.c.matter_code == t.matter_code if t.matter_code else timetables.c.matter_code.is_(None)
    )
    return sa.and_(timetables.c.hall_id == t.hall_id, window, matter)


class Timetables:
    def __init__(self, db: Database, calendar: WorkingCalendar, horizon_days: int) -> None:
        self.db = db
        self.calendar = calendar
        self.horizon_days = horizon_days

    async def save(self, r: pb.SaveTimetableRequest) -> pb.Timetable:
        t = r.timetable
        sessions = json.dumps(checked(t), ensure_ascii=False)
        if t.matter_code:
            access.matter_code(t.matter_code)
        async with self.db.uow() as uow:
            hall = await admin_hall(uow, t.hall_id)
            # One timetable change per hall at a time: two first saves of the same scope would
            # otherwise both find none and both insert (NULL scopes have no UNIQUE to stop them).
            await uow.conn.execute(locked(uow.conn, sa.select(halls.c.id).where(halls.c.id == hall.id)))
            if t.window_id:
                access.object_id(t.window_id, "window_id")
                if not await uow.conn.scalar(
                    sa.select(windows.c.id).where(windows.c.id == t.window_id, windows.c.hall_id == hall.id)
                ):
                    raise invalid(
                        "WINDOW_NOT_IN_HALL", "no such window in this hall", "该大厅没有此窗口", "window_id"
                    )
            values = {
                "sessions": sessions,
                "slot_minutes": t.slot_minutes,
                "capacity": t.capacity,
                "updated_at": now(),
            }
            row = (await uow.conn.execute(sa.select(timetables).where(scope(t)))).first()
            if row is None and t.revision == 0:
                await uow.conn.execute(
                    timetables.insert().values(
                        id=new_id(),
                        hall_id=hall.id,
                        window_id=t.window_id or None,
                        matter_code=t.matter_code or None,
                        **values,
                    )
                )
            elif row is None or row.revision != t.revision:
                raise stale()
            else:
                done = await uow.conn.execute(
                    timetables.update()
                    .where(timetables.c.id == row.id, timetables.c.revision == t.revision)
                    .values(revision=timetables.c.revision + 1, **values)
                )
                if done.rowcount != 1:
                    raise stale()
            saved = (await uow.conn.execute(sa.select(timetables).where(scope(t)))).one()
            # The unbooked future slots go; make() puts back those the new timetable has.
            never_booked = ~sa.exists().where(bookings.c.slot_id == slots.c.id)
            await uow.conn.execute(
                slots.delete().where(
                    slots.c.hall_id == hall.id,
                    slots.c.starts_at > now(),
                    slots.c.booked == 0,
                    slots.c.closed.is_(False),
                    never_booked,
                )
            )
            await uow.commit()
        await self.make(hall_id=hall.id)
        return timetable_out(saved)

    async def listing(self, r: pb.ListTimetablesRequest) -> pb.ListTimetablesResponse:
        async with self.db.reader() as uow:
            hall = await admin_hall(uow, r.hall_id)
            rows = (
                await uow.conn.execute(
                    sa.select(timetables)
                    .where(timetables.c.hall_id == hall.id)
                    .order_by(timetables.c.window_id.nullsfirst(), timetables.c.matter_code.nullsfirst())
                )
            ).all()
        return pb.ListTimetablesResponse(timetables=[timetable_out(r) for r in rows])

    async def make(self, hall_id: str | None = None, at: dt.datetime | None = None) -> int:
        """Make the missing slots of the horizon (all halls, or one); returns how many were new."""
        at = at or now()
        today = at.astimezone(CHINA).date()
        days = [today + dt.timedelta(days=n) for n in range(self.horizon_days)]
        made = 0
        async with self.db.uow() as uow:
            query = sa.select(windows, halls.c.site_code).join(halls, halls.c.id == windows.c.hall_id)
            query = query.where(windows.c.active.is_(True))
            if hall_id is not None:
                query = query.where(windows.c.hall_id == hall_id)
            for window in (await uow.conn.execute(query)).all():
                table = await followed(uow, window)
                if table is None:
                    continue
                wanted = [
                    (start, end)
                    for start, end in self.starts(json.loads(table.sessions), table.slot_minutes, days)
                    if start > at
                ]
                if not wanted:
                    continue
                # Only the missing ones are written: at every start (and each round after) almost
                # all of the horizon is there already, and an upsert per slot that changes nothing
                # was a seventh of the all-in-one's warm start in py-spy. The upsert stays for a
                # slot made meanwhile by another replica or an administrator's MakeSlots.
                there = await existing_starts(uow, window.id, min(wanted)[0], max(wanted)[0])
                for start, end in wanted:
                    if start in there:
                        continue
                    values = {
                        "id": new_id(),
                        "hall_id": window.hall_id,
                        "window_id": window.id,
                        "site_code": window.site_code,
                        "day": start.astimezone(CHINA).date(),
                        "starts_at": start,
                        "ends_at": end,
                        "capacity": table.capacity,
                    }
                    done = await uow.conn.execute(
                        upsert(uow.conn, slots, values, key=["window_id", "starts_at"], update={})
                    )
                    made += max(done.rowcount, 0)
            await uow.commit()
        return made

    def starts(
        self, sessions: list[dict[str, Any]], slot_minutes: int, days: list[dt.date]
    ) -> list[tuple[dt.datetime, dt.datetime]]:
        by_weekday: dict[int, list[dict[str, Any]]] = {}
        for s in sessions:
            by_weekday.setdefault(s["weekday"], []).append(s)
        workday = next((by_weekday[d] for d in range(1, 6) if d in by_weekday), [])
        out = []
        for day in days:
            if self.calendar.is_working_day(day):
                # A worked weekend day (调休) is a full working day, whatever its own sessions.
                todays = by_weekday.get(day.isoweekday(), []) if day.isoweekday() <= 5 else workday
            elif self.in_a_break(day):
                continue  # a statutory holiday
            else:
                todays = by_weekday.get(day.isoweekday(), [])  # an ordinary weekend (e.g. 周六延时服务)
            for s in todays:
                first, last = minutes(s["start"], "start"), minutes(s["end"], "end")
                base = dt.datetime.combine(day, dt.time(), CHINA)
                m = first
                while m + slot_minutes <= last:
                    start = base + dt.timedelta(minutes=m)
                    out.append(
                        (
                            start.astimezone(dt.UTC),
                            (start + dt.timedelta(minutes=slot_minutes)).astimezone(dt.UTC),
                        )
                    )
                    m += slot_minutes
        return out

    def in_a_break(self, day: dt.date) -> bool:
        """A day off that belongs to a statutory holiday: a weekday off, or a weekend joined to a
        weekday off (the calendar knows working days only; every holiday break that covers a
        weekend takes the Friday before or the Monday after too)."""
        weekday = day.isoweekday()
        if weekday <= 5:
            return True
        friday, monday = day - dt.timedelta(days=weekday - 5), day + dt.timedelta(days=8 - weekday)
        return not (self.calendar.is_working_day(friday) and self.calendar.is_working_day(monday))

    async def run(self, every_seconds: float) -> None:
        """The periodic task: the horizon moves on by a day each day."""
        while True:
            try:
                made = await self.make()
                if made:
                    log.info("appointments: %d new slots for the horizon", made)
            except Exception:  # a failed round is logged and tried again next round
                log.exception("appointments: making slots failed")
            await asyncio.sleep(every_seconds)


async def followed(uow: UnitOfWork, window: Any) -> Any:
    """The timetable the window follows (the most specific), or None."""
    served = sa.select(window_matters.c.matter_code).where(window_matters.c.window_id == window.id)
    rows = (await uow.conn.execute(sa.select(timetables).where(timetables.c.hall_id == window.hall_id))).all()

    def rank(t: Any) -> tuple[int, str]:
        if t.matter_code and t.window_id == window.id:
            return (0, t.matter_code)
        if t.matter_code and t.window_id is None:
            return (1, t.matter_code)
        if t.window_id == window.id:
            return (2, "")
        return (3, "")

    codes = set((await uow.conn.execute(served)).scalars())
    usable = [
        t
        for t in rows
        if (t.window_id in (None, window.id)) and (t.matter_code is None or t.matter_code in codes)
    ]
    return min(usable, key=rank, default=None)


async def existing_starts(
    uow: UnitOfWork, window_id: str, first: dt.datetime, last: dt.datetime
) -> set[dt.datetime]:
    """The starts (UTC) of a window's slots between ``first`` and ``last``, both included."""
    rows = await uow.conn.execute(
        sa.select(slots.c.starts_at).where(
            slots.c.window_id == window_id, slots.c.starts_at >= first, slots.c.starts_at <= last
        )
    )
    # SQLite hands back naive UTC times, PostgreSQL aware ones.
    return {(s.replace(tzinfo=dt.UTC) if s.tzinfo is None else s.astimezone(dt.UTC)) for (s,) in rows}
