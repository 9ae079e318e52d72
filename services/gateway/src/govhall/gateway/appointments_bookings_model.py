"""What the booking routes take and answer: request bodies and typed response models built from
appointments' booking messages (times already in China time, +08:00)."""

from __future__ import annotations

import base64
from typing import Annotated, Literal

from pydantic import Field

from govhall.gateway.model import In, PageOut, page_out
from govhall.gateway.protojson import Out, model_of, out
from govhall.protos.appointments.v1 import bookings_pb2 as pb

Id = Annotated[str, Field(min_length=1, max_length=36, pattern=r"^[0-9A-Za-z-]+$")]
Revision = Annotated[
    int, Field(ge=1, le=2**31 - 1, description="the booking's revision you saw (a stale one: 409)")
]
Reason = Annotated[str, Field(max_length=200)]
QR_FORMATS = {"png": pb.BOOKING_QR_FORMAT_PNG, "svg": pb.BOOKING_QR_FORMAT_SVG}
QrFormat = Literal["png", "svg"]


class BookingIn(In):
    slot_id: Id
    matter_code: Annotated[str, Field(max_length=36, pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{0,35}$")]
    situation: Annotated[str, Field(max_length=64)] = Field(
        "", description="the chosen 情形 option's code, when the matter has situations"
    )
    contact_name: Annotated[str, Field(max_length=30)] = Field("", description="empty: the signed-in name")
    contact_mobile: Annotated[str, Field(max_length=20)] = Field(
        "", description="empty: the account's notification mobile (shown masked)"
    )
    email: Annotated[str, Field(max_length=100)] = ""
    purpose: Annotated[str, Field(max_length=500)] = Field("", description="预约内容: what you come for")
    qr_format: QrFormat = Field("png", description="the booking code's QR")

    def message(self) -> pb.BookRequest:
        return pb.BookRequest(
            slot_id=self.slot_id,
            matter_code=self.matter_code,
            situation=self.situation,
            contact_name=self.contact_name,
            contact_mobile=self.contact_mobile,
            email=self.email,
            purpose=self.purpose,
            qr_format=QR_FORMATS[self.qr_format],
        )


class CancelIn(In):
    revision: int = Field(0, ge=0, le=2**31 - 1, description="the revision you saw (0: do not check)")
    reason: Reason = ""


class ConfirmIn(In):
    revision: Revision
    reason: Reason = ""


class DeclineIn(In):
    revision: Revision
    reason: Reason = Field(description="why it is declined (told to the person)")


_BOOKING = model_of(pb.Booking.DESCRIPTOR, name="Booking_")
_BOOKED = model_of(
    pb.Booking.DESCRIPTOR,
    name="Booked",
    add={
        "qr": (str, Field(description="the code's QR as a data: URI (PNG or SVG)")),
        "warning": (str, Field(description="e.g. one no-show already counts; empty when none")),
    },
)


# Appointments renders the QR for both answers (bv.code_qr), as it holds the code and decides
# whether the booking can still be checked in with; the gateway only wraps it as a data: URI.
_DETAIL = model_of(
    pb.Booking.DESCRIPTOR,
    name="BookingDetail",
    add={
        "qr": (
            str | None,
            Field(
                description="the code's QR as a data: URI (PNG, or SVG with qr_format=svg), to show "
                "at the hall; null once the booking is declined, cancelled, checked in or a no-show, "
                "as it can no longer be checked in with"
            ),
        ),
    },
)


class BookingOut(_BOOKING):  # type: ignore[misc,valid-type]
    """A booking (预约): contact name and mobile masked, times in China time."""


class BookedOut(_BOOKED):  # type: ignore[misc,valid-type]
    """The booking just made, with the QR of its code to show at the hall."""


class BookingDetailOut(_DETAIL):  # type: ignore[misc,valid-type]
    """One booking, with the QR of its code while it is active (waiting for a reply or confirmed)."""


class BookingsOut(Out):
    items: list[BookingOut]
    page: PageOut


def booking_out(b: pb.Booking) -> BookingOut:
    return out(BookingOut, b)


def data_uri(qr: pb.BookingQr) -> str:
    return f"data:{qr.media_type};base64,{base64.b64encode(qr.data).decode()}"


def booked_out(reply: pb.BookResponse) -> BookedOut:
    return out(BookedOut, reply.booking, qr=data_uri(reply.qr), warning=reply.warning)


def booking_detail_out(reply: pb.BookingDetail) -> BookingDetailOut:
    return out(BookingDetailOut, reply.booking, qr=data_uri(reply.qr) if reply.HasField("qr") else None)


def bookings_out(reply: pb.ListBookingsResponse) -> BookingsOut:
    return BookingsOut(items=[booking_out(b) for b in reply.bookings], page=page_out(reply.page))
