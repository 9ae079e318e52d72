"""How the appointments service is put together (used by __main__ and by all-in-one mode)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from govhall.appointments import events
from govhall.appointments.api import HallsService
from govhall.appointments.bookings import Bookings
from govhall.appointments.bookings_api import BookingsService
from govhall.appointments.bookings_reads import BookingReads
from govhall.appointments.bookings_replies import BookingReplies
from govhall.appointments.desk_api import HallDeskService
from govhall.appointments.desk_queue import HallQueue
from govhall.appointments.desk_sweep import DeskSweep
from govhall.appointments.desk_views import DeskViews
from govhall.appointments.hall_admin import HallAdmin
from govhall.appointments.hall_admin_api import HallAdminService, SlotsService
from govhall.appointments.halls import Halls
from govhall.appointments.settings import AppointmentsSettings
from govhall.appointments.slot_admin import SlotAdmin
from govhall.appointments.slots import Slots
from govhall.appointments.tables import sites
from govhall.appointments.timetables import Timetables
from govhall.kit.fieldcipher import FieldCipher, load_data_key
from govhall.kit.service import Registration, ServiceContext, ServiceSpec
from govhall.kit.workdays import default_calendar
from govhall.protos.appointments.v1 import (
    bookings_pb2,
    bookings_pb2_grpc,
    hall_admin_pb2,
    hall_admin_pb2_grpc,
    hall_desk_pb2,
    hall_desk_pb2_grpc,
    halls_pb2,
    halls_pb2_grpc,
)
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.identity.v1 import identity_pb2_grpc
from govhall.sitecopy import CatalogueSites


async def wire(ctx: ServiceContext[AppointmentsSettings]) -> Sequence[Registration]:
    settings = ctx.settings
    catalogue = catalogue_pb2_grpc.CatalogueServiceStub(ctx.channel("catalogue", settings.catalogue_address))
    # Staff by site subtree and halls by site: a site whose event has not arrived is asked for.
    sites.ask_when_missing(ctx.db.engine, CatalogueSites(catalogue, "appointments"))
    await events.subscribe(ctx)
    identity = identity_pb2_grpc.IdentityServiceStub(ctx.channel("identity", settings.identity_address))
    cipher = FieldCipher(
        load_data_key(settings.data_key.get_secret_value(), ctx.platform.var_dir, "appointments"),
        "appointments",
    )
    timetables = Timetables(ctx.db, default_calendar(), settings.horizon_days)
    slot_list = Slots(ctx.db, catalogue, settings.horizon_days)
    await _make_slots(ctx, timetables)
    desk_sweep(ctx)
    return [
        (
            halls_pb2_grpc.add_HallsServiceServicer_to_server,
            HallsService(Halls(ctx.db)),
            halls_pb2.DESCRIPTOR.services_by_name["HallsService"].full_name,
        ),
        (
            bookings_pb2_grpc.add_BookingsServiceServicer_to_server,
            BookingsService(
                Bookings(ctx.db, catalogue, identity, cipher),
                BookingReads(ctx.db, cipher),
                BookingReplies(ctx.db, cipher),
            ),
            bookings_pb2.DESCRIPTOR.services_by_name["BookingsService"].full_name,
        ),
        (
            hall_admin_pb2_grpc.add_HallAdminServiceServicer_to_server,
            HallAdminService(HallAdmin(ctx.db), timetables, slot_list, SlotAdmin(ctx.db)),
            hall_admin_pb2.DESCRIPTOR.services_by_name["HallAdminService"].full_name,
        ),
        (
            hall_admin_pb2_grpc.add_SlotsServiceServicer_to_server,
            SlotsService(slot_list),
            hall_admin_pb2.DESCRIPTOR.services_by_name["SlotsService"].full_name,
        ),
        (
            hall_desk_pb2_grpc.add_HallDeskServiceServicer_to_server,
            HallDeskService(HallQueue(ctx.db, settings), DeskViews(ctx.db, cipher)),
            hall_desk_pb2.DESCRIPTOR.services_by_name["HallDeskService"].full_name,
        ),
    ]


async def _make_slots(ctx: ServiceContext[AppointmentsSettings], timetables: Timetables) -> None:
    """The horizon's slots at start, then (setting) periodically as the days move on."""
    await timetables.make()
    if not ctx.settings.slot_making_seconds:
        return
    making = asyncio.create_task(timetables.run(ctx.settings.slot_making_seconds), name="appointments-slots")

    async def stop_making() -> None:
        making.cancel()

    ctx.closers.append(stop_making)


def desk_sweep(ctx: ServiceContext[AppointmentsSettings]) -> None:
    """No-shows and reminders on a timer (off at 0: tests sweep themselves)."""
    if not ctx.settings.desk_sweep_seconds:
        return
    sweeping = asyncio.create_task(
        DeskSweep(ctx.db, ctx.settings).run(ctx.settings.desk_sweep_seconds), name="appointments-desk-sweep"
    )

    async def stop_sweeping() -> None:
        sweeping.cancel()

    ctx.closers.append(stop_sweeping)


SPEC = ServiceSpec[AppointmentsSettings](
    name="appointments",
    migrations=Path(__file__).parent / "migrations",
    callers=Path(__file__).parent / "callers.json",
    wire=wire,
)
