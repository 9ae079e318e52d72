"""Consumers apply the changes of one aggregate in order, by the revision the event carries.

The bus delivers a stream in order, but a message that failed is redelivered after later ones,
and a republish or a replay brings old events again: a consumer can meet "concluded" (revision
4) before "accepted" (revision 3). A consumer that keeps a copy stores each aggregate's revision
beside it; `newer_only` drops an event whose revision is not above the stored one, so the copy
only moves forward.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from prometheus_client import Counter

from govhall.kit.db import UnitOfWork
from govhall.kit.events import Delivery

STALE = Counter(
    "govhall_events_stale_total", "Events dropped as older than the consumer's copy", ["consumer"]
)

Apply = Callable[[UnitOfWork, Delivery], Awaitable[None]]


def is_stale(stored: int | None, incoming: int) -> bool:
    """An event is stale when the copy already holds its revision or a later one."""
    return stored is not None and incoming <= stored


def newer_only(
    consumer: str,
    revision_of: Callable[[Delivery], int],
    stored_revision: Callable[[UnitOfWork, Delivery], Awaitable[int | None]],
    apply: Apply,
) -> Apply:
    """Wrap a consumer's apply (inside `idempotent`) so stale events of an aggregate are dropped.

    revision_of reads the event's revision (CaseChanged.revision); stored_revision reads the
    copy's, in the same transaction (None: the consumer has no copy of the aggregate yet). Lock
    the copy's row in stored_revision on PostgreSQL if two deliveries of one aggregate can run
    at once."""

    async def apply_if_newer(uow: UnitOfWork, delivery: Delivery) -> None:
        if is_stale(await stored_revision(uow, delivery), revision_of(delivery)):
            STALE.labels(consumer).inc()
            return
        await apply(uow, delivery)

    return apply_if_newer
