"""The response cache forgets its answers on the catalogue's and search's events (responsecache.py).

What it hears, on a broadcast (every replica its own subscription: a durable consumer shared by
the replicas would tell only one of them): every catalogue event (`catalogue.>`: a matter or an
article published, superseded or withdrawn, a site; guides and browsing come from the catalogue,
whose change is committed when its event goes out) and `search.index.changed` (search has applied
a change to its index and made it visible, services/search notices.py). The catalogue's event
alone is not enough for search's answers: a request between the catalogue's event and search's
applying it would refill the cache from the old index; search's notice forgets that refill.

How, with the replicas sharing answers in Redis: each process keys its answers with a stamp made
of the last event id it heard on each of the two streams. A stream delivers its messages to every
subscriber in the same order, so two replicas with the same stamp have heard the same events, and
the answers one cached under it are fresh for the other; a replica that hears an event moves to a
new stamp at once, leaving the older answers to expire. Each subscription starts with its
stream's last message (bus.broadcast last=True), so replicas started at different times share a
stamp from the start; until then a process's stamp is its own (nothing shared, nothing stale).
All-in-one: the in-process bus, and an event clears this process's memory.

The bound: a withdrawn matter leaves a cached answer once search's notice arrives (its consumer's
lag, Elasticsearch's refresh, the broadcast; measured in bench/README.md and the tests), while this
process hears the events; the lifetime (`response_cache_event_seconds`) is the safety net for an
event lost. While the subscriptions are not set up, or NATS is away, answers are kept for the
short `response_cache_seconds` instead, the bound as it was without events.
"""

from __future__ import annotations

import hashlib
import logging

from govhall.contracts import search as search_events
from govhall.gateway.responsecache import ResponseCache
from govhall.kit.bus import EventBus
from govhall.kit.events import Delivery

log = logging.getLogger(__name__)

CATALOGUE = "catalogue.>"
SEARCH = search_events.INDEX_CHANGED.subject


class CacheEvents:
    """The stamp of what this process heard, and the cache's lifetime while it hears."""

    def __init__(self, cache: ResponseCache, bus: EventBus, short_ttl: float, event_ttl: float) -> None:
        self._cache = cache
        self._bus = bus
        self._short = short_ttl
        self._long = max(short_ttl, event_ttl) if short_ttl > 0 else 0.0
        self._last = {"catalogue": "", "search": ""}
        self.listening = False

    async def listen(self) -> bool:
        """Subscribe to both; False (and the short lifetime kept) when the bus refuses."""
        if self._short <= 0:
            return False  # no cache
        try:
            await self._bus.broadcast(CATALOGUE, self._on_event, last=True)
            await self._bus.broadcast(SEARCH, self._on_event, last=True)
        except Exception:
            log.error(
                "response cache: the catalogue's and search's events cannot be heard; answers are"
                " kept for %ss (GOVHALL_GATEWAY_RESPONSE_CACHE_SECONDS)",
                self._short,
                exc_info=True,
            )
            return False
        self.listening = True
        self._cache.lifetime = self.lifetime
        return True

    def lifetime(self) -> float:
        """The lifetime of an answer cached now: the long one while the events are heard."""
        return self._long if self.listening and self._bus.healthy() else self._short

    async def _on_event(self, delivery: Delivery) -> None:
        stem = delivery.subject.split(".", 1)[0]
        self._last[stem] = delivery.event_id
        joined = "\0".join((self._last["catalogue"], self._last["search"]))
        self._cache.heard(hashlib.sha256(joined.encode()).hexdigest()[:16])
