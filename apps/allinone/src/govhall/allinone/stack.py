"""Every built service in one process, started and stopped as a whole (used by __main__ and by the
tests, which restart it on the same var dir)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import FastAPI

from govhall.allinone import demo, partner
from govhall.appointments import app as appointments_app
from govhall.appointments.settings import AppointmentsSettings
from govhall.cases import app as cases_app
from govhall.cases.settings import CasesSettings
from govhall.catalogue import app as catalogue_app
from govhall.catalogue.settings import CatalogueSettings
from govhall.consult import app as consult_app
from govhall.consult.settings import ConsultSettings
from govhall.crossprovince import app as crossprovince_app
from govhall.gateway.api import create_app
from govhall.gateway.settings import GatewaySettings
from govhall.identity import app as identity_app
from govhall.identity.settings import IdentitySettings
from govhall.kit import trustkeys
from govhall.kit.bus import InProcessBus
from govhall.kit.ports import free_port
from govhall.kit.service import ServiceHost
from govhall.kit.settings import PlatformSettings
from govhall.kit.trust import Signer
from govhall.licences import app as licences_app
from govhall.licences.settings import LicencesSettings
from govhall.search import app as search_app
from govhall.search.settings import SearchSettings

log = logging.getLogger("govhall.allinone")

# The portal's pages the QR codes open, under the public URL: a guide's (catalogue), a notice's
# verification (cases) and a licence's (licences). Each variable, when set, is used as it is.
PORTAL_PAGES = {
    "GOVHALL_CATALOGUE_GUIDE_URL_TEMPLATE": "/guide/{site_code}/{code}",
    "GOVHALL_CASES_VERIFY_URL_TEMPLATE": "/verify/notice/{document_id}?code={code}",
    "GOVHALL_LICENCES_VERIFY_URL_TEMPLATE": "/verify/licence?code={code}",
}


def portal_pages(environ: Mapping[str, str], gateway_port: int) -> dict[str, str]:
    """The three QR templates, by variable: one set in ``environ`` as it is, the others under the
    public URL, GOVHALL_PUBLIC_URL, or else the gateway's own address on this machine
    (http://127.0.0.1:<GOVHALL_GATEWAY_PORT>): `make run-partner` serves on 8001, so its QR codes
    must name 8001, not the services' default of 8000."""
    base = environ.get("GOVHALL_PUBLIC_URL", "").strip().rstrip("/") or f"http://127.0.0.1:{gateway_port}"
    return {name: environ.get(name) or base + path for name, path in PORTAL_PAGES.items()}


@dataclass
class AllInOne:
    """The running services and the gateway's app (not yet served: the caller serves it)."""

    bus: InProcessBus
    hosts: list[ServiceHost]  # in the order they were started
    gateway_settings: GatewaySettings
    app: FastAPI

    async def stop(self) -> None:
        """Stop the services, the last started first (the gateway must have stopped already)."""
        for host in reversed(self.hosts):
            await host.stop()
        await self.bus.close()


async def start(platform: PlatformSettings, admin_token: str) -> AllInOne:
    """Start every service on ``platform``'s embedded back ends (SQLite files, the in-process bus,
    the FTS5 index and the key-value file under its var dir) and load the demo province and staff
    (those already there are kept, so a restart on the same var dir finds its data again)."""
    # Every principal's caller-assertion keys, made on the first start and kept under var/trust:
    # the services verify each other's calls here as they do in a cluster.
    trustkeys.init(platform.trust_directory())
    pages = portal_pages(os.environ, GatewaySettings().port)
    ops = Signer.from_settings(platform, "ops")
    bus = InProcessBus()
    await bus.start()
    # Consumers first: the in-process bus delivers only to consumers already subscribed. Search,
    # cases, consult, appointments and licences start before the catalogue, yet call it (a
    # reindex reads its export, an application reads the matter, a copy of the site tree asks for
    # a site it lacks): so the catalogue's, identity's and cases' loopback ports are chosen now.
    catalogue_address = f"127.0.0.1:{free_port()}"
    identity_address = f"127.0.0.1:{free_port()}"
    # Licences asks cases about a case a grant is for.
    cases_address = f"127.0.0.1:{free_port()}"
    # Cases asks licences for a drive file picked as a material (云盘选择).
    licences_address = f"127.0.0.1:{free_port()}"
    # jieba's dictionary (a second, ~100 MB) is loaded by the first search, not at start-up.
    search_settings = SearchSettings(
        database_url=None, catalogue_address=catalogue_address, segmenter_at_start=False
    )
    cases_settings = CasesSettings(
        database_url=None,
        grpc_address=cases_address,
        catalogue_address=catalogue_address,
        identity_address=identity_address,
        licences_address=licences_address,
        # Warmed once the all-in-one serves (__main__.settle), not while the others start.
        pdf_warm_up_at_start=False,
        verify_url_template=pages["GOVHALL_CASES_VERIFY_URL_TEMPLATE"],
    )
    identity_settings = IdentitySettings(
        database_url=None, grpc_address=identity_address, catalogue_address=catalogue_address
    )
    catalogue_settings = CatalogueSettings(
        database_url=None,
        grpc_address=catalogue_address,
        guide_url_template=pages["GOVHALL_CATALOGUE_GUIDE_URL_TEMPLATE"],
    )
    consult_settings = ConsultSettings(
        database_url=None, catalogue_address=catalogue_address, identity_address=identity_address
    )
    appointments_settings = AppointmentsSettings(
        database_url=None, catalogue_address=catalogue_address, identity_address=identity_address
    )
    licences_settings = LicencesSettings(
        database_url=None,
        grpc_address=licences_address,
        catalogue_address=catalogue_address,
        identity_address=identity_address,
        cases_address=cases_address,
        verify_url_template=pages["GOVHALL_LICENCES_VERIFY_URL_TEMPLATE"],
    )
    # Crossprovince (跨省通办): 湖北 420000, or 湖南 430000 as `make run-partner`, with its partner
    # endpoint on development certificates made on the first start (partner.py).
    crossprovince_settings = partner.crossprovince_settings(
        platform, catalogue_address, cases_address, licences_address
    )
    hosts: list[ServiceHost] = []
    try:
        for spec, settings in (
            (search_app.SPEC, search_settings),
            (cases_app.SPEC, cases_settings),
            (consult_app.SPEC, consult_settings),
            (appointments_app.SPEC, appointments_settings),
            (licences_app.SPEC, licences_settings),
            (crossprovince_app.SPEC, crossprovince_settings),
            (identity_app.SPEC, identity_settings),
            (catalogue_app.SPEC, catalogue_settings),
        ):
            host = ServiceHost(spec, settings, platform, bus)
            await host.start()
            hosts.append(host)
        by_name = {host.spec.name: host for host in hosts}
        sms_file = identity_settings.dev_sms_file or platform.var_dir / "dev-sms.jsonl"
        await demo.ensure(by_name, ops, platform.var_dir, sms_file)
    except BaseException:
        for host in reversed(hosts):
            await host.stop()
        await bus.close()
        raise
    gateway_settings = GatewaySettings(
        catalogue_address=by_name["catalogue"].address,
        search_address=by_name["search"].address,
        identity_address=by_name["identity"].address,
        cases_address=by_name["cases"].address,
        consult_address=by_name["consult"].address,
        appointments_address=by_name["appointments"].address,
        licences_address=by_name["licences"].address,
        admin_token=admin_token,  # type: ignore[arg-type]
    )
    # The gateway reads the revoked sessions and lock-outs from the same file as the services.
    gateway = Signer.from_settings(platform, "gateway")
    # The same in-process bus tells its response cache what changed (cacheevents.py).
    app = create_app(gateway_settings, None, platform.var_dir, signer=gateway, bus=bus)
    return AllInOne(bus, hosts, gateway_settings, app)
