"""What the hall desk's tests share: the desk's stub, staff of the hall's site, the published
booking events (read from the outbox), and the desk's modules on a fixed clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from govhall.appointments.desk_queue import HallQueue
from govhall.appointments.settings import AppointmentsSettings
from govhall.kit.caller import reset_caller, set_caller
from govhall.kit.eventstore import OUTBOX
from govhall.protos.appointments.v1 import events_pb2, hall_desk_pb2_grpc
from govhall.protos.common.v1 import common_pb2 as C

from .conftest import World, staff

CLERK = staff(["window_clerk"])
TERMINAL = staff(["reviewer"], n=9)
SUPERVISOR = staff(["supervisor"])
ADMIN = C.CallerIdentity(kind=C.CALLER_KIND_ADMIN, subject="admin-1", name="平台管理员")


def desk(world: World) -> hall_desk_pb2_grpc.HallDeskServiceStub:
    return world.stub(hall_desk_pb2_grpc.HallDeskServiceStub)


async def published(world: World, name: str) -> list[events_pb2.BookingChanged]:
    async with world.db.reader() as uow:
        rows = await uow.conn.execute(sa.select(OUTBOX.c.subject, OUTBOX.c.payload).order_by(OUTBOX.c.seq))
        return [
            events_pb2.BookingChanged.FromString(r.payload)
            for r in rows
            if r.subject == f"appointments.booking.{name}"
        ]


def queue_at(world: World, at: dt.datetime) -> HallQueue:
    return HallQueue(world.db, AppointmentsSettings(), clock=lambda: at)


@contextmanager
def acting_as(caller: C.CallerIdentity) -> Iterator[None]:
    token = set_caller(caller)
    try:
        yield
    finally:
        reset_caller(token)


async def booking_row(world: World, booking_id: str) -> Any:
    from govhall.appointments.tables import bookings

    async with world.db.reader() as uow:
        return (await uow.conn.execute(sa.select(bookings).where(bookings.c.id == booking_id))).one()
