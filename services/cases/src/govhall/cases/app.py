"""How the cases service is put together (used by __main__ and by all-in-one mode)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from govhall.cases import agents, documents, evaluations, events, notices, supervision, tables
from govhall.cases.agents import AgentCache
from govhall.cases.api import CasesService
from govhall.cases.handovers_api import CaseHandoversService
from govhall.cases.matters import MatterCache
from govhall.cases.settings import CasesSettings
from govhall.cases.workflow import Deps
from govhall.kit.fieldcipher import FieldCipher, load_data_key
from govhall.kit.files import FileStore
from govhall.kit.service import Registration, ServiceContext, ServiceSpec
from govhall.kit.workdays import default_calendar
from govhall.protos.cases.v1 import cases_pb2, cases_pb2_grpc, handovers_pb2, handovers_pb2_grpc
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.identity.v1 import identity_pb2_grpc
from govhall.protos.licences.v1 import drive_pb2_grpc, grants_pb2_grpc, licences_pb2_grpc
from govhall.sitecopy import CatalogueSites

log = logging.getLogger(__name__)


async def _warm_up_and_repair(deps: Deps, warm_up: bool) -> None:
    if warm_up:
        await asyncio.to_thread(documents.warm_up)
    try:
        # Notices left pending by a process killed between a commit and its render.
        await notices.repair(deps)
    except Exception:  # the clock sweep and readers try again
        log.exception("pending notices could not be repaired at start-up")


async def wire(ctx: ServiceContext[CasesSettings]) -> Sequence[Registration]:
    settings = ctx.settings
    calendar = default_calendar()
    if settings.holiday_tables_dir:
        calendar.load_directory(settings.holiday_tables_dir)
    catalogue = ctx.channel("catalogue", settings.catalogue_address)
    identity = ctx.channel("identity", settings.identity_address)
    licences = ctx.channel("licences", settings.licences_address)
    # Statistics scope by the site tree; a site whose event has not arrived is asked for.
    tables.sites.ask_when_missing(
        ctx.db.engine, CatalogueSites(catalogue_pb2_grpc.CatalogueServiceStub(catalogue), "cases")
    )
    deps = Deps(
        db=ctx.db,
        settings=settings,
        # Marked as cases' (kit.blobs): on a volume shared with licences, its sweep never
        # deletes a blob cases holds. Cases sweeps nothing yet, so its marks stay.
        files=FileStore(settings.resolved_files_dir(ctx.platform.var_dir), holder="cases"),
        catalogue=catalogue_pb2_grpc.CatalogueServiceStub(catalogue),
        identity=identity_pb2_grpc.IdentityServiceStub(identity),
        calendar=calendar,
        agents=AgentCache(0, settings.agent_cache_size),  # on once it hears the revocations
        matters=MatterCache(settings.matter_cache_seconds, settings.matter_cache_size),
        drive=drive_pb2_grpc.DriveServiceStub(licences),
        grants=grants_pb2_grpc.LicenceGrantsServiceStub(licences),
        licences=licences_pb2_grpc.LicencesServiceStub(licences),
        cipher=FieldCipher(
            load_data_key(settings.data_key.get_secret_value(), ctx.platform.var_dir, "cases"), "cases"
        ),
    )
    await events.subscribe(ctx, settings.consumer_name)
    await evaluations.subscribe(ctx, deps, settings.evaluation_consumer_name)
    listening = asyncio.create_task(
        agents.listen(ctx, deps.agents, "cases-agents", settings.agent_cache_seconds),
        name="cases-agent-revocations",
    )

    async def stop_listening() -> None:
        listening.cancel()

    ctx.closers.append(stop_listening)
    # The PDF renderer is made ready in the background, not by the first notice's request.
    warming = asyncio.create_task(
        _warm_up_and_repair(deps, settings.pdf_warm_up_at_start), name="cases-pdf-warm-up"
    )

    async def stop_warming() -> None:
        warming.cancel()

    ctx.closers.append(stop_warming)
    if settings.sweep_interval_seconds:
        timer = asyncio.create_task(supervision.run_sweeps(deps, settings.sweep_interval_seconds))

        async def stop_timer() -> None:
            timer.cancel()

        ctx.closers.append(stop_timer)
    return [
        (
            cases_pb2_grpc.add_CasesServiceServicer_to_server,
            CasesService(deps),
            cases_pb2.DESCRIPTOR.services_by_name["CasesService"].full_name,
        ),
        (
            handovers_pb2_grpc.add_CaseHandoversServiceServicer_to_server,
            CaseHandoversService(deps),
            handovers_pb2.DESCRIPTOR.services_by_name["CaseHandoversService"].full_name,
        ),
    ]


SPEC = ServiceSpec[CasesSettings](
    name="cases",
    migrations=Path(__file__).parent / "migrations",
    callers=Path(__file__).parent / "callers.json",
    wire=wire,
)
