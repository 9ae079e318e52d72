"""The e2e cluster: identity, catalogue, search, cases, consult and gateway as separate processes on the real servers.

One cluster serves every journey module of a run (starting six processes and waiting for them
costs most of a minute, which each module used to pay again). The modules stay independent: each
makes its own people, staff, matters and mobiles (uuid-based), reads only its own (the SMS file
filtered by its mobile, lists by its token), and the search journey searches a region of its own;
each module starts from a ready cluster (`e2e` restarts what an earlier module stopped and waits).

Each run gets its own databases, JetStream stream prefix, Elasticsearch alias and key-value
namespace (the gateway's Redis keys, shared with identity, which writes revoked sessions there),
so runs do not see each other's data, and free ports, so a developer's `make up` can keep
running beside it. Identity's development SMS sender writes to a file under the run's var/
(`Cluster.sms_file`), where the journeys read their verification codes.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from govhall.kit.testing import (
    cluster_bus,
    create_database_sync,
    es_headers,
    free_port,
    pg_url,
    redis_credentials,
    service_env,
    wait_until_sync,
)

# The portal's browser fixtures (Playwright with Debian's chromium), for tests/e2e/test_portal_*.
from .browser import browser, desktop, phone, playwright_session  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "e2e-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# The journeys' region: a county under a city under the province, and one department in it.
SITE, DEPT = "420502", "420502-SCJG"
SITES = [
    ("420000", {"name": "湖北省", "level": "province"}),
    ("420500", {"name": "宜昌市", "level": "city", "parent_code": "420000"}),
    ("420502", {"name": "西陵区", "level": "county", "parent_code": "420500"}),
]


@dataclass
class Cluster:
    env: dict[str, str]
    log_dir: Path
    # The local servers' variables (env.sh), whence each process takes its own credentials.
    servers: dict[str, str] = field(default_factory=dict)
    gateway_url: str = ""
    # Where identity's development SMS sender "delivers" codes (JSON lines).
    sms_file: Path = Path()
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # Services a journey stopped and has not started again (the next module's `e2e` does).
    stopped: set[str] = field(default_factory=set)
    # What only one process may know (its passwords), per service; added to `env` at its start.
    own: dict[str, dict[str, str]] = field(default_factory=dict)
    # Each service's database of the run, by service (a journey that must move a record in time,
    # which no route may do, writes there as the superuser of `servers`).
    databases: dict[str, str] = field(default_factory=dict)
    # Each process's Prometheus /metrics port (on loopback), by service.
    metrics_ports: dict[str, int] = field(default_factory=dict)

    def start(self, service: str) -> None:
        log = open(self.log_dir / f"{service}.log", "ab")
        self.procs[service] = subprocess.Popen(
            [sys.executable, "-m", f"govhall.{service}"],
            env={**self.env, **self.own.get(service, {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        self.stopped.discard(service)

    def stop(self, service: str, *, kill: bool = False) -> None:
        proc = self.procs.pop(service)
        if kill:
            proc.kill()
        else:
            proc.terminate()
        proc.wait(timeout=15)
        self.stopped.add(service)

    def log_tail(self) -> str:
        return "\n".join(
            f"--- {p.name}\n" + p.read_text(errors="replace")[-2500:]
            for p in sorted(self.log_dir.glob("*.log"))
        )

    def wait_ready(self, timeout: float = 120.0) -> None:
        def ready() -> bool:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    pytest.fail(f"{name} exited with {proc.returncode}\n{self.log_tail()}", pytrace=False)
            try:
                # Every service serving, not only the gateway (/readyz is the gateway's own).
                with urllib.request.urlopen(f"{self.gateway_url}/healthz/upstreams", timeout=2) as reply:
                    return bool(reply.status == 200)
            except OSError:
                return False

        try:
            wait_until_sync(ready, timeout, interval=0.3, what="the e2e cluster ready")
        except AssertionError as err:
            pytest.fail(f"{err}\n{self.log_tail()}", pytrace=False)

    def ensure_ready(self) -> None:
        """Every service serving again, whatever the module before left stopped (a journey that
        failed between stopping a service and starting it): a module never inherits that."""
        for service in sorted(self.stopped):
            self.start(service)
        self.wait_ready()


@pytest.fixture(scope="package")
def e2e_cluster(cluster: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """The run's one cluster, for every module under tests/e2e (a package, so it is stopped after
    the last journey rather than idling through the rest of the session)."""
    run = uuid.uuid4().hex[:8]
    pg = cluster["GOVHALL_PG_URL"]
    identity_port, catalogue_port, search_port, cases_port, consult_port, appointments_port, licences_port = (
        free_port(),
        free_port(),
        free_port(),
        free_port(),
        free_port(),
        free_port(),
        free_port(),
    )
    gateway_port = free_port()
    # Crossprovince runs without partner certificates here (health only): its partner endpoint
    # is tested between two instances in services/crossprovince/tests.
    crossprovince_port = free_port()
    var_dir = tmp_path_factory.mktemp("var")
    sms_file = var_dir / "dev-sms.jsonl"
    # The gateway's Redis keys (rate limits, revoked sessions): identity must write the same ones,
    # and the services check sessions under them too.
    kv_namespace = f"e2e-{run}"
    # Each service as itself: its role owns the run's database of that service (the superuser
    # only makes and drops them), and it has its own Redis, Elasticsearch and NATS users.
    databases = {
        name: f"e2e_{run}_{name}"
        for name in (
            "identity",
            "catalogue",
            "search",
            "cases",
            "consult",
            "appointments",
            "licences",
            "crossprovince",
        )
    }
    own: dict[str, dict[str, str]] = {}
    for service in (*databases, "gateway"):
        own[service] = service_env(cluster, service)
        if service in databases:
            create_database_sync(cluster, databases[service], f"govhall_{service}")
            own[service][f"GOVHALL_{service.upper()}_DATABASE_URL"] = pg_url(
                cluster, f"govhall_{service}", databases[service], password=False
            )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVHALL_")}
    # Every process serves /metrics on a port of its own, as in the chart (the metric-name test
    # scrapes them); on loopback only.
    metrics_ports = {service: free_port() for service in (*databases, "gateway")}
    env.update(
        {f"GOVHALL_{service.upper()}_METRICS_PORT": str(port) for service, port in metrics_ports.items()}
    )
    env["GOVHALL_METRICS_LOOPBACK"] = "1"
    env.update(
        {
            "GOVHALL_NATS_URL": cluster["GOVHALL_NATS_URL"],
            "GOVHALL_REDIS_URL": cluster["GOVHALL_REDIS_URL"],
            "GOVHALL_STREAM_PREFIX": f"E2E{run.upper()}",
            "GOVHALL_LOG_LEVEL": "INFO",
            "GOVHALL_VAR_DIR": str(var_dir),
            # The run's caller-assertion keys (the root conftest's): the services sign and check
            # each other's calls with them, and the operators' tools (the search CLI) sign as ops.
            "GOVHALL_TRUST_DIR": os.environ["GOVHALL_TRUST_DIR"],
            "GOVHALL_IDENTITY_GRPC_ADDRESS": f"127.0.0.1:{identity_port}",
            "GOVHALL_IDENTITY_DATA_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            "GOVHALL_IDENTITY_KV_NAMESPACE": kv_namespace,
            "GOVHALL_IDENTITY_DEV_SMS_FILE": str(sms_file),
            "GOVHALL_IDENTITY_CATALOGUE_ADDRESS": f"127.0.0.1:{catalogue_port}",
            "GOVHALL_CATALOGUE_GRPC_ADDRESS": f"127.0.0.1:{catalogue_port}",
            "GOVHALL_CATALOGUE_KV_NAMESPACE": kv_namespace,
            # A guide's QR code opens the run's gateway (the default names port 8000).
            "GOVHALL_CATALOGUE_GUIDE_URL_TEMPLATE": f"http://127.0.0.1:{gateway_port}/guide/{{site_code}}/{{code}}",
            "GOVHALL_SEARCH_GRPC_ADDRESS": f"127.0.0.1:{search_port}",
            "GOVHALL_SEARCH_INDEX_ALIAS": f"e2e-{run}-search",
            "GOVHALL_SEARCH_CATALOGUE_ADDRESS": f"127.0.0.1:{catalogue_port}",
            "GOVHALL_SEARCH_KV_NAMESPACE": kv_namespace,
            "GOVHALL_CASES_GRPC_ADDRESS": f"127.0.0.1:{cases_port}",
            "GOVHALL_CASES_CATALOGUE_ADDRESS": f"127.0.0.1:{catalogue_port}",
            "GOVHALL_CASES_IDENTITY_ADDRESS": f"127.0.0.1:{identity_port}",
            "GOVHALL_CASES_LICENCES_ADDRESS": f"127.0.0.1:{licences_port}",
            "GOVHALL_CASES_KV_NAMESPACE": kv_namespace,
            "GOVHALL_CASES_VERIFY_URL_TEMPLATE": (
                f"http://127.0.0.1:{gateway_port}/verify/notice/{{document_id}}?code={{code}}"
            ),
            "GOVHALL_CONSULT_GRPC_ADDRESS": f"127.0.0.1:{consult_port}",
            "GOVHALL_CONSULT_CATALOGUE_ADDRESS": f"127.0.0.1:{catalogue_port}",
            "GOVHALL_CONSULT_IDENTITY_ADDRESS": f"127.0.0.1:{identity_port}",
            "GOVHALL_CONSULT_DEV_SMS_FILE": str(sms_file),
            "GOVHALL_CONSULT_KV_NAMESPACE": kv_namespace,
            "GOVHALL_APPOINTMENTS_GRPC_ADDRESS": f"127.0.0.1:{appointments_port}",
            "GOVHALL_APPOINTMENTS_CATALOGUE_ADDRESS": f"127.0.0.1:{catalogue_port}",
            "GOVHALL_APPOINTMENTS_IDENTITY_ADDRESS": f"127.0.0.1:{identity_port}",
            "GOVHALL_APPOINTMENTS_KV_NAMESPACE": kv_namespace,
            # The appointments journey waits for reminders and no-shows: the desk's sweep (60 s in
            # production) must not make it wait a minute per step.
            "GOVHALL_APPOINTMENTS_DESK_SWEEP_SECONDS": "1",
            "GOVHALL_LICENCES_GRPC_ADDRESS": f"127.0.0.1:{licences_port}",
            "GOVHALL_LICENCES_CATALOGUE_ADDRESS": f"127.0.0.1:{catalogue_port}",
            "GOVHALL_LICENCES_IDENTITY_ADDRESS": f"127.0.0.1:{identity_port}",
            "GOVHALL_LICENCES_CASES_ADDRESS": f"127.0.0.1:{cases_port}",
            "GOVHALL_LICENCES_KV_NAMESPACE": kv_namespace,
            # A licence's QR code opens the run's gateway (the default names port 8000).
            "GOVHALL_LICENCES_VERIFY_URL_TEMPLATE": (
                f"http://127.0.0.1:{gateway_port}/verify/licence?code={{code}}"
            ),
            "GOVHALL_CROSSPROVINCE_GRPC_ADDRESS": f"127.0.0.1:{crossprovince_port}",
            "GOVHALL_CROSSPROVINCE_CATALOGUE_ADDRESS": f"127.0.0.1:{catalogue_port}",
            "GOVHALL_CROSSPROVINCE_CASES_ADDRESS": f"127.0.0.1:{cases_port}",
            "GOVHALL_CROSSPROVINCE_LICENCES_ADDRESS": f"127.0.0.1:{licences_port}",
            "GOVHALL_CROSSPROVINCE_KV_NAMESPACE": kv_namespace,
            "GOVHALL_GATEWAY_PORT": str(gateway_port),
            "GOVHALL_GATEWAY_CATALOGUE_ADDRESS": f"127.0.0.1:{catalogue_port}",
            "GOVHALL_GATEWAY_SEARCH_ADDRESS": f"127.0.0.1:{search_port}",
            "GOVHALL_GATEWAY_IDENTITY_ADDRESS": f"127.0.0.1:{identity_port}",
            "GOVHALL_GATEWAY_CASES_ADDRESS": f"127.0.0.1:{cases_port}",
            "GOVHALL_GATEWAY_CONSULT_ADDRESS": f"127.0.0.1:{consult_port}",
            "GOVHALL_GATEWAY_APPOINTMENTS_ADDRESS": f"127.0.0.1:{appointments_port}",
            "GOVHALL_GATEWAY_LICENCES_ADDRESS": f"127.0.0.1:{licences_port}",
            "GOVHALL_GATEWAY_KV_NAMESPACE": kv_namespace,
            "GOVHALL_GATEWAY_ADMIN_TOKEN": ADMIN_TOKEN,
            # The journeys poll; the limiter itself is tested in the gateway tests.
            "GOVHALL_GATEWAY_RATE_LIMIT_PER_MINUTE": "1000000",
            # Every module's codes and logins come from 127.0.0.1 to one identity: its per-client
            # limits would count the whole run, and a module would pass or not by what ran before
            # it. The limits themselves are tested in identity's tests.
            "GOVHALL_IDENTITY_SMS_PER_CLIENT_PER_HOUR": "1000000",
            "GOVHALL_IDENTITY_LOGINS_PER_CLIENT_PER_MINUTE": "1000000",
            # A staff action renders a PDF notice: on a CI machine whose cores are busy with other
            # work it can outlast the production deadline (5 s), which is no fault of the journey.
            "GOVHALL_GATEWAY_RPC_TIMEOUT_SECONDS": "30",
            "GOVHALL_CASES_DEFAULT_DEADLINE_SECONDS": "30",
        }
    )
    c = Cluster(
        env,
        tmp_path_factory.mktemp("logs"),
        servers=cluster,
        gateway_url=f"http://127.0.0.1:{gateway_port}",
        sms_file=sms_file,
        own=own,
        databases=databases,
        metrics_ports=metrics_ports,
    )
    for service in (
        "identity",
        "catalogue",
        "search",
        "cases",
        "consult",
        "appointments",
        "licences",
        "crossprovince",
        "gateway",
    ):
        c.start(service)
    try:
        c.wait_ready()
        yield c
    finally:
        for service in list(c.procs):
            c.stop(service)
        _drop(pg, list(databases.values()))
        _delete_keys(cluster, kv_namespace)
        asyncio.run(_delete_streams(cluster, env["GOVHALL_STREAM_PREFIX"]))
        # Every generation a reindex made, whatever the alias points at now.
        _delete_index(cluster, f"e2e-{run}-search-*")


@pytest.fixture(scope="module")
def e2e(e2e_cluster: Cluster) -> Cluster:
    """The shared cluster, ready, for one journey module."""
    e2e_cluster.ensure_ready()
    return e2e_cluster


def _drop(pg_url: str, names: list[str]) -> None:
    dsn = pg_url.replace("postgresql+asyncpg://", "postgresql://")
    for name in names:
        subprocess.run(
            ["psql", f"{dsn}/postgres", "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
            check=False,
            capture_output=True,
        )


async def _delete_streams(cluster: dict[str, str], prefix: str) -> None:
    # As the admin: no service may delete a stream.
    bus = cluster_bus(cluster, "admin", prefix)
    await bus.start()
    await bus.delete_streams()
    await bus.close()


def _delete_index(cluster: dict[str, str], index: str) -> None:
    url = f"{cluster['GOVHALL_ELASTICSEARCH_URL']}/{index}"
    try:
        urllib.request.urlopen(
            urllib.request.Request(url, method="DELETE", headers=es_headers(cluster)), timeout=10
        )
    except OSError:
        pass


def _delete_keys(cluster: dict[str, str], namespace: str) -> None:
    """The run's keys in Redis, as the admin (they expire anyway; this keeps a developer's Redis tidy)."""
    import redis

    try:
        client = redis.Redis.from_url(
            cluster["GOVHALL_REDIS_URL"], socket_timeout=5, **redis_credentials(cluster)
        )
        try:
            keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()
    except redis.RedisError:
        pass


@pytest.fixture(scope="module")
def portal_url(e2e: Cluster) -> str:
    """Where the browser opens the portal: the cluster's gateway, which serves it at /."""
    return e2e.gateway_url


@pytest.fixture(scope="module")
def api(e2e: Cluster) -> Iterator[httpx.Client]:
    """The gateway's HTTP client for a journey module, with the region and its department made."""
    with httpx.Client(base_url=e2e.gateway_url, timeout=30) as client:
        for code, body in SITES:
            client.put(f"/api/v1/admin/sites/{code}", json=body, headers=ADMIN).raise_for_status()
        client.put(
            f"/api/v1/admin/sites/{SITE}/departments/{DEPT}",
            json={"name": "西陵区市场监督管理局"},
            headers=ADMIN,
        ).raise_for_status()
        yield client
