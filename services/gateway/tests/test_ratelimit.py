"""The per-client limit, counted in this process (all-in-one) or in leases from Redis (replicas):
never a request past the limit, and a busy client costs Redis a round trip per lease, not per
request."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest

from govhall.gateway import ratelimit
from govhall.gateway.ratelimit import RateLimiter
from govhall.kit.kv import KeyValueStore, MemoryStore, RedisStore, StoreUnavailable
from govhall.kit.testing import redis_credentials


class Window:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def window(monkeypatch: pytest.MonkeyPatch) -> Window:
    clock = Window()
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=clock.time))
    return clock


class Counted:
    """A store that counts the increments asked of it (the round trips to Redis)."""

    def __init__(self, kv: KeyValueStore) -> None:
        self.kv = kv
        self.calls = 0

    async def incr(self, key: str, ttl_seconds: int, amount: int = 1) -> int:
        self.calls += 1
        return await self.kv.incr(key, ttl_seconds, amount)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.kv, name)


@pytest.fixture
async def redis(cluster: dict[str, str]) -> AsyncIterator[RedisStore]:
    store = RedisStore(
        cluster["GOVHALL_REDIS_URL"], f"test-{uuid.uuid4().hex[:12]}", **redis_credentials(cluster)
    )
    yield store
    await store.close()


async def allowed(limiter: RateLimiter, client: str, times: int) -> int:
    return sum([await limiter.allow(client) for _ in range(times)])


async def test_in_one_process_the_count_is_exact_per_client_and_window(window: Window) -> None:
    limiter = RateLimiter(None, 5)
    assert [await limiter.allow("a") for _ in range(7)] == [True] * 5 + [False] * 2
    assert await limiter.allow("b")  # another client has its own count
    window.now += 60  # the next minute
    assert await allowed(limiter, "a", 7) == 5


async def test_in_one_process_the_oldest_clients_are_forgotten_beyond_the_bound(window: Window) -> None:
    limiter = RateLimiter(None, 1, max_clients=2)
    assert await limiter.allow("a") and await limiter.allow("b")
    assert not await limiter.allow("a")
    assert await limiter.allow("c")  # b, the least recently seen, is forgotten
    assert await limiter.allow("b")
    assert not await limiter.allow("c")


async def test_replicas_sharing_redis_never_let_a_client_past_its_limit(
    window: Window, redis: RedisStore
) -> None:
    # Three replicas, one client spread over them unevenly: together never more than the limit.
    replicas = [RateLimiter(redis, 100) for _ in range(3)]
    admitted = 0
    for i in range(400):
        admitted += await replicas[(i * i) % 3].allow("203.0.113.9")
    assert admitted <= 100
    # What leases cost: requests leased but not sent to that replica (at most a sixteenth of the
    # limit per replica here).
    assert admitted >= 100 - 3 * (100 // ratelimit.LEASE_SHARE)
    window.now += 60
    assert await replicas[0].allow("203.0.113.9")


async def test_a_busy_client_costs_a_round_trip_per_lease_and_none_once_refused(window: Window) -> None:
    store = Counted(MemoryStore(f"t{uuid.uuid4().hex[:8]}"))
    limiter = RateLimiter(store, 1200)  # type: ignore[arg-type]
    assert await allowed(limiter, "a", 1200) == 1200
    # 1, 2, 4, 8, 16, then leases of 32 (LEASE_MAX): 5 + ceil(1169 / 32).
    assert store.calls == 5 + 37
    # The last lease ran past the limit: counted, but only the 1,200th request of it let through.
    assert await store.kv.get("rl:a:30000000") == "1215"
    calls = store.calls
    assert not any([await limiter.allow("a") for _ in range(50)])
    assert store.calls == calls  # the count reached the limit: known here, Redis not asked again
    # A client that comes now and then is asked about request by request, as before leases.
    assert await limiter.allow("b")
    assert store.calls == calls + 1


async def test_a_small_limit_is_counted_request_by_request(window: Window) -> None:
    store = Counted(MemoryStore(f"t{uuid.uuid4().hex[:8]}"))
    limiter = RateLimiter(store, 3)  # type: ignore[arg-type]
    assert [await limiter.allow("a") for _ in range(5)] == [True] * 3 + [False] * 2
    assert store.calls == 3  # a lease of one each; the third reached the limit


class Down:
    async def incr(self, *args: Any) -> int:
        raise StoreUnavailable("refused")


async def test_while_redis_is_down_requests_go_through(window: Window) -> None:
    limiter = RateLimiter(Down(), 1)  # type: ignore[arg-type]
    assert await allowed(limiter, "a", 3) == 3
