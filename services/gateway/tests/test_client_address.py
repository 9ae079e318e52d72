"""Who the client is: the socket's peer, unless a trusted proxy (a setting, none by default) says
otherwise in X-Forwarded-For. The per-client request limit shows which address the gateway used;
no upstream service is needed (the limit is checked before any route)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import ValidationError

from govhall.gateway import ratelimit
from govhall.gateway.api import create_app, server_config
from govhall.gateway.settings import GatewaySettings
from govhall.kit.ports import free_port
from govhall.kit.testing import wait_until

from .conftest import open_gateway

# httpx's ASGI transport connects "from" 127.0.0.1, as a local client (or a proxy) would.
LIMIT = 3


def limited(**settings: Any) -> GatewaySettings:
    return GatewaySettings(rate_limit_per_minute=LIMIT, kv_namespace=f"t{uuid.uuid4().hex[:10]}", **settings)


async def statuses(client: httpx.AsyncClient, forwarded: list[str | None]) -> list[int]:
    out = []
    for value in forwarded:
        headers = {"X-Forwarded-For": value} if value else {}
        out.append((await client.get("/api/v1/nowhere", headers=headers)).status_code)
    return out


@pytest.fixture(autouse=True)
def one_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request in the same one-minute window, so the counts do not restart mid-test."""
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))


@pytest.fixture
async def gateway(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    client, lifespan = await open_gateway(limited(**request.param))
    yield client
    await client.aclose()
    await lifespan.__aexit__(None, None, None)


SPOOFS = [f"203.0.113.{i}" for i in range(LIMIT + 2)]


@pytest.mark.parametrize("gateway", [{}, {"trusted_proxies": "10.0.0.0/8"}], indirect=True)
async def test_an_untrusted_peer_cannot_claim_another_address(gateway: httpx.AsyncClient) -> None:
    # Every request claims a new address; all count as 127.0.0.1's, so the limit bites.
    assert await statuses(gateway, SPOOFS) == [404] * LIMIT + [429, 429]  # type: ignore[arg-type]


@pytest.mark.parametrize("gateway", [{"trusted_proxies": "127.0.0.1, 192.0.2.0/24"}], indirect=True)
async def test_a_trusted_proxy_names_the_client(gateway: httpx.AsyncClient) -> None:
    # Each forwarded client has its own budget ...
    assert await statuses(gateway, SPOOFS) == [404] * len(SPOOFS)  # type: ignore[arg-type]
    # ... one client is limited whatever proxies it came through (the nearest untrusted address
    # counts: a client cannot hide behind an address it writes in front of the proxy's)
    chain = ["198.51.100.7", "6.6.6.6, 198.51.100.7", "7.7.7.7, 198.51.100.7, 192.0.2.9", "198.51.100.7"]
    assert await statuses(gateway, chain) == [404, 404, 404, 429]  # type: ignore[arg-type]


def test_trusted_proxies_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert GatewaySettings().trusted_proxies == []
    monkeypatch.setenv("GOVHALL_GATEWAY_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7")
    assert [str(n) for n in GatewaySettings().trusted_proxies] == ["10.0.0.0/8", "192.0.2.7/32"]
    monkeypatch.setenv("GOVHALL_GATEWAY_TRUSTED_PROXIES", '["fd00::/8"]')
    assert [str(n) for n in GatewaySettings().trusted_proxies] == ["fd00::/8"]
    monkeypatch.setenv("GOVHALL_GATEWAY_TRUSTED_PROXIES", "ingress.local")
    with pytest.raises(ValidationError):
        GatewaySettings()


async def test_uvicorn_itself_does_not_trust_loopback() -> None:
    """The real server: uvicorn would take X-Forwarded-For from 127.0.0.1 by default."""
    port = free_port()
    settings = limited(port=port)
    config = server_config(create_app(settings), settings, "warning")
    assert config.proxy_headers is False
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await wait_until(lambda: server.started, 20, what="uvicorn started")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            assert await statuses(client, SPOOFS) == [404] * LIMIT + [429, 429]  # type: ignore[arg-type]
    finally:
        server.should_exit = True
        await task
