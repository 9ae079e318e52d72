"""How the consult service is put together (used by __main__ and by all-in-one mode)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from govhall.consult.api import FavouritesService
from govhall.consult.error_reports import ErrorReports
from govhall.consult.error_reports_api import ErrorReportsService
from govhall.consult.favourites import Favourites
from govhall.consult.settings import ConsultSettings
from govhall.kit.service import Registration, ServiceContext, ServiceSpec
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.consult.v1 import (
    error_reports_pb2,
    error_reports_pb2_grpc,
    favourites_pb2,
    favourites_pb2_grpc,
)


async def wire(ctx: ServiceContext[ConsultSettings]) -> Sequence[Registration]:
    settings = ctx.settings
    catalogue = catalogue_pb2_grpc.CatalogueServiceStub(ctx.channel("catalogue", settings.catalogue_address))
    favourites = Favourites(ctx.db, catalogue, settings.max_favourites)
    error_reports = ErrorReports(ctx.db, catalogue, settings.error_reports_per_day)
    return [
        (
            favourites_pb2_grpc.add_FavouritesServiceServicer_to_server,
            FavouritesService(favourites),
            favourites_pb2.DESCRIPTOR.services_by_name["FavouritesService"].full_name,
        ),
        (
            error_reports_pb2_grpc.add_ErrorReportsServiceServicer_to_server,
            ErrorReportsService(error_reports),
            error_reports_pb2.DESCRIPTOR.services_by_name["ErrorReportsService"].full_name,
        ),
    ]


SPEC = ServiceSpec[ConsultSettings](
    name="consult",
    migrations=Path(__file__).parent / "migrations",
    callers=Path(__file__).parent / "callers.json",
    wire=wire,
)
