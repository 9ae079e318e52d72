"""What search consumes: catalogue.> — the site tree and published matters."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from govhall.kit.bus import idempotent
from govhall.kit.db import UnitOfWork
from govhall.kit.events import Delivery
from govhall.kit.service import ServiceContext
from govhall.kit.sitecopy import SITE_UPSERTED
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.search import store
from govhall.search.backend import SearchBackend
from govhall.search.model import MatterDoc

log = logging.getLogger(__name__)

_MATTER_EVENTS = {
    "catalogue.matter.published": cat.MatterPublished,
    "catalogue.matter.updated": cat.MatterUpdated,
    "catalogue.matter.withdrawn": cat.MatterWithdrawn,
}


def make_handler(backend: SearchBackend) -> Callable[[UnitOfWork, Delivery], Awaitable[None]]:
    async def apply(uow: UnitOfWork, delivery: Delivery) -> None:
        if delivery.subject == SITE_UPSERTED:
            await store.sites.apply_event(uow, delivery.payload)
            return
        message_type = _MATTER_EVENTS.get(delivery.subject)
        if message_type is None:
            return  # a catalogue event search has no use for
        matter = message_type.FromString(delivery.payload).matter  # type: ignore[attr-defined]
        # The index write is outside this transaction; it is idempotent by revision, so a
        # redelivery after a crash between the two writes does no harm.
        stored = await backend.put(MatterDoc.from_matter(matter))
        log.debug("matter %s revision %d %s", matter.code, matter.revision, "indexed" if stored else "stale")

    return apply


async def subscribe(ctx: ServiceContext, backend: SearchBackend, consumer: str) -> None:
    await ctx.bus.subscribe(consumer, "catalogue.>", idempotent(ctx.db.uow, consumer, make_handler(backend)))
