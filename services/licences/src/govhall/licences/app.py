"""How the licences service is put together (used by __main__ and by all-in-one mode)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from govhall.kit.fieldcipher import FieldCipher, load_data_key
from govhall.kit.files import FileStore
from govhall.kit.service import Registration, ServiceContext, ServiceSpec
from govhall.licences import events, rendering, status
from govhall.licences.api import LicenceTypesService
from govhall.licences.case_forms import CaseForms
from govhall.licences.case_licences import CaseLicences, CaseLicencesService
from govhall.licences.demo.holdings import DemoHoldings
from govhall.licences.demo_api import LicencesDemoService
from govhall.licences.drive import Drive
from govhall.licences.drive_api import DriveService, start_sweep
from govhall.licences.grant_cases import GrantCases
from govhall.licences.grants import Grants
from govhall.licences.grants_api import LicenceGrantsService
from govhall.licences.holder import HolderLicences
from govhall.licences.holder_identity import HolderIdentities
from govhall.licences.imports import Imports
from govhall.licences.issuance import DURABLE, SUBJECT, Issuance
from govhall.licences.licences_api import LicencesService
from govhall.licences.own import OwnLicences
from govhall.licences.settings import LicencesSettings
from govhall.licences.tables import sites
from govhall.licences.types import LicenceTypes
from govhall.licences.types_admin import TypesAdmin
from govhall.licences.verification import ExpirySweep, Verification
from govhall.licences.verification_api import LicenceAdminService, VerificationService
from govhall.protos.cases.v1 import cases_pb2_grpc
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.identity.v1 import identity_pb2_grpc
from govhall.protos.licences.v1 import (
    demo_pb2,
    demo_pb2_grpc,
    drive_pb2,
    drive_pb2_grpc,
    grants_pb2,
    grants_pb2_grpc,
    licences_pb2,
    licences_pb2_grpc,
    types_pb2,
    types_pb2_grpc,
    verification_pb2,
    verification_pb2_grpc,
)
from govhall.sitecopy import CatalogueSites


async def wire(ctx: ServiceContext[LicencesSettings]) -> Sequence[Registration]:
    settings = ctx.settings
    catalogue = catalogue_pb2_grpc.CatalogueServiceStub(ctx.channel("catalogue", settings.catalogue_address))
    # Issuers' sites and the site tree: a site whose event has not arrived is asked for.
    sites.ask_when_missing(ctx.db.engine, CatalogueSites(catalogue, "licences"))
    await events.subscribe(ctx)
    cipher = FieldCipher(
        load_data_key(settings.data_key.get_secret_value(), ctx.platform.var_dir, "licences"), "licences"
    )
    expiry_sweep(ctx)
    # Files by hash on licences' volume, marked as licences' so the blob sweep is safe to share it.
    files = FileStore(settings.resolved_files_dir(ctx.platform.var_dir), holder="licences")
    drive = Drive(ctx.db, files, settings)
    start_sweep(ctx, drive)
    renderer = rendering.Renderer(files, settings.verify_url_template)
    # Level A: cases' conclusions issue licences, with the metadata from the case's form.
    cases = cases_pb2_grpc.CasesServiceStub(ctx.channel("cases", settings.cases_address))
    forms = CaseForms(cases)
    # ... and the holder's verified name and ID or credit code from identity (sealed at rest).
    identity = identity_pb2_grpc.IdentityServiceStub(ctx.channel("identity", settings.identity_address))
    holders = HolderIdentities(identity, cipher)
    await ctx.bus.subscribe(DURABLE, SUBJECT, Issuance(ctx.db, renderer, forms, holders).handler())
    own = OwnLicences(ctx.db, files, settings.max_upload_bytes, settings.content_limits())
    imports = Imports(ctx.db, cipher)
    return [
        (
            types_pb2_grpc.add_LicenceTypesServiceServicer_to_server,
            LicenceTypesService(LicenceTypes(ctx.db)),
            types_pb2.DESCRIPTOR.services_by_name["LicenceTypesService"].full_name,
        ),
        (
            licences_pb2_grpc.add_LicencesServiceServicer_to_server,
            LicencesService(
                HolderLicences(ctx.db, files),
                own,
            ),
            licences_pb2.DESCRIPTOR.services_by_name["LicencesService"].full_name,
        ),
        (
            licences_pb2_grpc.add_CaseLicencesServiceServicer_to_server,
            CaseLicencesService(CaseLicences(ctx.db, files)),
            licences_pb2.DESCRIPTOR.services_by_name["CaseLicencesService"].full_name,
        ),
        (
            verification_pb2_grpc.add_VerificationServiceServicer_to_server,
            VerificationService(
                Verification(ctx.db, status.StatusCache(ctx.db, settings.status_cache_seconds))
            ),
            verification_pb2.DESCRIPTOR.services_by_name["VerificationService"].full_name,
        ),
        (
            verification_pb2_grpc.add_LicenceAdminServiceServicer_to_server,
            LicenceAdminService(TypesAdmin(ctx.db), imports),
            verification_pb2.DESCRIPTOR.services_by_name["LicenceAdminService"].full_name,
        ),
        (
            drive_pb2_grpc.add_DriveServiceServicer_to_server,
            DriveService(drive),
            drive_pb2.DESCRIPTOR.services_by_name["DriveService"].full_name,
        ),
        (
            demo_pb2_grpc.add_LicencesDemoServiceServicer_to_server,
            LicencesDemoService(DemoHoldings(ctx.db, renderer, imports, own)),
            demo_pb2.DESCRIPTOR.services_by_name["LicencesDemoService"].full_name,
        ),
        (
            grants_pb2_grpc.add_LicenceGrantsServiceServicer_to_server,
            LicenceGrantsService(
                Grants(
                    ctx.db,
                    files,
                    GrantCases(cases, catalogue),
                    settings.grant_default_days,
                    settings.grant_max_days,
                )
            ),
            grants_pb2.DESCRIPTOR.services_by_name["LicenceGrantsService"].full_name,
        ),
    ]


def expiry_sweep(ctx: ServiceContext[LicencesSettings]) -> None:
    """Expiry announcements on a timer (off at 0: tests sweep themselves)."""
    if not ctx.settings.expiry_sweep_seconds:
        return
    sweeping = asyncio.create_task(
        ExpirySweep(ctx.db).run(ctx.settings.expiry_sweep_seconds), name="licences-expiry-sweep"
    )

    async def stop_sweeping() -> None:
        sweeping.cancel()

    ctx.closers.append(stop_sweeping)


SPEC = ServiceSpec[LicencesSettings](
    name="licences",
    migrations=Path(__file__).parent / "migrations",
    callers=Path(__file__).parent / "callers.json",
    wire=wire,
)
