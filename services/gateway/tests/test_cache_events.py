"""The response cache forgets its answers on the catalogue's and search's events (cacheevents.py),
long before its lifetime: all-in-one (the in-process bus, search applying the catalogue's event)
and cluster (NATS broadcasts to two replicas sharing Redis). The times measured are printed
(pytest -s) and stated in bench/README.md."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx

from govhall.contracts import search as search_events
from govhall.gateway.api import create_app
from govhall.gateway.cacheevents import CacheEvents
from govhall.gateway.responsecache import ResponseCache
from govhall.gateway.settings import GatewaySettings
from govhall.kit.bus import JetStreamBus
from govhall.kit.events import make_event
from govhall.kit.kv import create_kv
from govhall.kit.ports import free_port
from govhall.kit.testing import cluster_bus, redis_credentials, wait_until
from govhall.protos.search.v1 import search_pb2

from .conftest import AUTH, Stack, open_gateway
from .test_api import MATTER, seed
from .test_catalogue_search_routes import publish, search

CODE = MATTER["code"]
# A lifetime no test waits out: an answer that leaves the cache before it left on an event.
LONG = 60.0


async def test_a_withdrawal_heard_on_the_bus_empties_the_cached_search_long_before_its_lifetime(
    stack: Stack,
) -> None:
    assert stack.settings is not None
    # A second gateway that hears the services' bus: the withdrawal is not made through it, so
    # no administrator's write of its own starts a new epoch; only the events can tell it.
    settings = stack.settings.model_copy(
        update={"response_cache_seconds": LONG, "response_cache_event_seconds": LONG}
    )
    other, lifespan = await open_gateway(settings, None, stack.var_dir, bus=stack.bus)
    try:
        await seed(stack.client)
        await publish(stack.client)

        # Until the matter is found from the cache: the publication's own events (search's notice
        # comes a moment after its write is visible) may still empty it once meanwhile.
        async def cached(url: str, **params: Any) -> bool:
            r = await other.get(url, params=params)
            return r.status_code == 200 and r.headers["x-cache"] == "hit"

        async def found_from_the_cache() -> bool:
            ids = [h["id"] for h in (await search(other, "420502", q="食品经营"))["items"]]
            return ids == [CODE] and await cached("/api/v1/sites/420502/search", q="食品经营")

        await wait_until(found_from_the_cache, timeout=15.0)
        await wait_until(lambda: cached(f"/api/v1/sites/420502/matters/{CODE}"), timeout=15.0)

        r = await stack.client.post(f"/api/v1/admin/sites/420502/matters/{CODE}/withdraw", headers=AUTH)
        assert r.status_code == 200, r.text
        withdrawn = time.monotonic()

        async def gone() -> bool:
            return (await search(other, "420502", q="食品经营"))["items"] == []

        await wait_until(gone, timeout=10.0, interval=0.01)
        took = time.monotonic() - withdrawn
        print(f"all-in-one: the withdrawn matter left the cached search after {took * 1000:.0f} ms")
        assert took < LONG / 2
        assert (await other.get(f"/api/v1/sites/420502/matters/{CODE}")).status_code == 404
        assert (await search(other, "420502", q="食品经营"))["items"] == []  # and it stays gone
    finally:
        await other.aclose()
        await lifespan.__aexit__(None, None, None)


async def test_every_replica_on_redis_hears_searchs_notice_and_they_share_answers_between(
    cluster: dict[str, str],
) -> None:
    prefix = f"T{uuid.uuid4().hex[:8].upper()}"
    namespace = f"t{uuid.uuid4().hex[:10]}"
    admin = cluster_bus(cluster, "admin", prefix)
    await admin.start()
    opened: list[Any] = [admin]
    try:
        notice = search_pb2.IndexChanged(reason=search_pb2.IndexChanged.REASON_DOCUMENT, key="M1")
        await admin.publish(make_event(search_events.INDEX_CHANGED, notice))

        async def replica() -> ResponseCache:
            kv = create_kv(cluster["GOVHALL_REDIS_URL"], namespace, **_redis(cluster))
            bus = cluster_bus(cluster, "admin", prefix)
            await bus.start()
            opened.extend((bus, kv))
            cache = ResponseCache(3.0, kv)
            assert await CacheEvents(cache, bus, 3.0, LONG).listen()
            return cache

        a, b = await replica(), await replica()
        # Both started from the stream's last notice: the same stamp, so they share answers.
        await wait_until(lambda: a.stamp == b.stamp, what="both replicas at the last notice")
        assert a.lifetime() == LONG
        await a.put("rc:search:k", b"before")
        assert await b.get("rc:search:k") == b"before"

        await admin.publish(make_event(search_events.INDEX_CHANGED, notice))
        sent = time.monotonic()

        async def forgotten() -> bool:
            return await a.get("rc:search:k") is None and await b.get("rc:search:k") is None

        await wait_until(forgotten, timeout=10.0, interval=0.005)
        took = time.monotonic() - sent
        print(f"cluster: both replicas forgot the answer {took * 1000:.0f} ms after search's notice")
        assert took < LONG / 2
        await b.put("rc:search:k", b"after")  # and share again once both heard it
        assert await a.get("rc:search:k") == b"after"
    finally:
        for thing in reversed(opened):
            await thing.close()
        await admin.delete_streams()


def _redis(cluster: dict[str, str]) -> dict[str, Any]:
    auth = redis_credentials(cluster, "gateway")
    return {"username": auth.get("username"), "password": auth.get("password")}


async def test_the_gateway_serves_at_once_while_nats_is_away_keeping_the_short_lifetime(
    tmp_path: Any,
) -> None:
    port = free_port()  # a port nothing listens on
    bus = JetStreamBus(f"nats://127.0.0.1:{port}")
    app = create_app(GatewaySettings(upstream_check_seconds=0), None, tmp_path, bus=bus, own_bus=True)
    lifespan = app.router.lifespan_context(app)
    # The bus retries for ever while NATS is away: it must not hold the start up.
    await asyncio.wait_for(lifespan.__aenter__(), 10)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
            assert (await client.get("/healthz")).status_code == 200
        assert not bus.healthy()
    finally:
        await asyncio.wait_for(lifespan.__aexit__(None, None, None), 10)
