"""The staff's view of a hall: the bookings of a day (per window), search by code, mobile or
name, and statistics per hall, matter and day.

Contact details stay masked here: the name is decrypted only to mask it (and to match a name
searched for among one day's bookings), the mobile is found by its blind index.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from govhall.appointments import contacts
from govhall.appointments import desk_common as common
from govhall.appointments.bookings_view import mask_name
from govhall.appointments.desk_queue import now_utc
from govhall.appointments.desk_tables import queue_tickets
from govhall.appointments.tables import bookings, slots, windows
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.errors import invalid
from govhall.kit.fieldcipher import FieldCipher
from govhall.protos.appointments.v1 import hall_desk_pb2 as pb

log = logging.getLogger(__name__)
MOBILE = re.compile(r"^1\d{10}$")
MAX_STATISTICS_DAYS = 92
MAX_FOUND = 100


class DeskViews:
    def __init__(self, db: Database, cipher: FieldCipher, clock: Callable[[], dt.datetime] = now_utc) -> None:
        self.db = db
        self.cipher = cipher
        self.clock = clock

    async def day(self, request: pb.ListDayBookingsRequest) -> pb.ListDayBookingsResponse:
        day = common.day_of(request.day, self.clock())
        async with self.db.reader() as uow:
            hall = await common.hall_row(uow, request.hall_id)
            common.authorise(hall)
            where = [bookings.c.hall_id == hall.id, bookings.c.day == day]
            if request.window_id:
                where.append(bookings.c.window_id == common.access.object_id(request.window_id, "window_id"))
            return pb.ListDayBookingsResponse(bookings=await self._rows(uow, where))

    async def search(self, request: pb.SearchBookingsRequest) -> pb.ListDayBookingsResponse:
        query = (request.query or "").strip()
        # No code, mobile or name holds a control character: such a query is a mistake to name.
        if not query or len(query) > 50 or not query.isprintable():
            raise invalid(
                "QUERY_INVALID",
                "search by a code, a mobile or a name (1-50 characters)",
                "请输入预约号、手机号或姓名（1至50个字符）",
                "query",
            )
        day = common.day_of(request.day, self.clock())
        b = bookings.c
        async with self.db.reader() as uow:
            hall = await common.hall_row(uow, request.hall_id)
            common.authorise(hall)
            at_hall = b.hall_id == hall.id
            # A code or a mobile finds the booking on any day; a name only among the day's.
            matches = [b.code == query.upper()]
            if MOBILE.match(query):
                matches.append(b.contact_mobile_hash == contacts.mobile_hash(self.cipher, query))
            found = await self._rows(uow, [at_hall, sa.or_(*matches)])
            seen = {f.id for f in found}
            day_rows = (
                await uow.conn.execute(sa.select(b.id, b.contact_name).where(at_hall, b.day == day))
            ).all()
            named = [r.id for r in day_rows if r.id not in seen and self._name(r.contact_name) == query]
            if named:
                found += await self._rows(uow, [b.id.in_(named)])
        return pb.ListDayBookingsResponse(bookings=found[:MAX_FOUND])

    async def statistics(self, request: pb.DeskStatisticsRequest) -> pb.DeskStatistics:
        now = self.clock()
        first = common.day_of(request.from_day, now, "from_day")
        last = common.day_of(request.to_day, now, "to_day")
        if last < first or (last - first).days >= MAX_STATISTICS_DAYS:
            raise invalid(
                "DAY_RANGE_INVALID",
                f"to_day is on or after from_day, at most {MAX_STATISTICS_DAYS} days",
                f"结束日期应不早于开始日期，且跨度不超过{MAX_STATISTICS_DAYS}天",
                "to_day",
            )
        b, s = bookings.c, slots.c

        def count(state: str) -> Any:
            return sa.func.sum(sa.case((b.state == state, 1), else_=0))

        async with self.db.reader() as uow:
            hall = await common.hall_row(uow, request.hall_id)
            common.authorise(hall, common.SUPERVISORS)
            in_range = [b.hall_id == hall.id, b.day >= first, b.day <= last]
            matters = (
                await uow.conn.execute(
                    sa.select(
                        b.day,
                        b.matter_code,
                        sa.func.max(b.matter_name).label("matter_name"),
                        sa.func.count().label("booked"),
                        count("checked_in").label("checked_in"),
                        count("no_show").label("no_show"),
                        count("cancelled").label("cancelled"),
                    )
                    .where(*in_range)
                    .group_by(b.day, b.matter_code)
                    .order_by(b.day, b.matter_code)
                )
            ).all()
            fill = (
                await uow.conn.execute(
                    sa.select(
                        s.day,
                        sa.func.sum(s.capacity).label("capacity"),
                        sa.func.sum(s.booked).label("booked"),
                    )
                    .where(s.hall_id == hall.id, s.day >= first, s.day <= last, s.closed == sa.false())
                    .group_by(s.day)
                    .order_by(s.day)
                )
            ).all()
        return pb.DeskStatistics(
            hall_id=hall.id,
            matters=[
                pb.MatterDayCounts(
                    day=_iso(r.day),
                    matter_code=r.matter_code,
                    matter_name=r.matter_name,
                    booked=int(r.booked),
                    checked_in=int(r.checked_in),
                    no_show=int(r.no_show),
                    cancelled=int(r.cancelled),
                )
                for r in matters
            ],
            days=[
                pb.HallDayFill(
                    day=_iso(r.day),
                    capacity=int(r.capacity),
                    booked=int(r.booked),
                    fill=round(int(r.booked) / int(r.capacity), 4) if r.capacity else 0.0,
                )
                for r in fill
            ],
        )

    def _name(self, stored: str) -> str:
        try:
            return contacts.open_name(self.cipher, stored)
        except Exception:  # a row the key cannot open shows no name; it never fails the view
            log.warning("a booking's contact name could not be decrypted")
            return ""

    async def _rows(self, uow: UnitOfWork, where: list[Any]) -> list[pb.DayBooking]:
        b = bookings.c
        rows = (
            await uow.conn.execute(
                sa.select(
                    bookings, windows.c.name.label("window_name"), queue_tickets.c.number.label("ticket")
                )
                .join(windows, windows.c.id == b.window_id)
                .outerjoin(queue_tickets, queue_tickets.c.booking_id == b.id)
                .where(*where)
                .order_by(b.starts_at, b.code)
                .limit(MAX_FOUND)
            )
        ).all()
        return [
            pb.DayBooking(
                id=r.id,
                code=r.code,
                window_id=r.window_id,
                window_name=r.window_name,
                matter_code=r.matter_code,
                matter_name=r.matter_name,
                starts_at=common.stamp(r.starts_at),
                ends_at=common.stamp(r.ends_at),
                state=r.state,
                contact_name_masked=mask_name(self._name(r.contact_name)),
                mobile_masked=r.mobile_masked,
                checked_in_at=common.stamp(r.checked_in_at),
                ticket_number=r.ticket or 0,
            )
            for r in rows
        ]


def _iso(day: Any) -> str:
    return day.isoformat() if isinstance(day, dt.date) else str(day)
