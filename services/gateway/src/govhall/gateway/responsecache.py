"""The response cache for public, anonymous reads (search, hot words): the same normalised
request within `ttl` seconds is answered with the bytes of the first answer, without a call to
search.

What it may serve, and for how long: only answers that are the same for everyone (the routes
cached never pass the caller on, so an Authorization header does not change them and is not part
of the key), and never older than their lifetime. The catalogue's events and search's
`search.index.changed` (search has applied a change and made it visible) make every answer cached
before them unreachable (cacheevents.py: `heard`, the stamp in every key); while they are heard an
answer lives `response_cache_event_seconds` (30), the safety net for a lost event; without them
`ttl` (3 s) is the bound, as measured before events: a withdrawn or superseded matter leaves a
cached search at most `ttl` seconds after search's index dropped it.

Where: Redis when the gateway has it (replicas share one cache; keys expire in Redis), the
process's memory otherwise (all-in-one). A store that fails is never an error: while Redis does
not answer (or refuses, its ACL lacking `rc`), this process keeps its answers in memory, with the
same time to live. In front of Redis each replica keeps the answers it read or wrote there, each
no longer than its Redis entry lives, so a hot word costs Redis nothing but the epoch's look once
a second (the in-process front; it was a GET per hit).

A change an administrator makes through the gateway (any successful write under /api/v1/admin/:
a lexicon word, which "the next search uses", a publication, a reindex) starts a new epoch: every
answer cached before it is unreachable at once in this replica, and in the others once they see
the new epoch in Redis (they look at most every EPOCH_CHECK_SECONDS; their answers expire within
`ttl` anyway). A catalogue change reaches search's index a moment later by its event, so an answer
refilled in between can still be stale: the time to live remains the bound.

Hot words count each client once per word, site and day, and search counts them when it answers.
A cached answer would never reach search, so the first search of a (client, site, query) each day
(China Standard Time, as hot words count days) goes to search whatever the cache holds; this
process remembers which it has passed on (`FirstSearches`; forgetting one costs only a call).
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone

from fastapi.responses import Response
from google.protobuf.message import Message
from pydantic import BaseModel

from govhall.kit.kv import KeyValueStore

log = logging.getLogger(__name__)

CHINA = timezone(timedelta(hours=8), "CST")
EPOCH_KEY = "rc:epoch"
# How often a replica asks Redis whether another started a new epoch (one GET a second at most).
EPOCH_CHECK_SECONDS = 1.0
EPOCH_TTL_SECONDS = 86_400
FAILURE_LOG_SECONDS = 60.0


def cache_key(route: str, normalised: bytes) -> str:
    """The key of a route's answer to a normalised request (its upstream request, serialised
    deterministically, without anything about the client)."""
    return "rc:" + route + ":" + hashlib.sha256(normalised).hexdigest()[:40]


def json_response(body: bytes, cache_state: str) -> Response:
    return Response(body, media_type="application/json", headers={"X-Cache": cache_state})


async def answer(
    cache: ResponseCache, route: str, request: Message, produce: Callable[[], Awaitable[BaseModel]]
) -> Response:
    """The cached answer to ``request`` (the upstream request the route built: the normalised
    request), or the one ``produce`` makes, kept. A refusal (an exception) is never cached."""
    key = cache_key(route, request.SerializeToString(deterministic=True))
    if body := await cache.get(key):
        return json_response(body, "hit")
    since = cache.generation
    body = (await produce()).model_dump_json(by_alias=True).encode()
    await cache.put(key, body, since)
    return json_response(body, "miss")


class _Memory:
    """A bounded LRU of (expiry, body) in this process."""

    def __init__(self, max_entries: int, clock: Callable[[], float]) -> None:
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max = max_entries
        self._clock = clock

    def get(self, key: str) -> bytes | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[0] <= self._clock():
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return item[1]

    def put(self, key: str, body: bytes, ttl: float) -> None:
        self.put_until(key, body, self._clock() + ttl)

    def put_until(self, key: str, body: bytes, expires: float) -> None:
        """Keep ``body`` until ``expires`` (on this cache's clock)."""
        self._items[key] = (expires, body)
        self._items.move_to_end(key)
        while len(self._items) > self._max:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()


class ResponseCache:
    """Bodies by key for `ttl` seconds, in Redis (``kv``) or in memory (``kv`` None); ttl 0: off."""

    def __init__(
        self,
        ttl: float,
        kv: KeyValueStore | None = None,
        *,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self._kv = kv
        self._memory = _Memory(max_entries, clock)
        # In front of Redis: the answers this replica has read or written lately, each until the
        # moment its Redis entry expires at the latest (see get), under the same key (epoch and
        # all: a new epoch makes them unreachable as it does the Redis entries).
        self._front = _Memory(max_entries, clock)
        self._clock = clock
        self._epoch = ""
        # What this process has heard of the catalogue's and search's events (cacheevents.py):
        # part of every key, so an event makes every answer cached before it unreachable.
        self.stamp = uuid.uuid4().hex[:12]
        # Counts the events heard and epochs started: an answer asked for before one of them and
        # put after it may predate the change, so it is not kept (`put`'s ``since``).
        self.generation = 0
        # How long an answer cached now is kept (cacheevents.py: longer while events are heard).
        self.lifetime: Callable[[], float] = lambda: self.ttl
        self._epoch_checked = -EPOCH_CHECK_SECONDS - 1.0
        self._logged = -FAILURE_LOG_SECONDS - 1.0

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    async def _key(self, key: str) -> str:
        """The key in the current epoch (Redis: looked up at most once a EPOCH_CHECK_SECONDS)."""
        if self._kv is not None and self._clock() - self._epoch_checked >= EPOCH_CHECK_SECONDS:
            self._epoch_checked = self._clock()
            self._epoch = await self._kv.get(EPOCH_KEY) or ""
        return f"{key}:{self._epoch}:{self.stamp}"

    async def get(self, key: str) -> bytes | None:
        if not self.enabled:
            return None
        if self._kv is None:
            return self._memory.get(key)
        try:
            full = await self._key(key)
            if (body := self._front.get(full)) is not None:
                return body
            asked = self._clock()
            found = await self._kv.get_expiring(full)
        except Exception:  # down, or refused (the ACL): never the citizen's error
            self._failed("no answer from the store; this process's own answers meanwhile")
            return self._memory.get(key)
        if found is None:
            return None
        text, seconds_left = found
        body = text.encode()
        # Redis read the time left at or after `asked`: kept until `asked` plus that, the copy here
        # is gone no later than the entry in Redis, so the bound stated above holds for it too.
        self._front.put_until(full, body, asked + seconds_left)
        return body

    async def put(self, key: str, body: bytes, since: int | None = None) -> None:
        """Keep ``body``, unless an event was heard or an epoch started since ``since`` (the
        `generation` read before asking upstream): a change may have overtaken the answer."""
        if not self.enabled or (since is not None and since != self.generation):
            return
        ttl = self.lifetime()
        if self._kv is None:
            self._memory.put(key, body, ttl)
            return
        try:
            full = await self._key(key)
            # Redis expires in whole seconds: round down, so the bound stated is never exceeded.
            seconds = max(1, int(ttl))
            asked = self._clock()  # Redis's entry lives `seconds` from when it is set, after this
            await self._kv.set(full, body.decode(), seconds)
            self._front.put_until(full, body, asked + seconds)
        except Exception:
            self._failed("keeping an answer in this process instead")
            self._memory.put(key, body, ttl)

    def heard(self, stamp: str) -> None:
        """An event said something public changed (cacheevents.py): answers cached before are
        unreachable from now on, in this process's memory and under the old stamp in Redis."""
        self.stamp = stamp
        self.generation += 1
        self._memory.clear()
        self._front.clear()

    async def new_epoch(self) -> None:
        """Forget every answer cached so far (here at once; other replicas within a second)."""
        self.generation += 1
        self._memory.clear()
        if self._kv is None or not self.enabled:
            return
        self._epoch = uuid.uuid4().hex[:12]
        self._epoch_checked = self._clock()
        try:
            await self._kv.set(EPOCH_KEY, self._epoch, EPOCH_TTL_SECONDS)
        except Exception:
            self._failed("other replicas keep their answers (their time to live)")

    def _failed(self, what: str) -> None:
        """Say so once a FAILURE_LOG_SECONDS: a store that refuses every request would otherwise
        write a traceback per request, costing more than the cache saves."""
        now = self._clock()
        if now - self._logged >= FAILURE_LOG_SECONDS:
            self._logged = now
            log.warning("response cache: %s", what, exc_info=True)


class FirstSearches:
    """Which (client, site, query) this process has passed on to search today (CST), bounded."""

    def __init__(
        self, max_entries: int = 100_000, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._seen: OrderedDict[bytes, None] = OrderedDict()
        self._max = max_entries
        self._clock = clock

    def first(self, client_key: str, site: str, query: str) -> bool:
        """True the first time today; the caller then asks search (which counts the hot word)."""
        day = f"{self._clock().astimezone(CHINA):%Y%m%d}"
        digest = hashlib.sha256("\0".join((day, client_key, site, " ".join(query.split()))).encode()).digest()
        if digest in self._seen:
            self._seen.move_to_end(digest)
            return False
        self._seen[digest] = None
        while len(self._seen) > self._max:
            self._seen.popitem(last=False)
        return True
