"""How the consult service is put together (used by __main__ and by all-in-one mode)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from govhall.consult import case_copies, rectification_clock
from govhall.consult.api import FavouritesService
from govhall.consult.error_reports import ErrorReports
from govhall.consult.error_reports_api import ErrorReportsService
from govhall.consult.evaluation_stats import EvaluationStatistics
from govhall.consult.evaluations import Evaluations
from govhall.consult.evaluations_api import EvaluationsService
from govhall.consult.favourites import Favourites
from govhall.consult.rectification_staff import RectificationStaff
from govhall.consult.settings import ConsultSettings
from govhall.kit.service import Registration, ServiceContext, ServiceSpec
from govhall.kit.workdays import default_calendar
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.consult.v1 import (
    error_reports_pb2,
    error_reports_pb2_grpc,
    evaluations_pb2,
    evaluations_pb2_grpc,
    favourites_pb2,
    favourites_pb2_grpc,
)


async def wire(ctx: ServiceContext[ConsultSettings]) -> Sequence[Registration]:
    settings = ctx.settings
    catalogue = catalogue_pb2_grpc.CatalogueServiceStub(ctx.channel("catalogue", settings.catalogue_address))
    favourites = Favourites(ctx.db, catalogue, settings.max_favourites)
    calendar = default_calendar()
    await case_copies.subscribe(ctx)
    if settings.rectification_sweep_seconds:
        sweeping = asyncio.create_task(
            rectification_clock.run(
                ctx.db, calendar, settings.rectification_days, settings.rectification_sweep_seconds
            ),
            name="consult-rectification-sweep",
        )

        async def stop_sweeping() -> None:
            sweeping.cancel()

        ctx.closers.append(stop_sweeping)
    error_reports = ErrorReports(ctx.db, catalogue, settings.error_reports_per_day)
    return [
        (
            favourites_pb2_grpc.add_FavouritesServiceServicer_to_server,
            FavouritesService(favourites),
            favourites_pb2.DESCRIPTOR.services_by_name["FavouritesService"].full_name,
        ),
        (
            evaluations_pb2_grpc.add_EvaluationsServiceServicer_to_server,
            EvaluationsService(
                Evaluations(ctx.db, calendar, settings.rectification_days),
                RectificationStaff(ctx.db),
                EvaluationStatistics(ctx.db),
            ),
            evaluations_pb2.DESCRIPTOR.services_by_name["EvaluationsService"].full_name,
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
