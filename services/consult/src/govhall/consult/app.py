"""How the consult service is put together (used by __main__ and by all-in-one mode)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from govhall.consult.api import FavouritesService
from govhall.consult.favourites import Favourites
from govhall.consult.letters import Letters
from govhall.consult.letters_api import LettersService
from govhall.consult.letters_staff import LettersStaff
from govhall.consult.letters_supervision import Supervision
from govhall.consult.settings import ConsultSettings
from govhall.kit.fieldcipher import FieldCipher, load_data_key
from govhall.kit.service import Registration, ServiceContext, ServiceSpec
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.consult.v1 import favourites_pb2, favourites_pb2_grpc, letters_pb2, letters_pb2_grpc
from govhall.protos.identity.v1 import identity_pb2_grpc


async def wire(ctx: ServiceContext[ConsultSettings]) -> Sequence[Registration]:
    settings = ctx.settings
    catalogue = catalogue_pb2_grpc.CatalogueServiceStub(ctx.channel("catalogue", settings.catalogue_address))
    favourites = Favourites(ctx.db, catalogue, settings.max_favourites)
    identity = identity_pb2_grpc.IdentityServiceStub(ctx.channel("identity", settings.identity_address))
    cipher = FieldCipher(
        load_data_key(settings.data_key.get_secret_value(), ctx.platform.var_dir, "consult"), "consult"
    )
    writers = Letters(ctx.db, catalogue, identity, cipher)
    supervision = Supervision(ctx.db, cipher)
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
            letters_pb2_grpc.add_LettersServiceServicer_to_server,
            LettersService(writers, LettersStaff(ctx.db, cipher, writers), supervision),
            letters_pb2.DESCRIPTOR.services_by_name["LettersService"].full_name,
        ),
    ]


SPEC = ServiceSpec[ConsultSettings](
    name="consult",
    migrations=Path(__file__).parent / "migrations",
    callers=Path(__file__).parent / "callers.json",
    wire=wire,
)
