"""How the appointments service is put together (used by __main__ and by all-in-one mode)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from govhall.appointments import events
from govhall.appointments.api import HallsService
from govhall.appointments.halls import Halls
from govhall.appointments.settings import AppointmentsSettings
from govhall.appointments.tables import sites
from govhall.kit.service import Registration, ServiceContext, ServiceSpec
from govhall.protos.appointments.v1 import halls_pb2, halls_pb2_grpc
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.sitecopy import CatalogueSites


async def wire(ctx: ServiceContext[AppointmentsSettings]) -> Sequence[Registration]:
    settings = ctx.settings
    catalogue = catalogue_pb2_grpc.CatalogueServiceStub(ctx.channel("catalogue", settings.catalogue_address))
    # Staff by site subtree and halls by site: a site whose event has not arrived is asked for.
    sites.ask_when_missing(ctx.db.engine, CatalogueSites(catalogue, "appointments"))
    await events.subscribe(ctx)
    return [
        (
            halls_pb2_grpc.add_HallsServiceServicer_to_server,
            HallsService(Halls(ctx.db)),
            halls_pb2.DESCRIPTOR.services_by_name["HallsService"].full_name,
        ),
    ]


SPEC = ServiceSpec[AppointmentsSettings](
    name="appointments",
    migrations=Path(__file__).parent / "migrations",
    callers=Path(__file__).parent / "callers.json",
    wire=wire,
)
