"""How the catalogue service is put together (used by __main__ and by all-in-one mode)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from govhall.catalogue.api import CatalogueService
from govhall.kit.service import Registration, ServiceContext, ServiceSpec
from govhall.protos.catalogue.v1 import catalogue_pb2, catalogue_pb2_grpc


async def wire(ctx: ServiceContext) -> Sequence[Registration]:
    return [
        (
            catalogue_pb2_grpc.add_CatalogueServiceServicer_to_server,
            CatalogueService(ctx.db),
            catalogue_pb2.DESCRIPTOR.services_by_name["CatalogueService"].full_name,
        )
    ]


SPEC = ServiceSpec(name="catalogue", migrations=Path(__file__).parent / "migrations", wire=wire)
