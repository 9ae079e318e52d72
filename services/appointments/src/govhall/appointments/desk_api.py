"""HallDeskService: each RPC hands its request to the desk module that owns it."""

from __future__ import annotations

from typing import Any

from govhall.appointments.desk_queue import HallQueue
from govhall.appointments.desk_views import DeskViews
from govhall.protos.appointments.v1 import hall_desk_pb2 as pb
from govhall.protos.appointments.v1 import hall_desk_pb2_grpc


class HallDeskService(hall_desk_pb2_grpc.HallDeskServiceServicer):
    def __init__(self, queue: HallQueue, views: DeskViews) -> None:
        self._queue = queue
        self._views = views

    async def CheckIn(self, request: pb.CheckInRequest, context: Any) -> pb.Ticket:
        return await self._queue.check_in(request)

    async def ListQueue(self, request: pb.ListQueueRequest, context: Any) -> pb.ListQueueResponse:
        return await self._queue.listing(request)

    async def CallNext(self, request: pb.CallNextRequest, context: Any) -> pb.Ticket:
        return await self._queue.call_next(request)

    async def Skip(self, request: pb.TicketRequest, context: Any) -> pb.Ticket:
        return await self._queue.skip(request)

    async def Done(self, request: pb.TicketRequest, context: Any) -> pb.Ticket:
        return await self._queue.done(request)

    async def ListDayBookings(
        self, request: pb.ListDayBookingsRequest, context: Any
    ) -> pb.ListDayBookingsResponse:
        return await self._views.day(request)

    async def SearchBookings(
        self, request: pb.SearchBookingsRequest, context: Any
    ) -> pb.ListDayBookingsResponse:
        return await self._views.search(request)

    async def GetDeskStatistics(self, request: pb.DeskStatisticsRequest, context: Any) -> pb.DeskStatistics:
        return await self._views.statistics(request)
