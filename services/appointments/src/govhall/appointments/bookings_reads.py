"""Reading bookings: one booking (its owner's, or its hall's site's staff; anyone else's is a
NOT_FOUND, never told apart from none) with its code's QR while it is active, and 我的预约 by
tab: pending (active and still ahead, soonest first) or history (everything else, newest first)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from govhall.appointments import access, contacts
from govhall.appointments import bookings_view as bv
from govhall.appointments.tables import bookings
from govhall.kit.caller import current_caller
from govhall.kit.db import Database
from govhall.kit.errors import invalid
from govhall.kit.fieldcipher import FieldCipher
from govhall.kit.paging import page_info, paging
from govhall.protos.appointments.v1 import bookings_pb2 as pb


@dataclass
class BookingReads:
    db: Database
    cipher: FieldCipher
    clock: Any = field(default=bv.now)

    async def get(self, r: pb.GetBookingRequest) -> pb.BookingDetail:
        """The booking with its code's QR while it is active (waiting for a reply or confirmed);
        once declined, cancelled, checked in or a no-show it has none, as it can no longer be
        checked in with."""
        booking_id = access.object_id(r.booking_id, "booking_id")
        caller = current_caller()
        async with self.db.reader() as uow:
            row = await bv.load(uow, booking_id)
            if row is None or not (bv.owns(row, caller) or bv.staff_of_site(row, caller)):
                raise bv.not_found()
            booking = bv.view(row, await bv.site_name(uow, row.site_code), self.name_of(row))
        if row.state not in bv.ACTIVE:
            return pb.BookingDetail(booking=booking)
        return pb.BookingDetail(booking=booking, qr=bv.code_qr(row.code, r.qr_format))

    async def mine(self, r: pb.ListMyBookingsRequest) -> pb.ListBookingsResponse:
        who = bv.owner()
        tab = r.tab or "pending"
        if tab not in ("pending", "history"):
            raise invalid("TAB_INVALID", "tab is pending or history", "tab 应为 pending 或 history", "tab")
        number, size = paging(r.page)
        c = bookings.c
        ahead = sa.and_(c.state.in_(bv.ACTIVE), c.ends_at > self.clock())
        where = sa.and_(
            c.owner_kind == who.kind,
            c.owner_subject == who.subject,
            ahead if tab == "pending" else sa.not_(ahead),
        )
        order = (c.starts_at.asc(), c.id) if tab == "pending" else (c.starts_at.desc(), c.id)
        async with self.db.reader() as uow:
            total = (
                await uow.conn.execute(sa.select(sa.func.count()).select_from(bookings).where(where))
            ).scalar_one()
            ids = (
                (
                    await uow.conn.execute(
                        sa.select(c.id).where(where).order_by(*order).limit(size).offset((number - 1) * size)
                    )
                )
                .scalars()
                .all()
            )
            found = []
            for booking_id in ids:
                row = await bv.load(uow, booking_id)
                found.append(bv.view(row, await bv.site_name(uow, row.site_code), self.name_of(row)))
        return pb.ListBookingsResponse(bookings=found, page=page_info(number, size, total))

    def name_of(self, row: Any) -> str:
        return contacts.open_name(self.cipher, row.contact_name)
