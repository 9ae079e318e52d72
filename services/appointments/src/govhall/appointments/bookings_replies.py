"""Changing a booking after it is made: the owner cancels (until the site's deadline before the
start), a window clerk of the hall's site confirms or declines one waiting for a reply.

Every change is one conditional UPDATE on the booking's revision and state (a stale revision or a
booking that moved on is a 409, never a lost update), and a booking that stops being active gives
its place back (`booked - 1`) and its active_key up in the same transaction, so the next person
can book it at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from govhall.appointments import access, booking_rules, events
from govhall.appointments import bookings_view as bv
from govhall.appointments.bookings_tables import booking_cancellations
from govhall.appointments.tables import bookings, slots
from govhall.kit.caller import current_caller
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.kit.fieldcipher import FieldCipher
from govhall.protos.appointments.v1 import bookings_pb2 as pb
from govhall.protos.common.v1 import common_pb2

MAX_REASON = 200
OWNER_CANCELLED = "本人取消"


def _reason(value: str, required: bool) -> str:
    reason = (value or "").strip()
    if required and not reason:
        raise invalid("REASON_REQUIRED", "give a reason", "请填写原因", "reason")
    if len(reason) > MAX_REASON:
        raise invalid(
            "REASON_TOO_LONG",
            f"reason is at most {MAX_REASON} characters",
            f"原因不能超过{MAX_REASON}个字",
            "reason",
        )
    return reason


def _stale() -> DomainError:
    return DomainError(
        "REVISION_MISMATCH",
        "the booking changed since you read it; reload and try again",
        "该预约已被更新，请刷新后重试",
        ErrorKind.CONFLICT,
    )


@dataclass
class BookingReplies:
    db: Database
    cipher: FieldCipher
    clock: Any = field(default=bv.now)

    async def cancel(self, r: pb.CancelBookingRequest) -> pb.Booking:
        booking_id = access.object_id(r.booking_id, "booking_id")
        who = bv.owner()
        reason = _reason(r.reason, required=False)
        at = self.clock()
        async with self.db.uow() as uow:
            row = await bv.load(uow, booking_id)
            if row is None or not bv.owns(row, current_caller()):
                raise bv.not_found()
            if r.revision and r.revision != row.revision:
                raise _stale()
            if row.state not in bv.ACTIVE:
                raise DomainError(
                    "BOOKING_NOT_ACTIVE",
                    "this booking can no longer be cancelled",
                    "该预约已不能取消",
                    ErrorKind.WRONG_STATE,
                )
            rules = booking_rules.for_site(row.site_code)
            if bv.aware(row.starts_at) - at < rules.cancel_until:
                minutes = int(rules.cancel_until.total_seconds() // 60)
                raise DomainError(
                    "CANCEL_TOO_LATE",
                    f"a booking can be cancelled until {minutes} minutes before its start",
                    f"开始前{minutes}分钟内不能取消预约",
                    ErrorKind.WRONG_STATE,
                )
            was = row.state
            row = await self._end(uow, row, "cancelled", reason or OWNER_CANCELLED, at)
            await uow.conn.execute(
                booking_cancellations.insert().values(
                    booking_id=row.id, owner_kind=who.kind, owner_subject=who.subject, cancelled_at=at
                )
            )
            return await self._done(uow, row, "cancelled", reason or OWNER_CANCELLED, was)

    async def confirm(self, r: pb.ReplyBookingRequest) -> pb.Booking:
        return await self._reply(r, "confirmed", _reason(r.reason, required=False))

    async def decline(self, r: pb.ReplyBookingRequest) -> pb.Booking:
        return await self._reply(r, "declined", _reason(r.reason, required=True))

    async def _reply(self, r: pb.ReplyBookingRequest, state: str, reason: str) -> pb.Booking:
        booking_id = access.object_id(r.booking_id, "booking_id")
        caller = current_caller()
        if r.revision <= 0:
            raise invalid("REVISION_REQUIRED", "give the revision you saw", "请提供预约的版本号", "revision")
        at = self.clock()
        async with self.db.uow() as uow:
            row = await bv.load(uow, booking_id)
            if row is None or not bv.staff_of_site(row, caller):
                raise bv.not_found()
            if not (bv.REPLY_ROLES & set(caller.roles)) and caller.kind != common_pb2.CALLER_KIND_ADMIN:
                raise DomainError(
                    "ROLE_REQUIRED",
                    "only a window clerk replies to bookings",
                    "仅窗口工作人员可答复预约",
                    ErrorKind.FORBIDDEN,
                )
            if r.revision != row.revision:
                raise _stale()
            if row.state != "pending_reply":
                raise DomainError(
                    "BOOKING_NOT_PENDING",
                    "this booking is not waiting for a reply",
                    "该预约不在待答复状态",
                    ErrorKind.WRONG_STATE,
                )
            if state == "confirmed":
                moved = await uow.conn.execute(
                    sa.update(bookings)
                    .where(
                        bookings.c.id == row.id,
                        bookings.c.revision == row.revision,
                        bookings.c.state == "pending_reply",
                    )
                    .values(state="confirmed", state_reason=reason, revision=row.revision + 1, updated_at=at)
                )
                if moved.rowcount == 0:
                    raise _stale()
                row = await bv.load(uow, row.id)
            else:
                row = await self._end(uow, row, "declined", reason, at)
            return await self._done(uow, row, state, reason, from_state="pending_reply")

    async def _end(self, uow: UnitOfWork, row: Any, state: str, reason: str, at: Any) -> Any:
        """Move an active booking to `state`, giving its place and its active_key back."""
        moved = await uow.conn.execute(
            sa.update(bookings)
            .where(
                bookings.c.id == row.id, bookings.c.revision == row.revision, bookings.c.state.in_(bv.ACTIVE)
            )
            .values(
                state=state, state_reason=reason, active_key=None, revision=row.revision + 1, updated_at=at
            )
        )
        if moved.rowcount == 0:
            raise _stale()
        await uow.conn.execute(
            sa.update(slots)
            .where(slots.c.id == row.slot_id, slots.c.booked > 0)
            .values(booked=slots.c.booked - 1)
        )
        return await bv.load(uow, row.id)

    async def _done(self, uow: UnitOfWork, row: Any, name: str, reason: str, from_state: str) -> pb.Booking:
        site = await bv.site_name(uow, row.site_code)
        uow.emit(
            events.booking_event(
                name,
                row,
                from_state=from_state,
                site_name=site,
                hall_name=row.hall_name,
                window_name=row.window_name,
                reason=reason,
            )
        )
        await uow.commit()
        return bv.view(row, site, self.cipher.decrypt(row.contact_name, "booking_contact_name"))
