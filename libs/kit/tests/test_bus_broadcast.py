"""Broadcast subscriptions (bus.broadcast): every process hears every message from the moment
it subscribes, where a durable consumer shared by replicas gives each message to one of them.
For per-process state such as caches (cases' CheckAgent answers)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from govhall.kit.bus import InProcessBus, JetStreamBus
from govhall.kit.events import Delivery, Event
from govhall.kit.testing import cluster_bus, wait_until


def recorder(into: list[str]) -> Any:
    async def handle(d: Delivery) -> None:
        into.append(f"{d.subject}:{d.payload.decode()}")

    return handle


@pytest.fixture(params=["inprocess", "jetstream"])
async def replicas(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Any, Any, Any]]:
    """(publisher, replica A's bus, replica B's bus): one bus in-process; three connections to
    one stream prefix of their own on the real NATS (admin: no service's subjects)."""
    if request.param == "inprocess":
        bus = InProcessBus()
        yield bus, bus, bus
        await bus.close()
        return
    cluster = request.getfixturevalue("cluster")
    prefix = f"T{uuid.uuid4().hex[:8].upper()}"
    buses: list[JetStreamBus] = [cluster_bus(cluster, "admin", prefix) for _ in range(3)]
    for b in buses:
        await b.start()
    try:
        yield buses[0], buses[1], buses[2]
    finally:
        await buses[0].delete_streams()
        for b in buses:
            await b.close()


async def test_every_replica_hears_every_message_from_when_it_subscribed(
    replicas: tuple[Any, Any, Any],
) -> None:
    publisher, a_bus, b_bus = replicas
    await publisher.publish(Event("identity.agent.revoked", b"before", event_id=uuid.uuid4().hex))
    a: list[str] = []
    b: list[str] = []
    durable: list[str] = []
    await a_bus.broadcast("identity.agent.revoked", recorder(a))
    await b_bus.broadcast("identity.agent.revoked", recorder(b))
    for text in ("one", "two"):
        await publisher.publish(Event("identity.agent.revoked", text.encode(), event_id=uuid.uuid4().hex))
    await publisher.publish(Event("identity.agent.authorised", b"other", event_id=uuid.uuid4().hex))
    await wait_until(lambda: len(a) == 2 and len(b) == 2, what="both replicas' broadcasts")
    # From now on only ("before" is not replayed), and only the subject asked for.
    assert a == b == ["identity.agent.revoked:one", "identity.agent.revoked:two"]
    # A durable beside it still works as before.
    await a_bus.subscribe("t-durable", "identity.agent.>", recorder(durable))
    await publisher.publish(Event("identity.agent.revoked", b"three", event_id=uuid.uuid4().hex))
    await wait_until(lambda: len(a) == 3 and len(b) == 3 and "identity.agent.revoked:three" in durable)


async def test_a_failing_broadcast_handler_does_not_stop_the_next_message(
    replicas: tuple[Any, Any, Any],
) -> None:
    publisher, bus, _ = replicas
    seen: list[str] = []

    async def flaky(d: Delivery) -> None:
        seen.append(d.payload.decode())
        if d.payload == b"bad":
            raise RuntimeError("boom")

    await bus.broadcast("identity.agent.revoked", flaky)
    await publisher.publish(Event("identity.agent.revoked", b"bad", event_id=uuid.uuid4().hex))
    await publisher.publish(Event("identity.agent.revoked", b"good", event_id=uuid.uuid4().hex))
    await wait_until(lambda: seen == ["bad", "good"], what="the message after a failure")
