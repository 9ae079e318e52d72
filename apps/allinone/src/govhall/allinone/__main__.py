"""python -m govhall.allinone: every built service in one process, on embedded back ends.

The same code paths as the cluster: each service runs its own gRPC server (on a loopback
port), the gateway calls them over gRPC, events go through each service's outbox and relay;
only the back ends differ: SQLite files under var/, the in-process bus, the SQLite FTS5 index
and one in-memory store for rate limits, login lock-outs and revoked sessions (shared by
identity and the gateway as Redis would be). A demo province and demo staff accounts are loaded
through the services' own APIs; SMS codes are "sent" to var/dev-sms.jsonl.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket

import uvicorn

from govhall.cases import app as cases_app
from govhall.cases.settings import CasesSettings
from govhall.catalogue import app as catalogue_app
from govhall.catalogue.demo import load_demo_into
from govhall.catalogue.settings import CatalogueSettings
from govhall.gateway.api import create_app, server_config
from govhall.gateway.settings import GatewaySettings
from govhall.identity import app as identity_app
from govhall.identity.demo import DEMO_PASSWORD, load_demo_staff
from govhall.identity.settings import IdentitySettings
from govhall.kit import observability
from govhall.kit.bus import InProcessBus
from govhall.kit.service import ServiceHost
from govhall.kit.settings import PlatformSettings
from govhall.search import app as search_app
from govhall.search.settings import SearchSettings

log = logging.getLogger("govhall.allinone")

DEV_ADMIN_TOKEN = "govhall-dev-admin"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def main() -> None:
    # Embedded back ends whatever the environment says: this mode is for one machine.
    platform = PlatformSettings(nats_url=None, redis_url=None, elasticsearch_url=None)
    observability.setup("allinone", platform.log_level)
    bus = InProcessBus()
    await bus.start()
    # Consumers first: the in-process bus delivers only to consumers already subscribed. Search
    # and cases start before the catalogue, yet call it (a reindex reads its export, an
    # application reads the matter): so the catalogue's and identity's loopback ports are chosen now.
    catalogue_address = f"127.0.0.1:{_free_port()}"
    identity_address = f"127.0.0.1:{_free_port()}"
    search_settings = SearchSettings(database_url=None, catalogue_address=catalogue_address)
    search = ServiceHost(search_app.SPEC, search_settings, platform, bus)
    cases_settings = CasesSettings(
        database_url=None, catalogue_address=catalogue_address, identity_address=identity_address
    )
    cases = ServiceHost(cases_app.SPEC, cases_settings, platform, bus)
    identity_settings = IdentitySettings(database_url=None, grpc_address=identity_address)
    identity = ServiceHost(identity_app.SPEC, identity_settings, platform, bus)
    catalogue_settings = CatalogueSettings(database_url=None, grpc_address=catalogue_address)
    catalogue = ServiceHost(catalogue_app.SPEC, catalogue_settings, platform, bus)
    for host in (search, cases, identity, catalogue):
        await host.start()

    published = await load_demo_into(catalogue.address)
    log.info("demo province loaded: %d matters published", published)
    await load_demo_staff(identity.address)
    log.info(
        "demo staff: hb_admin, yc_admin, xl_clerk, xl_reviewer, xl_approver, xl_supervisor (password %s)",
        DEMO_PASSWORD,
    )

    gateway_settings = GatewaySettings(
        catalogue_address=catalogue.address,
        search_address=search.address,
        identity_address=identity.address,
        cases_address=cases.address,
        admin_token=os.environ.get("GOVHALL_GATEWAY_ADMIN_TOKEN", DEV_ADMIN_TOKEN),  # type: ignore[arg-type]
    )
    server = uvicorn.Server(server_config(create_app(gateway_settings), gateway_settings, platform.log_level))
    if gateway_settings.metrics_port is not None:
        # Every service's metrics (one process, one registry), apart from the API, on its host.
        observability.serve_metrics(gateway_settings.metrics_port, gateway_settings.host)
    # Our own handlers stop the gateway and then the services, in that order.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    log.info(
        "govhall all-in-one on http://%s:%d (API docs at /docs; admin token: %s)",
        gateway_settings.host,
        gateway_settings.port,
        "from GOVHALL_GATEWAY_ADMIN_TOKEN"
        if "GOVHALL_GATEWAY_ADMIN_TOKEN" in os.environ
        else DEV_ADMIN_TOKEN,
    )
    try:
        await server.serve()
    finally:
        for host in (catalogue, identity, cases, search):
            await host.stop()
        await bus.close()


if __name__ == "__main__":
    asyncio.run(main())
