"""One service down: the gateway stays ready and serves every other route; that service's routes
answer 503 at once, and its health is reported apart (/healthz/upstreams, a gauge)."""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY as METRICS

from govhall.gateway.settings import GatewaySettings
from govhall.gateway.upstreams import UPSTREAM_UP
from govhall.kit.testing import wait_until

from .conftest import free_port, open_gateway, start_stack
from .test_api import assert_problem, seed

# Far below the gateway's deadline in these tests (30 s) and gRPC's own connect timeout (20 s).
FAST_SECONDS = 4.0


def upstream_up(name: str) -> float | None:
    return METRICS.get_sample_value("govhall_gateway_upstream_up", {"upstream": name})


async def test_one_service_down_leaves_the_gateway_ready_and_the_other_routes_working(
    platform: Any, start_service: Any, tmp_path: Path
) -> None:
    hosts: dict[str, Any] = {}

    async def recording(spec: Any, settings: Any, platform: Any, bus: Any) -> Any:
        hosts[spec.name] = host = await start_service(spec, settings, platform, bus)
        return host

    stack, lifespan = await start_stack(platform, recording, tmp_path)
    gateway = stack.client
    try:
        await seed(gateway)
        health = await gateway.get("/healthz/upstreams")
        assert health.status_code == 200, health.text
        assert health.json() == {
            "status": "serving",
            "checks": {
                "catalogue": True,
                "search": True,
                "identity": True,
                "cases": True,
                "consult": True,
                "appointments": True,
                "licences": True,
            },
        }
        assert upstream_up("cases") == 1

        await hosts["cases"].server.stop()

        ready = await gateway.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"status": "ready", "checks": {"key_value_store": True, "signing_key": True}}
        health = await gateway.get("/healthz/upstreams")
        assert health.status_code == 503
        assert health.json() == {
            "status": "degraded",
            "checks": {
                "catalogue": True,
                "search": True,
                "identity": True,
                "cases": False,
                "consult": True,
                "appointments": True,
                "licences": True,
            },
        }
        assert upstream_up("cases") == 0 and upstream_up("catalogue") == 1

        # The other services' routes answer (catalogue, and identity's public keys).
        listed = await gateway.get("/api/v1/sites/420502/matters")
        assert listed.status_code == 200 and listed.json()["page"]["total"] == 0
        assert (await gateway.get("/api/v1/sites/420502/search", params={"q": "食品"})).status_code == 200
        assert (await gateway.get("/.well-known/jwks.json")).json()["keys"]

        # The stopped one's: a 503 problem naming it in public words, at once, with Retry-After.
        started = time.monotonic()
        r = await gateway.get(f"/api/v1/cases/documents/{uuid.uuid4()}/verify", params={"code": "ABCD1234"})
        assert time.monotonic() - started < FAST_SECONDS
        body = assert_problem(r, 503, "UPSTREAM_UNAVAILABLE")
        assert body["detail"] == "the case handling service is unavailable; try again later"
        assert body["detail_zh"] == "办件服务暂不可用，请稍后再试"
        assert r.headers["Retry-After"] == "5"
        assert "127.0.0.1" not in r.text and "connect" not in r.text.lower()
    finally:
        await gateway.aclose()
        await lifespan.__aexit__(None, None, None)


async def test_the_gauge_tells_of_a_down_service_no_request_has_reached() -> None:
    UPSTREAM_UP.labels("catalogue").set(-1)  # not yet asked
    client, lifespan = await open_gateway(
        GatewaySettings(catalogue_address=f"127.0.0.1:{free_port()}", upstream_check_seconds=0.05)
    )
    try:
        await wait_until(lambda: upstream_up("catalogue") == 0, what="the catalogue reported down")
    finally:
        await client.aclose()
        await lifespan.__aexit__(None, None, None)


async def test_a_service_that_never_answers_fails_its_routes_fast() -> None:
    # A port that takes connections into its backlog and never speaks: a hung host, whose
    # connection attempt gRPC would otherwise wait on for 20 s (here longer than the deadline).
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        client, lifespan = await open_gateway(
            GatewaySettings(
                catalogue_address=address,
                search_address=address,
                identity_address=address,
                cases_address=address,
                rpc_timeout_seconds=30.0,
            )
        )
        try:
            started = time.monotonic()
            r = await client.get("/api/v1/sites/420502/matters")
            assert time.monotonic() - started < FAST_SECONDS
            body = assert_problem(r, 503, "UPSTREAM_UNAVAILABLE")
            assert body["detail"] == "the catalogue service is unavailable; try again later"
            assert (await client.get("/readyz")).status_code == 200
        finally:
            await client.aclose()
            await lifespan.__aexit__(None, None, None)
