"""Per-client request limits: a fixed one-minute window.

Two ways to count, both exact in never letting a client past its limit:

- In one process (all-in-one, or a gateway without Redis): a counter per client in this
  process's memory. The all-in-one is one process, so that is the whole count; it used to be a
  SQLite write per request (a thread hop and a transaction: py-spy showed it on every cached
  search).
- With Redis behind the store (replicas share the count), in leases: a replica takes a few
  requests of a client's window at once (one INCRBY) and lets them through without asking again.
  The lease starts at one and doubles while the client keeps coming (at most LEASE_MAX, and at
  most a LEASE_SHARE of the limit), so a client with a request now and then costs a round trip
  per request as before, and a busy one a round trip per up to LEASE_MAX requests. Redis counts
  every leased request, so no client gets more than its limit across all replicas; what a lease
  may cost is the other way: requests a replica leased but the client did not send there are
  counted, so a client spread over R replicas may be refused up to R x (lease - 1) requests
  before its limit (at most a LEASE_SHARE of it per replica).

If the store is down the gateway serves anyway (fail open) and says so in its log and in /readyz:
refusing every citizen because a counter is unreachable would be worse.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from govhall.kit.kv import KeyValueStore, StoreUnavailable

log = logging.getLogger(__name__)

# A window's counter outlives the window a little, so clock skew between replicas never
# restarts a count early.
WINDOW_TTL_SECONDS = 120
# The largest lease, and the largest share of the limit one lease may hold (see above).
LEASE_MAX = 32
LEASE_SHARE = 16
# Clients counted in this process per window; beyond it the oldest are forgotten (which errs
# towards letting a request through, as the in-memory store does).
MAX_CLIENTS = 100_000


@dataclass
class _Lease:
    left: int = 0  # requests taken from Redis and not yet let through
    size: int = 1  # the next lease
    exhausted: bool = False  # Redis's count reached the limit: refuse until the window ends


class RateLimiter:
    """``kv`` Redis (shared by the replicas) or None (this process alone counts)."""

    def __init__(self, kv: KeyValueStore | None, per_minute: int, *, max_clients: int = MAX_CLIENTS) -> None:
        self._kv = kv
        self._limit = per_minute
        self._max_clients = max_clients
        self._lease_max = max(1, min(LEASE_MAX, per_minute // LEASE_SHARE))
        self._window = -1
        self._counts: dict[str, int] = {}
        self._leases: dict[str, _Lease] = {}

    def _in_window(self) -> int:
        window = int(time.time() // 60)
        if window != self._window:
            self._window = window
            self._counts.clear()
            self._leases.clear()
        return window

    async def allow(self, client: str) -> bool:
        window = self._in_window()
        if self._kv is None:
            count = self._counts.pop(client, 0) + 1  # popped and put back: the newest last
            self._counts[client] = count
            if len(self._counts) > self._max_clients:
                del self._counts[next(iter(self._counts))]
            return count <= self._limit
        lease = self._leases.get(client)
        if lease is not None:
            if lease.left > 0:
                lease.left -= 1
                return True
            if lease.exhausted:
                return False
        return await self._take(client, window, lease)

    async def _take(self, client: str, window: int, lease: _Lease | None) -> bool:
        assert self._kv is not None
        size = min(self._lease_max, lease.size if lease is not None else 1)
        try:
            count = await self._kv.incr(f"rl:{client}:{window}", WINDOW_TTL_SECONDS, size)
        except StoreUnavailable as exc:
            log.warning("rate limiter: %s; letting the request through", exc)
            return True
        # Of the `size` requests just counted, those within the limit are this replica's.
        granted = max(0, min(size, self._limit - (count - size)))
        if window != self._window:  # the window ended while Redis answered: that lease is gone
            return granted > 0
        # Looked up again: another request of the client's may have set it while this one waited.
        lease = self._leases.get(client)
        if lease is None:
            lease = self._leases[client] = _Lease()
            if len(self._leases) > self._max_clients:
                del self._leases[next(iter(self._leases))]
        lease.size = min(self._lease_max, max(lease.size, size) * 2)
        lease.exhausted = count >= self._limit
        if granted == 0:
            return False
        lease.left += granted - 1
        return True

    async def ready(self) -> bool:
        return True if self._kv is None else await self._kv.ready()
