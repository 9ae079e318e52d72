"""Each request's time lands in the request histogram under its route template, method and
status; a request the rate limit refuses is answered before any route (and not timed)."""

from __future__ import annotations

import uuid

from prometheus_client import REGISTRY

from govhall.gateway.settings import GatewaySettings

from .conftest import open_gateway


def _count(route: str, status: str) -> float:
    labels = {"route": route, "method": "GET", "status": status}
    return REGISTRY.get_sample_value("govhall_gateway_request_seconds_count", labels) or 0.0


async def test_requests_are_timed_by_route_and_status() -> None:
    settings = GatewaySettings(
        catalogue_address="127.0.0.1:1",
        search_address="127.0.0.1:1",
        rate_limit_per_minute=2,
        kv_namespace=f"t{uuid.uuid4().hex[:8]}",
    )
    client, lifespan = await open_gateway(settings, None)
    site, unmatched = _count("/api/v1/sites/{site}", "503"), _count("unmatched", "404")
    for _ in range(3):  # the third is over the limit
        await client.get("/api/v1/sites/420502")
    assert (await client.get("/api/v1/sites/420502")).status_code == 429
    assert (await client.get("/no/such/page")).status_code == 404
    assert _count("/api/v1/sites/{site}", "503") == site + 2
    assert _count("unmatched", "404") == unmatched + 1
    assert _count("/api/v1/sites/{site}", "429") == 0.0
    await client.aclose()
    await lifespan.__aexit__(None, None, None)
