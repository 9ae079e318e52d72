"""Fixtures shared by every test: the real local servers, fresh databases, running services.

Integration tests need PostgreSQL, NATS JetStream, Redis and Elasticsearch from deploy/local.
The `cluster` fixture starts them (start.sh is idempotent and quick when they already run) and
fails the test loudly if they cannot be started: a missing server is never a skip.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent


def _cluster_env() -> dict[str, str]:
    out = subprocess.run(
        ["bash", "-c", "source deploy/local/env.sh >/dev/null && env -0"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    pairs = (item.split("=", 1) for item in out.split("\0") if "=" in item)
    return {k: v for k, v in pairs if k.startswith("GOVHALL_")}


@pytest.fixture(scope="session")
def cluster() -> dict[str, str]:
    """The local cluster's URLs (GOVHALL_PG_URL, GOVHALL_NATS_URL, ...), started if need be."""
    result = subprocess.run(["bash", "deploy/local/start.sh"], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(
            "deploy/local/start.sh could not start the local servers; run deploy/local/install.sh first.\n"
            + result.stdout[-3000:]
            + result.stderr[-3000:],
            pytrace=False,
        )
    return _cluster_env()


@pytest.fixture(scope="session", autouse=True)
def _migrated_templates() -> Iterator[None]:
    """A service started on an empty SQLite file gets a copy of one migrated once by the real
    upgrade (govhall.kit.testdb), not every revision replayed per start: minutes per run.
    GOVHALL_TEST_REAL_MIGRATIONS=1 runs the real upgrade at every start."""
    if os.environ.get("GOVHALL_TEST_REAL_MIGRATIONS") == "1":
        yield
        return
    from govhall.kit import service, testdb

    templates = testdb.MigratedTemplates()
    real = service.migrate

    async def migrate(db: Any, spec: Any) -> None:
        if not await templates.restore(db.url, spec.migrations):
            await real(db, spec)

    service.migrate = migrate  # what ServiceHost.start calls; the CLIs and tests keep their own
    try:
        yield
    finally:
        service.migrate = real
        templates.cleanup()


@asynccontextmanager
async def _fresh_pg_database(cluster: dict[str, str]) -> AsyncIterator[str]:
    """A new database, made by the superuser but owned by and connected to as govhall_test, a role
    with no privilege beyond it (as each service's role): the suite proves no code needs more."""
    from govhall.kit.testing import create_database, drop_database

    name = f"test_{uuid.uuid4().hex[:12]}"
    url = await create_database(cluster, name, "govhall_test")
    try:
        yield url
    finally:
        await drop_database(cluster, name)


@pytest.fixture(params=["sqlite", "postgres"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh database on each back end the services support: SQLite (all-in-one) and PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    async with _fresh_pg_database(request.getfixturevalue("cluster")) as url:
        yield url


@pytest.fixture
async def pg_database(cluster: dict[str, str]) -> AsyncIterator[Any]:
    """A fresh PostgreSQL database with the kit's outbox and inbox (a kit `Database`): for an
    invariant under real concurrency (kit.races.concurrently), which SQLite's one writer at a
    time never tests."""
    from govhall.kit.testing import database_with_kit_tables

    async with _fresh_pg_database(cluster) as url:
        db = await database_with_kit_tables(url)
        try:
            yield db
        finally:
            await db.close()


@pytest.fixture
def platform(tmp_path: Path) -> Any:
    """Platform settings for embedded back ends under a temporary var/ (the environment is ignored)."""
    from govhall.kit.settings import PlatformSettings

    return PlatformSettings(var_dir=tmp_path / "var", nats_url=None, redis_url=None, elasticsearch_url=None)


@pytest.fixture
async def start_service() -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """Start service hosts (catalogue, search, ...) for one test; they are stopped afterwards."""
    from govhall.kit.service import ServiceHost

    hosts: list[ServiceHost] = []

    async def start(spec: Any, settings: Any, platform: Any, bus: Any) -> ServiceHost:
        host = ServiceHost(spec, settings, platform, bus)
        await host.start()
        hosts.append(host)
        return host

    yield start
    for host in reversed(hosts):
        await host.stop()


@pytest.fixture(params=["memory", "sqlite", "redis"])
async def kv(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """A key-value store on each back end (in memory; a SQLite file, as in all-in-one mode; real
    Redis), with a namespace of its own so runs and tests never see each other's keys."""
    from govhall.kit.kv import KeyValueStore, MemoryStore, RedisStore
    from govhall.kit.kvsqlite import SqliteStore
    from govhall.kit.testing import redis_credentials

    namespace = f"test-{uuid.uuid4().hex[:12]}"
    store: KeyValueStore
    if request.param == "memory":
        store = MemoryStore(namespace)
    elif request.param == "sqlite":
        store = SqliteStore(tmp_path / "kv.db", namespace)
    else:
        # The admin user: these tests exercise the store itself on namespaces of their own; what
        # each service's user may touch is tested in tests/deploy/test_local_credentials.py.
        cluster = request.getfixturevalue("cluster")
        store = RedisStore(cluster["GOVHALL_REDIS_URL"], namespace, **redis_credentials(cluster))
    yield store
    await store.close()


os.environ.setdefault("GOVHALL_LOG_LEVEL", "WARNING")


def _trust_for_the_run() -> None:
    """One set of caller-assertion keys for every principal, for the whole run: services started
    in the tests (in process, or as processes inheriting the environment) and the tests that call
    them as the gateway or a service (`govhall.kit.testing.signer`) all find it through
    GOVHALL_TRUST_DIR."""
    import atexit
    import shutil
    import tempfile

    from govhall.kit import trustkeys

    directory = Path(tempfile.mkdtemp(prefix="govhall-trust-"))
    trustkeys.init(directory)
    os.environ["GOVHALL_TRUST_DIR"] = str(directory)
    atexit.register(shutil.rmtree, directory, ignore_errors=True)


_trust_for_the_run()


_NEEDS_SERVERS = {"postgres", "elasticsearch", "jetstream", "redis"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that needs the local servers `integration` (so `-m "not integration"` is quick)."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        fixtures = getattr(item, "fixturenames", ())
        if "cluster" in fixtures or "e2e" in fixtures or _NEEDS_SERVERS & {str(v) for v in params.values()}:
            item.add_marker(pytest.mark.integration)


class _Recording:
    """The one SDK tracer provider of the run (a process may install only one), recording into
    memory only while a test holds the `spans` fixture: the other tests pay span creation only."""

    def __init__(self) -> None:
        from opentelemetry import trace
        from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        self.exporter = InMemorySpanExporter()
        self.on = False
        recording = self

        class Switch(SpanProcessor):  # type: ignore[misc]
            def on_start(self, span: Span, parent_context: Any = None) -> None:
                return None

            def on_end(self, span: ReadableSpan) -> None:
                if recording.on:
                    recording.exporter.export([span])

        provider = trace.get_tracer_provider()
        if not isinstance(provider, TracerProvider):
            provider = TracerProvider()
            trace.set_tracer_provider(provider)
        provider.add_span_processor(Switch())


@pytest.fixture(scope="session")
def _recording() -> _Recording:
    return _Recording()


@pytest.fixture
def spans(_recording: _Recording) -> Any:
    """The finished spans of this test (an InMemorySpanExporter: get_finished_spans())."""
    _recording.exporter.clear()
    _recording.on = True
    yield _recording.exporter
    _recording.on = False
    _recording.exporter.clear()
