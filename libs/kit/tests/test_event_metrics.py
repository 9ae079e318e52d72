"""The event metrics of the contract (OPS18): outbox age, consumer backlog, redeliveries."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from prometheus_client import REGISTRY

from govhall.kit.bus import InProcessBus, JetStreamBus
from govhall.kit.events import Delivery, Event
from govhall.kit.eventstore import OUTBOX
from govhall.kit.outbox import OutboxRelay
from govhall.kit.testing import cluster_bus, database_with_kit_tables, wait_until


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_the_relay_reports_the_age_of_the_oldest_unpublished_row(tmp_path: Path) -> None:
    db = await database_with_kit_tables(f"sqlite+aiosqlite:///{tmp_path}/o.db")
    service = f"svc{uuid.uuid4().hex[:6]}"

    class Refusing:
        async def publish(self, event: Event) -> None:
            raise ConnectionError("bus away")

    relay = OutboxRelay(db, Refusing(), service)  # type: ignore[arg-type]
    async with db.uow() as uow:
        uow.emit(Event(subject="cases.case.submitted", payload=b"x"))
        await uow.commit()
    async with db.uow() as uow:  # as if it had waited ten minutes
        old = datetime.now(UTC) - timedelta(minutes=10)
        await uow.conn.execute(sa.update(OUTBOX).values(occurred_at=old))
        await uow.commit()
    try:
        await relay.relay_once()
    except RuntimeError:
        pass  # the refused publish; the row stays
    age = value("govhall_outbox_oldest_age_seconds", service=service)
    assert 600 <= age < 660
    relay._bus = InProcessBus()  # the bus is back: the row goes, the age drops to 0
    assert await relay.relay_once() == 1
    assert await relay.relay_once() == 0  # the next pass finds nothing waiting
    assert value("govhall_outbox_oldest_age_seconds", service=service) == 0
    await db.close()


async def test_the_embedded_bus_reports_backlog_and_redeliveries() -> None:
    bus = InProcessBus()
    durable = f"d{uuid.uuid4().hex[:6]}"
    release = asyncio.Event()
    seen: list[int] = []

    async def handle(d: Delivery) -> None:
        seen.append(d.attempt)
        await release.wait()
        if d.attempt == 1 and d.payload == b"fail-once":
            raise RuntimeError("first try fails")

    await bus.subscribe(durable, "identity.>", handle)
    before = value("govhall_events_redelivered_total", consumer=durable)
    poison = Event(subject="identity.user.a", payload=b"fail-once")
    first = asyncio.create_task(bus.publish(poison))
    await wait_until(lambda: seen, what="the first delivery")
    # The consumer is busy with the first: these three wait in its queue.
    rest = [
        asyncio.create_task(bus.publish(Event(subject="identity.user.b", payload=b"ok"))) for _ in range(3)
    ]
    await wait_until(lambda: value("govhall_events_consumer_pending", consumer=durable) == 3)
    release.set()
    await asyncio.gather(*rest)
    assert isinstance((await asyncio.gather(first, return_exceptions=True))[0], RuntimeError)
    assert value("govhall_events_consumer_pending", consumer=durable) == 0
    assert value("govhall_events_redelivered_total", consumer=durable) == before
    await bus.publish(poison)  # the relay's second try: a redelivery
    assert seen[-1] == 2
    assert value("govhall_events_redelivered_total", consumer=durable) == before + 1
    await bus.close()


async def test_jetstream_samples_the_backlog_and_counts_redeliveries(cluster: dict[str, str]) -> None:
    bus: JetStreamBus = cluster_bus(cluster, "admin", f"T{uuid.uuid4().hex[:8].upper()}")
    await bus.start()
    durable = f"d{uuid.uuid4().hex[:6]}"
    release = asyncio.Event()
    seen: list[tuple[bytes, int]] = []

    async def handle(d: Delivery) -> None:
        seen.append((d.payload, d.attempt))
        await release.wait()
        if d.payload == b"fail-once" and d.attempt == 1:
            raise RuntimeError("first try fails")

    try:
        await bus.subscribe(durable, "identity.>", handle)
        before = value("govhall_events_redelivered_total", consumer=durable)
        await bus.publish(Event(subject="identity.user.a", payload=b"fail-once"))
        await wait_until(lambda: seen, what="the first delivery")
        # The consumer is busy with the first: these three wait on the server, undelivered.
        for _ in range(3):
            await bus.publish(Event(subject="identity.user.b", payload=b"ok"))
        await bus.sample_pending()
        assert value("govhall_events_consumer_pending", consumer=durable) == 3
        release.set()
        await wait_until(lambda: (b"fail-once", 2) in seen, what="the redelivery")
        assert value("govhall_events_redelivered_total", consumer=durable) == before + 1
        await wait_until(lambda: len(seen) == 5, what="every delivery")

        async def drained() -> bool:
            await bus.sample_pending()
            return value("govhall_events_consumer_pending", consumer=durable) == 0

        await wait_until(drained, what="an empty backlog")
    finally:
        await bus.delete_streams()
        await bus.close()
