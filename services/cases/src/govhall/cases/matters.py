"""The catalogue's published matters, as CreateDraft reads them, kept for a few seconds (issue 20).

Every CreateDraft asked the catalogue for the matter (GetMatter: a gRPC call, the catalogue's
database reads and the whole matter message twice serialised): under a submission load that was
most of the catalogue's work and a round trip on every draft, for an answer that hardly ever
changes. A published version is immutable; what changes is which version (if any) is current,
and that only on a publish or a withdrawal. So the answer for (applicant's site, matter code) is
kept ``matter_cache_seconds`` and then asked for again: a withdrawal (or a new version) reaches
new drafts within that bound, the same on every replica, with no event to miss. A draft copies
the version it was created with (workflow.published_matter), so what it is handled by does not
depend on the cache.

Concurrent misses for one key make one call (the others wait for it), so an expiry under load is
one GetMatter, not one per waiting applicant. Only answers are kept: an error (not found, the
catalogue away) is asked again by the next draft. Matters are public, so one cache serves all
callers; nothing about the applicant is in it.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from govhall.protos.catalogue.v1 import catalogue_pb2 as cat

#: (the applicant's site, matter code): GetMatter resolves the code from that site up its ancestors.
Key = tuple[str, str]


class MatterCache:
    """GetMatter answers for ``ttl`` seconds, at most ``size`` of them (oldest first out)."""

    def __init__(self, ttl: float, size: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._size = size
        self._clock = clock
        self._kept: OrderedDict[Key, tuple[float, cat.Matter]] = OrderedDict()
        self._asking: dict[Key, asyncio.Future[cat.Matter]] = {}

    async def get(self, key: Key, ask: Callable[[], Awaitable[cat.Matter]]) -> cat.Matter:
        if self.ttl <= 0:
            return await ask()
        kept = self._kept.get(key)
        if kept is not None:
            if kept[0] > self._clock():
                return kept[1]
            del self._kept[key]
        pending = self._asking.get(key)
        if pending is not None:
            # shield: one waiter cancelled (its deadline) must not cancel the call the others await
            return await asyncio.shield(pending)
        future: asyncio.Future[cat.Matter] = asyncio.get_running_loop().create_future()
        self._asking[key] = future
        try:
            matter = await ask()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waited
            raise
        finally:
            del self._asking[key]
        future.set_result(matter)
        self._kept[key] = (self._clock() + self.ttl, matter)
        while len(self._kept) > self._size:
            self._kept.popitem(last=False)
        return matter

    def __len__(self) -> int:
        return len(self._kept)
