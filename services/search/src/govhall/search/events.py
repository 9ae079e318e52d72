"""What search consumes from catalogue.>: the site tree, published and withdrawn matters and
articles. Everything else (departments: their names travel inside the documents) is ignored."""

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
from govhall.search.model import SearchDoc

log = logging.getLogger(__name__)

MATTER_PUBLISHED = "catalogue.matter.published"
MATTER_WITHDRAWN = "catalogue.matter.withdrawn"
ARTICLE_PUBLISHED = "catalogue.article.published"
ARTICLE_WITHDRAWN = "catalogue.article.withdrawn"


def document_of(subject: str, payload: bytes) -> SearchDoc | None:
    """The search document an event carries, or None for an event search has no use for."""
    if subject == MATTER_PUBLISHED:
        return SearchDoc.from_matter(cat.MatterPublished.FromString(payload).matter)
    if subject == MATTER_WITHDRAWN:
        return SearchDoc.from_matter(cat.MatterWithdrawn.FromString(payload).matter)
    if subject in (ARTICLE_PUBLISHED, ARTICLE_WITHDRAWN):
        return SearchDoc.from_article(cat.ArticleChanged.FromString(payload).article)
    return None


def make_handler(backend: SearchBackend) -> Callable[[UnitOfWork, Delivery], Awaitable[None]]:
    async def apply(uow: UnitOfWork, delivery: Delivery) -> None:
        if delivery.subject == SITE_UPSERTED:
            await store.sites.apply_event(uow, delivery.payload)
            return
        doc = document_of(delivery.subject, delivery.payload)
        if doc is None:
            return
        # The index write is outside this transaction; it is idempotent by revision, so a
        # redelivery after a crash between the two writes does no harm.
        stored = await backend.put(doc)
        log.debug("%s revision %d %s", doc.key, doc.revision, "indexed" if stored else "stale")

    return apply


async def subscribe(ctx: ServiceContext, backend: SearchBackend, consumer: str) -> None:
    await ctx.bus.subscribe(consumer, "catalogue.>", idempotent(ctx.db.uow, consumer, make_handler(backend)))
