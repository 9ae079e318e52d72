"""Per-client request limits: a fixed one-minute window, in Redis when there is one.

Redis makes the limit hold across gateway replicas; the in-memory counter is for all-in-one
mode. If Redis is down the gateway serves anyway (fail open) and says so in its log and in
/readyz: refusing every citizen because a counter is unreachable would be worse.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict

log = logging.getLogger(__name__)


class MemoryLimiter:
    def __init__(self, per_minute: int, max_clients: int = 100_000) -> None:
        self._limit = per_minute
        self._counts: OrderedDict[tuple[str, int], int] = OrderedDict()
        self._max = max_clients

    async def allow(self, client: str) -> bool:
        key = (client, int(time.time() // 60))
        count = self._counts.get(key, 0) + 1
        self._counts[key] = count
        self._counts.move_to_end(key)
        while len(self._counts) > self._max:
            self._counts.popitem(last=False)
        return count <= self._limit

    async def ready(self) -> bool:
        return True

    async def close(self) -> None:
        return None


class RedisLimiter:
    def __init__(self, url: str, per_minute: int, namespace: str = "govhall") -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._limit = per_minute
        # Deployments sharing one Redis count separately.
        self._namespace = namespace

    async def allow(self, client: str) -> bool:
        key = f"{self._namespace}:rl:{client}:{int(time.time() // 60)}"
        try:
            pipe = self._redis.pipeline(transaction=False)
            pipe.incr(key)
            pipe.expire(key, 120)
            count, _ = await pipe.execute()
        except Exception:
            log.warning("rate limiter: redis unavailable, letting the request through", exc_info=True)
            return True
        return int(count) <= self._limit

    async def ready(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except Exception:
            return False

    async def close(self) -> None:
        await self._redis.aclose()
