"""The response cache's bound (an answer is never served past its time to live), its size bound,
its failure mode (a store that fails is a miss), and the first search of a day going to search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from govhall.gateway.responsecache import FirstSearches, ResponseCache, cache_key
from govhall.kit.kv import MemoryStore, StoreUnavailable


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_an_answer_is_served_until_its_time_to_live_and_never_after() -> None:
    clock = Clock()
    cache = ResponseCache(3.0, clock=clock)
    await cache.put("k", b'{"items":["withdrawn"]}')
    clock.now += 2.999
    assert await cache.get("k") == b'{"items":["withdrawn"]}'
    clock.now += 0.001  # exactly the bound: gone
    assert await cache.get("k") is None


async def test_the_cache_keeps_at_most_its_size_least_recently_used_out_first() -> None:
    cache = ResponseCache(60.0, max_entries=2, clock=Clock())
    await cache.put("a", b"A")
    await cache.put("b", b"B")
    assert await cache.get("a") == b"A"  # a is now the most recently used
    await cache.put("c", b"C")
    assert [await cache.get(k) for k in ("a", "b", "c")] == [b"A", None, b"C"]


async def test_a_time_to_live_of_zero_caches_nothing() -> None:
    cache = ResponseCache(0)
    await cache.put("k", b"x")
    assert await cache.get("k") is None


async def test_in_the_key_value_store_answers_expire_with_the_store() -> None:
    kv = MemoryStore()
    cache = ResponseCache(2.0, kv)
    await cache.put("rc:search:1", '{"q":"营业执照"}'.encode())
    assert (await cache.get("rc:search:1") or b"").decode() == '{"q":"营业执照"}'
    # The key in the first epoch (none started yet) and this process's stamp (no event heard).
    assert 0 < await kv.ttl(f"rc:search:1::{cache.stamp}") <= 2


class Down:
    async def get(self, key: str) -> Any:
        raise StoreUnavailable("refused")

    async def get_expiring(self, key: str) -> Any:
        raise StoreUnavailable("refused")

    async def set(self, *args: Any, **kwargs: Any) -> Any:
        raise StoreUnavailable("refused")


async def test_while_the_store_fails_answers_are_kept_here_and_it_is_said_once_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    cache = ResponseCache(3.0, Down(), clock=clock)  # type: ignore[arg-type]
    assert await cache.get("k") is None  # a miss, not an error
    for _ in range(3):
        await cache.put("k", b"x")
        assert await cache.get("k") == b"x"
    assert len([r for r in caplog.records if "response cache" in r.getMessage()]) == 1
    clock.now += 3.0  # the same bound as in the store
    assert await cache.get("k") is None
    clock.now += 60.0
    assert await cache.get("k") is None
    assert len([r for r in caplog.records if "response cache" in r.getMessage()]) == 2


def test_the_key_is_the_normalised_request_per_route() -> None:
    assert cache_key("search", b"\x01") == cache_key("search", b"\x01")
    assert cache_key("search", b"\x01") != cache_key("search", b"\x02")
    assert cache_key("search", b"\x01") != cache_key("hot-words", b"\x01")


def test_a_clients_first_search_of_a_word_each_china_day_goes_to_search() -> None:
    now = datetime(2026, 12, 5, 15, 59, tzinfo=UTC)  # 23:59 in China
    first = FirstSearches(clock=lambda: now)
    assert first.first("client-a", "420502", "营业执照")
    assert not first.first("client-a", "420502", " 营业执照 ")  # the same words
    assert first.first("client-b", "420502", "营业执照")  # another client counts too
    assert first.first("client-a", "420500", "营业执照")  # and another site
    now += timedelta(minutes=2)  # past midnight in China: a new day of hot words
    assert first.first("client-a", "420502", "营业执照")


def test_first_searches_forget_the_oldest_beyond_their_size() -> None:
    first = FirstSearches(max_entries=2)
    assert first.first("a", "420502", "x1") and first.first("b", "420502", "x1")
    assert first.first("c", "420502", "x1")  # a is forgotten: its next search goes to search again
    assert first.first("a", "420502", "x1")


async def test_replicas_that_heard_different_events_never_share_an_answer() -> None:
    kv = MemoryStore()
    here, there = ResponseCache(60.0, kv), ResponseCache(60.0, kv)
    await there.put("k", b"cached before the withdrawal")
    assert await here.get("k") is None  # fresh: each its own stamp until an event is heard
    here.heard("withdrawal")
    there.heard("withdrawal")
    assert await here.get("k") is None  # cached before the event: unreachable after it
    await there.put("k", b"after")
    assert await here.get("k") == b"after"


async def test_a_new_epoch_forgets_every_answer_here_at_once() -> None:
    cache = ResponseCache(60.0, clock=Clock())
    await cache.put("k", b"before the lexicon changed")
    await cache.new_epoch()
    assert await cache.get("k") is None


async def test_a_new_epoch_reaches_the_other_replicas_through_the_store_within_a_second() -> None:
    kv, clock = MemoryStore(), Clock()
    here, there = ResponseCache(60.0, kv, clock=clock), ResponseCache(60.0, kv, clock=clock)
    # Replicas share answers once they have heard the same events (cacheevents.py).
    here.heard("the same last event")
    there.heard("the same last event")
    await there.put("k", b"old")
    assert await here.get("k") == b"old"  # the replicas share the store
    await here.new_epoch()
    assert await here.get("k") is None
    clock.now += 1.0  # the other replica looks at the epoch again
    assert await there.get("k") is None
    await there.put("k", b"new")
    assert await here.get("k") == b"new"


async def test_an_answer_asked_for_before_an_event_and_put_after_it_is_not_kept() -> None:
    cache = ResponseCache(60.0)
    since = cache.generation  # a miss asks search...
    cache.heard("the matter was withdrawn")  # ...the withdrawal is heard meanwhile...
    await cache.put("k", b"found the withdrawn matter", since)  # ...and its answer comes back
    assert await cache.get("k") is None
    since = cache.generation
    await cache.new_epoch()  # an administrator's change alike
    await cache.put("k", b"before the lexicon changed", since)
    assert await cache.get("k") is None
    await cache.put("k", b"fresh", cache.generation)
    assert await cache.get("k") == b"fresh"


class Asked:
    """A store that counts the reads asked of it and can say an entry has less time left."""

    def __init__(self) -> None:
        self.kv = MemoryStore()
        self.reads = 0
        self.seconds_left: float | None = None

    async def get_expiring(self, key: str) -> Any:
        self.reads += 1
        found = await self.kv.get_expiring(key)
        if found is not None and self.seconds_left is not None:
            return found[0], self.seconds_left
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.kv, name)


async def test_answers_from_redis_are_kept_in_front_no_longer_than_redis_keeps_them() -> None:
    store, clock = Asked(), Clock()
    writer, reader = ResponseCache(60.0, store, clock=clock), ResponseCache(60.0, store, clock=clock)  # type: ignore[arg-type]
    for replica in (writer, reader):  # replicas that heard the same events share (cacheevents.py)
        replica.heard("the same last event")
    await writer.put("k", b"hot")
    assert [await writer.get("k") for _ in range(5)] == [b"hot"] * 5
    assert store.reads == 0  # the replica that wrote it answers from its front
    store.seconds_left = 0.5  # another replica filled it; Redis drops it in half a second
    assert [await reader.get("k") for _ in range(5)] == [b"hot"] * 5
    assert store.reads == 1  # one read from Redis, then the front
    clock.now += 0.5  # the Redis entry's end: the front's copy is gone with it
    await store.kv.delete(f"k::{reader.stamp}")
    assert await reader.get("k") is None
    assert store.reads == 2
