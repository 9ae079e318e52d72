"""What search consumes from catalogue.>: the site tree, published and withdrawn matters and
articles, each read as the message the catalogue's contract (`govhall.contracts.catalogue`)
says its subject carries. Everything else (departments: their names travel inside the
documents) is ignored; an event of a type or version search does not know is skipped."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from google.protobuf.message import Message

from govhall.contracts import catalogue as catalogue_events
from govhall.kit.db import UnitOfWork
from govhall.kit.events import Delivery, decode
from govhall.kit.eventstore import idempotent
from govhall.kit.service import ServiceContext
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.search import metrics, store
from govhall.search.backend import SearchBackend
from govhall.search.model import SearchDoc
from govhall.search.notices import IndexNotices, Reason

log = logging.getLogger(__name__)


def document_of(message: Message) -> SearchDoc | None:
    """The search document a catalogue event carries, or None for one search has no use for."""
    if isinstance(message, cat.MatterPublished | cat.MatterWithdrawn):
        return SearchDoc.from_matter(message.matter)
    if isinstance(message, cat.ArticleChanged):
        return SearchDoc.from_article(message.article)
    return None


def make_handler(
    backend: SearchBackend, consumer: str = "search", notices: IndexNotices | None = None
) -> Callable[[UnitOfWork, Delivery], Awaitable[None]]:
    async def apply(uow: UnitOfWork, delivery: Delivery) -> None:
        message = decode(delivery, catalogue_events.REGISTRY, consumer)
        if message is None:
            return
        if isinstance(message, cat.SiteUpserted):
            await store.sites.apply(uow, message)
            return
        doc = document_of(message)
        if doc is None:
            return
        # The index write is outside this transaction; it is idempotent by revision, so a
        # redelivery after a crash between the two writes does no harm.
        try:
            stored = await backend.put(doc)
        except Exception:
            metrics.INDEXED.labels("failed").inc()
            raise
        if stored:  # a stale revision (a redelivery, an overtaken event) changed nothing
            metrics.INDEXED.labels("indexed" if doc.published else "deleted").inc()
            if notices is not None:  # search.index.changed once it is visible (notices.py)
                notices.changed(Reason.REASON_DOCUMENT, doc.site_code, doc.key)
        log.debug("%s revision %d %s", doc.key, doc.revision, "indexed" if stored else "stale")

    return apply


async def subscribe(
    ctx: ServiceContext, backend: SearchBackend, consumer: str, notices: IndexNotices | None = None
) -> None:
    await ctx.bus.subscribe(
        consumer,
        catalogue_events.REGISTRY.every_subject,
        idempotent(ctx.db.uow, consumer, make_handler(backend, consumer, notices)),
    )
