"""The gateway over real catalogue, search, identity and cases services (embedded back ends, gRPC)."""

from __future__ import annotations

import asyncio
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from govhall.cases import app as cases_app
from govhall.cases.settings import CasesSettings
from govhall.catalogue import app as catalogue_app
from govhall.catalogue.settings import CatalogueSettings
from govhall.gateway.api import create_app
from govhall.gateway.settings import GatewaySettings
from govhall.identity import app as identity_app
from govhall.identity.adapters import latest_dev_code
from govhall.identity.settings import IdentitySettings
from govhall.kit.bus import InProcessBus
from govhall.search import app as search_app
from govhall.search.settings import SearchSettings

TOKEN = "test-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def open_gateway(
    settings: GatewaySettings, redis_url: str | None = None, var_dir: Path | None = None
) -> tuple[httpx.AsyncClient, Any]:
    app = create_app(settings, redis_url, var_dir)
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

    def sms(self, mobile: str) -> str:
        code = latest_dev_code(self.sms_file, mobile)
        assert code is not None, f"no SMS code sent to {mobile}"
        return code


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_stack(
    platform: Any, start_service: Any, tmp_path: Path, redis_url: str | None = None
) -> tuple[Stack, Any]:
    namespace = f"t{uuid.uuid4().hex[:10]}"  # apart from other runs on the shared Redis
    platform = platform.model_copy(update={"redis_url": redis_url})
    bus = InProcessBus()
    # Search and cases start before the catalogue (the in-process bus delivers only to consumers
    # already subscribed), yet call it and identity: their ports are chosen first.
    catalogue_address = f"127.0.0.1:{free_port()}"
    identity_address = f"127.0.0.1:{free_port()}"
    search = await start_service(
        search_app.SPEC,
        SearchSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 's.db'}",
            catalogue_address=catalogue_address,
            kv_namespace=namespace,
        ),
        platform,
        bus,
    )
    cases = await start_service(
        cases_app.SPEC,
        CasesSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'k.db'}",
            catalogue_address=catalogue_address,
            identity_address=identity_address,
            files_dir=tmp_path / "files",
            sweep_interval_seconds=0,
            kv_namespace=namespace,
        ),
        platform,
        bus,
    )
    identity = await start_service(
        identity_app.SPEC,
        IdentitySettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'i.db'}",
            grpc_address=identity_address,
            argon2_time_cost=1,
            argon2_memory_kib=1024,
            dev_sms_file=tmp_path / "sms.jsonl",
            kv_namespace=namespace,
        ),
        platform,
        bus,
    )
    catalogue = await start_service(
        catalogue_app.SPEC,
        CatalogueSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}",
            grpc_address=catalogue_address,
            kv_namespace=namespace,
        ),
        platform,
        bus,
    )
    settings = GatewaySettings(
        catalogue_address=catalogue.address,
        search_address=search.address,
        identity_address=identity.address,
        cases_address=cases.address,
        admin_token=TOKEN,  # type: ignore[arg-type]
        kv_namespace=namespace,
    )
    client, lifespan = await open_gateway(settings, redis_url, platform.var_dir)
    return Stack(client, tmp_path / "sms.jsonl", settings, platform.var_dir), lifespan


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
    """POST /api/v1/admin/staff, waiting for identity to learn a site the test just created (it
    copies the site tree from the catalogue's events, which arrive a moment after the write)."""
    for _ in range(50):
        r = await client.post("/api/v1/admin/staff", json=body, headers=AUTH)
        if r.status_code != 404 or r.json().get("code") != "SITE_NOT_FOUND":
            return r
        await asyncio.sleep(0.1)
    return r
