"""The transactional outbox and its relay.

A service writes its events to the `outbox` table in the same transaction as the change that
raised them (UnitOfWork.emit). The relay takes a lease on the outbox (PostgreSQL: a session
advisory lock, so of several replicas one relays at a time; SQLite, one process: a lock in the
process), reads a batch of unpublished rows, publishes them with NO transaction open (on SQLite
an open write transaction is a database-wide lock, and the in-process bus runs other services'
consumers meanwhile), then marks them (PostgreSQL: on the lease's autocommit connection, each
statement its own transaction; SQLite: in a short transaction). Events of one aggregate
(`ordering_key`: the subject's entity, narrowed by the row's ordering_key when the emitter named
one, e.g. a case id) are published one after another in sequence order, and a failure stops that
aggregate's rows for the pass, so no later event of it overtakes an earlier one; different
aggregates go concurrently, many publishes in flight with their acks awaited together. A crash between publish and
mark republishes with the same event id, which JetStream's duplicate window and the consumers'
inbox both absorb. A row that failed `max_attempts` times is parked: the relay skips it (and
counts it in govhall_outbox_parked); setting its `attempts` back to 0 releases it.
The `outbox` table itself, and the consumers' `inbox`, are in eventstore.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from prometheus_client import Counter, Gauge

from govhall.kit import tracing
from govhall.kit.dialect import is_postgres
from govhall.kit.events import Event
from govhall.kit.eventstore import OUTBOX

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from govhall.kit.bus import EventBus
    from govhall.kit.db import Database

log = logging.getLogger(__name__)

RELAYED = Counter("govhall_outbox_relayed_total", "Events published from the outbox", ["service"])
RELAY_FAILURES = Counter("govhall_outbox_relay_failures_total", "Failed outbox publish attempts", ["service"])
PENDING = Gauge("govhall_outbox_pending", "Unpublished outbox rows seen by the last relay pass", ["service"])
PARKED = Counter(
    "govhall_outbox_parked_total", "Outbox rows parked after too many failed publishes", ["service"]
)
OLDEST_AGE = Gauge(
    "govhall_outbox_oldest_age_seconds",
    "Age of the oldest unpublished outbox row seen by the last relay pass (0 when none)",
    ["service"],
)

# The advisory lock key space of the relay lease (a bigint; the service name is mixed in).
_LEASE_NAMESPACE = 0x6F7574626F78  # "outbox"
# SQLite is one process (all-in-one): a lock per database file stands in for the lease.
_sqlite_leases: dict[str, asyncio.Lock] = {}


def ordering_key(subject: str, aggregate: str | None = None) -> str:
    """The aggregate an event belongs to: its subject's, refined by the row's ordering_key.

    Subjects are `<service>.<entity>.<what>[.<id>...]`: the key drops `<what>`, so every event
    about one entity type (or, with an id in the subject, one entity) is one sequence, whatever
    happened to it (`cases.case.submitted` and `cases.case.changed` stay in order). An event
    whose emitter named its aggregate (Event.ordering_key: `cases.case.*` carry the case id)
    is in that aggregate's sequence only; one that named none keeps the whole entity type's."""
    tokens = subject.split(".")
    key = ".".join(tokens[:2] + tokens[3:])
    return key if aggregate is None else f"{key}#{aggregate}"


def _lease_key(service: str) -> int:
    digest = hashlib.sha256(f"outbox-relay:{service}".encode()).digest()
    return (int.from_bytes(digest[:6], "big") ^ _LEASE_NAMESPACE) & 0x7FFF_FFFF_FFFF_FFFF


def report_oldest(service: str, rows: list[Any]) -> None:
    """How long the oldest row of this pass has waited: a backlog that is small but old (one
    aggregate stuck behind a failing event) shows here, where the row count does not."""
    if not rows:
        OLDEST_AGE.labels(service).set(0)
        return
    oldest = min(r.occurred_at for r in rows)
    if oldest.tzinfo is None:  # SQLite hands the stored UTC time back naive
        oldest = oldest.replace(tzinfo=UTC)
    OLDEST_AGE.labels(service).set(max(0.0, (datetime.now(UTC) - oldest).total_seconds()))


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
        max_attempts: int = 20,
    ) -> None:
        self._db = db
        self._bus = bus
        self._service = service
        self._batch = batch_size
        self._poll = poll_interval
        self._keep = keep_published
        self._max_attempts = max_attempts
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

    @contextlib.asynccontextmanager
    async def _lease(self) -> AsyncIterator[tuple[bool, AsyncConnection | None]]:
        """Hold the service's relay lease for one pass: (False, None) if another relay has it.
        On PostgreSQL also the lease's connection, in autocommit: the pass reads and marks on it,
        each statement its own transaction, with no checkout, BEGIN or COMMIT of its own."""
        engine = self._db.engine
        if not is_postgres(engine):
            lock = _sqlite_leases.setdefault(str(engine.url), asyncio.Lock())
            async with lock:
                yield True, None
            return
        # A session lock on a connection with no transaction open: it holds while this relay
        # publishes, and goes with the connection if the process dies.
        key = _lease_key(self._service)
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = bool(await conn.scalar(sa.select(sa.func.pg_try_advisory_lock(key))))
            try:
                yield got, conn if got else None
            finally:
                if got:
                    await conn.scalar(sa.select(sa.func.pg_advisory_unlock(key)))

    async def relay_once(self) -> int:
        """Publish one batch of unpublished rows in order; return how many were published."""
        async with self._lease() as (leased, conn):
            if not leased:
                return 0  # another replica is relaying; its pass covers these rows
            return await self._pass(conn)

    async def _pass(self, conn: AsyncConnection | None) -> int:
        query = (
            sa.select(
                OUTBOX.c.seq,
                OUTBOX.c.event_id,
                OUTBOX.c.subject,
                OUTBOX.c.payload,
                OUTBOX.c.occurred_at,
                OUTBOX.c.ordering_key,
            )
            .where(OUTBOX.c.published_at.is_(None), OUTBOX.c.attempts < self._max_attempts)
            .order_by(OUTBOX.c.seq)
            .limit(self._batch)
        )
        if conn is not None:
            rows = list((await conn.execute(query)).all())
        else:
            async with self._db.reader() as uow:
                rows = list((await uow.conn.execute(query)).all())
        PENDING.labels(self._service).set(len(rows))
        report_oldest(self._service, rows)
        if not rows:
            return 0
        chains: dict[str, list[Any]] = {}
        for row in rows:
            chains.setdefault(ordering_key(row.subject, row.ordering_key), []).append(row)
        done: list[int] = []
        failed: list[tuple[int, BaseException]] = []

        async def publish_chain(chain: list[Any]) -> None:
            for r in chain:
                event = Event(
                    subject=r.subject, payload=r.payload, event_id=r.event_id, occurred_at=r.occurred_at
                )
                try:
                    # The span that raised the event is remembered in its envelope, not here.
                    with tracing.producer_span(r.subject, r.event_id, r.payload):
                        await self._bus.publish(event)
                except Exception as exc:
                    failed.append((r.seq, exc))
                    return  # the rest of this aggregate waits, so nothing overtakes this event
                done.append(r.seq)

        await asyncio.gather(*(publish_chain(c) for c in chains.values()))
        if conn is not None:
            # Each statement of the marking stands on its own: a crash between them leaves a
            # published row unmarked (republished, then dropped as a duplicate) or an attempt
            # uncounted, as a crash before the marking's commit did.
            await self._mark(conn, done, failed)
        else:
            async with self._db.uow() as uow:
                await self._mark(uow.conn, done, failed)
                await uow.commit()
        RELAYED.labels(self._service).inc(len(done))
        if failed:
            raise RuntimeError(f"{len(failed)} of {len(rows)} events not published") from failed[0][1]
        return len(done)

    async def _mark(
        self, conn: AsyncConnection, done: list[int], failed: list[tuple[int, BaseException]]
    ) -> None:
        """Mark the published rows, count the failed ones' attempts and park those past the limit."""
        if done:
            now = datetime.now(UTC)
            await conn.execute(sa.update(OUTBOX).where(OUTBOX.c.seq.in_(done)).values(published_at=now))
        if not failed:
            return
        seqs = [seq for seq, _ in failed]
        await conn.execute(
            sa.update(OUTBOX).where(OUTBOX.c.seq.in_(seqs)).values(attempts=OUTBOX.c.attempts + 1)
        )
        parked = await conn.execute(
            sa.select(OUTBOX.c.seq, OUTBOX.c.event_id, OUTBOX.c.subject).where(
                OUTBOX.c.seq.in_(seqs), OUTBOX.c.attempts >= self._max_attempts
            )
        )
        for p in parked:
            PARKED.labels(self._service).inc()
            log.error(
                "outbox row %s (%s %s) parked after %d failed publishes",
                p.seq,
                p.subject,
                p.event_id,
                self._max_attempts,
            )

    async def prune(self) -> None:
        cutoff = datetime.now(UTC) - self._keep
        async with self._db.uow() as uow:
            await uow.conn.execute(
                sa.delete(OUTBOX).where(OUTBOX.c.published_at.is_not(None), OUTBOX.c.published_at < cutoff)
            )
            await uow.commit()
