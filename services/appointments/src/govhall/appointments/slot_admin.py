"""A site administrator changes one slot's capacity, or closes a day of a hall (or one slot).

Capacity never goes below the places booked: the UPDATE says so in its WHERE (409
CAPACITY_BELOW_BOOKED), and the database's CHECK booked <= capacity holds it regardless.
Closing cancels every active booking on the closed slots in the same transaction (state
cancelled, active key released, the reason kept, revision + 1, the place given back) with an
`appointments.booking.cancelled` event each, so the owner is told why.
"""

from __future__ import annotations

import sqlalchemy as sa

from govhall.appointments import access
from govhall.appointments.events import booking_event
from govhall.appointments.hall_admin import admin_hall, now, stale, text
from govhall.appointments.slots import day, slot_out, with_names
from govhall.appointments.tables import bookings, sites, slots, windows
from govhall.kit.db import Database
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.protos.appointments.v1 import hall_admin_pb2 as pb

ACTIVE = ("pending_reply", "confirmed")
MAX_CAPACITY = 1_000


def slot_not_found() -> DomainError:
    return DomainError("SLOT_NOT_FOUND", "no such slot", "预约时段不存在", ErrorKind.NOT_FOUND)


class SlotAdmin:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def set_capacity(self, r: pb.SetSlotCapacityRequest) -> pb.Slot:
        slot_id = access.object_id(r.slot_id, "slot_id")
        if not 1 <= r.capacity <= MAX_CAPACITY:
            raise invalid(
                "CAPACITY_INVALID",
                f"capacity is 1 to {MAX_CAPACITY}",
                f"可预约人数应为1至{MAX_CAPACITY}",
                "capacity",
            )
        async with self.db.uow() as uow:
            hall_id = await uow.conn.scalar(sa.select(slots.c.hall_id).where(slots.c.id == slot_id))
            if hall_id is None:
                raise slot_not_found()
            await admin_hall(uow, hall_id)
            done = await uow.conn.execute(
                slots.update()
                .where(slots.c.id == slot_id, slots.c.revision == r.revision, slots.c.booked <= r.capacity)
                .values(capacity=r.capacity, revision=slots.c.revision + 1)
            )
            if done.rowcount != 1:
                row = (await uow.conn.execute(sa.select(slots).where(slots.c.id == slot_id))).one()
                if row.revision != r.revision:
                    raise stale()
                raise DomainError(
                    "CAPACITY_BELOW_BOOKED",
                    f"{row.booked} places are booked: capacity cannot be less",
                    f"已有{row.booked}人预约，可预约人数不能少于此数",
                    ErrorKind.CONFLICT,
                )
            reply = slot_out((await uow.conn.execute(with_names().where(slots.c.id == slot_id))).one())
            await uow.commit()
        return reply

    async def close(self, r: pb.CloseSlotsRequest) -> pb.CloseSlotsResponse:
        reason = text(r.reason, 200, "reason", required=True)
        if bool(r.day) == bool(r.slot_id):
            raise invalid(
                "DAY_OR_SLOT", "give either a day or one slot", "请指定日期或一个时段（二选一）", "day"
            )
        async with self.db.uow() as uow:
            hall = await admin_hall(uow, r.hall_id)
            which = slots.c.hall_id == hall.id
            if r.slot_id:
                which = sa.and_(which, slots.c.id == access.object_id(r.slot_id, "slot_id"))
            else:
                which = sa.and_(which, slots.c.day == day(r.day, "day"))
            # Closing first: a booking racing this one finds the slot closed (its conditional
            # UPDATE says NOT closed), or committed before and is cancelled below.
            closed = await uow.conn.execute(
                slots.update()
                .where(which, slots.c.closed.is_(False))
                .values(closed=True, close_reason=reason, revision=slots.c.revision + 1)
            )
            if r.slot_id and closed.rowcount == 0:
                if not await uow.conn.scalar(sa.select(slots.c.id).where(which)):
                    raise slot_not_found()
            on_them = sa.select(slots.c.id).where(which)
            active = (
                await uow.conn.execute(
                    sa.select(bookings).where(bookings.c.slot_id.in_(on_them), bookings.c.state.in_(ACTIVE))
                )
            ).all()
            site = await sites.get(uow, hall.site_code)
            names = dict(
                (
                    await uow.conn.execute(
                        sa.select(windows.c.id, windows.c.name).where(windows.c.hall_id == hall.id)
                    )
                )
                .tuples()
                .all()
            )
            at, cancelled = now(), 0
            for b in active:
                done = await uow.conn.execute(
                    bookings.update()
                    .where(bookings.c.id == b.id, bookings.c.state == b.state)
                    .values(
                        state="cancelled",
                        active_key=None,
                        state_reason=reason,
                        revision=bookings.c.revision + 1,
                        updated_at=at,
                    )
                )
                if done.rowcount != 1:
                    continue  # changed state meanwhile (checked in, cancelled): nothing to give back
                await uow.conn.execute(
                    slots.update().where(slots.c.id == b.slot_id).values(booked=slots.c.booked - 1)
                )
                row = (await uow.conn.execute(sa.select(bookings).where(bookings.c.id == b.id))).one()
                uow.emit(
                    booking_event(
                        "cancelled",
                        row,
                        from_state=b.state,
                        site_name=site.name if site else "",
                        hall_name=hall.name,
                        window_name=names.get(b.window_id, ""),
                        reason=reason,
                    )
                )
                cancelled += 1
            await uow.commit()
        return pb.CloseSlotsResponse(slots_closed=max(closed.rowcount, 0), bookings_cancelled=cancelled)
