"""A small key-value store with expiry: Redis in the cluster, a SQLite file in all-in-one mode.

Rate-limit counters, revoked sessions, login lock-outs, one-time codes and the scores of search's
hot words need a little shared, expiring state that every replica sees. Redis gives that across
processes. Without Redis the store is a SQLite file under the var dir (kvsqlite.py): the
identity service, the gateway and every service's session check see the same keys (a session
revoked by one is refused by the others), and the keys outlive a restart as Redis's do. The
in-memory store, one shared per namespace, is left for a process with neither (unit tests).

Every key is prefixed with the namespace, so deployments (or test runs) sharing one Redis keep
apart. Redis failures surface as `StoreUnavailable` and never as a hang (short socket timeouts):
each caller decides whether to fail open (a rate limiter) or closed (a one-time code).
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from govhall.kit.errors import DomainError, ErrorKind

DEFAULT_NAMESPACE = "govhall"

# Redis socket timeouts: a store that does not answer in this time counts as down.
SOCKET_TIMEOUT_SECONDS = 0.5

# INCR ARGV[2] times, and EXPIRE only when the first INCR created the key (a live counter is at
# least 1, so the count equals the amount only for a new key): atomic in one round trip, so a
# counter never outlives its window and its expiry is never pushed back by later increments.
# INCR in a loop rather than INCRBY: the ACLs (deploy/local/redis.sh, the chart) grant INCR, and
# a few INCRs inside Redis cost microseconds.
_INCR_WITH_EXPIRY = """
local count = 0
for _ = 1, tonumber(ARGV[2]) do
  count = redis.call('INCR', KEYS[1])
end
if count == tonumber(ARGV[2]) then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""

# ZINCRBY, and EXPIRE only when ZINCRBY created the key (the same rule as INCR above).
_ZINCR_WITH_EXPIRY = """
local existed = redis.call('EXISTS', KEYS[1])
local score = redis.call('ZINCRBY', KEYS[1], ARGV[2], ARGV[1])
if existed == 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
return score
"""

# The top ARGV[1] members of the union of KEYS[2..] (scores summed), through a scratch key KEYS[1]
# that the script deletes before it returns: one round trip, and only `size` members cross the
# wire however large the sets are. Missing keys count as empty sets.
_ZTOP = """
redis.call('ZUNIONSTORE', KEYS[1], #KEYS - 1, unpack(KEYS, 2))
local top = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')
redis.call('DEL', KEYS[1])
return top
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
    async def incr(self, key: str, ttl_seconds: int, amount: int = 1) -> int:
        """Atomically add ``amount`` (at least 1; a missing key counts from 0); the expiry is set
        only when the key is new (the result is ``amount``). Returns the new count."""
        ...

    async def ttl(self, key: str) -> int:
        """Seconds until the key expires; -2 if it does not exist (Redis semantics)."""
        ...

    async def get(self, key: str) -> str | None: ...

    async def get_expiring(self, key: str) -> tuple[str, float] | None:
        """The value of ``key`` and the seconds it has left (at most what the store holds, never
        more: a copy kept that long never outlives the key), in one round trip; None if missing."""
        ...

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        """The values of ``keys`` in order (None for a missing key), in one round trip."""
        ...

    async def set(self, key: str, value: str, ttl_seconds: int, *, only_if_absent: bool = False) -> bool:
        """Store ``value`` for ``ttl_seconds``. With ``only_if_absent`` an existing key is left
        alone and False returned; otherwise True."""
        ...

    async def delete(self, key: str) -> None: ...

    async def zincr(self, key: str, member: str, amount: float, ttl_seconds: int) -> float:
        """Add ``amount`` to ``member``'s score in the sorted set ``key`` (a missing member or key
        counts from 0); the expiry is set only when the key is new. Returns the new score."""
        ...

    async def ztop(self, keys: Sequence[str], size: int) -> list[tuple[str, float]]:
        """The ``size`` members with the highest scores summed over the sorted sets ``keys``
        (missing keys count as empty), highest first; equal scores: the member that sorts last
        first (Redis's ZREVRANGE order). One round trip."""
        ...

    async def ready(self) -> bool:
        """True if the store answers now (for /readyz); never raises."""
        ...

    async def close(self) -> None: ...


def _string(key: str, value: str | dict[str, float]) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{key!r} holds a sorted set, not a string")
    return value


def _check_amount(amount: int) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        raise ValueError(f"amount must be a positive int, got {amount!r}")
    return amount


def _check_ttl(ttl_seconds: int) -> int:
    if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int) or ttl_seconds < 1:
        raise ValueError(f"ttl_seconds must be a positive int, got {ttl_seconds!r}")
    return ttl_seconds


class MemoryStore:
    """The store inside one process: expiry by `time.monotonic()`, at most ``max_keys`` keys
    (a sorted set counts as one).

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
        # key -> (value, monotonic expiry); ordered by last write. A value is a string, or a sorted
        # set as member -> score.
        self._data: OrderedDict[str, tuple[str | dict[str, float], float]] = OrderedDict()
        self._lock = threading.Lock()
        self._last_sweep = time.monotonic()

    def __len__(self) -> int:
        return len(self._data)

    def _live(self, key: str, now: float) -> tuple[str | dict[str, float], float] | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[1] <= now:
            del self._data[key]
            return None
        return item

    def _write(self, key: str, value: str | dict[str, float], expires: float, now: float) -> None:
        self._data[key] = (value, expires)
        self._data.move_to_end(key)
        if now - self._last_sweep >= self._sweep_every:
            self._last_sweep = now
            for stale in [k for k, (_, exp) in self._data.items() if exp <= now]:
                del self._data[stale]
        while len(self._data) > self._max:
            self._data.popitem(last=False)

    async def incr(self, key: str, ttl_seconds: int, amount: int = 1) -> int:
        _check_ttl(ttl_seconds)
        _check_amount(amount)
        full = self._prefix + key
        with self._lock:
            now = time.monotonic()
            item = self._live(full, now)
            if item is None:
                count, expires = amount, now + ttl_seconds
            else:
                try:
                    count = int(_string(key, item[0])) + amount
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
            return None if item is None else _string(key, item[0])

    async def get_expiring(self, key: str) -> tuple[str, float] | None:
        with self._lock:
            now = time.monotonic()
            item = self._live(self._prefix + key, now)
            return None if item is None else (_string(key, item[0]), item[1] - now)

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        with self._lock:
            now = time.monotonic()
            items = [self._live(self._prefix + key, now) for key in keys]
            # MGET answers nil for a key of another type rather than failing.
            return [item[0] if item is not None and isinstance(item[0], str) else None for item in items]

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

    async def zincr(self, key: str, member: str, amount: float, ttl_seconds: int) -> float:
        _check_ttl(ttl_seconds)
        full = self._prefix + key
        with self._lock:
            now = time.monotonic()
            item = self._live(full, now)
            if item is None:
                scores: dict[str, float] = {}
                expires = now + ttl_seconds
            elif isinstance(item[0], dict):
                scores, expires = item[0], item[1]
            else:
                raise ValueError(f"{key!r} does not hold a sorted set")
            score = scores[member] = scores.get(member, 0.0) + float(amount)
            self._write(full, scores, expires, now)
            return score

    async def ztop(self, keys: Sequence[str], size: int) -> list[tuple[str, float]]:
        if size < 1:
            return []
        totals: dict[str, float] = {}
        with self._lock:
            now = time.monotonic()
            for key in keys:
                item = self._live(self._prefix + key, now)
                if item is None:
                    continue
                if not isinstance(item[0], dict):
                    raise ValueError(f"{key!r} does not hold a sorted set")
                for member, score in item[0].items():
                    totals[member] = totals.get(member, 0.0) + score
        ranked = sorted(totals.items(), key=lambda pair: (pair[1], pair[0]), reverse=True)
        return ranked[:size]

    async def ready(self) -> bool:
        return True

    async def close(self) -> None:
        # Shared by every user in the process (see create_kv): closing keeps the keys.
        return None


class RedisStore:
    """Redis, every key prefixed with ``namespace:``. Connection and timeout errors raise
    `StoreUnavailable`; the client reconnects by itself once Redis is back."""

    def __init__(
        self,
        url: str,
        namespace: str = DEFAULT_NAMESPACE,
        *,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        import redis.asyncio as redis

        self.namespace = namespace
        self._prefix = f"{namespace}:"
        # The ACL user (deploy/local and the chart give each process its own); None keeps
        # whatever the URL says, which for a server without users is nothing.
        credentials = {"username": username, "password": password} if password is not None else {}
        self._redis: Any = redis.from_url(
            url,
            **credentials,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
            decode_responses=True,
        )
        self._incr = self._redis.register_script(_INCR_WITH_EXPIRY)
        self._zincr = self._redis.register_script(_ZINCR_WITH_EXPIRY)
        self._ztop = self._redis.register_script(_ZTOP)

    async def _call(self, op: Any) -> Any:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        try:
            return await op
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            # `from None`: the redis traceback says no more than the message, and callers that
            # fail open log this at warning level on every request while Redis is down.
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from None

    async def incr(self, key: str, ttl_seconds: int, amount: int = 1) -> int:
        _check_ttl(ttl_seconds)
        _check_amount(amount)
        return int(await self._call(self._incr(keys=[self._prefix + key], args=[ttl_seconds, amount])))

    async def ttl(self, key: str) -> int:
        return int(await self._call(self._redis.ttl(self._prefix + key)))

    async def get(self, key: str) -> str | None:
        value = await self._call(self._redis.get(self._prefix + key))
        return None if value is None else str(value)

    async def get_expiring(self, key: str) -> tuple[str, float] | None:
        # GET and TTL pipelined (not a transaction: the time left read after GET can only be
        # smaller). TTL rather than PTTL, which the ACLs do not grant: Redis rounds TTL to the
        # nearest second, so the entry has at least TTL - 0.5 s left.
        pipe = self._redis.pipeline(transaction=False)
        pipe.get(self._prefix + key).ttl(self._prefix + key)
        value, ttl = await self._call(pipe.execute())
        if value is None or ttl is None or int(ttl) < 0:  # gone, or (never here) no expiry
            return None
        return str(value), max(0.0, int(ttl) - 0.5)

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

    async def zincr(self, key: str, member: str, amount: float, ttl_seconds: int) -> float:
        _check_ttl(ttl_seconds)
        score = await self._call(self._zincr(keys=[self._prefix + key], args=[member, amount, ttl_seconds]))
        return float(score)

    async def ztop(self, keys: Sequence[str], size: int) -> list[tuple[str, float]]:
        if size < 1 or not keys:
            return []
        scratch = f"{self._prefix}ztop:{uuid.uuid4().hex}"
        flat = await self._call(
            self._ztop(keys=[scratch, *(self._prefix + key for key in keys)], args=[size])
        )
        return [(str(flat[i]), float(flat[i + 1])) for i in range(0, len(flat), 2)]

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


def create_kv(
    url: str | None,
    namespace: str = DEFAULT_NAMESPACE,
    *,
    var_dir: Path | None = None,
    username: str | None = None,
    password: str | None = None,
) -> KeyValueStore:
    """Redis at ``url`` (as ACL user ``username`` when a password is given); without one the
    SQLite file ``var_dir/kv.db`` (all-in-one mode: durable, and seen by every store on that
    file, in this process or another); with neither the process-wide shared in-memory store for
    ``namespace``."""
    if url:
        return RedisStore(url, namespace, username=username, password=password)
    if var_dir is not None:
        from govhall.kit.kvsqlite import FILE_NAME, SqliteStore

        return SqliteStore(var_dir / FILE_NAME, namespace)
    return shared_memory_store(namespace)
