"""How the catalogue service is put together (used by __main__ and by all-in-one mode)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from govhall.catalogue import events
from govhall.catalogue.api import CatalogueService
from govhall.catalogue.settings import CatalogueSettings
from govhall.kit.eventstore import idempotent
from govhall.kit.service import Registration, ServiceContext, ServiceSpec
from govhall.protos.catalogue.v1 import catalogue_pb2, catalogue_pb2_grpc


async def wire(ctx: ServiceContext[CatalogueSettings]) -> Sequence[Registration]:
    settings = ctx.settings
    # Hot services: applications per matter, counted once per event however often it is delivered.
    await ctx.bus.subscribe(
        events.HOT_MATTERS_CONSUMER,
        events.CASE_SUBMITTED,
        idempotent(ctx.db.uow, events.HOT_MATTERS_CONSUMER, events.apply_case_submitted),
    )
    return [
        (
            catalogue_pb2_grpc.add_CatalogueServiceServicer_to_server,
            CatalogueService(ctx.db, settings),
            catalogue_pb2.DESCRIPTOR.services_by_name["CatalogueService"].full_name,
        )
    ]


SPEC = ServiceSpec[CatalogueSettings](
    name="catalogue",
    migrations=Path(__file__).parent / "migrations",
    callers=Path(__file__).parent / "callers.json",
    wire=wire,
)
