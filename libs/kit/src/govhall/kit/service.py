"""Running a service: the same start-up for its own process and for all-in-one mode.

A service describes itself with a ServiceSpec (its name, migrations, gRPC servicers and event
consumers); `ServiceHost` migrates its database, starts the outbox relay, its consumers and its
gRPC server with health reporting the database and the bus; `run_forever` is what a
service's `__main__` calls.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import grpc

from govhall.kit import memory, migrations, observability
from govhall.kit.bus import EventBus, create_bus
from govhall.kit.db import Database, ensure_database, ping
from govhall.kit.grpcclient import channel
from govhall.kit.grpcserver import GrpcServer, ReadinessCheck
from govhall.kit.kv import KeyValueStore
from govhall.kit.outbox import OutboxRelay
from govhall.kit.settings import PlatformSettings, ServiceSettings, platform_kv
from govhall.kit.tokens import RevocationList
from govhall.kit.trust import CallerPolicy, Signer, Verifier
from govhall.kit.workers import run_workers, worker_index

log = logging.getLogger(__name__)

Registration = tuple[Callable[[Any, grpc.aio.Server], None], Any, str]

# The service's own settings class: a spec and its context carry it, so a service's wiring reads
# `ctx.settings.catalogue_address` typed, with no cast or isinstance of its own.
S = TypeVar("S", bound=ServiceSettings)


@dataclass
class ServiceContext(Generic[S]):
    """What a service's wiring receives: its database, the bus and its settings."""

    name: str
    db: Database
    bus: EventBus
    settings: S
    platform: PlatformSettings
    # Signs, as this service, the calls it makes to others (see `channel`).
    signer: Signer
    # Extra readiness checks (an index, a cache) and clean-ups the service adds while wiring.
    readiness: list[ReadinessCheck] = field(default_factory=list)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def channel(self, audience: str, address: str) -> grpc.aio.Channel:
        """A channel to the service ``audience``: its calls prove this service's identity (or
        that of the user named with `caller_metadata`, where the callee allows it). Closed
        with the service."""
        ch = channel(address, signer=self.signer, audience=audience)
        self.closers.append(ch.close)
        return ch


@dataclass
class ServiceSpec(Generic[S]):
    name: str
    migrations: Path
    # Who may call it, asserting what, and which methods (trust.CallerPolicy): a callers.json.
    callers: Path
    # Build the servicers and subscribe the consumers (after migrations, before the server
    # starts); returns (add_to_server, servicer, full service name) triples.
    wire: Callable[[ServiceContext[S]], Awaitable[Sequence[Registration]]]
    publishes_events: bool = True
    # Refuse, on every RPC, a caller whose session or agent authorisation identity has revoked
    # (tokens.RevocationList.check, the list the gateway checks too): a service acting on a
    # user's behalf must not rely on the gateway in front having checked. Only identity, which
    # reads its sessions table itself, goes without.
    checks_sessions: bool = True


async def migrate(db: Database, spec: ServiceSpec[Any]) -> None:
    """Create the service's database if need be and bring its tables up to date."""
    await ensure_database(db.url)
    await migrations.upgrade(db.url, spec.migrations)


class DatabaseBehind(RuntimeError):
    """The database lacks migrations this code needs, and this process may not run them."""


async def wait_until_migrated(db: Database, spec: ServiceSpec[Any], wait_seconds: float) -> None:
    """With migrate_on_start false (the chart: a hook Job migrates), refuse to serve a database
    behind this code's heads (kit and service histories): wait up to wait_seconds for the Job,
    then raise DatabaseBehind, so the pod restarts rather than serve on a schema it does not know."""
    deadline = asyncio.get_running_loop().time() + wait_seconds
    delay = 0.2
    while True:
        try:
            lacking = await migrations.behind(db.url, spec.migrations)
        except Exception as exc:  # not reachable yet (the database, or the role): wait too
            lacking = [f"database unreachable: {type(exc).__name__}"]
        if not lacking:
            return
        if asyncio.get_running_loop().time() >= deadline:
            log.error(
                "%s: database is behind this code (%s) and GOVHALL_MIGRATE_ON_START is false: "
                "refusing to serve; run `python -m govhall.%s migrate` (the chart's migrate Job)",
                spec.name, "; ".join(lacking), spec.name,
            )  # fmt: skip
            raise DatabaseBehind(f"{spec.name}: database behind its code: {'; '.join(lacking)}")
        log.warning("%s: waiting for migrations (%s)", spec.name, "; ".join(lacking))
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)


class ServiceHost(Generic[S]):
    def __init__(self, spec: ServiceSpec[S], settings: S, platform: PlatformSettings, bus: EventBus) -> None:
        self.spec = spec
        self.settings = settings
        self.platform = platform
        self.bus = bus
        self.db = Database(
            settings.resolved_database_url(platform, spec.name), pool_size=settings.database_pool_size
        )
        self.relay = OutboxRelay(self.db, bus, spec.name) if spec.publishes_events else None
        self.server: GrpcServer | None = None
        bundle_file, _ = platform.trust_files(spec.name)
        self.verifier = Verifier(spec.name, bundle_file, CallerPolicy.from_file(spec.callers))
        signer = Signer.from_settings(platform, spec.name)
        self.ctx: ServiceContext[S] = ServiceContext(spec.name, self.db, bus, settings, platform, signer)
        self.kv: KeyValueStore | None = None

    @property
    def address(self) -> str:
        assert self.server is not None, "service not started"
        return self.server.address

    async def start(self) -> str:
        if self.platform.migrate_on_start:
            await migrate(self.db, self.spec)
        else:
            await wait_until_migrated(self.db, self.spec, self.platform.migrate_wait_seconds)
        registrations = await self.spec.wire(self.ctx)
        session_check = None
        if self.spec.checks_sessions:
            # The store identity publishes revocations in: Redis, or the file under var/.
            self.kv = platform_kv(self.platform, self.settings.kv_namespace)
            session_check = RevocationList(self.kv).check
        if self.relay:
            self.relay.start()

        async def db_ready() -> bool:
            return await ping(self.db.engine)

        # The bus is not a readiness check: while NATS is away the outbox keeps every event and the
        # relay publishes them once it is back, so a service taken out of rotation then would
        # refuse work it can do (an application submitted during a NATS outage). The outbox
        # backlog shows in govhall_outbox_pending.
        self.server = GrpcServer(
            self.settings.grpc_address,
            registrations,
            readiness=[db_ready, *self.ctx.readiness],
            default_deadline=self.settings.default_deadline_seconds,
            stream_deadline=self.settings.stream_deadline_seconds,
            session_check=session_check,
            verifier=self.verifier,
            # Workers of one service share its port (workers.py); one process never does.
            reuse_port=self.settings.workers > 1 and worker_index() is not None,
        )
        await self.server.start()
        log.info("%s serving gRPC on %s", self.spec.name, self.server.address)
        return self.server.address

    async def stop(self) -> None:
        if self.server:
            await self.server.stop()
        if self.relay:
            await self.relay.stop()
        for close in reversed(self.ctx.closers):
            await close()
        if self.kv is not None:
            await self.kv.close()
        await self.db.close()


async def _serve(spec: ServiceSpec[S], settings: S) -> None:
    platform = PlatformSettings()
    metrics_port = settings.metrics_port
    if metrics_port and (index := worker_index()) is not None:
        metrics_port += index  # one /metrics per worker process
    observability.setup(spec.name, platform.log_level, metrics_port)
    bus = create_bus(
        platform.nats_url,
        stream_prefix=platform.stream_prefix,
        user=platform.nats_user,
        password=platform.nats_password.get_secret_value() if platform.nats_password else None,
        jetstream_domain=platform.jetstream_domain,
    )
    await bus.start()
    host = ServiceHost(spec, settings, platform, bus)
    await host.start()
    memory.settle()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("%s stopping", spec.name)
    await host.stop()
    await bus.close()


async def _migrate_only(spec: ServiceSpec[S], settings: S) -> None:
    """`python -m govhall.<service> migrate`: migrate the service's database and return (the
    chart's pre-install/pre-upgrade Job); no bus, server or trust key needed."""
    platform = PlatformSettings()
    observability.setup(spec.name, platform.log_level)  # logging only: no metrics port for a Job
    db = Database(settings.resolved_database_url(platform, spec.name))
    try:
        await migrate(db, spec)
        log.info("%s: database migrated to its heads", spec.name)
    finally:
        await db.close()


def run_forever(spec: ServiceSpec[S], settings: S, argv: Sequence[str] | None = None) -> None:
    """Serve until SIGINT/SIGTERM; with the argument `migrate`, migrate the database and return
    (exit status 0)."""
    # Before any thread: gRPC, OpenTelemetry, NATS and the database start theirs (memory.py).
    memory.limit_arenas()
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["migrate"]:
        asyncio.run(_migrate_only(spec, settings))
        return
    if args:
        raise SystemExit(f"usage: python -m govhall.{spec.name} [migrate]")
    if settings.workers > 1 and worker_index() is None:
        # The supervisor of the workers (workers.py): it migrates once, they only check.
        if PlatformSettings().migrate_on_start:
            asyncio.run(_migrate_only(spec, settings))
        env = {**os.environ, "GOVHALL_MIGRATE_ON_START": "false"}
        raise SystemExit(run_workers(f"govhall.{spec.name}", settings.workers, env))
    asyncio.run(_serve(spec, settings))
