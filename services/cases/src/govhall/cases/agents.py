"""Positive CheckAgent answers, cached for reads (issue 13 §7).

Every request by a legal person's agent asked identity whether the authorisation still holds,
reads included: a portal page of an enterprise's cases made several calls to identity. A read
may now use a "yes" identity gave within ``agent_cache_seconds``; a write (submit, withdraw,
supplement, anything that changes a case) always asks identity live, and a "no" is never kept.

A revocation reaches every cases replica at once: each process hears ``identity.agent.revoked``
on a broadcast subscription (a durable consumer shared by the replicas would give it to only
one of them) and drops that agent's answers. A revocation missed while NATS was away is
bounded by the time to live. Until the broadcast is set up, or if it cannot be, nothing is cached.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from govhall.contracts import identity as identity_events
from govhall.kit.events import Delivery, decode
from govhall.kit.service import ServiceContext
from govhall.protos.identity.v1 import identity_pb2

log = logging.getLogger(__name__)

#: (legal person, agent or representative, scope or "representative")
Key = tuple[str, str, str]


class AgentCache:
    """Identity's positive answers for ``ttl`` seconds, at most ``size`` of them (oldest first out)."""

    def __init__(self, ttl: float, size: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._size = size
        self._clock = clock
        self._yes: OrderedDict[Key, float] = OrderedDict()
        # Bumped by every revocation: an answer asked for before a revocation arrived and
        # returned after it is not stored (it may be the revoked authorisation's last "yes").
        self.generation = 0

    def allowed(self, key: Key) -> bool:
        expires = self._yes.get(key)
        if expires is None:
            return False
        if expires <= self._clock():
            del self._yes[key]
            return False
        return True

    def remember(self, key: Key, generation: int) -> None:
        if self.ttl <= 0 or generation != self.generation:
            return
        self._yes[key] = self._clock() + self.ttl
        self._yes.move_to_end(key)
        while len(self._yes) > self._size:
            self._yes.popitem(last=False)

    def revoke(self, legal_person_id: str, agent_id: str) -> None:
        self.generation += 1
        for key in [k for k in self._yes if k[0] == legal_person_id and k[1] == agent_id]:
            del self._yes[key]

    def __len__(self) -> int:
        return len(self._yes)


async def listen(ctx: ServiceContext, cache: AgentCache, consumer: str, ttl: float) -> None:
    """Hear ``identity.agent.revoked`` on a broadcast and only then cache for ``ttl`` seconds.

    Run in the background (app.wire): until the subscription stands, or if NATS refuses it (a
    server whose permissions predate it makes the request time out after 10 s), the cache stays
    off and every call asks identity; start-up does not wait for it."""

    async def on_revoked(delivery: Delivery) -> None:
        message = decode(delivery, identity_events.REGISTRY, consumer)
        if isinstance(message, identity_pb2.AgentRevoked):
            cache.revoke(message.authorisation.legal_person_id, message.authorisation.agent_id)

    if ttl <= 0:
        return
    try:
        await ctx.bus.broadcast(identity_events.AGENT_REVOKED.subject, on_revoked)
    except Exception:
        # Without the revocations a cached "yes" could outlive its authorisation by the TTL on
        # every replica: ask identity every time instead.
        log.exception("cannot hear identity.agent.revoked; CheckAgent answers are not cached")
        return
    cache.ttl = ttl
