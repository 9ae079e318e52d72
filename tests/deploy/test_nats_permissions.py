"""The bus's users, against the real local NATS (deploy/local/nats.sh): each service publishes
only its own events, consumes only what it consumes, and deletes nothing; a wrong password is
refused. Every test works on streams of a prefix of its own, which the admin deletes."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from govhall.kit.bus import STREAM_STEMS, BusRefused, JetStreamBus
from govhall.kit.events import Delivery, Event
from govhall.kit.testing import NATS_SERVICES, cluster_bus, nats_credentials, service_env, wait_until

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    """A stream prefix of its own, with every stream already made by the admin."""

    cluster: dict[str, str]
    prefix: str
    admin: JetStreamBus
    buses: list[JetStreamBus] = field(default_factory=list)

    @property
    def ns(self) -> str:
        return f"{self.prefix.lower()}."

    async def bus(self, user: str) -> JetStreamBus:
        bus = cluster_bus(self.cluster, user, self.prefix)
        await bus.start()
        self.buses.append(bus)
        return bus

    async def messages(self, stem: str) -> int:
        info = await self.admin._js.stream_info(self.admin.stream_name(stem))
        return int(info.state.messages)


@pytest.fixture
async def run(cluster: dict[str, str]) -> AsyncIterator[Run]:
    assert nats_credentials(cluster, "admin"), "deploy/local gave NATS no users (GOVHALL_SECRET_NATS_ADMIN)"
    prefix = f"T{uuid.uuid4().hex[:8].upper()}"
    admin = cluster_bus(cluster, "admin", prefix)
    await admin.start()
    r = Run(cluster, prefix, admin)
    try:
        for stem in STREAM_STEMS:
            await admin._ensure_stream(stem)
        yield r
    finally:
        for bus in r.buses:
            await bus.close()
        await admin.delete_streams()
        await admin.close()


class Client:
    """A bare nats-py connection as one user, collecting the errors the server sends it."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.nc: Any = None

    async def connect(self, cluster: dict[str, str], user: str) -> Client:
        import nats

        async def on_error(exc: Exception) -> None:
            self.errors.append(str(exc).lower())

        self.nc = await nats.connect(
            cluster["GOVHALL_NATS_URL"],
            inbox_prefix=f"_INBOX.{user}",
            error_cb=on_error,
            allow_reconnect=False,
            **nats_credentials(cluster, user),
        )
        return self

    async def refused(self, what: str, subject: str) -> None:
        """Wait for the server's "permissions violation for <what> to <subject>"."""
        needle = f'violation for {what} to "{subject.lower()}"'
        await wait_until(lambda: any(needle in e for e in self.errors), 10, what=needle)


@pytest.fixture
async def client(cluster: dict[str, str]) -> AsyncIterator[Callable[[str], Any]]:
    clients: list[Client] = []

    async def connect(user: str) -> Client:
        clients.append(await Client().connect(cluster, user))
        return clients[-1]

    yield connect
    for c in clients:
        await c.nc.close()


def durables() -> list[tuple[str, str, str]]:
    """(user, durable, subject) of every durable consumer deploy/local/nats.sh grants: read from
    its NATS_USERS rows, so a consumer added there is tested here without being listed twice."""
    text = (ROOT / "deploy/local/nats.sh").read_text(encoding="utf-8")
    block = re.search(r"^NATS_USERS=\((.*?)^\)", text, re.MULTILINE | re.DOTALL)
    assert block, "deploy/local/nats.sh has no NATS_USERS=(...)"
    out = []
    for row in re.findall(r'"([^"]+)"', block.group(1)):
        user, _, *grants = row.split()
        out += [(user, *grant.split("=", 1)) for grant in grants if "=" in grant]
    return out


def example(subject: str) -> str:
    """A concrete subject its filter matches (`*` one token, `>` the rest)."""
    return subject.replace("*", "x1").replace(">", "x1.x2")


def matches(pattern: str, subject: str) -> bool:
    p, s = pattern.split("."), subject.split(".")
    for i, token in enumerate(p):
        if token == ">":
            return len(s) > i
        if i >= len(s) or token not in ("*", s[i]):
            return False
    return len(p) == len(s)


async def test_each_service_publishes_its_own_events_and_consumes_what_it_consumes(run: Run) -> None:
    got: dict[str, list[str]] = {}

    def recorder(durable: str) -> Any:
        async def handle(d: Delivery) -> None:
            got.setdefault(durable, []).append(d.subject)

        return handle

    granted = durables()
    assert {"cases-site-copy", "search-index", "consult-inbox-cases"} <= {d for _, d, _ in granted}
    # Each durable as its own user: one event its filter matches, published by the filter's stem.
    for user, durable, subject in granted:
        await (await run.bus(user)).subscribe(durable, subject, recorder(durable))
    published = sorted({example(subject) for _, _, subject in granted})
    for subject in published:
        await (await run.bus(subject.split(".")[0])).publish(Event(subject, subject.encode()))
    for user in ("identity", "consult", "appointments", "licences"):
        await (await run.bus(user)).publish(Event(f"{user}.something.happened", b"x"))

    expected = {
        durable: sorted(
            p
            for p in published
            + [f"{u}.something.happened" for u in ("identity", "consult", "appointments", "licences")]
            if matches(subject, p)
        )
        for _, durable, subject in granted
    }
    await wait_until(
        lambda: sum(map(len, got.values())) == sum(map(len, expected.values())),
        what="every consumer's events",
    )
    assert {d: sorted(subjects) for d, subjects in got.items()} == expected
    for stem in STREAM_STEMS:
        ours = [p for p in published if p.split(".")[0] == stem]
        extra = 1 if stem in ("identity", "consult", "appointments", "licences") else 0
        assert await run.messages(stem) == len(ours) + extra, stem


@pytest.mark.parametrize(
    ("user", "subject"),
    [
        ("cases", "catalogue.matter.withdrawn"),
        ("cases", "{ns}catalogue.matter.withdrawn"),
        # Its own stem as the second token would land in the catalogue's stream.
        ("cases", "catalogue.cases.matter.withdrawn"),
        ("search", "{ns}catalogue.matter.withdrawn"),
        ("catalogue", "cases.case.concluded"),
        ("catalogue", "{ns}cases.case.concluded"),
        ("identity", "{ns}cases.case.concluded"),
        ("licences", "{ns}identity.user.verified"),
    ],
)
async def test_a_service_cannot_publish_another_services_events(
    run: Run, client: Callable[[str], Any], user: str, subject: str
) -> None:
    c = await client(user)
    subject = subject.format(ns=run.ns)
    await c.nc.publish(subject, b"forged")
    await c.refused("publish", subject)
    # The same connection's own events do land, so the refusal is about the subject.
    if user != "search":
        await c.nc.publish(f"{run.ns}{user}.own.event", b"own")
        await wait_until(lambda: run.messages(user), what=f"{user}'s own event stored")
    assert await run.messages(subject.removeprefix(run.ns).split(".")[0]) == 0


@pytest.mark.parametrize("subject", ["catalogue.>", "{ns}catalogue.>", ">", "_INBOX.>", "_INBOX.search.>"])
async def test_a_service_cannot_subscribe_to_others_subjects_or_inboxes(
    run: Run, client: Callable[[str], Any], subject: str
) -> None:
    c = await client("cases")
    subject = subject.format(ns=run.ns)
    await c.nc.subscribe(subject)
    await c.refused("subscription", subject)


async def test_a_service_deletes_no_stream_and_reads_no_other_subjects(
    run: Run, client: Callable[[str], Any]
) -> None:
    from nats.js.api import ConsumerConfig

    identity = await run.bus("identity")
    await identity.publish(Event("identity.user.registered", b"a name"))
    c = await client("cases")
    js = c.nc.jetstream(timeout=2)
    stream = run.admin.stream_name("identity")
    for act in (js.delete_stream, js.purge_stream):
        with pytest.raises(Exception):  # noqa: B017 - the server does not answer a refused request
            await act(stream)
    await c.refused("publish", f"$JS.API.STREAM.DELETE.{stream}")
    await c.refused("publish", f"$JS.API.STREAM.PURGE.{stream}")
    # Its own durable's name on the identity stream, reading identity's events: refused, since
    # the filter is part of the create subject and cases' allows only what it consumes.
    config = ConsumerConfig(
        durable_name="cases-site-copy", name="cases-site-copy", filter_subject=f"{run.ns}identity.>"
    )
    with pytest.raises(Exception):  # noqa: B017
        await js.add_consumer(stream, config)
    await c.refused("publish", f"$JS.API.CONSUMER.CREATE.{stream}.cases-site-copy.{run.ns}identity.>")
    assert await run.messages("identity") == 1


async def test_a_wrong_password_or_none_is_refused(cluster: dict[str, str]) -> None:
    url = cluster["GOVHALL_NATS_URL"]
    for bus in (
        JetStreamBus(url, user="cases", password="not-the-password"),
        JetStreamBus(url, user="cases", password=cluster["GOVHALL_SECRET_NATS_CATALOGUE"]),
        JetStreamBus(url),
    ):
        with pytest.raises(BusRefused, match="refused"):
            await bus.start()


def test_each_service_process_gets_its_own_nats_user_and_no_other(cluster: dict[str, str]) -> None:
    for service in NATS_SERVICES:
        env = service_env(cluster, service)
        assert env["GOVHALL_NATS_USER"] == service
        assert env["GOVHALL_NATS_PASSWORD"] == cluster[f"GOVHALL_SECRET_NATS_{service.upper()}"]
        assert not [k for k in env if k.startswith("GOVHALL_SECRET_")]
    # The admin is nobody's process.
    assert (
        len({cluster[f"GOVHALL_SECRET_NATS_{s.upper()}"] for s in (*NATS_SERVICES, "admin")})
        == len(NATS_SERVICES) + 1
    )


async def test_a_service_connects_with_the_user_its_environment_names(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    from govhall.kit.bus import create_bus
    from govhall.kit.settings import PlatformSettings

    env = service_env(run.cluster, "cases")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    platform = PlatformSettings(nats_url=run.cluster["GOVHALL_NATS_URL"], stream_prefix=run.prefix)
    assert env["GOVHALL_NATS_PASSWORD"] not in repr(platform)  # never in a log line
    assert platform.nats_password is not None
    bus = create_bus(
        platform.nats_url,
        stream_prefix=platform.stream_prefix,
        user=platform.nats_user,
        password=platform.nats_password.get_secret_value(),
    )
    run.buses.append(bus)  # type: ignore[arg-type]
    await bus.start()
    await bus.publish(Event("cases.case.submitted", b"case"))
    assert await run.messages("cases") == 1


async def two_replicas(run: Run, user: str, subjects: list[str]) -> dict[int, list[str]]:
    """Two replicas of `user`, each with its own broadcast on every subject: what each hears."""
    heard: dict[int, list[str]] = {0: [], 1: []}

    def recorder(replica: int) -> Any:
        async def handle(d: Delivery) -> None:
            heard[replica].append(d.subject)

        return handle

    for replica in heard:
        bus = await run.bus(user)
        for subject in subjects:
            await bus.broadcast(subject, recorder(replica), last=True)
    return heard


async def listening_refused(run: Run, c: Client, user: str, stem: str, subject: str) -> None:
    """`user` may not make a consumer of `subject` on the `stem` stream (refused at the create request)."""
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

    js = c.nc.jetstream(timeout=2)
    stream = run.admin.stream_name(stem)
    subject = f"{run.ns}{subject}"
    config = ConsumerConfig(
        name=f"{user}-peek",
        deliver_policy=DeliverPolicy.NEW,
        ack_policy=AckPolicy.NONE,
        filter_subject=subject,
    )
    with pytest.raises(Exception):  # noqa: B017 - the server does not answer a refused request
        await js.add_consumer(stream, config)
    await c.refused("publish", f"$JS.API.CONSUMER.CREATE.{stream}.{user}-peek.{subject}")


async def test_cases_hears_revocations_on_every_replica_and_nothing_else(
    run: Run, client: Callable[[str], Any]
) -> None:
    """The broadcast behind cases' CheckAgent cache, as the cases user: two replicas each hear a
    revocation; a broadcast of another identity subject is refused at the create request."""
    heard = await two_replicas(run, "cases", ["identity.agent.revoked"])
    identity = await run.bus("identity")
    await identity.publish(Event("identity.agent.registered", b"not this one"))
    await identity.publish(Event("identity.agent.revoked", b"grant"))
    await wait_until(lambda: all(heard.values()), what="both replicas heard the revocation")
    assert heard == {0: ["identity.agent.revoked"], 1: ["identity.agent.revoked"]}
    await listening_refused(run, await client("cases"), "cases", "identity", "identity.user.registered")


async def test_the_gateway_hears_catalogue_and_search_changes_on_every_replica_and_publishes_nothing(
    run: Run, client: Callable[[str], Any]
) -> None:
    """The broadcasts behind the gateway's response cache (gateway/cacheevents.py), as the gateway
    user: two replicas each hear a catalogue event and search's index notice; the internet-facing
    gateway may publish no event and may not listen to anything else (a case event)."""
    heard = await two_replicas(run, "gateway", ["catalogue.>", "search.index.changed"])
    await (await run.bus("catalogue")).publish(Event("catalogue.matter.withdrawn", b"matter"))
    await (await run.bus("search")).publish(Event("search.index.changed", b"notice"))
    want = ["catalogue.matter.withdrawn", "search.index.changed"]
    await wait_until(lambda: all(sorted(h) == want for h in heard.values()), what="both replicas heard both")

    c = await client("gateway")
    await c.nc.publish(f"{run.ns}catalogue.matter.withdrawn", b"forged")
    await c.refused("publish", f"{run.ns}catalogue.matter.withdrawn")
    assert await run.messages("catalogue") == 1  # only the catalogue's own
    await listening_refused(run, c, "gateway", "cases", "cases.case.submitted")
