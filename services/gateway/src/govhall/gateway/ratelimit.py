"""Per-client request limits: a fixed one-minute window, counted in the shared key-value store.

With Redis behind the store the limit holds across gateway replicas; the SQLite file under var/
is for all-in-one mode. If the store is down the gateway serves anyway (fail open) and says so in its
log and in /readyz: refusing every citizen because a counter is unreachable would be worse.
"""

from __future__ import annotations

import logging
import time

from govhall.kit.kv import KeyValueStore, StoreUnavailable

log = logging.getLogger(__name__)

# A window's counter outlives the window a little, so clock skew between replicas never
# restarts a count early.
WINDOW_TTL_SECONDS = 120


class RateLimiter:
    def __init__(self, kv: KeyValueStore, per_minute: int) -> None:
        self._kv = kv
        self._limit = per_minute

    async def allow(self, client: str) -> bool:
        key = f"rl:{client}:{int(time.time() // 60)}"
        try:
            count = await self._kv.incr(key, WINDOW_TTL_SECONDS)
        except StoreUnavailable as exc:
            log.warning("rate limiter: %s; letting the request through", exc)
            return True
        return count <= self._limit

    async def ready(self) -> bool:
        return await self._kv.ready()

    async def close(self) -> None:
        await self._kv.close()
