"""Helpers the booking tests share: a slot a day ahead, booking it as someone, what was published."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from govhall.kit.eventstore import OUTBOX
from govhall.protos.appointments.v1 import bookings_pb2 as pb
from govhall.protos.appointments.v1 import bookings_pb2_grpc, events_pb2
from govhall.protos.common.v1 import common_pb2 as C

from .conftest import CHINA, MATTER, World

MOBILE = "13812345678"


def tomorrow(hour: int = 10, minute: int = 0, days: int = 1) -> dt.datetime:
    """A start `days` ahead at `hour` China time, in UTC as stored (SQLite keeps no zone):
    inside the horizon and past the minimum notice."""
    day = dt.datetime.now(CHINA).date() + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA).astimezone(dt.UTC)


def stub(world: World) -> Any:
    return world.stub(bookings_pb2_grpc.BookingsServiceStub)


async def book(world: World, caller: C.CallerIdentity, slot_id: str, **fields: Any) -> pb.BookResponse:
    values: dict[str, Any] = {
        "slot_id": slot_id,
        "matter_code": MATTER,
        "contact_mobile": MOBILE,
        "purpose": "办理食品经营许可",
    }
    values.update(fields)
    return await world.call(stub(world), "Book", pb.BookRequest(**values), caller)  # type: ignore[no-any-return]


async def published(world: World) -> list[tuple[str, events_pb2.BookingChanged]]:
    async with world.db.reader() as uow:
        rows = await uow.conn.execute(sa.select(OUTBOX.c.subject, OUTBOX.c.payload).order_by(OUTBOX.c.seq))
        return [
            (r.subject, events_pb2.BookingChanged.FromString(r.payload))
            for r in rows
            if r.subject.startswith("appointments.booking.")
        ]
