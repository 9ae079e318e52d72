"""How the crossprovince service is put together (used by __main__ and by all-in-one mode).

Two servers: the internal one every service has (health, metrics; the kit starts it) and the
partner endpoint on its own port with mutual TLS, started here and stopped with the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from govhall.crossprovince import certificates, inbound, matters
from govhall.crossprovince.client import PartnerClient
from govhall.crossprovince.devca import load_signing_key
from govhall.crossprovince.endpoint import Endpoint, Handler, Own
from govhall.crossprovince.flow import (
    CASES_DURABLE,
    CASES_SUBJECT,
    HANDOVERS_DURABLE,
    HANDOVERS_SUBJECT,
    Flow,
)
from govhall.crossprovince.links import Links
from govhall.crossprovince.outgoing import Outgoing, Sender
from govhall.crossprovince.partners import Partners, load_offered, load_partners
from govhall.crossprovince.server import PartnerServer
from govhall.crossprovince.settings import CrossprovinceSettings
from govhall.kit.service import Registration, ServiceContext, ServiceSpec
from govhall.protos.cases.v1 import cases_pb2_grpc, handovers_pb2_grpc
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.licences.v1 import licences_pb2_grpc

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
    certificates.report_partner_cas(partners)
    offered = load_offered(settings.offered_matters_file) if settings.offered_matters_file else []
    own = Own(settings.province_code, load_signing_key(settings.signing_key_file), settings.signing_key_id)
    catalogue = catalogue_pb2_grpc.CatalogueServiceStub(ctx.channel("catalogue", settings.catalogue_address))
    cases_channel = ctx.channel("cases", settings.cases_address)
    handovers = handovers_pb2_grpc.CaseHandoversServiceStub(cases_channel)
    links = Links(ctx.db)
    handlers: dict[str, Handler] = {
        "ListMatters": matters.list_matters(own.code, partners, offered, catalogue),
        **inbound.handlers(handovers, cases_pb2_grpc.CasesServiceStub(cases_channel), links),
    }
    endpoint = Endpoint(
        ctx.db,
        own,
        partners,
        handlers,
        max_skew=timedelta(seconds=settings.max_clock_skew_seconds),
    )
    server_pem = settings.tls_cert_file.read_bytes()
    certificates.report_own(own.code, "server", server_pem)
    server = PartnerServer(
        endpoint,
        settings.partner_host,
        settings.partner_port,
        server_pem,
        settings.tls_key_file.read_bytes(),
    )
    await server.start()
    ctx.closers.append(server.stop)
    await start_sending(ctx, own, partners, handovers, links)
    return []


async def start_sending(
    ctx: ServiceContext[CrossprovinceSettings],
    own: Own,
    partners: Partners,
    handovers: handovers_pb2_grpc.CaseHandoversServiceStub,
    links: Links,
) -> None:
    """The durable consumers of cases' events that enqueue messages, and the sender loop."""
    settings = ctx.settings
    if not (settings.client_cert_file and settings.client_key_file):
        raise ValueError(
            "GOVHALL_CROSSPROVINCE_CLIENT_CERT_FILE and _CLIENT_KEY_FILE are required with a partner endpoint"
        )
    cert, key = settings.client_cert_file.read_bytes(), settings.client_key_file.read_bytes()
    certificates.report_own(own.code, "client", cert)
    clients = {code: PartnerClient(partner, cert, key) for code, partner in partners.by_code.items()}
    for client in clients.values():
        ctx.closers.append(client.close)
    queue = Outgoing(ctx.db, own)
    licences = licences_pb2_grpc.CaseLicencesServiceStub(ctx.channel("licences", settings.licences_address))
    flow = Flow(queue, handovers, links, licences)
    sender = Sender(
        ctx.db,
        queue,
        clients,
        flow.on_receipt,
        poll_seconds=settings.send_poll_seconds,
        retry_initial_seconds=settings.send_retry_initial_seconds,
        retry_max_seconds=settings.send_retry_max_seconds,
        send_timeout_seconds=settings.send_timeout_seconds,
        overdue_after_seconds=settings.overdue_after_seconds,
    )
    await ctx.bus.subscribe(HANDOVERS_DURABLE, HANDOVERS_SUBJECT, flow.on_handover)
    await ctx.bus.subscribe(CASES_DURABLE, CASES_SUBJECT, flow.on_case)
    sending = asyncio.create_task(sender.run(), name="crossprovince-sender")

    async def stop_sending() -> None:
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sending

    ctx.closers.append(stop_sending)


SPEC = ServiceSpec[CrossprovinceSettings](
    name="crossprovince",
    migrations=Path(__file__).parent / "migrations",
    callers=Path(__file__).parent / "callers.json",
    wire=wire,
    publishes_events=False,
)
