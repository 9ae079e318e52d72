"""CheckAgent answers cached for reads (issue 13 §7): a read by an agent may use identity's
"yes" of the last few seconds; a write always asks identity; a revocation event reaches every
cases replica (each its own broadcast subscription) and the next read is refused."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest

from govhall.cases import agents, vocabulary
from govhall.cases.agents import AgentCache
from govhall.cases.workflow import actor_for
from govhall.contracts import identity as identity_events
from govhall.kit.bus import InProcessBus
from govhall.kit.caller import reset_caller, set_caller
from govhall.kit.errors import DomainError
from govhall.kit.events import make_event
from govhall.kit.testing import cluster_bus, wait_until
from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.identity.v1 import identity_pb2

ENTERPRISE, AGENT = "lp-1", "agent-1"


class Identity:
    """identity's CheckAgent, counted; ``granted`` holds the scopes the agent has now."""

    def __init__(self) -> None:
        self.calls = 0
        self.granted = {vocabulary.APPLY_SCOPE}

    async def CheckAgent(self, request: Any, **_: Any) -> identity_pb2.CheckAgentResponse:
        self.calls += 1
        return identity_pb2.CheckAgentResponse(allowed=request.scope in self.granted, authorisation_id="a1")


def replica(identity: Identity, ttl: float = 10.0) -> Any:
    return SimpleNamespace(identity=identity, agents=AgentCache(ttl, 100))


@pytest.fixture
def as_agent() -> Any:
    token = set_caller(
        C.CallerIdentity(
            kind=C.CALLER_KIND_LEGAL_PERSON, subject=ENTERPRISE, actor_subject=AGENT, name="某公司"
        )
    )
    yield
    reset_caller(token)


@pytest.fixture(params=["inprocess", "jetstream"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Any, Any, Any]]:
    """(identity's bus, replica A's, replica B's): one in-process bus, or three NATS connections."""
    if request.param == "inprocess":
        b = InProcessBus()
        yield b, b, b
        await b.close()
        return
    prefix = f"T{uuid.uuid4().hex[:8].upper()}"
    buses = [cluster_bus(request.getfixturevalue("cluster"), "admin", prefix) for _ in range(3)]
    for b in buses:
        await b.start()
    try:
        yield buses[0], buses[1], buses[2]
    finally:
        await buses[0].delete_streams()
        for b in buses:
            await b.close()


async def refused(deps: Any, *, read: bool) -> bool:
    try:
        await actor_for(deps, read=read)
    except DomainError as err:
        assert err.code == "AGENT_NOT_AUTHORISED"
        return True
    return False


async def test_a_read_uses_the_cached_yes_and_a_write_always_asks(as_agent: Any) -> None:
    identity = Identity()
    deps = replica(identity)
    first = await actor_for(deps, read=True)
    assert first.scopes == frozenset({vocabulary.APPLY_SCOPE, vocabulary.VIEW_SCOPE}) and identity.calls == 1
    for _ in range(3):
        assert (await actor_for(deps, read=True)).scopes == first.scopes
    assert identity.calls == 1  # the reads did not ask identity again
    for n in (2, 3):
        assert (await actor_for(deps)).scopes == first.scopes
        assert identity.calls == n  # every write asked
    # A write after the revocation is refused at once, cache or not.
    identity.granted = set()
    assert await refused(deps, read=False)


async def test_a_no_is_never_cached_and_a_yes_expires(as_agent: Any) -> None:
    identity = Identity()
    identity.granted = set()
    deps = replica(identity)
    assert await refused(deps, read=True) and await refused(deps, read=True)
    assert identity.calls == 4  # both scopes asked, both times
    now = [100.0]
    deps.agents = AgentCache(10.0, 100, clock=lambda: now[0])
    identity.granted = {vocabulary.VIEW_SCOPE}
    calls = identity.calls
    await actor_for(deps, read=True)
    await actor_for(deps, read=True)
    assert identity.calls == calls + 2  # apply: no, view: yes; then the cached view-only yes
    now[0] += 10.0
    identity.granted = set()
    assert await refused(deps, read=True)  # expired: asked again


async def test_a_revocation_reaches_every_replica_and_the_next_read_is_refused(
    as_agent: Any, bus: tuple[Any, Any, Any]
) -> None:
    identity_bus, bus_a, bus_b = bus
    identity = Identity()
    a, b = replica(identity, ttl=0), replica(identity, ttl=0)  # as app.wire makes them: off
    await actor_for(a, read=True)
    await actor_for(a, read=True)
    assert identity.calls == 2  # not cached before the revocations can be heard
    await agents.listen(SimpleNamespace(bus=bus_a), a.agents, "cases-agents", 10.0)
    await agents.listen(SimpleNamespace(bus=bus_b), b.agents, "cases-agents", 10.0)
    identity.calls = 0
    for deps in (a, b):
        await actor_for(deps, read=True)
    assert identity.calls == 2 and len(a.agents) == len(b.agents) == 1
    # Another enterprise's revocation leaves this agent's answers alone.
    other = identity_pb2.AgentRevoked(
        authorisation=identity_pb2.AgentAuthorisation(legal_person_id="lp-2", agent_id=AGENT)
    )
    await identity_bus.publish(make_event(identity_events.AGENT_REVOKED, other))
    identity.granted = set()
    revoked = identity_pb2.AgentRevoked(
        authorisation=identity_pb2.AgentAuthorisation(legal_person_id=ENTERPRISE, agent_id=AGENT)
    )
    await identity_bus.publish(make_event(identity_events.AGENT_REVOKED, revoked))
    for deps in (a, b):
        await wait_until(lambda deps=deps: refused(deps, read=True), timeout=10, what="the read refused")
    assert a.agents.generation == b.agents.generation == 2


def test_an_answer_asked_before_a_revocation_is_not_kept_and_the_cache_is_capped() -> None:
    cache = AgentCache(10.0, 3)
    asked_at = cache.generation
    cache.revoke(ENTERPRISE, AGENT)  # arrives while the CheckAgent call is on its way
    cache.remember((ENTERPRISE, AGENT, "cases.apply"), asked_at)
    assert not cache.allowed((ENTERPRISE, AGENT, "cases.apply"))
    for n in range(5):
        cache.remember((f"lp-{n}", AGENT, "cases.apply"), cache.generation)
    assert len(cache) == 3 and not cache.allowed(("lp-0", AGENT, "cases.apply"))
    assert cache.allowed(("lp-4", AGENT, "cases.apply"))


async def test_without_the_revocation_events_nothing_is_cached() -> None:
    class NoBroadcast:
        async def broadcast(self, subject: str, handler: Any) -> None:
            raise PermissionError("Permissions Violation")

    cache = AgentCache(0, 100)
    await agents.listen(SimpleNamespace(bus=NoBroadcast()), cache, "cases-agents", 10.0)
    cache.remember((ENTERPRISE, AGENT, "cases.apply"), cache.generation)
    assert cache.ttl == 0 and not cache.allowed((ENTERPRISE, AGENT, "cases.apply"))
