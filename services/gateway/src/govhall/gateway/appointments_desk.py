"""The hall desk's REST routes: check-in at the hall (取号), the window's queue (叫号, skip,
done) and the staff's day view, search and statistics under /api/v1/staff/halls. Appointments
authorises every call itself (staff of the hall's site; the queue: its window clerks)."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Query

from govhall.gateway import appointments_desk_model as m
from govhall.gateway.auth import SignedIn
from govhall.gateway.params import DayQuery, FromDayQuery, IdPath
from govhall.gateway.upstreams import Upstreams
from govhall.protos.appointments.v1 import hall_desk_pb2 as pb
from govhall.protos.common.v1 import common_pb2

TAGS: list[str | Enum] = ["appointments-desk"]
SearchQuery = Annotated[
    str, Query(min_length=1, max_length=50, description="a booking code, a mobile or a name")
]


def desk_routes(up: Callable[[], Upstreams]) -> APIRouter:
    router = APIRouter()

    async def call(method: str, request: Any, caller: common_pb2.CallerIdentity) -> Any:
        return await up().appointments.call(lambda s: getattr(s.desk, method), request, caller)

    @router.post(
        "/api/v1/halls/{hall}/check-in",
        tags=TAGS,
        summary="取号: check a booking in by its code at the hall's terminal or by a clerk (from 15 "
        "minutes before its start to 15 after); gives a queue ticket for its window",
        operation_id="checkInBooking",
    )
    async def check_in(hall: IdPath, body: m.CheckInIn, caller: SignedIn) -> m.TicketOut:
        return m.ticket_out(await call("CheckIn", pb.CheckInRequest(hall_id=hall, code=body.code), caller))

    @router.get(
        "/api/v1/staff/windows/{window}/queue",
        tags=TAGS,
        summary="A window's queue of one day, in ticket order",
        operation_id="listWindowQueue",
    )
    async def queue(window: IdPath, caller: SignedIn, day: DayQuery = "") -> m.QueueOut:
        return m.queue_out(await call("ListQueue", pb.ListQueueRequest(window_id=window, day=day), caller))

    @router.post(
        "/api/v1/staff/windows/{window}/call-next",
        tags=TAGS,
        summary="叫号: call the window's lowest waiting ticket (404 QUEUE_EMPTY when none waits)",
        operation_id="callNextTicket",
    )
    async def call_next(window: IdPath, caller: SignedIn) -> m.TicketOut:
        return m.ticket_out(await call("CallNext", pb.CallNextRequest(window_id=window), caller))

    @router.post(
        "/api/v1/staff/tickets/{ticket}/skip",
        tags=TAGS,
        summary="Pass over a waiting or called ticket (409 STALE_REVISION when it moved)",
        operation_id="skipTicket",
    )
    async def skip(ticket: IdPath, body: m.TicketActionIn, caller: SignedIn) -> m.TicketOut:
        return m.ticket_out(
            await call("Skip", pb.TicketRequest(ticket_id=ticket, revision=body.revision), caller)
        )

    @router.post(
        "/api/v1/staff/tickets/{ticket}/done",
        tags=TAGS,
        summary="A called ticket served",
        operation_id="finishTicket",
    )
    async def done(ticket: IdPath, body: m.TicketActionIn, caller: SignedIn) -> m.TicketOut:
        return m.ticket_out(
            await call("Done", pb.TicketRequest(ticket_id=ticket, revision=body.revision), caller)
        )

    @router.get(
        "/api/v1/staff/halls/{hall}/bookings",
        tags=TAGS,
        summary="The day view: a hall's bookings of one day (optionally one window) with their states",
        operation_id="listHallDayBookings",
    )
    async def day_view(
        hall: IdPath, caller: SignedIn, day: DayQuery = "", window: str = ""
    ) -> m.DayBookingsOut:
        request = pb.ListDayBookingsRequest(hall_id=hall, day=day, window_id=window)
        return m.day_bookings_out(await call("ListDayBookings", request, caller))

    @router.get(
        "/api/v1/staff/halls/{hall}/bookings/search",
        tags=TAGS,
        summary="Find bookings by code or mobile (any day) or by contact name (on the day)",
        operation_id="searchHallBookings",
    )
    async def search(hall: IdPath, q: SearchQuery, caller: SignedIn, day: DayQuery = "") -> m.DayBookingsOut:
        request = pb.SearchBookingsRequest(hall_id=hall, day=day, query=q)
        return m.day_bookings_out(await call("SearchBookings", request, caller))

    @router.get(
        "/api/v1/staff/halls/{hall}/statistics",
        tags=TAGS,
        summary="Per matter and day: booked, checked in, no-shows, cancellations; per day the slots' fill",
        operation_id="getHallStatistics",
    )
    async def statistics(
        hall: IdPath,
        caller: SignedIn,
        from_: FromDayQuery = "",
        to: DayQuery = "",
    ) -> m.DeskStatisticsOut:
        request = pb.DeskStatisticsRequest(hall_id=hall, from_day=from_, to_day=to)
        return m.statistics_out(await call("GetDeskStatistics", request, caller))

    return router


__all__ = ["desk_routes"]
