"""Least privilege on the local cluster's servers, for real: each service's PostgreSQL role reaches
only its own database, each Redis ACL user only its own keys, the search service's Elasticsearch
user only its indices; wrong or missing passwords are refused (deploy/local/start.sh sets it up,
the `cluster` fixture runs it)."""

from __future__ import annotations

import base64
import json
import subprocess
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis.asyncio as redis
from redis.exceptions import AuthenticationError, NoPermissionError, ResponseError

from govhall.cases import app as cases_app
from govhall.kit import migrations
from govhall.kit.db import ensure_database
from govhall.kit.testing import create_database, drop_database, pg_url, redis_credentials

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "catalogue", "cases", "appointments", "consult", "licences", "search")

pytestmark = pytest.mark.integration


def dsn(cluster: dict[str, str], role: str, database: str, password: str | None = None) -> str:
    url = pg_url(cluster, role, database).replace("postgresql+asyncpg://", "postgresql://")
    if password is not None:
        url = url.replace(cluster[f"GOVHALL_SECRET_PG_{role.removeprefix('govhall_').upper()}"], password)
    return url


async def superuser(cluster: dict[str, str], database: str = "postgres") -> asyncpg.Connection:
    return await asyncpg.connect(dsn(cluster, "govhall", database), timeout=10)


@pytest.fixture
async def cases_copy(cluster: dict[str, str]) -> AsyncIterator[str]:
    """A fresh database owned by the cases role (as the e2e tests and benchmarks make them)."""
    name = f"test_roles_{uuid.uuid4().hex[:10]}"
    url = await create_database(cluster, name, "govhall_cases")
    yield url
    await drop_database(cluster, name)


# -- PostgreSQL ----------------------------------------------------------------------------------


async def test_each_service_has_a_role_of_no_privilege_owning_its_database(cluster: dict[str, str]) -> None:
    conn = await superuser(cluster)
    try:
        roles = {
            r["rolname"]: r
            for r in await conn.fetch(
                "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolcanlogin, rolreplication, rolbypassrls"
                " FROM pg_roles WHERE rolname LIKE 'govhall\\_%'"
            )
        }
        owners = dict(
            await conn.fetch(
                "SELECT datname, pg_get_userbyid(datdba) FROM pg_database WHERE datname LIKE 'govhall\\_%'"
            )
        )
        # Nobody but the owner may connect: PUBLIC's default CONNECT and TEMP are gone.
        public_connect = {
            r["datname"]: r["can"]
            for r in await conn.fetch(
                "SELECT datname, has_database_privilege('public', oid, 'CONNECT') AS can"
                " FROM pg_database WHERE datname LIKE 'govhall\\_%'"
            )
        }
    finally:
        await conn.close()
    for service in (*SERVICES, "test"):
        role = roles[f"govhall_{service}"]
        assert role["rolcanlogin"], service
        assert not any(
            role[k] for k in ("rolsuper", "rolcreatedb", "rolcreaterole", "rolreplication", "rolbypassrls")
        )
    for service in SERVICES:
        assert owners[f"govhall_{service}"] == f"govhall_{service}"
        assert public_connect[f"govhall_{service}"] is False


async def test_the_search_role_cannot_reach_the_cases_database(
    cluster: dict[str, str], cases_copy: str
) -> None:
    # A table of cases', in a database of cases' (migrated as the cases role).
    await migrations.upgrade(cases_copy, cases_app.SPEC.migrations)
    database = cases_copy.rsplit("/", 1)[1]
    for target in (database, "govhall_cases"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied for database"):
            await asyncpg.connect(dsn(cluster, "govhall_search", target), timeout=10)
    # Not even were it let in: a connection it may make (its own database) sees no grant on
    # cases' tables, which are in another database anyway; and the superuser confirms the
    # cases role, not the search role, owns them.
    conn = await superuser(cluster, database)
    try:
        owners = {
            r["tableowner"]
            for r in await conn.fetch("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")
        }
        can_read = await conn.fetchval(
            "SELECT has_table_privilege('govhall_search', 'public.outbox', 'SELECT')"
        )
    finally:
        await conn.close()
    assert owners == {"govhall_cases"}
    assert can_read is False


async def test_a_service_role_cannot_create_a_database(cluster: dict[str, str]) -> None:
    conn = await asyncpg.connect(dsn(cluster, "govhall_search", "govhall_search"), timeout=10)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied to create database"):
            await conn.execute(f'CREATE DATABASE "test_denied_{uuid.uuid4().hex[:8]}"')
    finally:
        await conn.close()


async def test_a_wrong_password_is_refused(cluster: dict[str, str]) -> None:
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(dsn(cluster, "govhall_cases", "govhall_cases", password="wrong"), timeout=10)
    # And no password at all (only the administrator is trusted on loopback).
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(dsn(cluster, "govhall_cases", "govhall_cases", password=""), timeout=10)


async def test_the_cases_role_migrates_its_own_database(cluster: dict[str, str], cases_copy: str) -> None:
    await ensure_database(cases_copy)  # exists: no privilege needed to find it
    await migrations.upgrade(cases_copy, cases_app.SPEC.migrations)
    await migrations.upgrade(cases_copy, cases_app.SPEC.migrations)  # at head: nothing to do
    conn = await asyncpg.connect(cases_copy.replace("postgresql+asyncpg://", "postgresql://"), timeout=10)
    try:
        who = await conn.fetchval("SELECT current_user")
        tables = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        version = await conn.fetchval("SELECT version_num FROM alembic_version")
    finally:
        await conn.close()
    assert who == "govhall_cases"
    assert tables > 3 and version


def test_start_gives_the_superusers_old_objects_to_the_service(cluster: dict[str, str]) -> None:
    """An existing var/: tables the superuser's migrations made before the roles existed pass to
    the service's role when start.sh runs again (so its migrations can alter them)."""
    table = f"old_{uuid.uuid4().hex[:8]}"
    psql = ["psql", "-h", cluster["GOVHALL_PG_HOST"], "-p", cluster["GOVHALL_PG_PORT"], "-U", "govhall"]
    psql += ["-d", "govhall_consult", "-XqAt", "-v", "ON_ERROR_STOP=1"]

    def run(sql: str) -> str:
        return subprocess.run(
            [*psql, "-c", sql], capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()

    run(f"CREATE TABLE {table} (id serial PRIMARY KEY); CREATE TYPE {table}_kind AS ENUM ('a')")
    try:
        assert run(f"SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = '{table}'") == "govhall"
        done = subprocess.run(
            ["bash", "deploy/local/start.sh", "postgres"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        owners = run(
            "SELECT string_agg(DISTINCT pg_get_userbyid(relowner), ',') FROM pg_class"
            f" WHERE relname IN ('{table}', '{table}_id_seq', '{table}_pkey')"
        )
        assert owners == "govhall_consult"
        assert (
            run(f"SELECT pg_get_userbyid(typowner) FROM pg_type WHERE typname = '{table}_kind'")
            == "govhall_consult"
        )
    finally:
        run(f"DROP TABLE IF EXISTS {table}; DROP TYPE IF EXISTS {table}_kind")


# -- Redis ---------------------------------------------------------------------------------------


def client(cluster: dict[str, str], user: str, password: str | None = None) -> Any:
    auth = redis_credentials(cluster, user)
    if password is not None:
        auth["password"] = password
    return redis.from_url(cluster["GOVHALL_REDIS_URL"], decode_responses=True, **auth)


@pytest.fixture
async def namespace(cluster: dict[str, str]) -> AsyncIterator[str]:
    ns = f"test-acl-{uuid.uuid4().hex[:8]}"
    yield ns
    admin = client(cluster, "admin")
    try:
        keys = [key async for key in admin.scan_iter(match=f"{ns}:*")]
        if keys:
            await admin.delete(*keys)
    finally:
        await admin.aclose()


async def test_redis_refuses_a_wrong_password_and_the_default_user(cluster: dict[str, str]) -> None:
    wrong = client(cluster, "gateway", password="wrong")
    nobody = redis.from_url(cluster["GOVHALL_REDIS_URL"])
    try:
        with pytest.raises(AuthenticationError):
            await wrong.ping()
        with pytest.raises(AuthenticationError):  # NOAUTH: the default user is off
            await nobody.get("govhall:rv:s:x")
    finally:
        await wrong.aclose()
        await nobody.aclose()


async def test_services_only_read_revocations_and_search_counts_hot_words(
    cluster: dict[str, str], namespace: str
) -> None:
    identity, services = client(cluster, "identity"), client(cluster, "services")
    try:
        assert await identity.set(f"{namespace}:rv:s:abc", "1", ex=60)
        assert await services.mget([f"{namespace}:rv:s:abc"]) == ["1"]
        with pytest.raises(NoPermissionError):
            await services.set(f"{namespace}:rv:s:forged", "1", ex=60)
        with pytest.raises(NoPermissionError):
            await services.delete(f"{namespace}:rv:s:abc")
        assert await identity.get(f"{namespace}:rv:s:forged") is None
        # Search's hot words are the services user's own to write.
        assert await services.zincrby(f"{namespace}:hw:420502:20260101", 1, "营业执照") == 1
        # Identity's lock-outs are not theirs to read.
        await identity.set(f"{namespace}:lf:x:abc:0", "3", ex=60)
        with pytest.raises(NoPermissionError):
            await services.get(f"{namespace}:lf:x:abc:0")
    finally:
        await identity.aclose()
        await services.aclose()


async def test_the_gateway_counts_rate_limits_but_cannot_touch_identitys_keys(
    cluster: dict[str, str], namespace: str
) -> None:
    identity, gateway = client(cluster, "identity"), client(cluster, "gateway")
    try:
        await identity.set(f"{namespace}:lf:x:abc:0", "3", ex=60)
        await identity.set(f"{namespace}:rv:s:abc", "1", ex=60)
        assert await gateway.execute_command("INCR", f"{namespace}:rl:127.0.0.1:1") == 1
        assert await gateway.mget([f"{namespace}:rv:s:abc"]) == ["1"]
        # Its response cache: public answers, expiring (responsecache.py).
        assert await gateway.set(f"{namespace}:rc:search:abc:", "{}", ex=3)
        assert await gateway.get(f"{namespace}:rc:search:abc:") == "{}"
        for attempt in (
            gateway.get(f"{namespace}:lf:x:abc:0"),
            gateway.delete(f"{namespace}:lf:x:abc:0"),
            gateway.set(f"{namespace}:rv:s:other", "1"),
            gateway.keys("*"),
            gateway.flushdb(),
        ):
            with pytest.raises((NoPermissionError, ResponseError)):
                await attempt
        assert await identity.get(f"{namespace}:lf:x:abc:0") == "3"
    finally:
        await identity.aclose()
        await gateway.aclose()


async def test_a_revocation_identity_writes_is_seen_by_the_gateway_through_the_kit(
    cluster: dict[str, str], namespace: str
) -> None:
    from govhall.kit.kv import RedisStore
    from govhall.kit.tokens import RevocationList
    from govhall.protos.common.v1 import common_pb2

    url = cluster["GOVHALL_REDIS_URL"]
    identity = RedisStore(url, namespace, **redis_credentials(cluster, "identity"))
    gateway = RedisStore(url, namespace, **redis_credentials(cluster, "gateway"))
    try:
        await RevocationList(identity, 60).revoke_sessions(["s1"])
        assert await RevocationList(gateway).is_revoked(common_pb2.CallerIdentity(session_id="s1"))
        assert not await RevocationList(gateway).is_revoked(common_pb2.CallerIdentity(session_id="s2"))
        # The rate limiter's Lua counter runs under the gateway's rules.
        assert await gateway.incr("rl:1.2.3.4:1", 60) == 1
    finally:
        await identity.close()
        await gateway.close()


# -- Elasticsearch -------------------------------------------------------------------------------


def es(cluster: dict[str, str], user: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    password = cluster[f"GOVHALL_SECRET_ES_{user.upper()}"] if user else None
    request = urllib.request.Request(
        f"{cluster['GOVHALL_ELASTICSEARCH_URL']}/{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    if password is not None:
        request.add_header(
            "Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_the_search_user_reaches_only_the_search_indices(cluster: dict[str, str]) -> None:
    run = uuid.uuid4().hex[:8]
    theirs, outside = f"test-{run}-search-000001", f"test-{run}-secret"
    try:
        assert es(cluster, "admin", "PUT", outside, {"settings": {"number_of_replicas": 0}})[0] == 200
        assert es(cluster, "admin", "PUT", f"{outside}/_doc/1?refresh=true", {"id": "420502"})[0] == 201
        # Its own pattern: create, write, read.
        assert es(cluster, "search", "PUT", theirs, {"settings": {"number_of_replicas": 0}})[0] == 200
        assert es(cluster, "search", "PUT", f"{theirs}/_doc/1?refresh=true", {"t": "x"})[0] == 201
        assert es(cluster, "search", "GET", f"{theirs}/_doc/1")[0] == 200
        # Anything else: neither create, nor read, nor delete.
        assert es(cluster, "search", "PUT", f"test-{run}-other", {})[0] == 403
        assert es(cluster, "search", "GET", f"{outside}/_doc/1")[0] == 403
        assert es(cluster, "search", "POST", f"{outside}/_search", {"query": {"match_all": {}}})[0] == 403
        assert es(cluster, "search", "DELETE", outside)[0] == 403
        # A search over everything shows only its own.
        status, found = es(cluster, "search", "POST", f"test-{run}-*/_search", {"query": {"match_all": {}}})
        assert status == 200 and {hit["_index"] for hit in found["hits"]["hits"]} == {theirs}
    finally:
        es(cluster, "admin", "DELETE", f"test-{run}-*")


def test_elasticsearch_refuses_no_or_a_wrong_password(cluster: dict[str, str]) -> None:
    assert es(cluster, "", "GET", "_cluster/health")[0] == 401
    wrong = {**cluster, "GOVHALL_SECRET_ES_SEARCH": "wrong"}
    assert es(wrong, "search", "GET", "_cluster/health")[0] == 401
    assert es(cluster, "search", "GET", "_cluster/health")[0] == 200


def test_the_passwords_are_generated_once_into_a_private_file(cluster: dict[str, str]) -> None:
    secrets = Path(cluster["GOVHALL_ETC"]) / "secrets.env"
    assert secrets.stat().st_mode & 0o777 == 0o600
    lines = dict(line.split("=", 1) for line in secrets.read_text().splitlines())
    wanted = {f"GOVHALL_SECRET_PG_{s.upper()}" for s in (*SERVICES, "test")}
    wanted |= {f"GOVHALL_SECRET_REDIS_{u}" for u in ("GATEWAY", "IDENTITY", "SERVICES", "ADMIN")}
    wanted |= {"GOVHALL_SECRET_ES_SEARCH", "GOVHALL_SECRET_ES_ADMIN"}
    assert wanted <= set(lines)
    assert len({lines[k] for k in wanted}) == len(wanted)  # each its own
    # env.sh exports them as they are in the file; a second start.sh keeps them.
    assert all(cluster[k] == lines[k] for k in wanted)
    done = subprocess.run(
        ["bash", "deploy/local/start.sh"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert dict(line.split("=", 1) for line in secrets.read_text().splitlines()) == lines
