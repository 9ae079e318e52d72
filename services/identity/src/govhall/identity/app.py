"""How the identity service is put together (used by __main__, the CLI and all-in-one mode)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from govhall.identity import events, store
from govhall.identity.adapters import Adapters, development_adapters
from govhall.identity.api import IdentityService
from govhall.identity.crypto import FieldCipher, Passwords, load_data_key
from govhall.identity.settings import IdentitySettings
from govhall.identity.signing import Signer
from govhall.kit.service import Registration, ServiceContext, ServiceSpec
from govhall.kit.settings import platform_kv
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.identity.v1 import identity_pb2, identity_pb2_grpc
from govhall.sitecopy import CatalogueSites

log = logging.getLogger(__name__)


def build(ctx: ServiceContext[IdentitySettings], adapters: Adapters | None = None) -> IdentityService:
    settings = ctx.settings
    cipher = FieldCipher(load_data_key(settings.data_key.get_secret_value(), ctx.platform.var_dir))
    kv = platform_kv(ctx.platform, settings.kv_namespace)
    ctx.closers.append(kv.close)
    signer = Signer(
        ctx.db,
        cipher,
        issuer=settings.issuer,
        audience=settings.audience,
        access_seconds=settings.access_token_seconds,
        activation_seconds=settings.signing_key_activation_seconds,
    )
    passwords = Passwords(
        settings.argon2_time_cost,
        settings.argon2_memory_kib,
        settings.argon2_parallelism,
        settings.argon2_max_concurrent,
    )
    # Only development adapters exist so far; a deployment plugs in the province's here.
    sms_file = settings.dev_sms_file or ctx.platform.var_dir / "dev-sms.jsonl"
    if adapters is None:
        log.warning(
            "identity uses its DEVELOPMENT adapters: SMS codes are written to %s, any ID number with a "
            "valid check digit passes real-name checks, and face/CA checks accept b'dev-pass'",
            sms_file,
        )
    return IdentityService(
        ctx.db, settings, cipher, passwords, signer, kv, adapters or development_adapters(sms_file)
    )


async def wire(ctx: ServiceContext[IdentitySettings]) -> Sequence[Registration]:
    settings = ctx.settings
    service = build(ctx)
    # A site created a moment ago may not have reached identity's copy yet (staff are often
    # created right after their site): the copy asks the catalogue before saying "no such site".
    catalogue = ctx.channel("catalogue", settings.catalogue_address)
    store.sites.ask_when_missing(
        ctx.db.engine, CatalogueSites(catalogue_pb2_grpc.CatalogueServiceStub(catalogue), "identity")
    )
    await service.GetJwks(identity_pb2.GetJwksRequest(), None)  # creates the first signing key
    await events.subscribe(ctx)
    return [
        (
            identity_pb2_grpc.add_IdentityServiceServicer_to_server,
            service,
            identity_pb2.DESCRIPTOR.services_by_name["IdentityService"].full_name,
        )
    ]


# No session check from the kit: identity reads its own sessions table (the revocation list is
# only what it publishes for the others).
SPEC = ServiceSpec[IdentitySettings](
    name="identity",
    migrations=Path(__file__).parent / "migrations",
    callers=Path(__file__).parent / "callers.json",
    wire=wire,
    checks_sessions=False,
)
