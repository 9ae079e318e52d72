"""Appointments' events: what it publishes (subjects and messages in
`govhall.contracts.appointments`, built here) and what it consumes (`subscribe`): its copy of the
site tree, from the catalogue's site events.

Every booking event is built by `booking_event` from the booking's row as committed in the same
transaction (`uow.emit`), so what a consumer hears is what the database holds; the `notice` is
what the consult inbox tells the owner (it never calls appointments back).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from govhall import sitecopy
from govhall.appointments import metrics
from govhall.appointments.settings import AppointmentsSettings
from govhall.appointments.tables import sites
from govhall.contracts import appointments as contract
from govhall.kit.events import Event, make_event
from govhall.kit.service import ServiceContext
from govhall.protos.appointments.v1 import events_pb2 as pb
from govhall.protos.common.v1 import common_pb2

REGISTRY = contract.REGISTRY
SITE_COPY = "appointments-site-copy"
CHINA = dt.timezone(dt.timedelta(hours=8))
OWNER_KINDS = {"person": common_pb2.CALLER_KIND_PERSON, "legal_person": common_pb2.CALLER_KIND_LEGAL_PERSON}


async def subscribe(ctx: ServiceContext[AppointmentsSettings]) -> None:
    await sitecopy.subscribe(ctx, sites, durable=SITE_COPY)


def china_time(value: dt.datetime) -> dt.datetime:
    """A stored time in China time (SQLite hands naive UTC back)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(CHINA)


def booking_event(
    name: str,
    booking: Any,
    *,
    from_state: str,
    site_name: str,
    hall_name: str,
    window_name: str = "",
    reason: str = "",
) -> Event:
    """`appointments.booking.<name>` for a booking row (the `bookings` table's columns, as
    committed): ids, code, times, state, owner, revision, and the inbox's notice."""
    metrics.count_event(name, from_state)
    starts, ends = china_time(booking.starts_at), china_time(booking.ends_at)
    kind = OWNER_KINDS.get(booking.owner_kind, common_pb2.CALLER_KIND_UNSPECIFIED)
    place = f"{hall_name} {window_name}".strip()
    message = pb.BookingChanged(
        booking_id=booking.id,
        code=booking.code,
        site_code=booking.site_code,
        hall_id=booking.hall_id,
        window_id=booking.window_id,
        slot_id=booking.slot_id,
        matter_code=booking.matter_code,
        from_state=from_state,
        state=booking.state,
        starts_at=starts.isoformat(),
        ends_at=ends.isoformat(),
        reason=reason,
        owner_kind=kind,
        owner_subject=booking.owner_subject,
        revision=booking.revision,
        notice=common_pb2.UserNotice(
            recipient_kind=kind,
            recipient_subject=booking.owner_subject,
            object_id=booking.id,
            object_number=booking.code,
            title=booking.matter_name,
            site_name=site_name,
            when=starts.strftime("%Y-%m-%d %H:%M"),
            place=place,
            reason=reason,
        ),
    )
    return make_event(contract.booking(name), message, booking.site_code)
