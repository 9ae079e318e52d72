"""The booking area's gRPC servicer: each RPC hands its request to the module that owns it."""

from __future__ import annotations

from typing import Any

from govhall.appointments.bookings import Bookings
from govhall.appointments.bookings_reads import BookingReads
from govhall.appointments.bookings_replies import BookingReplies
from govhall.protos.appointments.v1 import bookings_pb2 as pb
from govhall.protos.appointments.v1 import bookings_pb2_grpc


class BookingsService(bookings_pb2_grpc.BookingsServiceServicer):
    def __init__(self, bookings: Bookings, reads: BookingReads, replies: BookingReplies) -> None:
        self._bookings = bookings
        self._reads = reads
        self._replies = replies

    async def Book(self, request: pb.BookRequest, context: Any) -> pb.BookResponse:
        return await self._bookings.book(request)

    async def GetBooking(self, request: pb.GetBookingRequest, context: Any) -> pb.BookingDetail:
        return await self._reads.get(request)

    async def ListMyBookings(
        self, request: pb.ListMyBookingsRequest, context: Any
    ) -> pb.ListBookingsResponse:
        return await self._reads.mine(request)

    async def CancelBooking(self, request: pb.CancelBookingRequest, context: Any) -> pb.Booking:
        return await self._replies.cancel(request)

    async def ConfirmBooking(self, request: pb.ReplyBookingRequest, context: Any) -> pb.Booking:
        return await self._replies.confirm(request)

    async def DeclineBooking(self, request: pb.ReplyBookingRequest, context: Any) -> pb.Booking:
        return await self._replies.decline(request)
