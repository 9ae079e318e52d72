"""The transactional outbox and its relay.

A service writes its events to the `outbox` table in the same transaction as the change that
raised them (UnitOfWork.emit). The relay reads unpublished rows in order, publishes them to
the bus concurrently (acknowledged publishes, so a row is marked only once the bus has it),
and marks them. A crash between publish and mark republishes with the same event id, which
JetStream's duplicate window and the consumers' inbox both absorb.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from prometheus_client import Counter, Gauge

from govhall.kit.events import Event

if TYPE_CHECKING:
    from govhall.kit.bus import EventBus
    from govhall.kit.db import Database

log = logging.getLogger(__name__)

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
    }


RELAYED = Counter("govhall_outbox_relayed_total", "Events published from the outbox", ["service"])
RELAY_FAILURES = Counter("govhall_outbox_relay_failures_total", "Failed outbox publish attempts", ["service"])
PENDING = Gauge("govhall_outbox_pending", "Unpublished outbox rows seen by the last relay pass", ["service"])


class OutboxRelay:
    """Publishes outbox rows to the bus. One per service process; wake() after each commit."""

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        service: str,
        *,
        batch_size: int = 256,
        poll_interval: float = 1.0,
        keep_published: timedelta = timedelta(days=7),
    ) -> None:
        self._db = db
        self._bus = bus
        self._service = service
        self._batch = batch_size
        self._poll = poll_interval
        self._keep = keep_published
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        db.on_commit(self.wake)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self._service}")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task:
            await self._task

    async def _run(self) -> None:
        backoff = self._poll
        last_prune = datetime.now(UTC)
        while not self._stopping:
            try:
                published = await self.relay_once()
                backoff = self._poll
                if published == self._batch:
                    continue  # more waiting: go again at once
                if datetime.now(UTC) - last_prune > timedelta(hours=1):
                    await self.prune()
                    last_prune = datetime.now(UTC)
            except Exception:
                RELAY_FAILURES.labels(self._service).inc()
                log.warning("outbox relay pass failed; retrying in %.1fs", backoff, exc_info=True)
                backoff = min(backoff * 2, 30.0)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=backoff)
            except TimeoutError:
                pass
            self._wake.clear()
        # On the way out, one last pass so a clean shutdown leaves nothing behind.
        try:
            await self.relay_once()
        except Exception:
            log.warning("final outbox pass failed; the rows stay for the next start", exc_info=True)

    async def relay_once(self) -> int:
        """Publish one batch of unpublished rows in order; return how many were published."""
        engine = self._db.engine
        query = (
            sa.select(
                OUTBOX.c.seq, OUTBOX.c.event_id, OUTBOX.c.subject, OUTBOX.c.payload, OUTBOX.c.occurred_at
            )
            .where(OUTBOX.c.published_at.is_(None))
            .order_by(OUTBOX.c.seq)
            .limit(self._batch)
        )
        if engine.dialect.name == "postgresql":
            # Several replicas may relay at once; each row goes to one of them.
            query = query.with_for_update(skip_locked=True)
        async with self._db.uow() as uow:
            rows = (await uow.conn.execute(query)).all()
            PENDING.labels(self._service).set(len(rows))
            if not rows:
                return 0
            events = [
                Event(subject=r.subject, payload=r.payload, event_id=r.event_id, occurred_at=r.occurred_at)
                for r in rows
            ]
            results = await asyncio.gather(*(self._bus.publish(e) for e in events), return_exceptions=True)
            done = [r.seq for r, res in zip(rows, results, strict=True) if not isinstance(res, BaseException)]
            failed = [r.seq for r, res in zip(rows, results, strict=True) if isinstance(res, BaseException)]
            now = datetime.now(UTC)
            if done:
                await uow.conn.execute(
                    sa.update(OUTBOX).where(OUTBOX.c.seq.in_(done)).values(published_at=now)
                )
            if failed:
                await uow.conn.execute(
                    sa.update(OUTBOX).where(OUTBOX.c.seq.in_(failed)).values(attempts=OUTBOX.c.attempts + 1)
                )
            await uow.commit()
        RELAYED.labels(self._service).inc(len(done))
        if failed:
            first = next(res for res in results if isinstance(res, BaseException))
            raise RuntimeError(f"{len(failed)} of {len(rows)} events not published") from first
        return len(done)

    async def prune(self) -> None:
        cutoff = datetime.now(UTC) - self._keep
        async with self._db.uow() as uow:
            await uow.conn.execute(
                sa.delete(OUTBOX).where(OUTBOX.c.published_at.is_not(None), OUTBOX.c.published_at < cutoff)
            )
            await uow.commit()
