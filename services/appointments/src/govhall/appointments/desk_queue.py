"""取号 and 叫号: check-in by booking code gives a queue ticket for the booking's window; the
window's queue of the day is called in number order, skipped and done.

Every change is one conditional UPDATE on the row's state (and revision) inside a transaction:
a booking checks in only while `confirmed`, a ticket number is the window-day counter's
`last_number + 1`, and a ticket is called only while `waiting`, so two clerks calling next at
once call two tickets (the loser of a row retries with the next one), never the same.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import sqlalchemy as sa

from govhall.appointments import desk_common as common
from govhall.appointments import events
from govhall.appointments.desk_tables import queue_counters, queue_tickets
from govhall.appointments.settings import AppointmentsSettings
from govhall.appointments.tables import bookings
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.dialect import upsert
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.kit.ids import new_id
from govhall.protos.appointments.v1 import hall_desk_pb2 as pb

CODE = re.compile(r"^[0-9A-Za-z]{4,16}$")
# How often CallNext moves on when another clerk called the ticket it chose first.
CALL_ATTEMPTS = 20


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class HallQueue:
    def __init__(
        self, db: Database, settings: AppointmentsSettings, clock: Callable[[], dt.datetime] = now_utc
    ) -> None:
        self.db = db
        self.before = dt.timedelta(minutes=settings.check_in_before_minutes)
        self.after = dt.timedelta(minutes=settings.check_in_after_minutes)
        self.clock = clock

    async def check_in(self, request: pb.CheckInRequest) -> pb.Ticket:
        code = (request.code or "").strip().upper()
        if not CODE.match(code):
            raise invalid(
                "BOOKING_CODE_INVALID",
                "a booking code is 4-16 letters or digits",
                "预约号应为4至16位字母或数字",
                "code",
            )
        now = self.clock()
        async with self.db.uow() as uow:
            hall = await common.hall_row(uow, request.hall_id)
            caller = common.authorise(hall)
            b = bookings.c
            booking = (
                await uow.conn.execute(sa.select(bookings).where(b.code == code, b.hall_id == hall.id))
            ).first()
            if booking is None:
                raise DomainError(
                    "BOOKING_NOT_FOUND",
                    "no booking with this code at this hall",
                    "本大厅没有该预约号的预约",
                    ErrorKind.NOT_FOUND,
                )
            if booking.state == "checked_in":  # a second scan of the code: the same ticket
                ticket_id = (
                    await uow.conn.execute(
                        sa.select(queue_tickets.c.id).where(queue_tickets.c.booking_id == booking.id)
                    )
                ).scalar_one()
                return await common.ticket_message(uow, ticket_id)
            if booking.state != "confirmed":
                raise DomainError(
                    "BOOKING_NOT_CONFIRMED",
                    f"only a confirmed booking checks in (this one is {booking.state})",
                    "仅已确认的预约可以取号",
                    ErrorKind.WRONG_STATE,
                )
            starts = _aware(booking.starts_at)
            if now < starts - self.before:
                raise DomainError(
                    "CHECK_IN_TOO_EARLY",
                    f"check-in opens {self.before.seconds // 60} minutes before the start",
                    f"请在预约时间前{self.before.seconds // 60}分钟内取号",
                    ErrorKind.WRONG_STATE,
                )
            if now > starts + self.after:
                raise DomainError(
                    "CHECK_IN_TOO_LATE",
                    f"check-in closed {self.after.seconds // 60} minutes after the start",
                    f"已超过预约时间{self.after.seconds // 60}分钟，无法取号",
                    ErrorKind.WRONG_STATE,
                )
            done = await uow.conn.execute(
                sa.update(bookings)
                .where(b.id == booking.id, b.state == "confirmed", b.revision == booking.revision)
                # Checked in, the booking no longer holds the person's place for the matter and day.
                .values(
                    state="checked_in",
                    checked_in_at=now,
                    active_key=None,
                    revision=b.revision + 1,
                    updated_at=now,
                )
            )
            if done.rowcount != 1:
                raise DomainError(
                    "BOOKING_CHANGED",
                    "the booking changed meanwhile; scan again",
                    "预约状态已变化，请重新取号",
                    ErrorKind.CONFLICT,
                )
            number = await self._next_number(uow, booking.window_id, booking.day)
            ticket_id = new_id()
            await uow.conn.execute(
                queue_tickets.insert().values(
                    id=ticket_id,
                    booking_id=booking.id,
                    hall_id=hall.id,
                    window_id=booking.window_id,
                    day=booking.day,
                    number=number,
                    state="waiting",
                    called_by=caller.subject if caller.subject else "",
                    checked_in_at=now,
                )
            )
            row = (await uow.conn.execute(sa.select(bookings).where(b.id == booking.id))).one()
            uow.emit(
                events.booking_event(
                    "checked_in", row, from_state="confirmed", **await common.event_names(uow, row)
                )
            )
            message = await common.ticket_message(uow, ticket_id)
            await uow.commit()
        return message

    async def _next_number(self, uow: UnitOfWork, window_id: str, day: dt.date) -> int:
        c = queue_counters.c
        await uow.conn.execute(
            upsert(
                uow,
                queue_counters,
                {"window_id": window_id, "day": day, "last_number": 0},
                key=["window_id", "day"],
                update={},
            )
        )
        # The UPDATE holds the counter's row until commit: the next check-in draws after us.
        await uow.conn.execute(
            sa.update(queue_counters)
            .where(c.window_id == window_id, c.day == day)
            .values(last_number=c.last_number + 1)
        )
        return int(
            (
                await uow.conn.execute(sa.select(c.last_number).where(c.window_id == window_id, c.day == day))
            ).scalar_one()
        )

    async def listing(self, request: pb.ListQueueRequest) -> pb.ListQueueResponse:
        async with self.db.reader() as uow:
            window, hall = await common.window_and_hall(uow, request.window_id)
            common.authorise(hall)
            day = common.day_of(request.day, self.clock())
            t = queue_tickets.c
            rows = (
                await uow.conn.execute(
                    common.tickets_query().where(t.window_id == window.id, t.day == day).order_by(t.number)
                )
            ).all()
        tickets = [common.ticket_of(r) for r in rows]
        return pb.ListQueueResponse(tickets=tickets, waiting=sum(1 for r in rows if r.state == "waiting"))

    async def call_next(self, request: pb.CallNextRequest) -> pb.Ticket:
        t = queue_tickets.c
        for _ in range(CALL_ATTEMPTS):
            now = self.clock()
            async with self.db.uow() as uow:
                window, hall = await common.window_and_hall(uow, request.window_id)
                caller = common.authorise(hall, common.CLERK)
                first = (
                    await uow.conn.execute(
                        sa.select(t.id)
                        .where(t.window_id == window.id, t.day == common.china_day(now), t.state == "waiting")
                        .order_by(t.number)
                        .limit(1)
                    )
                ).scalar()
                if first is None:
                    raise DomainError(
                        "QUEUE_EMPTY",
                        "nobody is waiting at this window",
                        "该窗口暂无等候人员",
                        ErrorKind.NOT_FOUND,
                    )
                called = await uow.conn.execute(
                    sa.update(queue_tickets)
                    .where(t.id == first, t.state == "waiting")
                    .values(state="called", called_at=now, called_by=caller.subject, revision=t.revision + 1)
                )
                if called.rowcount != 1:
                    continue  # another clerk called it first: take the next one
                message = await common.ticket_message(uow, first)
                await uow.commit()
                return message
        raise DomainError(
            "QUEUE_BUSY", "the queue is busy; call again", "叫号繁忙，请重试", ErrorKind.CONFLICT
        )

    async def skip(self, request: pb.TicketRequest) -> pb.Ticket:
        return await self._finish(request, "skipped", ("waiting", "called"))

    async def done(self, request: pb.TicketRequest) -> pb.Ticket:
        return await self._finish(request, "done", ("called",))

    async def _finish(self, request: pb.TicketRequest, state: str, allowed: tuple[str, ...]) -> pb.Ticket:
        if request.revision < 1:
            raise invalid(
                "REVISION_REQUIRED", "send the ticket's revision", "请提供排队号的版本号", "revision"
            )
        now = self.clock()
        t = queue_tickets.c
        async with self.db.uow() as uow:
            ticket = await common.ticket_row(uow, request.ticket_id)
            _, hall = await common.window_and_hall(uow, ticket.window_id)
            common.authorise(hall, common.CLERK)
            if ticket.revision != request.revision:
                raise _stale()
            if ticket.state not in allowed:
                raise DomainError(
                    "TICKET_STATE",
                    f"a {ticket.state} ticket cannot be {state}",
                    f"当前排队号状态（{ticket.state}）不允许此操作",
                    ErrorKind.WRONG_STATE,
                )
            changed = await uow.conn.execute(
                sa.update(queue_tickets)
                .where(t.id == ticket.id, t.revision == request.revision, t.state.in_(allowed))
                .values(state=state, finished_at=now, revision=t.revision + 1)
            )
            if changed.rowcount != 1:
                raise _stale()
            message = await common.ticket_message(uow, ticket.id)
            await uow.commit()
        return message


def _stale() -> DomainError:
    return DomainError(
        "STALE_REVISION",
        "the ticket changed since you read it",
        "排队号已被他人处理，请刷新后重试",
        ErrorKind.CONFLICT,
    )
