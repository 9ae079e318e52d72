"""The event buses (in-process, and real NATS JetStream), the outbox relay and the inbox."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from govhall.kit.bus import InProcessBus, JetStreamBus
from govhall.kit.db import Database
from govhall.kit.events import Delivery, Event
from govhall.kit.eventstore import INBOX, OUTBOX, idempotent
from govhall.kit.outbox import OutboxRelay
from govhall.kit.testing import cluster_bus, database_with_kit_tables, wait_until

_meta = sa.MetaData()
NOTES = sa.Table(
    "notes", _meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("text", sa.String(100))
)


async def make_db(url: str) -> Database:
    return await database_with_kit_tables(url, NOTES)


@asynccontextmanager
async def fresh_jetstream(cluster: dict[str, str]) -> AsyncIterator[JetStreamBus]:
    """A JetStream bus with a prefix of its own; its streams are deleted afterwards. It logs in as
    NATS's admin: these tests use subjects and durable names of no service (the services' users
    are tested in tests/deploy/test_nats_permissions.py)."""
    bus = cluster_bus(cluster, "admin", f"T{uuid.uuid4().hex[:8].upper()}")
    await bus.start()
    try:
        yield bus
    finally:
        await bus.delete_streams()
        await bus.close()


@pytest.fixture
async def jetstream(cluster: dict[str, str]) -> AsyncIterator[JetStreamBus]:
    async with fresh_jetstream(cluster) as bus:
        yield bus


@pytest.fixture(params=["inprocess", "jetstream"])
async def bus(request: pytest.FixtureRequest) -> Any:
    if request.param == "inprocess":
        b = InProcessBus()
        yield b
        await b.close()
    else:
        async with fresh_jetstream(request.getfixturevalue("cluster")) as b:
            yield b


async def test_each_durable_consumer_gets_each_event_in_order(bus: Any) -> None:
    got: dict[str, list[str]] = {"a": [], "b": []}

    async def handler_for(name: str) -> Any:
        async def handle(d: Delivery) -> None:
            got[name].append(d.payload.decode())

        return handle

    # An event stream (identity's): a state stream (the catalogue's) keeps only the last
    # message per subject, so a consumer behind would get only the latest of these twenty.
    await bus.subscribe("consumer-a", "identity.>", await handler_for("a"))
    await bus.subscribe("consumer-b", "identity.user.*", await handler_for("b"))
    for i in range(20):
        await bus.publish(Event(subject="identity.user.registered", payload=f"m{i}".encode()))
    await bus.publish(Event(subject="identity.agent.authorised", payload=b"site"))
    await bus.publish(Event(subject="cases.case.submitted", payload=b"other stream"))
    await wait_until(lambda: len(got["a"]) == 21 and len(got["b"]) == 20)
    assert got["a"] == [f"m{i}" for i in range(20)] + ["site"]
    assert got["b"] == [f"m{i}" for i in range(20)]


async def test_a_failing_handler_gets_the_event_again(bus: Any) -> None:
    attempts: list[int] = []

    async def flaky(d: Delivery) -> None:
        attempts.append(d.attempt)
        if len(attempts) < 3:
            raise RuntimeError("index unavailable")

    await bus.subscribe("flaky", "catalogue.>", flaky)
    event = Event(subject="catalogue.matter.published", payload=b"x")
    for _ in range(3):  # the in-process bus redelivers when the relay publishes again
        try:
            await bus.publish(event)
        except RuntimeError:
            continue
        if isinstance(bus, InProcessBus):
            break
    await wait_until(lambda: len(attempts) >= 3)
    assert attempts[:3] == [1, 2, 3]


async def test_jetstream_drops_a_republished_event_id(jetstream: JetStreamBus) -> None:
    got: list[str] = []

    async def handle(d: Delivery) -> None:
        got.append(d.event_id)

    await jetstream.subscribe("dedupe", "catalogue.>", handle)
    event = Event(subject="catalogue.matter.published", payload=b"once")
    await jetstream.publish(event)
    await jetstream.publish(event)  # the relay crashed after publishing, before marking the row
    another = Event(subject="catalogue.matter.published", payload=b"another")
    await jetstream.publish(another)
    # One consumer gets a stream in order: a stored duplicate would come before "another".
    await wait_until(lambda: another.event_id in got)
    assert got == [event.event_id, another.event_id]


async def test_jetstream_consumer_resumes_where_it_stopped(cluster: dict[str, str]) -> None:
    prefix = f"T{uuid.uuid4().hex[:8].upper()}"
    first = cluster_bus(cluster, "admin", prefix)
    await first.start()
    got: list[str] = []

    async def handle(d: Delivery) -> None:
        got.append(d.payload.decode())

    await first.subscribe("resume", "catalogue.>", handle)
    await first.publish(Event(subject="catalogue.matter.published", payload=b"before"))
    await wait_until(lambda: got == ["before"])
    await first.close()
    # While the consumer is away, events keep coming; a new process picks up from there.
    publisher = cluster_bus(cluster, "admin", prefix)
    await publisher.start()
    await publisher.publish(Event(subject="catalogue.matter.published", payload=b"while away"))
    await publisher.subscribe("resume", "catalogue.>", handle)
    await wait_until(lambda: len(got) == 2)
    assert got == ["before", "while away"]
    await publisher.delete_streams()
    await publisher.close()


async def test_two_prefixes_share_one_server_without_seeing_each_other(cluster: dict[str, str]) -> None:
    got: list[list[str]] = [[], []]
    async with fresh_jetstream(cluster) as first, fresh_jetstream(cluster) as second:
        for i, bus in enumerate((first, second)):

            async def handle(d: Delivery, i: int = i) -> None:
                got[i].append(f"{d.subject}:{d.payload.decode()}")

            await bus.subscribe("same-durable-name", "catalogue.>", handle)
            await bus.publish(Event(subject="catalogue.matter.published", payload=str(i).encode()))
        # Each then publishes an end mark: had they shared a stream, each consumer would meet
        # the other's event before its own mark.
        for bus in (first, second):
            await bus.publish(Event(subject="catalogue.matter.published", payload=b"end"))
        await wait_until(lambda: all(g and g[-1].endswith(":end") for g in got))
    assert got == [
        ["catalogue.matter.published:0", "catalogue.matter.published:end"],
        ["catalogue.matter.published:1", "catalogue.matter.published:end"],
    ]


async def test_close_returns_promptly_with_active_consumers(cluster: dict[str, str]) -> None:
    prefix = f"T{uuid.uuid4().hex[:8].upper()}"
    bus = cluster_bus(cluster, "admin", prefix)
    await bus.start()

    got: list[str] = []

    async def handle(d: Delivery) -> None:
        got.append(d.event_id)

    await bus.subscribe("closing", "catalogue.>", handle)
    # A consumer that has handled an event is back in its pull loop, waiting on the server.
    await bus.publish(Event(subject="catalogue.matter.published", payload=b"x"))
    await wait_until(lambda: got, what="the consumer active")
    assert bus.healthy()
    async with asyncio.timeout(5):
        await bus.close()
    assert not bus.healthy()
    # A closed bus cannot delete its streams: a second one with the same prefix does.
    cleaner = cluster_bus(cluster, "admin", prefix)
    await cleaner.start()
    await cleaner.delete_streams()
    await cleaner.close()


async def test_outbox_commits_with_the_change_and_the_relay_publishes(db_url: str) -> None:
    db = await make_db(db_url)
    bus = InProcessBus()
    got: list[bytes] = []

    async def handle(d: Delivery) -> None:
        got.append(d.payload)

    await bus.subscribe("rec", "catalogue.>", handle)
    relay = OutboxRelay(db, bus, "test", poll_interval=0.05)
    async with db.uow() as uow:
        await uow.conn.execute(sa.insert(NOTES).values(id=1, text="rolled back"))
        uow.emit(Event(subject="catalogue.note.added", payload=b"never"))
        # no commit: the change and its event go together
    async with db.uow() as uow:
        await uow.conn.execute(sa.insert(NOTES).values(id=2, text="kept"))
        uow.emit(Event(subject="catalogue.note.added", payload=b"kept"))
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.conn.scalar(sa.select(sa.func.count()).select_from(OUTBOX)) == 1
        assert await uow.conn.scalar(sa.select(NOTES.c.text)) == "kept"
    relay.start()
    await wait_until(lambda: got == [b"kept"])
    await relay.stop()
    async with db.uow() as uow:
        unpublished = await uow.conn.scalar(
            sa.select(sa.func.count()).select_from(OUTBOX).where(OUTBOX.c.published_at.is_(None))
        )
    assert unpublished == 0
    await db.close()


async def test_relay_keeps_rows_the_bus_refused_and_retries(tmp_path: Path) -> None:
    db = await make_db(f"sqlite+aiosqlite:///{tmp_path / 'o.db'}")

    class DownThenUp:
        def __init__(self) -> None:
            self.up = False
            self.published: list[str] = []

        async def publish(self, event: Event) -> None:
            if not self.up:
                raise ConnectionError("bus down")
            self.published.append(event.event_id)

    bus = DownThenUp()
    relay = OutboxRelay(db, bus, "test", poll_interval=0.05)  # type: ignore[arg-type]
    async with db.uow() as uow:
        for i in range(5):
            uow.emit(Event(subject="catalogue.x.y", payload=str(i).encode()))
        await uow.commit()
    with pytest.raises(RuntimeError, match="1 of 5 events not published"):
        await relay.relay_once()
    async with db.uow() as uow:
        attempts = (await uow.conn.execute(sa.select(OUTBOX.c.attempts))).scalars().all()
    assert attempts == [1, 0, 0, 0, 0], "the first failed; the rest of its aggregate waited behind it"
    bus.up = True
    assert await relay.relay_once() == 5
    assert await relay.relay_once() == 0
    assert len(bus.published) == 5
    await db.close()


async def test_idempotent_consumer_applies_an_event_once(db_url: str) -> None:
    db = await make_db(db_url)
    applied: list[str] = []

    async def apply(uow: Any, d: Delivery) -> None:
        await uow.conn.execute(sa.insert(NOTES).values(text=d.payload.decode()))
        applied.append(d.event_id)

    handle = idempotent(db.uow, "notes", apply)
    delivery = Delivery("catalogue.note.added", b"hello", "evt-1")
    await handle(delivery)
    await handle(Delivery("catalogue.note.added", b"hello", "evt-1", attempt=2))
    await handle(Delivery("catalogue.note.added", b"world", "evt-2"))
    async with db.uow() as uow:
        texts = (await uow.conn.execute(sa.select(NOTES.c.text).order_by(NOTES.c.id))).scalars().all()
    assert texts == ["hello", "world"] and applied == ["evt-1", "evt-2"]

    async def broken(uow: Any, d: Delivery) -> None:
        await uow.conn.execute(sa.insert(NOTES).values(text="half"))
        raise RuntimeError("crash after writing")

    with pytest.raises(RuntimeError):
        await idempotent(db.uow, "notes", broken)(Delivery("catalogue.note.added", b"", "evt-3"))
    async with db.uow() as uow:
        assert await uow.conn.scalar(sa.select(sa.func.count()).select_from(NOTES)) == 2, "rolled back"
        seen = await uow.conn.scalar(
            sa.select(sa.func.count()).select_from(INBOX).where(INBOX.c.event_id == "evt-3")
        )
    assert seen == 0, "a failed event is not remembered, so its redelivery is applied"
    await db.close()
