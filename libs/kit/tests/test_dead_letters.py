"""Consumers: bounded deliveries then a dead-letter place, stale events dropped, the inbox pruned."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from govhall.kit.bus import DEAD_LETTERED, InProcessBus
from govhall.kit.db import Database
from govhall.kit.events import Delivery, Event
from govhall.kit.eventstore import INBOX, idempotent
from govhall.kit.ordering import STALE, newer_only
from govhall.kit.testing import cluster_bus, database_with_kit_tables, wait_until

_meta = sa.MetaData()
COPY = sa.Table(
    "case_copy",
    _meta,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
)


async def make_db(url: str) -> Database:
    return await database_with_kit_tables(url, COPY)


def dead(consumer: str) -> float:
    return float(DEAD_LETTERED.labels(consumer)._value.get())


async def test_in_process_bus_parks_a_poison_message_after_max_deliver() -> None:
    bus = InProcessBus(max_deliver=3)
    attempts: list[int] = []
    got: list[bytes] = []

    async def handle(d: Delivery) -> None:
        if d.payload == b"poison":
            attempts.append(d.attempt)
            raise ValueError("cannot apply")
        got.append(d.payload)

    await bus.subscribe("poisoned-inproc", "cases.>", handle)
    before = dead("poisoned-inproc")
    poison = Event(subject="cases.case.changed", payload=b"poison")
    for _ in range(2):  # the relay publishes again after each failure
        with pytest.raises(ValueError):
            await bus.publish(poison)
    await bus.publish(poison)  # the third delivery fails too: parked, the publish succeeds
    await bus.publish(Event(subject="cases.case.changed", payload=b"next"))
    assert attempts == [1, 2, 3] and got == [b"next"]
    assert [(d.consumer, d.event_id, d.deliveries) for d in bus.dead_letters] == [
        ("poisoned-inproc", poison.event_id, 3)
    ]
    assert dead("poisoned-inproc") == before + 1
    await bus.close()


async def test_closing_the_in_process_bus_releases_a_waiting_publisher() -> None:
    bus = InProcessBus()
    started = asyncio.Event()

    async def slow(d: Delivery) -> None:
        started.set()
        await asyncio.Event().wait()  # a handler that never finishes by itself

    await bus.subscribe("slow", "cases.>", slow)
    publishing = asyncio.create_task(bus.publish(Event(subject="cases.case.changed", payload=b"x")))
    await asyncio.wait_for(started.wait(), 5)
    await bus.close()
    with pytest.raises(RuntimeError, match="bus closed"):
        await asyncio.wait_for(publishing, 5)


async def test_jetstream_parks_a_poison_message_in_the_dead_letter_stream(cluster: dict[str, str]) -> None:
    prefix = f"T{uuid.uuid4().hex[:8].upper()}"
    bus = cluster_bus(cluster, "admin", prefix, max_deliver=3)
    await bus.start()
    attempts: list[int] = []
    got: list[bytes] = []
    try:

        async def handle(d: Delivery) -> None:
            if d.payload == b"poison":
                attempts.append(d.attempt)
                raise ValueError("cannot apply")
            got.append(d.payload)

        await bus.subscribe("poisoned", "cases.>", handle)
        before = dead("poisoned")
        poison = Event(subject="cases.case.changed", payload=b"poison")
        await bus.publish(poison)
        await bus.publish(Event(subject="cases.case.changed", payload=b"next"))
        await wait_until(lambda: dead("poisoned") == before + 1, what="the poison message parked")
        assert attempts == [1, 2, 3], "delivered max_deliver times, no more"
        assert got == [b"next"]
        # The parked copy is on the dead-letter stream with what an operator needs.
        msg = await bus._js.get_last_msg(
            bus.stream_name("deadletter"), f"{prefix.lower()}.deadletter.poisoned"
        )
        assert msg.data == b"poison"
        assert msg.headers["Govhall-Event-Id"] == poison.event_id
        assert msg.headers["Govhall-Subject"] == "cases.case.changed"
        assert msg.headers["Govhall-Deliveries"] == "3"
        info = await bus._js.consumer_info(bus.stream_name("cases"), "poisoned")
        assert info.config.max_deliver == 3
    finally:
        await bus.delete_streams()
        await bus.close()


async def test_a_consumer_made_with_unbounded_deliveries_is_bounded(cluster: dict[str, str]) -> None:
    """A durable created by an earlier version (max_deliver -1) gets the bound when subscribed."""
    prefix = f"T{uuid.uuid4().hex[:8].upper()}"
    old = cluster_bus(cluster, "admin", prefix, max_deliver=-1)
    await old.start()
    new = cluster_bus(cluster, "admin", prefix, max_deliver=4)
    try:

        async def handle(d: Delivery) -> None:
            return None

        await old.subscribe("upgraded", "cases.>", handle)
        await old.close()
        await new.start()
        await new.subscribe("upgraded", "cases.>", handle)
        info = await new._js.consumer_info(new.stream_name("cases"), "upgraded")
        assert info.config.max_deliver == 4
    finally:
        await new.delete_streams()
        await new.close()


async def test_stale_events_of_an_aggregate_are_dropped(db_url: str) -> None:
    """'concluded' (revision 4) redelivered before 'accepted' (3): the copy stays concluded."""
    db = await make_db(db_url)

    def revision_of(d: Delivery) -> int:
        return int(d.payload.decode().split(":")[1])

    async def stored(uow: Any, d: Delivery) -> int | None:
        rev = await uow.conn.scalar(sa.select(COPY.c.revision).where(COPY.c.case_id == "c1"))
        return None if rev is None else int(rev)

    async def apply(uow: Any, d: Delivery) -> None:
        status, rev = d.payload.decode().split(":")
        await uow.conn.execute(sa.delete(COPY).where(COPY.c.case_id == "c1"))
        await uow.conn.execute(sa.insert(COPY).values(case_id="c1", status=status, revision=int(rev)))

    handle = idempotent(db.uow, "copy", newer_only("copy", revision_of, stored, apply))
    before = STALE.labels("copy")._value.get()
    for i, payload in enumerate(["submitted:1", "concluded:4", "accepted:3", "concluded:4"]):
        await handle(Delivery("cases.case.changed", payload.encode(), f"e{i}"))
    async with db.reader() as uow:
        row = (await uow.conn.execute(sa.select(COPY.c.status, COPY.c.revision))).one()
    assert (row.status, row.revision) == ("concluded", 4)
    assert STALE.labels("copy")._value.get() == before + 2, "accepted:3 and the second concluded:4"
    await db.close()


async def test_the_inbox_forgets_event_ids_after_the_dedupe_window(db_url: str) -> None:
    db = await make_db(db_url)
    now = datetime.now(UTC)
    async with db.uow() as uow:
        await uow.conn.execute(
            sa.insert(INBOX),
            [
                {"consumer": "copy", "event_id": "old", "applied_at": now - timedelta(days=15)},
                {"consumer": "copy", "event_id": "recent", "applied_at": now - timedelta(days=13)},
                {"consumer": "other", "event_id": "old", "applied_at": now - timedelta(days=15)},
            ],
        )
        await uow.commit()

    async def apply(uow: Any, d: Delivery) -> None:
        return None

    handle = idempotent(db.uow, "copy", apply, dedupe_window=timedelta(days=14))
    await handle(Delivery("cases.case.changed", b"", "new"))
    async with db.reader() as uow:
        rows = (await uow.conn.execute(sa.select(INBOX.c.consumer, INBOX.c.event_id))).all()
    assert sorted(tuple(r) for r in rows) == [("copy", "new"), ("copy", "recent"), ("other", "old")]
    await db.close()
