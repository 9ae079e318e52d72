"""How the consult service is put together (used by __main__ and by all-in-one mode)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from govhall.consult import case_copies, inbox_events, rectification_clock, sites, store
from govhall.consult.api import FavouritesService
from govhall.consult.error_reports import ErrorReports
from govhall.consult.error_reports_api import ErrorReportsService
from govhall.consult.evaluation_reading import EvaluationReading
from govhall.consult.evaluation_stats import EvaluationStatistics
from govhall.consult.evaluations import Evaluations
from govhall.consult.evaluations_api import EvaluationsService
from govhall.consult.favourites import Favourites
from govhall.consult.inbox import Inbox
from govhall.consult.inbox_api import InboxService
from govhall.consult.inbox_sms import DevSmsSender, SmsRelay
from govhall.consult.letter_files import LetterFiles
from govhall.consult.letters import Letters
from govhall.consult.letters_api import LettersService
from govhall.consult.letters_staff import LettersStaff
from govhall.consult.letters_supervision import Supervision
from govhall.consult.rectification_staff import RectificationStaff
from govhall.consult.settings import ConsultSettings
from govhall.kit.fieldcipher import FieldCipher, load_data_key
from govhall.kit.files import FileStore
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
    inbox_pb2,
    inbox_pb2_grpc,
    letters_pb2,
    letters_pb2_grpc,
)
from govhall.protos.identity.v1 import identity_pb2_grpc
from govhall.sitecopy import CatalogueSites

log = logging.getLogger(__name__)


async def wire(ctx: ServiceContext[ConsultSettings]) -> Sequence[Registration]:
    settings = ctx.settings
    catalogue = catalogue_pb2_grpc.CatalogueServiceStub(ctx.channel("catalogue", settings.catalogue_address))
    # Subtree scopes follow the site tree; a site whose event has not arrived is asked for.
    store.sites.ask_when_missing(ctx.db.engine, CatalogueSites(catalogue, "consult"))
    await sites.subscribe(ctx)
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
    await _inbox(ctx)
    identity = identity_pb2_grpc.IdentityServiceStub(ctx.channel("identity", settings.identity_address))
    cipher = FieldCipher(
        load_data_key(settings.data_key.get_secret_value(), ctx.platform.var_dir, "consult"), "consult"
    )
    writers = Letters(ctx.db, catalogue, identity, cipher)
    supervision = Supervision(ctx.db, cipher)
    files_dir = settings.files_dir or ctx.platform.var_dir / "consult-files"
    letter_files = LetterFiles(writers, FileStore(files_dir), settings.max_attachment_bytes)
    if settings.letter_sweep_seconds:
        timer = asyncio.create_task(
            supervision.run(settings.letter_sweep_seconds), name="consult-letter-clock"
        )

        async def stop_timer() -> None:
            timer.cancel()

        ctx.closers.append(stop_timer)
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
                EvaluationReading(ctx.db),
            ),
            evaluations_pb2.DESCRIPTOR.services_by_name["EvaluationsService"].full_name,
        ),
        (
            error_reports_pb2_grpc.add_ErrorReportsServiceServicer_to_server,
            ErrorReportsService(error_reports),
            error_reports_pb2.DESCRIPTOR.services_by_name["ErrorReportsService"].full_name,
        ),
        (
            inbox_pb2_grpc.add_InboxServiceServicer_to_server,
            InboxService(Inbox(ctx.db)),
            inbox_pb2.DESCRIPTOR.services_by_name["InboxService"].full_name,
        ),
        (
            letters_pb2_grpc.add_LettersServiceServicer_to_server,
            LettersService(writers, LettersStaff(ctx.db, cipher, writers), supervision, letter_files),
            letters_pb2.DESCRIPTOR.services_by_name["LettersService"].full_name,
        ),
    ]


async def _inbox(ctx: ServiceContext[ConsultSettings]) -> None:
    """The inbox's consumers, and the task that texts the messages needing action."""
    settings = ctx.settings
    identity = identity_pb2_grpc.IdentityServiceStub(ctx.channel("identity", settings.identity_address))
    sms_file = settings.dev_sms_file or ctx.platform.var_dir / "dev-sms.jsonl"
    log.warning("consult texts through its DEVELOPMENT SMS adapter: texts are written to %s", sms_file)
    relay = SmsRelay(ctx.db, identity, DevSmsSender(sms_file), settings.sms_claim_seconds)
    wake = asyncio.Event()
    await inbox_events.subscribe(ctx, wake)
    sending = asyncio.create_task(relay.run(wake, settings.sms_interval_seconds), name="consult-inbox-sms")

    async def stop_sending() -> None:
        sending.cancel()

    ctx.closers.append(stop_sending)


SPEC = ServiceSpec[ConsultSettings](
    name="consult",
    migrations=Path(__file__).parent / "migrations",
    callers=Path(__file__).parent / "callers.json",
    wire=wire,
)
