"""A small key-value store with expiry: Redis in the cluster, in memory in all-in-one mode.

Rate-limit counters, revoked sessions and one-time codes need a little shared, expiring state
that every replica sees. Redis gives that across processes; the in-memory store gives the same
semantics inside one process, where in all-in-one mode the identity service and the gateway
run side by side and must see the same keys (a session revoked by one is refused by the other),
so `create_kv(None, namespace)` hands out one shared store per namespace.

Every key is prefixed with the namespace, so deployments (or test runs) sharing one Redis keep
apart. Redis failures surface as `StoreUnavailable` and never as a hang (short socket timeouts):
each caller decides whether to fail open (a rate limiter) or closed (a one-time code).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol

from govhall.kit.errors import DomainError, ErrorKind

DEFAULT_NAMESPACE = "govhall"

# Redis socket timeouts: a store that does not answer in this time counts as down.
SOCKET_TIMEOUT_SECONDS = 0.5

# INCR, and EXPIRE only when INCR created the key: atomic in one round trip, so a counter never
# outlives its window and its expiry is never pushed back by later increments.
_INCR_WITH_EXPIRY = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""


class StoreUnavailable(DomainError):
    """The key-value store did not answer (connection refused, timed out, ...)."""

    def __init__(self, detail: str = "") -> None:
        DomainError.__init__(
            self,
            code="KV_UNAVAILABLE",
            message="key-value store unavailable" + (f": {detail}" if detail else ""),
            message_zh="缓存服务暂时不可用，请稍后再试",
            kind=ErrorKind.UNAVAILABLE,
        )

    # DomainError is a (non-frozen) dataclass, which makes instances unhashable; restore
    # identity hashing as exceptions are hashed by some tooling.
    __hash__ = Exception.__hash__


class KeyValueStore(Protocol):
    async def incr(self, key: str, ttl_seconds: int) -> int:
        """Atomically add 1 (a missing key counts from 0); the expiry is set only when the key is
        new (the result is 1). Returns the new count."""
        ...

    async def ttl(self, key: str) -> int:
        """Seconds until the key expires; -2 if it does not exist (Redis semantics)."""
        ...

    async def get(self, key: str) -> str | None: ...

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        """The values of ``keys`` in order (None for a missing key), in one round trip."""
        ...

    async def set(self, key: str, value: str, ttl_seconds: int, *, only_if_absent: bool = False) -> bool:
        """Store ``value`` for ``ttl_seconds``. With ``only_if_absent`` an existing key is left
        alone and False returned; otherwise True."""
        ...

    async def delete(self, key: str) -> None: ...

    async def ready(self) -> bool:
        """True if the store answers now (for /readyz); never raises."""
        ...

    async def close(self) -> None: ...


def _check_ttl(ttl_seconds: int) -> int:
    if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int) or ttl_seconds < 1:
        raise ValueError(f"ttl_seconds must be a positive int, got {ttl_seconds!r}")
    return ttl_seconds


class MemoryStore:
    """The store inside one process: expiry by `time.monotonic()`, at most ``max_keys`` keys.

    Beyond ``max_keys`` the least recently written keys are dropped (for rate-limit counters
    that errs towards letting a request through). Expired keys are dropped when read, and all
    of them at most every ``sweep_seconds`` on a write. Operations never await, so each is
    atomic within the event loop; a lock makes them safe from other threads too.
    """

    def __init__(
        self,
        namespace: str = DEFAULT_NAMESPACE,
        *,
        max_keys: int = 200_000,
        sweep_seconds: float = 30.0,
    ) -> None:
        self.namespace = namespace
        self._prefix = f"{namespace}:"
        self._max = max_keys
        self._sweep_every = sweep_seconds
        # key -> (value, monotonic expiry); ordered by last write.
        self._data: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._last_sweep = time.monotonic()

    def __len__(self) -> int:
        return len(self._data)

    def _live(self, key: str, now: float) -> tuple[str, float] | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[1] <= now:
            del self._data[key]
            return None
        return item

    def _write(self, key: str, value: str, expires: float, now: float) -> None:
        self._data[key] = (value, expires)
        self._data.move_to_end(key)
        if now - self._last_sweep >= self._sweep_every:
            self._last_sweep = now
            for stale in [k for k, (_, exp) in self._data.items() if exp <= now]:
                del self._data[stale]
        while len(self._data) > self._max:
            self._data.popitem(last=False)

    async def incr(self, key: str, ttl_seconds: int) -> int:
        _check_ttl(ttl_seconds)
        full = self._prefix + key
        with self._lock:
            now = time.monotonic()
            item = self._live(full, now)
            if item is None:
                count, expires = 1, now + ttl_seconds
            else:
                try:
                    count = int(item[0]) + 1
                except ValueError:
                    raise ValueError(f"value of {key!r} is not an integer") from None
                expires = item[1]
            self._write(full, str(count), expires, now)
            return count

    async def ttl(self, key: str) -> int:
        with self._lock:
            now = time.monotonic()
            item = self._live(self._prefix + key, now)
            return -2 if item is None else math.ceil(item[1] - now)

    async def get(self, key: str) -> str | None:
        with self._lock:
            item = self._live(self._prefix + key, time.monotonic())
            return None if item is None else item[0]

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        with self._lock:
            now = time.monotonic()
            items = [self._live(self._prefix + key, now) for key in keys]
            return [None if item is None else item[0] for item in items]

    async def set(self, key: str, value: str, ttl_seconds: int, *, only_if_absent: bool = False) -> bool:
        _check_ttl(ttl_seconds)
        full = self._prefix + key
        with self._lock:
            now = time.monotonic()
            if only_if_absent and self._live(full, now) is not None:
                return False
            self._write(full, value, now + ttl_seconds, now)
            return True

    async def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(self._prefix + key, None)

    async def ready(self) -> bool:
        return True

    async def close(self) -> None:
        # Shared by every user in the process (see create_kv): closing keeps the keys.
        return None


class RedisStore:
    """Redis, every key prefixed with ``namespace:``. Connection and timeout errors raise
    `StoreUnavailable`; the client reconnects by itself once Redis is back."""

    def __init__(self, url: str, namespace: str = DEFAULT_NAMESPACE) -> None:
        import redis.asyncio as redis

        self.namespace = namespace
        self._prefix = f"{namespace}:"
        self._redis: Any = redis.from_url(
            url,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
            decode_responses=True,
        )
        self._incr = self._redis.register_script(_INCR_WITH_EXPIRY)

    async def _call(self, op: Any) -> Any:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        try:
            return await op
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            # `from None`: the redis traceback says no more than the message, and callers that
            # fail open log this at warning level on every request while Redis is down.
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from None

    async def incr(self, key: str, ttl_seconds: int) -> int:
        _check_ttl(ttl_seconds)
        return int(await self._call(self._incr(keys=[self._prefix + key], args=[ttl_seconds])))

    async def ttl(self, key: str) -> int:
        return int(await self._call(self._redis.ttl(self._prefix + key)))

    async def get(self, key: str) -> str | None:
        value = await self._call(self._redis.get(self._prefix + key))
        return None if value is None else str(value)

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        if not keys:
            return []
        values = await self._call(self._redis.mget([self._prefix + key for key in keys]))
        return [None if value is None else str(value) for value in values]

    async def set(self, key: str, value: str, ttl_seconds: int, *, only_if_absent: bool = False) -> bool:
        _check_ttl(ttl_seconds)
        done = await self._call(self._redis.set(self._prefix + key, value, ex=ttl_seconds, nx=only_if_absent))
        return bool(done)

    async def delete(self, key: str) -> None:
        await self._call(self._redis.delete(self._prefix + key))

    async def ready(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except Exception:
            return False

    async def close(self) -> None:
        await self._redis.aclose()


_shared: dict[str, MemoryStore] = {}
_shared_lock = threading.Lock()


def shared_memory_store(namespace: str = DEFAULT_NAMESPACE) -> MemoryStore:
    """The process-wide in-memory store for ``namespace`` (the same object on every call)."""
    with _shared_lock:
        store = _shared.get(namespace)
        if store is None:
            store = _shared[namespace] = MemoryStore(namespace)
        return store


def create_kv(url: str | None, namespace: str = DEFAULT_NAMESPACE) -> KeyValueStore:
    """Redis at ``url``, or without one the process-wide shared in-memory store for ``namespace``:
    in all-in-one mode the identity service and the gateway share one process and must see the
    same keys (revoked sessions, say)."""
    if url:
        return RedisStore(url, namespace)
    return shared_memory_store(namespace)
