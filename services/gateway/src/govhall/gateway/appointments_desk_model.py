"""What the hall desk's routes take and answer (check-in, the window's queue, the staff's day
view, search and statistics): request bodies and typed response models from HallDeskService's
messages. Times are RFC 3339 in Beijing time (+08:00), as appointments gives them."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from govhall.gateway.model import In
from govhall.gateway.protojson import Out, model_of, out
from govhall.protos.appointments.v1 import hall_desk_pb2 as pb

_TICKET = model_of(pb.Ticket.DESCRIPTOR, name="QueueTicket_")
_DAY_BOOKING = model_of(pb.DayBooking.DESCRIPTOR, name="DayBooking_")
_MATTER_DAY = model_of(pb.MatterDayCounts.DESCRIPTOR, name="MatterDayCounts_")
_HALL_DAY = model_of(pb.HallDayFill.DESCRIPTOR, name="HallDayFill_")

BookingCode = Annotated[str, Field(pattern=r"^[0-9A-Za-z]{4,16}$", description="the booking code (预约号)")]
Revision = Annotated[
    int, Field(ge=1, le=2**31 - 1, description="the ticket's revision as read (409 when it moved)")
]


class CheckInIn(In):
    code: BookingCode


class TicketActionIn(In):
    revision: Revision


class TicketOut(_TICKET):  # type: ignore[misc,valid-type]
    """A queue ticket (取号): its number at the window on the day, and its state."""


class QueueOut(Out):
    items: list[TicketOut]
    waiting: int


class DayBookingOut(_DAY_BOOKING):  # type: ignore[misc,valid-type]
    """A booking in the staff's day view: contact name and mobile masked."""


class DayBookingsOut(Out):
    items: list[DayBookingOut]


class MatterDayOut(_MATTER_DAY):  # type: ignore[misc,valid-type]
    """Per matter and day: booked, checked in, no-shows, cancellations."""


class HallDayOut(_HALL_DAY):  # type: ignore[misc,valid-type]
    """Per day: the hall's open slots' capacity, places booked and fill (booked / capacity)."""


class DeskStatisticsOut(Out):
    hall_id: str
    matters: list[MatterDayOut]
    days: list[HallDayOut]


def ticket_out(t: pb.Ticket) -> TicketOut:
    return out(TicketOut, t)


def queue_out(reply: pb.ListQueueResponse) -> QueueOut:
    return QueueOut(items=[ticket_out(t) for t in reply.tickets], waiting=reply.waiting)


def day_bookings_out(reply: pb.ListDayBookingsResponse) -> DayBookingsOut:
    return DayBookingsOut(items=[out(DayBookingOut, b) for b in reply.bookings])


def statistics_out(reply: pb.DeskStatistics) -> DeskStatisticsOut:
    return DeskStatisticsOut(
        hall_id=reply.hall_id,
        matters=[out(MatterDayOut, m) for m in reply.matters],
        days=[out(HallDayOut, d) for d in reply.days],
    )
