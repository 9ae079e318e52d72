"""Booking routes: booking a slot (201, 409 SLOT_FULL, 4xx with the rule's code), 我的预约 by tab,
one booking, cancelling it, and a window clerk's reply under /api/v1/staff/appointments.
Appointments authorises every booking itself (someone else's is a 404)."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from govhall.gateway import appointments_bookings_model as m
from govhall.gateway.auth import Caller, SignedIn
from govhall.gateway.params import IdPath, PageNo, PageSize
from govhall.gateway.upstreams import Upstreams
from govhall.protos.appointments.v1 import bookings_pb2 as pb
from govhall.protos.common.v1 import common_pb2

TAGS: list[str | Enum] = ["appointments"]
STAFF_TAGS: list[str | Enum] = ["appointments-staff"]


def bookings_routes(up: Callable[[], Upstreams]) -> APIRouter:
    router = APIRouter()

    async def call(method: str, request: Any, caller: common_pb2.CallerIdentity) -> Any:
        return await up().appointments.call(lambda s: getattr(s.bookings, method), request, caller)

    @router.post(
        "/api/v1/appointments",
        tags=TAGS,
        summary="Book a slot for a matter (signed-in real-name person, or an enterprise's agent); "
        "409 SLOT_FULL when it is full, the rule's own code when a booking rule refuses",
        operation_id="bookAppointment",
        status_code=201,
        responses={
            403: {"description": "not real-name verified, staff, or booking suspended"},
            409: {"description": "SLOT_FULL, TOO_MANY_ACTIVE_BOOKINGS, ALREADY_BOOKED_THAT_DAY"},
        },
    )
    async def book(body: m.BookingIn, caller: Caller) -> m.BookedOut:
        return m.booked_out(await call("Book", body.message(), caller))

    @router.get(
        "/api/v1/me/appointments",
        tags=TAGS,
        summary="我的预约: pending (still ahead, soonest first) or history (newest first)",
        operation_id="listMyAppointments",
    )
    async def mine(
        caller: SignedIn,
        tab: Literal["pending", "history"] = "pending",
        page: PageNo = 1,
        page_size: PageSize = 20,
    ) -> m.BookingsOut:
        request = pb.ListMyBookingsRequest(
            tab=tab, page=common_pb2.PageRequest(page=page, page_size=page_size)
        )
        return m.bookings_out(await call("ListMyBookings", request, caller))

    @router.get(
        "/api/v1/appointments/{booking}",
        tags=TAGS,
        summary="One booking (its owner's, or the hall's site's staff), with its code's QR while "
        "it can still be checked in with",
        operation_id="getAppointment",
    )
    async def get(
        booking: IdPath,
        caller: SignedIn,
        qr_format: Annotated[m.QrFormat, Query(description="the booking code's QR as png or svg")] = "png",
    ) -> m.BookingDetailOut:
        request = pb.GetBookingRequest(booking_id=booking, qr_format=m.QR_FORMATS[qr_format])
        return m.booking_detail_out(await call("GetBooking", request, caller))

    @router.post(
        "/api/v1/appointments/{booking}/cancel",
        tags=TAGS,
        summary="Cancel my booking (until the site's deadline before the start); the place is free at once",
        operation_id="cancelAppointment",
    )
    async def cancel(booking: IdPath, body: m.CancelIn, caller: SignedIn) -> m.BookingOut:
        request = pb.CancelBookingRequest(booking_id=booking, revision=body.revision, reason=body.reason)
        return m.booking_out(await call("CancelBooking", request, caller))

    @router.post(
        "/api/v1/staff/appointments/{booking}/confirm",
        tags=STAFF_TAGS,
        summary="A window clerk of the hall's site confirms a booking waiting for a reply",
        operation_id="confirmAppointment",
    )
    async def confirm(booking: IdPath, body: m.ConfirmIn, caller: SignedIn) -> m.BookingOut:
        request = pb.ReplyBookingRequest(booking_id=booking, revision=body.revision, reason=body.reason)
        return m.booking_out(await call("ConfirmBooking", request, caller))

    @router.post(
        "/api/v1/staff/appointments/{booking}/decline",
        tags=STAFF_TAGS,
        summary="A window clerk declines a booking waiting for a reply, with a reason (the place is given back)",
        operation_id="declineAppointment",
    )
    async def decline(booking: IdPath, body: m.DeclineIn, caller: SignedIn) -> m.BookingOut:
        request = pb.ReplyBookingRequest(booking_id=booking, revision=body.revision, reason=body.reason)
        return m.booking_out(await call("DeclineBooking", request, caller))

    return router


__all__ = ["bookings_routes"]
