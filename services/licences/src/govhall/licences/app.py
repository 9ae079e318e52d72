"""How the licences service is put together (used by __main__ and by all-in-one mode)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from govhall.kit.fieldcipher import FieldCipher, load_data_key
from govhall.kit.files import FileStore
from govhall.kit.service import Registration, ServiceContext, ServiceSpec
from govhall.licences import events, status
from govhall.licences.api import LicenceTypesService
from govhall.licences.drive import Drive
from govhall.licences.drive_api import DriveService, start_sweep
from govhall.licences.imports import Imports
from govhall.licences.settings import LicencesSettings
from govhall.licences.tables import sites
from govhall.licences.types import LicenceTypes
from govhall.licences.types_admin import TypesAdmin
from govhall.licences.verification import ExpirySweep, Verification
from govhall.licences.verification_api import LicenceAdminService, VerificationService
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.licences.v1 import (
    drive_pb2,
    drive_pb2_grpc,
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
    return [
        (
            types_pb2_grpc.add_LicenceTypesServiceServicer_to_server,
            LicenceTypesService(LicenceTypes(ctx.db)),
            types_pb2.DESCRIPTOR.services_by_name["LicenceTypesService"].full_name,
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
            LicenceAdminService(TypesAdmin(ctx.db), Imports(ctx.db, cipher)),
            verification_pb2.DESCRIPTOR.services_by_name["LicenceAdminService"].full_name,
        ),
        (
            drive_pb2_grpc.add_DriveServiceServicer_to_server,
            DriveService(drive),
            drive_pb2.DESCRIPTOR.services_by_name["DriveService"].full_name,
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
