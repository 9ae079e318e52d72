"""The relay: order per aggregate with several replicas, parked rows, no transaction while publishing."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from govhall.kit.bus import InProcessBus
from govhall.kit.db import Database
from govhall.kit.events import Delivery, Event
from govhall.kit.eventstore import OUTBOX, idempotent
from govhall.kit.outbox import PARKED, OutboxRelay, ordering_key
from govhall.kit.testing import database_is_free, database_with_kit_tables

_meta = sa.MetaData()
NOTES = sa.Table(
    "notes", _meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("text", sa.String(100))
)


async def make_db(url: str) -> Database:
    return await database_with_kit_tables(url, NOTES)


class SlowBus:
    """Stores what it is given in arrival order, each publish taking a random while (as a bus
    under load does), and fails the event ids it is told to."""

    def __init__(self, failing: set[str] | None = None) -> None:
        self.stored: list[tuple[str, str]] = []
        self.failing = failing or set()

    async def publish(self, event: Event) -> None:
        await asyncio.sleep(random.uniform(0, 0.003))
        if event.event_id in self.failing:
            raise ConnectionError("publish timed out")
        self.stored.append((event.subject, event.payload.decode()))


def test_the_ordering_key_is_the_aggregate() -> None:
    assert ordering_key("cases.case.submitted") == ordering_key("cases.case.changed") == "cases.case"
    assert ordering_key("catalogue.site.upserted.S001") == "catalogue.site.S001"
    assert ordering_key("catalogue.site.upserted.S001") != ordering_key("catalogue.site.upserted.S002")
    # An emitter that names the aggregate (a case id) narrows the sequence to that aggregate.
    assert ordering_key("cases.case.submitted", "C1") == ordering_key("cases.case.accepted", "C1")
    assert ordering_key("cases.case.submitted", "C1") != ordering_key("cases.case.submitted", "C2")
    assert ordering_key("cases.case.submitted", "C1") != ordering_key("cases.handover.forwarded", "C1")


class CountingBus(SlowBus):
    """A SlowBus that remembers the most publishes it had in flight at once."""

    def __init__(self) -> None:
        super().__init__()
        self.in_flight = 0
        self.most_in_flight = 0

    async def publish(self, event: Event) -> None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await super().publish(event)
        finally:
            self.in_flight -= 1


async def test_aggregates_named_by_the_emitter_go_concurrently_each_in_order(db_url: str) -> None:
    """Events on one subject with no id in it (cases.case.changed) but naming their case: the
    relay has many in flight at once, and each case's events still arrive in the order written."""
    db = await make_db(db_url)
    bus = CountingBus()
    relay = OutboxRelay(db, bus, "test", batch_size=64)  # type: ignore[arg-type]
    aggregates, per_aggregate = 8, 10
    async with db.uow() as uow:
        for i in range(per_aggregate):
            for a in range(aggregates):
                uow.emit(
                    Event(subject="cases.case.changed", payload=f"C{a}:{i}".encode(), ordering_key=f"C{a}")
                )
        await uow.commit()
    async with asyncio.timeout(60):
        while len(bus.stored) < aggregates * per_aggregate:
            await relay.relay_once()
    assert len(bus.stored) == aggregates * per_aggregate
    assert bus.most_in_flight > 1, "different cases' events are published concurrently"
    for a in range(aggregates):
        seen = [int(p.split(":")[1]) for _, p in bus.stored if p.startswith(f"C{a}:")]
        assert seen == list(range(per_aggregate)), f"case C{a} out of order: {seen}"
    await db.close()


async def test_events_naming_no_aggregate_keep_their_subjects_one_order(db_url: str) -> None:
    """Rows without an ordering key (written before it existed) stay one chain per entity type."""
    db = await make_db(db_url)
    bus = CountingBus()
    relay = OutboxRelay(db, bus, "test")  # type: ignore[arg-type]
    async with db.uow() as uow:
        for i in range(20):
            uow.emit(Event(subject="cases.case.changed", payload=str(i).encode()))
        await uow.commit()
    assert await relay.relay_once() == 20
    assert [int(p) for _, p in bus.stored] == list(range(20))
    assert bus.most_in_flight == 1
    await db.close()


async def test_two_relays_publish_each_aggregate_in_order(db_url: str) -> None:
    """Two replicas relay one outbox while the service keeps writing: every event is published
    once, and the events of each aggregate in the order they were written."""
    writer, first_db, second_db = await make_db(db_url), Database(db_url), Database(db_url)
    bus = SlowBus()
    relays = [OutboxRelay(d, bus, "test", batch_size=16) for d in (first_db, second_db)]  # type: ignore[arg-type]
    aggregates, per_aggregate = 4, 30

    async def write() -> None:
        for i in range(per_aggregate):
            async with writer.uow() as uow:
                for a in range(aggregates):
                    uow.emit(Event(subject=f"cases.case.changed.C{a}", payload=str(i).encode()))
                await uow.commit()
            await asyncio.sleep(0)

    async def relay(r: OutboxRelay) -> None:
        while len(bus.stored) < aggregates * per_aggregate:
            await r.relay_once()
            await asyncio.sleep(0)

    async with asyncio.timeout(60):
        await asyncio.gather(write(), relay(relays[0]), relay(relays[1]))
    assert len(bus.stored) == aggregates * per_aggregate, "each event published once"
    for a in range(aggregates):
        seen = [int(p) for s, p in bus.stored if s == f"cases.case.changed.C{a}"]
        assert seen == list(range(per_aggregate)), f"aggregate C{a} out of order: {seen}"
    for d in (writer, first_db, second_db):
        await d.close()


async def test_a_failed_event_holds_back_its_aggregate_only_then_is_parked(db_url: str) -> None:
    db = await make_db(db_url)
    bus = SlowBus()
    relay = OutboxRelay(db, bus, "test", max_attempts=3)  # type: ignore[arg-type]
    events = [Event(subject="cases.case.changed.C1", payload=str(i).encode()) for i in range(3)]
    other = Event(subject="cases.case.changed.C2", payload=b"other")
    bus.failing = {events[1].event_id}
    async with db.uow() as uow:
        for e in (*events, other):
            uow.emit(e)
        await uow.commit()
    parked_before = PARKED.labels("test")._value.get()
    for _ in range(2):
        with pytest.raises(RuntimeError, match="1 of"):
            await relay.relay_once()
        # Event 2 never overtakes event 1 while event 1 may still go; the other aggregate went.
        assert sorted(bus.stored) == [("cases.case.changed.C1", "0"), ("cases.case.changed.C2", "other")]
    with pytest.raises(RuntimeError):
        await relay.relay_once()  # the third failure parks it
    assert PARKED.labels("test")._value.get() == parked_before + 1
    assert await relay.relay_once() == 1, "the parked row is skipped; its aggregate goes on"
    assert bus.stored[-1] == ("cases.case.changed.C1", "2")
    assert await relay.relay_once() == 0
    async with db.reader() as uow:
        row = (
            await uow.conn.execute(
                sa.select(OUTBOX.c.attempts, OUTBOX.c.published_at).where(
                    OUTBOX.c.event_id == events[1].event_id
                )
            )
        ).one()
    assert row.attempts == 3 and row.published_at is None, "parked, kept for an operator"
    await db.close()


async def test_the_relay_publishes_with_no_transaction_open(db_url: str) -> None:
    """While the bus takes an event, the relay's database is free: on SQLite another writer gets
    the write lock at once; on PostgreSQL no session of the relay sits in a transaction."""
    db = await make_db(db_url)
    seen: list[str] = []

    class Probe:
        async def publish(self, event: Event) -> None:
            seen.append(await database_is_free(db_url))

    relay = OutboxRelay(db, Probe(), "test")  # type: ignore[arg-type]
    async with db.uow() as uow:
        uow.emit(Event(subject="cases.case.changed", payload=b"x"))
        await uow.commit()
    assert await relay.relay_once() == 1
    assert seen == ["free"]
    await db.close()


async def test_two_services_publishing_to_each_other_do_not_deadlock(tmp_path: Path) -> None:
    """All-in-one: A's consumer of B's events writes to A and raises an event, and the other way
    round. The relays hold no transaction while the bus runs the other's consumer, so neither
    waits on the other's SQLite write lock (which would stall both for the 30 s busy timeout)."""
    bus = InProcessBus()
    dbs = {name: await make_db(f"sqlite+aiosqlite:///{tmp_path / name}.db") for name in ("cases", "consult")}
    other = {"cases": "consult", "consult": "cases"}
    relays = {name: OutboxRelay(db, bus, name, poll_interval=0.05) for name, db in dbs.items()}
    rounds = 10

    for name, db in dbs.items():

        async def apply(uow: Any, d: Delivery, name: str = name) -> None:
            await uow.conn.execute(sa.insert(NOTES).values(text=d.payload.decode()))
            hop = int(d.payload.decode().split(":")[1])
            if hop < rounds:
                uow.emit(Event(subject=f"{name}.note.added", payload=f"{name}:{hop + 1}".encode()))

        await bus.subscribe(f"{name}-from-{other[name]}", f"{other[name]}.>", idempotent(db.uow, name, apply))
    for relay in relays.values():
        relay.start()
    for name, db in dbs.items():
        async with db.uow() as uow:
            uow.emit(Event(subject=f"{name}.note.added", payload=f"{name}:0".encode()))
            await uow.commit()

    async def notes(db: Database) -> int:
        async with db.reader() as uow:
            return int(await uow.conn.scalar(sa.select(sa.func.count()).select_from(NOTES)) or 0)

    async with asyncio.timeout(10):  # a deadlock would sit out the 30 s busy timeout
        while [await notes(db) for db in dbs.values()] != [rounds + 1, rounds + 1]:
            await asyncio.sleep(0.02)
    for relay in relays.values():
        await relay.stop()
    await bus.close()
    for db in dbs.values():
        await db.close()
