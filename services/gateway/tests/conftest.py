"""The gateway over real catalogue, search, identity and cases services (embedded back ends, gRPC)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from govhall.appointments import app as appointments_app
from govhall.appointments.settings import AppointmentsSettings
from govhall.cases import app as cases_app
from govhall.cases.settings import CasesSettings
from govhall.catalogue import app as catalogue_app
from govhall.catalogue.settings import CatalogueSettings
from govhall.consult import app as consult_app
from govhall.consult.settings import ConsultSettings
from govhall.gateway.api import create_app
from govhall.gateway.settings import GatewaySettings
from govhall.identity import app as identity_app
from govhall.identity.adapters import latest_dev_code
from govhall.identity.settings import IdentitySettings
from govhall.kit.bus import InProcessBus
from govhall.kit.testing import as_service, redis_credentials
from govhall.kit.testing import free_port as kit_free_port
from govhall.licences import app as licences_app
from govhall.licences.settings import LicencesSettings
from govhall.search import app as search_app
from govhall.search.settings import SearchSettings

TOKEN = "test-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def open_gateway(
    settings: GatewaySettings,
    redis_url: str | None = None,
    var_dir: Path | None = None,
    cluster: Mapping[str, str] | None = None,
    bus: Any = None,
) -> tuple[httpx.AsyncClient, Any]:
    """The gateway app, on Redis at ``redis_url`` as the gateway's own ACL user (from ``cluster``),
    hearing ``bus``'s events when given (cacheevents.py)."""
    auth = redis_credentials(cluster, "gateway") if cluster else {}
    app = create_app(
        settings,
        redis_url,
        var_dir,
        redis_username=auth.get("username"),
        redis_password=auth.get("password"),
        bus=bus,
    )
    lifespan = app.router.lifespan_context(app)
    await lifespan.__aenter__()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
    return client, lifespan


@dataclass
class Stack:
    client: httpx.AsyncClient
    sms_file: Path
    # What the gateway was started with (the upstream addresses), to open a second gateway.
    settings: GatewaySettings | None = None
    # Where the services keep their files (the key-value file identity revokes sessions in).
    var_dir: Path | None = None
    # The services' in-process bus (a second gateway may hear its events).
    bus: Any = None

    def sms(self, mobile: str) -> str:
        code = latest_dev_code(self.sms_file, mobile)
        assert code is not None, f"no SMS code sent to {mobile}"
        return code


# Ports handed out in this session: the OS may hand a port out again between free_port returning
# and its service binding it, and gRPC servers share a port silently (SO_REUSEPORT), so a stack
# whose catalogue and licences got one port would split calls between them.
_GIVEN: set[int] = set()


def free_port() -> int:
    while True:
        port = kit_free_port()
        if port not in _GIVEN:
            _GIVEN.add(port)
            return port


async def start_stack(
    platform: Any, start_service: Any, tmp_path: Path, cluster: Mapping[str, str] | None = None
) -> tuple[Stack, Any]:
    """The services in process and the gateway in front; on the cluster's Redis when ``cluster``
    is given, each as its own ACL user (else the key-value file under var/)."""
    namespace = f"t{uuid.uuid4().hex[:10]}"  # apart from other runs on the shared Redis
    redis_url = cluster["GOVHALL_REDIS_URL"] if cluster else None
    base = platform.model_copy(update={"redis_url": redis_url})

    # Redis only: search keeps its embedded index here.
    redis_only = {k: v for k, v in (cluster or {}).items() if k != "GOVHALL_ELASTICSEARCH_URL"}

    def platform_of(service: str) -> Any:
        return as_service(base, redis_only, service) if cluster else base

    bus = InProcessBus()
    # Search and cases start before the catalogue (the in-process bus delivers only to consumers
    # already subscribed), yet call it and identity: their ports are chosen first.
    catalogue_address = f"127.0.0.1:{free_port()}"
    identity_address = f"127.0.0.1:{free_port()}"
    # Cases asks licences for drive files (云盘选择), licences asks cases for concluded cases.
    licences_address = f"127.0.0.1:{free_port()}"
    search = await start_service(
        search_app.SPEC,
        SearchSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 's.db'}",
            catalogue_address=catalogue_address,
            kv_namespace=namespace,
        ),
        platform_of("search"),
        bus,
    )
    cases = await start_service(
        cases_app.SPEC,
        CasesSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'k.db'}",
            catalogue_address=catalogue_address,
            identity_address=identity_address,
            licences_address=licences_address,
            files_dir=tmp_path / "files",
            sweep_interval_seconds=0,
            kv_namespace=namespace,
        ),
        platform_of("cases"),
        bus,
    )
    identity = await start_service(
        identity_app.SPEC,
        IdentitySettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'i.db'}",
            grpc_address=identity_address,
            catalogue_address=catalogue_address,
            argon2_time_cost=1,
            argon2_memory_kib=1024,
            dev_sms_file=tmp_path / "sms.jsonl",
            kv_namespace=namespace,
        ),
        platform_of("identity"),
        bus,
    )
    catalogue = await start_service(
        catalogue_app.SPEC,
        CatalogueSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}",
            grpc_address=catalogue_address,
            kv_namespace=namespace,
        ),
        platform_of("catalogue"),
        bus,
    )
    consult = await start_service(
        consult_app.SPEC,
        ConsultSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'q.db'}",
            catalogue_address=catalogue_address,
            identity_address=identity_address,
            kv_namespace=namespace,
            dev_sms_file=tmp_path / "sms.jsonl",
            sms_interval_seconds=0.5,
        ),
        platform_of("consult"),
        bus,
    )
    appointments = await start_service(
        appointments_app.SPEC,
        AppointmentsSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'a.db'}",
            catalogue_address=catalogue_address,
            identity_address=identity_address,
            kv_namespace=namespace,
        ),
        platform_of("appointments"),
        bus,
    )
    licences = await start_service(
        licences_app.SPEC,
        LicencesSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'l.db'}",
            grpc_address=licences_address,
            catalogue_address=catalogue_address,
            identity_address=identity_address,
            cases_address=cases.address,
            kv_namespace=namespace,
        ),
        platform_of("licences"),
        bus,
    )
    settings = GatewaySettings(
        catalogue_address=catalogue.address,
        search_address=search.address,
        identity_address=identity.address,
        cases_address=cases.address,
        consult_address=consult.address,
        appointments_address=appointments.address,
        licences_address=licences.address,
        admin_token=TOKEN,  # type: ignore[arg-type]
        kv_namespace=namespace,
        # A notice's PDF can take longer than the production deadline on a CI machine whose
        # cores are busy with other work (the deadline is a setting: 5 s in production).
        rpc_timeout_seconds=30.0,
    )
    client, lifespan = await open_gateway(settings, redis_url, base.var_dir, cluster)
    return Stack(client, tmp_path / "sms.jsonl", settings, base.var_dir, bus), lifespan


@pytest.fixture
async def stack(platform: Any, start_service: Any, tmp_path: Path) -> Any:
    stack, lifespan = await start_stack(platform, start_service, tmp_path)
    yield stack
    await stack.client.aclose()
    await lifespan.__aexit__(None, None, None)


@pytest.fixture
async def gateway(stack: Stack) -> httpx.AsyncClient:
    return stack.client


async def create_staff(client: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    """POST /api/v1/admin/staff, as the platform administrator. At once after the test created
    the site: identity asks the catalogue for a site whose event has not reached it yet."""
    return await client.post("/api/v1/admin/staff", json=body, headers=AUTH)
