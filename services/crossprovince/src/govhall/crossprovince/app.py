"""How the crossprovince service is put together (used by __main__ and by all-in-one mode).

Two servers: the internal one every service has (health, metrics; the kit starts it) and the
partner endpoint on its own port with mutual TLS, started here and stopped with the service.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from govhall.crossprovince import matters
from govhall.crossprovince.devca import load_signing_key
from govhall.crossprovince.endpoint import Endpoint, Handler, Own
from govhall.crossprovince.partners import load_offered, load_partners
from govhall.crossprovince.server import PartnerServer
from govhall.crossprovince.settings import CrossprovinceSettings
from govhall.kit.service import Registration, ServiceContext, ServiceSpec
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc

log = logging.getLogger(__name__)


async def wire(ctx: ServiceContext[CrossprovinceSettings]) -> Sequence[Registration]:
    settings = ctx.settings
    needed = (
        settings.tls_cert_file,
        settings.tls_key_file,
        settings.signing_key_file,
        settings.partners_file,
    )
    if not all(needed):
        log.warning(
            "crossprovince %s has no partner endpoint: set GOVHALL_CROSSPROVINCE_TLS_CERT_FILE, _TLS_KEY_FILE,"
            " _SIGNING_KEY_FILE and _PARTNERS_FILE (python -m govhall.crossprovince devca makes development ones)",
            settings.province_code,
        )
        return []
    assert (
        settings.tls_cert_file
        and settings.tls_key_file
        and settings.signing_key_file
        and settings.partners_file
    )
    if not settings.signing_key_id:
        raise ValueError("GOVHALL_CROSSPROVINCE_SIGNING_KEY_ID is required with a signing key")
    partners = load_partners(settings.partners_file, settings.province_code)
    offered = load_offered(settings.offered_matters_file) if settings.offered_matters_file else []
    own = Own(settings.province_code, load_signing_key(settings.signing_key_file), settings.signing_key_id)
    catalogue = catalogue_pb2_grpc.CatalogueServiceStub(ctx.channel("catalogue", settings.catalogue_address))
    handlers: dict[str, Handler] = {
        "ListMatters": matters.list_matters(own.code, partners, offered, catalogue),
        # Handover, GetHandoverStatus, ReportStatus, Supplement, ReturnResult and Acknowledge are
        # received, verified, kept and receipted as REJECTED NOT_SUPPORTED until they are wired
        # to cases' CaseHandoversService (Endpoint.receive's default for a kind without handler).
    }
    endpoint = Endpoint(
        ctx.db,
        own,
        partners,
        handlers,
        max_skew=timedelta(seconds=settings.max_clock_skew_seconds),
    )
    server = PartnerServer(
        endpoint,
        settings.partner_host,
        settings.partner_port,
        settings.tls_cert_file.read_bytes(),
        settings.tls_key_file.read_bytes(),
    )
    await server.start()
    ctx.closers.append(server.stop)
    return []


SPEC = ServiceSpec[CrossprovinceSettings](
    name="crossprovince",
    migrations=Path(__file__).parent / "migrations",
    callers=Path(__file__).parent / "callers.json",
    wire=wire,
    publishes_events=False,
)
