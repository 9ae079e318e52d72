"""The gateway's response cache over the real services: a repeated search is answered from it,
and a withdrawn matter leaves a cached search within the stated bound (responsecache.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from govhall.kit.testing import wait_until

from .conftest import AUTH, Stack, start_stack
from .test_api import MATTER, seed
from .test_catalogue_search_routes import publish, search

CODE = MATTER["code"]
# Search applies the catalogue's event through the in-process bus here: well under this.
INDEX_LAG_SECONDS = 5.0


async def test_a_withdrawn_matter_leaves_the_cached_search_within_the_bound(stack: Stack) -> None:
    gateway = stack.client
    assert stack.settings is not None
    bound = stack.settings.response_cache_seconds + INDEX_LAG_SECONDS
    await seed(gateway)
    await publish(gateway)

    async def found() -> list[str] | None:
        ids = [h["id"] for h in (await search(gateway, "420502", q="食品经营"))["items"]]
        return ids or None

    assert await wait_until(found) == [CODE]
    first = await gateway.get("/api/v1/sites/420502/search", params={"q": "食品经营"})
    again = await gateway.get("/api/v1/sites/420502/search", params={"q": "食品经营"})
    assert again.headers["x-cache"] == "hit" and again.json() == first.json()
    assert again.json()["items"][0]["id"] == CODE
    # Another page size is another request: not the cached answer.
    other = await gateway.get("/api/v1/sites/420502/search", params={"q": "食品经营", "page_size": 5})
    assert other.headers["x-cache"] == "miss" and other.json()["page"]["page_size"] == 5

    r = await gateway.post(f"/api/v1/admin/sites/420502/matters/{CODE}/withdraw", headers=AUTH)
    assert r.status_code == 200, r.text
    withdrawn = time.monotonic()

    async def gone() -> bool:
        return (await search(gateway, "420502", q="食品经营"))["items"] == []

    await wait_until(gone, timeout=bound + 5.0)
    assert time.monotonic() - withdrawn <= bound
    # And it stays gone: no replica of the old answer comes back.
    assert (await search(gateway, "420502", q="食品经营"))["items"] == []


async def test_hot_words_are_cached_and_an_administrators_change_starts_afresh(stack: Stack) -> None:
    await hot_words_journey(stack)


async def test_in_redis_the_cache_holds_and_a_change_starts_afresh(
    platform: Any, start_service: Any, tmp_path: Path, cluster: dict[str, str]
) -> None:
    """With Redis (as in a cluster: the gateway's own ACL user), the same journey."""
    stack, lifespan = await start_stack(platform, start_service, tmp_path, cluster)
    try:
        await hot_words_journey(stack)
    finally:
        await stack.client.aclose()
        await lifespan.__aexit__(None, None, None)


async def hot_words_journey(stack: Stack) -> None:
    gateway = stack.client
    await seed(gateway)
    first = await gateway.get("/api/v1/sites/420502/search/hot-words")
    again = await gateway.get("/api/v1/sites/420502/search/hot-words")
    assert (first.headers["x-cache"], again.headers["x-cache"]) == ("miss", "hit")
    assert again.json() == first.json()
    await publish(gateway)  # a write under /api/v1/admin/: every cached answer is forgotten
    assert (await gateway.get("/api/v1/sites/420502/search/hot-words")).headers["x-cache"] == "miss"


async def test_guides_and_browsing_are_cached_until_an_administrator_changes_the_matter(
    stack: Stack,
) -> None:
    gateway = stack.client
    await seed(gateway)
    await publish(gateway)
    for url in (f"/api/v1/sites/420502/matters/{CODE}", "/api/v1/sites/420502/matters"):
        first, again = await gateway.get(url), await gateway.get(url)
        assert (first.headers["x-cache"], again.headers["x-cache"]) == ("miss", "hit"), url
        assert again.json() == first.json()
    # A refusal is not an answer to keep.
    for _ in range(2):
        missing = await gateway.get("/api/v1/sites/420502/matters/NO-SUCH-MATTER")
        assert missing.status_code == 404 and "x-cache" not in missing.headers
    r = await gateway.post(f"/api/v1/admin/sites/420502/matters/{CODE}/withdraw", headers=AUTH)
    assert r.status_code == 200, r.text
    guide = await gateway.get(f"/api/v1/sites/420502/matters/{CODE}")
    assert guide.headers.get("x-cache") != "hit" and guide.status_code == 404, guide.text
    listed = await gateway.get("/api/v1/sites/420502/matters")
    assert listed.headers["x-cache"] == "miss" and listed.json()["items"] == []
