"""Test support shared by every test suite: wait for a condition, with a bound; the credentials
of each principal on the local cluster's servers (service_env).

Events reach consumers after the writer's commit, processes take a while to start, clocks move
on: a test waits for the thing it needs rather than sleeping for a guessed time, which is too
short on a loaded machine and too long everywhere else.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import os
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from govhall.kit.ports import free_port as free_port  # the suites import it from here

if TYPE_CHECKING:
    import sqlalchemy as sa

    from govhall.kit.db import Database

T = TypeVar("T")


def _failure(what: str, timeout: float, last: Any) -> AssertionError:
    return AssertionError(f"not within {timeout:g} s: {what} (last seen: {last!r})")


async def wait_until(
    check: Callable[[], T | Awaitable[T]],
    timeout: float = 15.0,  # noqa: ASYNC109 - the bound is the point: a failure says what never came
    *,
    interval: float = 0.02,
    what: str = "",
) -> T:
    """Call check (plain or async) until it returns something truthy, and return that; fail with
    what (and the last value seen) if it has not within timeout seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result  # type: ignore[return-value]
        if loop.time() > deadline:
            raise _failure(what or getattr(check, "__name__", "condition"), timeout, result)
        await asyncio.sleep(interval)


def wait_until_sync(
    check: Callable[[], T], timeout: float = 15.0, *, interval: float = 0.05, what: str = ""
) -> T:
    """wait_until for tests without an event loop (processes, HTTP clients)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise _failure(what or getattr(check, "__name__", "condition"), timeout, result)
        time.sleep(interval)


# A real one-page PDF, for every suite that uploads one: cases parses uploads and refuses what
# does not parse, so a few bytes that merely start with %PDF no longer pass.
ONE_PAGE_PDF = (
    b"%PDF-1.4\n% govhall\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R  >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]  >>\nendobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000019 00000 n \n0000000069 00000 n \n0000000126 00000 n \n"
    b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n198\n%%EOF\n"
)


# Databases ------------------------------------------------------------------------------------


async def database_with_kit_tables(url: str, *tables: sa.Table) -> Database:
    """A `Database` at ``url`` with the kit's outbox and inbox and ``tables`` (SQLAlchemy Tables)
    created: for tests of the kit's event plumbing, which need no service's migrations."""
    from govhall.kit.db import Database
    from govhall.kit.eventstore import INBOX, OUTBOX

    db = Database(url)
    async with db.engine.begin() as conn:
        for table in (OUTBOX, INBOX, *tables):
            await conn.run_sync(table.create, checkfirst=True)
    return db


async def database_is_free(db_url: str, *, samples: int = 10, interval: float = 0.03) -> str:
    """ "free" when nobody holds the database: on SQLite another writer gets the write lock at
    once, on PostgreSQL no other session sits in a transaction; otherwise what holds it. For
    tests that slow work (publishing, file writes) happens with no transaction open.

    PostgreSQL is asked up to ``samples`` times, ``interval`` apart, and "free" is the first
    answer with nobody in a transaction: the outbox relay and other consumers open short
    transactions of their own at any moment, which end within milliseconds, while a transaction
    held across the slow work stays open for every sample (the work waits for this probe)."""
    if db_url.startswith("sqlite"):
        import sqlite3

        path = db_url.split("///", 1)[1]

        def write_now() -> str:
            conn = sqlite3.connect(path, timeout=0.2, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
                return "free"
            except sqlite3.OperationalError as exc:
                return str(exc)
            finally:
                conn.close()

        return await asyncio.to_thread(write_now)
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(db_url)
    busy = 0
    try:
        async with engine.connect() as conn:
            for sample in range(samples):
                if sample:
                    await asyncio.sleep(interval)
                busy = await conn.scalar(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
                    )
                )
                await conn.rollback()  # each sample its own snapshot of pg_stat_activity
                if busy == 0:
                    return "free"
    finally:
        await engine.dispose()
    return f"{busy} sessions in a transaction"


# Callers ---------------------------------------------------------------------------------------


def signer(principal: str = "gateway") -> Any:
    """``principal``'s signer, from the trust directory the platform settings name (the test
    suite's conftest makes one for the whole run and points GOVHALL_TRUST_DIR at it)."""
    from govhall.kit.settings import PlatformSettings
    from govhall.kit.trust import Signer

    return Signer.from_settings(PlatformSettings(), principal)


def signed_channel(address: str, audience: str, principal: str = "gateway") -> Any:
    """A channel to the service ``audience`` whose calls ``principal`` signs: name the caller of
    each call with `govhall.kit.caller.caller_metadata`, as the gateway does."""
    from govhall.kit.grpcclient import channel

    return channel(address, signer=signer(principal), audience=audience)


def verifier(audience: str, callers: Mapping[str, Any] | Path) -> Any:
    """What a server started in a test (a bare `GrpcServer`) checks its callers with: the run's
    public keys, and ``callers`` as in a service's callers.json (a path, or its content)."""
    from govhall.kit.settings import PlatformSettings
    from govhall.kit.trust import CallerPolicy, Verifier

    policy = (
        CallerPolicy.from_file(callers) if isinstance(callers, Path) else CallerPolicy.from_mapping(callers)
    )
    return Verifier(audience, PlatformSettings().trust_files(audience)[0], policy)


def caller_channel(address: str, audience: str) -> Any:
    """A channel to the service ``audience`` that signs each call as the principal making such a
    call in production: a SERVICE caller (named with `caller_metadata`) by that service itself,
    anyone else (a user, staff, the admin token, anonymous) by the gateway. For suites that call
    one service as many callers through one stub; a SERVICE caller that is no principal has no key
    and fails loudly."""
    from govhall.kit.grpcclient import signing_channel
    from govhall.protos.common.v1 import common_pb2

    signers: dict[str, Any] = {}

    def signer_for(caller: Any) -> Any:
        principal = caller.subject if caller.kind == common_pb2.CALLER_KIND_SERVICE else "gateway"
        if principal not in signers:
            signers[principal] = signer(principal)
        return signers[principal]

    return signing_channel(address, audience, signer_for)


class ServiceCalls:
    """One service's gRPC API as its tests call it: a stub of any of its services, calls made as
    any caller (signed as production would sign them, `caller_channel`), a failure turned into
    the DomainError the service raised. A suite's world object subclasses it."""

    def __init__(self, address: str, audience: str) -> None:
        self.address, self.audience = address, audience

    def stub(self, factory: Any) -> Any:
        return factory(caller_channel(self.address, self.audience))

    async def call(self, stub: Any, method: str, request: Any, caller: Any) -> Any:
        import grpc

        from govhall.kit.caller import caller_metadata
        from govhall.kit.grpcclient import domain_error

        try:
            return await getattr(stub, method)(request, metadata=caller_metadata(caller), timeout=30)
        except grpc.aio.AioRpcError as err:
            raise domain_error(err) from None

    async def fails(self, stub: Any, method: str, request: Any, caller: Any) -> Any:
        """The DomainError the call raises (AssertionError if it succeeds)."""
        from govhall.kit.errors import DomainError

        try:
            reply = await self.call(stub, method, request, caller)
        except DomainError as err:
            return err
        raise AssertionError(f"{method} succeeded, expected a refusal: {reply}")


# The local cluster's credentials ---------------------------------------------------------------

# The principals with a NATS user of their own in deploy/local (deploy/local/nats.sh); the
# gateway's only hears broadcasts (its response cache, gateway/cacheevents.py). `admin` sets up
# and cleans up (tests, benchmarks), never a service.
NATS_SERVICES = (
    "identity",
    "catalogue",
    "cases",
    "search",
    "consult",
    "appointments",
    "licences",
    "crossprovince",
    "gateway",
)


def nats_credentials(cluster: Mapping[str, str], principal: str) -> dict[str, str]:
    """JetStreamBus's ``user`` and ``password`` for ``principal`` (a service, or ``admin``), from
    the cluster's GOVHALL_SECRET_NATS_<PRINCIPAL>; empty when it has none (a NATS without users)."""
    password = cluster.get(f"GOVHALL_SECRET_NATS_{principal.upper()}")
    return {"user": principal, "password": password} if password else {}


def cluster_bus(cluster: Mapping[str, str], principal: str, stream_prefix: str, **options: Any) -> Any:
    """A JetStreamBus on the cluster's NATS as ``principal`` (not started); options go to it."""
    from govhall.kit.bus import JetStreamBus

    return JetStreamBus(
        cluster["GOVHALL_NATS_URL"],
        stream_prefix=stream_prefix,
        **nats_credentials(cluster, principal),
        **options,
    )


# ------------------------------------------------------------------ credentials on the servers
#
# deploy/local generates one password per principal into var/etc/secrets.env, named
# GOVHALL_SECRET_<SERVER>_<PRINCIPAL>, and env.sh exports them; `cluster` below is those GOVHALL_*
# variables (conftest's `cluster` fixture). A process gets only its own: `service_env` turns them
# into the settings of one service, for `make up` (deploy/local/services.sh), the e2e tests and
# the benchmarks alike. Without secrets.env (a server without users) every credential is left out.

# The Redis ACL user of each principal; every service not named here is `services`.
_REDIS_USERS = {"gateway": "gateway", "identity": "identity"}
# The services with an Elasticsearch user of their own.
_ES_USERS = {"search": "search"}


def _secret(cluster: Mapping[str, str], server: str, principal: str) -> str | None:
    return cluster.get(f"GOVHALL_SECRET_{server}_{principal.upper()}") or None


def pg_url(cluster: Mapping[str, str], role: str, database: str, *, password: bool = True) -> str:
    """postgresql+asyncpg://role[:password]@host:port/database on the local cluster; the password
    is role govhall_<x>'s GOVHALL_SECRET_PG_<X> (none for the superuser)."""
    host, port = cluster["GOVHALL_PG_HOST"], cluster["GOVHALL_PG_PORT"]
    secret = _secret(cluster, "PG", role.removeprefix("govhall_")) if password and role != "govhall" else None
    auth = f"{role}:{quote(secret, safe='')}" if secret else role
    return f"postgresql+asyncpg://{auth}@{host}:{port}/{database}"


def service_env(cluster: Mapping[str, str], service: str) -> dict[str, str]:
    """The environment one service process needs to reach the servers as itself: its database
    role (URL without the password, and GOVHALL_<SERVICE>_DATABASE_PASSWORD), its Redis ACL user,
    its NATS user and, for search, its Elasticsearch user; never another's. Callers may point DATABASE_URL at another database
    (a test run's own); the role stays the service's."""
    env: dict[str, str] = {}
    prefix = f"GOVHALL_{service.upper()}_"
    if service in cluster.get("GOVHALL_DB_SERVICES", "").split():
        role = f"govhall_{service}"
        env[prefix + "DATABASE_URL"] = pg_url(cluster, role, role, password=False)
        if secret := _secret(cluster, "PG", service):
            env[prefix + "DATABASE_PASSWORD"] = secret
    if "GOVHALL_REDIS_URL" in cluster:
        env["GOVHALL_REDIS_URL"] = cluster["GOVHALL_REDIS_URL"]
        user = _REDIS_USERS.get(service, "services")
        if secret := _secret(cluster, "REDIS", user):
            env["GOVHALL_REDIS_USERNAME"], env["GOVHALL_REDIS_PASSWORD"] = user, secret
    if service in _ES_USERS and "GOVHALL_ELASTICSEARCH_URL" in cluster:
        env["GOVHALL_ELASTICSEARCH_URL"] = cluster["GOVHALL_ELASTICSEARCH_URL"]
        user = _ES_USERS[service]
        if secret := _secret(cluster, "ES", user):
            env["GOVHALL_ELASTICSEARCH_USERNAME"], env["GOVHALL_ELASTICSEARCH_PASSWORD"] = user, secret
    nats = nats_credentials(cluster, service) if service in NATS_SERVICES else {}
    if nats:
        env["GOVHALL_NATS_USER"] = nats["user"]
        env["GOVHALL_NATS_PASSWORD"] = nats["password"]
    return env


def as_service(platform: Any, cluster: Mapping[str, str], service: str) -> Any:
    """A copy of PlatformSettings ``platform`` reaching the servers as ``service`` would: the Redis
    URL and its ACL user, and for search the Elasticsearch URL and user (for in-process tests;
    separate processes take service_env)."""
    from pydantic import SecretStr

    env = service_env(cluster, service)
    update: dict[str, Any] = {}
    for server in ("REDIS", "ELASTICSEARCH"):
        if f"GOVHALL_{server}_URL" in env:
            update[f"{server.lower()}_url"] = env[f"GOVHALL_{server}_URL"]
            update[f"{server.lower()}_username"] = env.get(f"GOVHALL_{server}_USERNAME")
            password = env.get(f"GOVHALL_{server}_PASSWORD")
            update[f"{server.lower()}_password"] = SecretStr(password) if password else None
    return platform.model_copy(update=update)


def redis_credentials(cluster: Mapping[str, str], user: str = "admin") -> dict[str, str]:
    """username/password keyword arguments of a Redis client as ACL user ``user`` (the admin, for
    clean-up, by default); empty without secrets."""
    secret = _secret(cluster, "REDIS", user)
    return {"username": user, "password": secret} if secret else {}


def es_credentials(cluster: Mapping[str, str], user: str = "search") -> dict[str, str]:
    """username/password keyword arguments of the search service's ElasticsearchBackend as
    ``user``; empty without secrets."""
    secret = _secret(cluster, "ES", user)
    return {"username": user, "password": secret} if secret else {}


def es_auth(cluster: Mapping[str, str], user: str = "admin") -> tuple[str, str] | None:
    """Basic-auth pair of Elasticsearch user ``user`` (the admin, for clean-up, by default)."""
    secret = _secret(cluster, "ES", user)
    return (user, secret) if secret else None


def es_headers(cluster: Mapping[str, str], user: str = "admin") -> dict[str, str]:
    """The Authorization header of ``user`` for a plain HTTP request (urllib); empty without secrets."""
    auth = es_auth(cluster, user)
    if auth is None:
        return {}
    return {"Authorization": "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()}


async def create_database(cluster: Mapping[str, str], name: str, owner: str) -> str:
    """Create database ``name`` as the superuser, owned by role ``owner`` and closed to everyone
    else (as deploy/local makes the services'), and return its URL as ``owner``: tests and
    benchmarks then run as a role without any privilege beyond its own database."""
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    admin = create_async_engine(pg_url(cluster, "govhall", "postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}" OWNER "{owner}"'))
            await conn.execute(sa.text(f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC'))
    finally:
        await admin.dispose()
    return pg_url(cluster, owner, name)


def create_database_sync(cluster: Mapping[str, str], name: str, owner: str) -> str:
    """`create_database` through psql, for callers without an event loop of their own to run
    (or inside one they cannot block on: the benchmarks start their processes from a coroutine)."""
    import subprocess

    host, port = cluster["GOVHALL_PG_HOST"], cluster["GOVHALL_PG_PORT"]
    # Two -c: one -c with both would be one transaction, which CREATE DATABASE refuses.
    sql = [
        "-c",
        f'CREATE DATABASE "{name}" OWNER "{owner}"',
        "-c",
        f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC',
    ]
    command = [
        "psql",
        "-h",
        host,
        "-p",
        port,
        "-U",
        "govhall",
        "-d",
        "postgres",
        "-XqAt",
        "-v",
        "ON_ERROR_STOP=1",
    ]
    done = subprocess.run([*command, *sql], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise RuntimeError(f"could not create database {name}: {done.stderr.strip()}")
    return pg_url(cluster, owner, name)


async def drop_database(cluster: Mapping[str, str], name: str) -> None:
    """Drop database ``name`` (if it exists) as the superuser, closing its connections."""
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    admin = create_async_engine(pg_url(cluster, "govhall", "postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def _main(argv: Sequence[str]) -> int:
    """`python -m govhall.kit.testing service-env <service>`: service_env of the environment's
    GOVHALL_* variables as KEY=VALUE lines (deploy/local/services.sh starts each service so)."""
    if len(argv) != 2 or argv[0] != "service-env":
        print("usage: python -m govhall.kit.testing service-env <service>", file=sys.stderr)
        return 2
    cluster = {k: v for k, v in os.environ.items() if k.startswith("GOVHALL_")}
    for key, value in service_env(cluster, argv[1]).items():
        print(f"{key}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
