"""What the hall desk's modules share: who may act at a hall, the names a booking event carries,
China-time days, masking, and a ticket as a message.

Staff act at the halls of their own site (`caller.site_code` equals the hall's site), by role
where the action needs one; platform administrators everywhere. Someone who is not staff is
refused before anything about the hall is said.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa

from govhall.appointments import access, events
from govhall.appointments.desk_tables import queue_tickets
from govhall.appointments.tables import bookings, halls, sites, windows
from govhall.kit.caller import current_caller, is_admin
from govhall.kit.db import UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.protos.appointments.v1 import hall_desk_pb2 as pb
from govhall.protos.common.v1 import common_pb2

CLERK = frozenset({"window_clerk"})
SUPERVISORS = frozenset({"supervisor", "site_admin"})
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def authorise(hall: Any, roles: frozenset[str] | None = None) -> common_pb2.CallerIdentity:
    """The caller, if staff of the hall's site (with one of `roles` when given) or an admin."""
    caller = current_caller()
    if is_admin(caller):
        return caller
    if caller.kind in (common_pb2.CALLER_KIND_UNSPECIFIED, common_pb2.CALLER_KIND_ANONYMOUS):
        raise DomainError(
            "SIGN_IN_REQUIRED", "sign in as staff first", "请先以工作人员身份登录", ErrorKind.UNAUTHENTICATED
        )
    if caller.kind != common_pb2.CALLER_KIND_STAFF:
        raise DomainError(
            "STAFF_ONLY", "only the hall's staff may do this", "仅大厅工作人员可操作", ErrorKind.FORBIDDEN
        )
    if caller.site_code != hall.site_code:
        raise DomainError(
            "NOT_YOUR_HALL",
            "this hall is not at your site",
            "该办事大厅不属于您所在站点",
            ErrorKind.FORBIDDEN,
        )
    if roles is not None and not roles & set(caller.roles):
        raise DomainError(
            "ROLE_REQUIRED",
            f"this needs one of the roles {', '.join(sorted(roles))}",
            f"需要以下角色之一：{'、'.join(sorted(roles))}",
            ErrorKind.FORBIDDEN,
        )
    return caller


async def hall_row(uow: UnitOfWork, hall_id: str) -> Any:
    access.object_id(hall_id, "hall_id")
    row = (await uow.conn.execute(sa.select(halls).where(halls.c.id == hall_id))).first()
    if row is None:
        raise access.hall_not_found()
    return row


async def window_and_hall(uow: UnitOfWork, window_id: str) -> tuple[Any, Any]:
    access.object_id(window_id, "window_id")
    window = (await uow.conn.execute(sa.select(windows).where(windows.c.id == window_id))).first()
    if window is None:
        raise DomainError("WINDOW_NOT_FOUND", "no such window", "窗口不存在", ErrorKind.NOT_FOUND)
    return window, await hall_row(uow, window.hall_id)


async def event_names(uow: UnitOfWork, booking: Any) -> dict[str, str]:
    """site_name, hall_name and window_name for `events.booking_event`."""
    site = await sites.get(uow, booking.site_code)
    hall = (await uow.conn.execute(sa.select(halls.c.name).where(halls.c.id == booking.hall_id))).scalar()
    window = (
        await uow.conn.execute(sa.select(windows.c.name).where(windows.c.id == booking.window_id))
    ).scalar()
    return {"site_name": site.name if site else "", "hall_name": hall or "", "window_name": window or ""}


def china_day(at: dt.datetime) -> dt.date:
    return events.china_time(at).date()


def day_of(value: str, now: dt.datetime, field: str = "day") -> dt.date:
    """A YYYY-MM-DD day in a request (today in China when empty); bad is a 400 naming the field."""
    if not value:
        return china_day(now)
    try:
        if not DAY.match(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise invalid(
            "DAY_INVALID", f"{field} is a day as YYYY-MM-DD", f"{field} 应为 YYYY-MM-DD 格式的日期", field
        ) from None


def stamp(value: dt.datetime | None) -> str:
    return events.china_time(value).isoformat() if value is not None else ""


def tickets_query() -> Any:
    """Tickets with what a Ticket message shows of their booking and window, in one query."""
    return (
        sa.select(
            queue_tickets,
            bookings.c.code.label("booking_code"),
            bookings.c.matter_code,
            bookings.c.matter_name,
            windows.c.name.label("window_name"),
        )
        .join(bookings, bookings.c.id == queue_tickets.c.booking_id)
        .join(windows, windows.c.id == queue_tickets.c.window_id)
    )


async def ticket_message(uow: UnitOfWork, ticket_id: str) -> pb.Ticket:
    row = (await uow.conn.execute(tickets_query().where(queue_tickets.c.id == ticket_id))).one()
    return ticket_of(row)


def ticket_of(row: Any) -> pb.Ticket:
    """A row of `tickets_query` as a message."""
    return pb.Ticket(
        id=row.id,
        booking_id=row.booking_id,
        booking_code=row.booking_code,
        hall_id=row.hall_id,
        window_id=row.window_id,
        window_name=row.window_name,
        day=row.day.isoformat(),
        number=row.number,
        display=f"{row.window_name}-{row.number:03d}",
        state=row.state,
        matter_code=row.matter_code,
        matter_name=row.matter_name,
        checked_in_at=stamp(row.checked_in_at),
        called_at=stamp(row.called_at),
        revision=row.revision,
    )


async def ticket_row(uow: UnitOfWork, ticket_id: str) -> Any:
    access.object_id(ticket_id, "ticket_id")
    row = (await uow.conn.execute(sa.select(queue_tickets).where(queue_tickets.c.id == ticket_id))).first()
    if row is None:
        raise DomainError("TICKET_NOT_FOUND", "no such queue ticket", "排队号不存在", ErrorKind.NOT_FOUND)
    return row
