"""The kit's event tables and the idempotent consumer: what every service's database holds.

`outbox`: the events a service raised, written in the same transaction as the change
(UnitOfWork.emit); the relay (outbox.OutboxRelay) publishes them after the commit. `inbox`: the
event ids each consumer has applied, so a redelivery is a no-op (`idempotent`). Both tables are
copied into every service's metadata (`add_kit_tables`) and migrated by the kit's own Alembic
branch (kit_migrations).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from govhall.kit.events import Delivery, Event
from govhall.kit.inprocess import CONSUMED, Handler

if TYPE_CHECKING:
    from govhall.kit.db import UnitOfWork

# Every service's metadata gets these two tables through `add_kit_tables`.
_kit_metadata = sa.MetaData()

OUTBOX = sa.Table(
    "outbox",
    _kit_metadata,
    sa.Column(
        "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("payload", sa.LargeBinary(), nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    # The aggregate (a case id) when the subject names none: the relay keeps order within it only.
    sa.Column("ordering_key", sa.String(200), nullable=True),
    sa.Index(
        "ix_outbox_unpublished",
        "seq",
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    ),
)

# The consumer side: which events a consumer has applied, so a redelivery is a no-op.
INBOX = sa.Table(
    "inbox",
    _kit_metadata,
    sa.Column("consumer", sa.String(100), primary_key=True),
    sa.Column("event_id", sa.String(36), primary_key=True),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
)


# How long a consumer remembers an applied event id. A copy can come back while its stream still
# holds it (a consumer reset, a redelivery) or when the relay republishes after a crash, so the
# window is the streams' retention; older ids are pruned.
INBOX_WINDOW = timedelta(days=14)
INBOX_PRUNE_EVERY = timedelta(hours=1)


async def prune_inbox(
    db_uow: Callable[[], UnitOfWork], consumer: str, window: timedelta = INBOX_WINDOW
) -> int:
    """Forget the consumer's event ids applied longer than window ago; return how many."""
    cutoff = datetime.now(UTC) - window
    async with db_uow() as uow:
        result = await uow.conn.execute(
            sa.delete(INBOX).where(INBOX.c.consumer == consumer, INBOX.c.applied_at < cutoff)
        )
        await uow.commit()
    return result.rowcount or 0


def add_kit_tables(metadata: sa.MetaData) -> None:
    """Copy the outbox and inbox tables into a service's metadata (for its migrations)."""
    for table in (OUTBOX, INBOX):
        if table.name not in metadata.tables:
            table.to_metadata(metadata)


def outbox_row(event: Event) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "subject": event.subject,
        "payload": event.payload,
        "occurred_at": event.occurred_at,
        "ordering_key": event.ordering_key,
    }


def idempotent(
    db_uow: Callable[[], UnitOfWork],
    consumer: str,
    apply: Callable[[UnitOfWork, Delivery], Awaitable[None]],
    *,
    dedupe_window: timedelta = INBOX_WINDOW,
) -> Handler:
    """Wrap a handler so each event id is applied once per consumer.

    The handler's database work and the inbox row commit in one transaction; if the handler
    also writes outside the database (an index), that write must itself be idempotent. The
    consumer's inbox rows older than dedupe_window are pruned about once an hour: no copy of
    an event older than that can still come (see INBOX_WINDOW).
    """
    pruned_at: list[datetime] = [datetime.now(UTC) - INBOX_PRUNE_EVERY]

    async def handle(delivery: Delivery) -> None:
        async with db_uow() as uow:
            seen = await uow.conn.scalar(
                sa.select(sa.func.count())
                .select_from(INBOX)
                .where(INBOX.c.consumer == consumer, INBOX.c.event_id == delivery.event_id)
            )
            if seen:
                CONSUMED.labels(consumer, "duplicate").inc()
                return
            await apply(uow, delivery)
            await uow.conn.execute(
                sa.insert(INBOX).values(
                    consumer=consumer, event_id=delivery.event_id, applied_at=datetime.now(UTC)
                )
            )
            await uow.commit()
        if datetime.now(UTC) - pruned_at[0] >= INBOX_PRUNE_EVERY:
            pruned_at[0] = datetime.now(UTC)
            await prune_inbox(db_uow, consumer, dedupe_window)

    return handle
