"""The services a benchmark runs as separate processes, and what each needs to start and be ready.

Which services a benchmark starts is derived, never listed by hand: a service needs every other
service its settings hold an address of (``GatewaySettings.cases_address``,
``CasesSettings.catalogue_address``, ...), the addresses it calls and whose health the gateway's
/healthz/upstreams checks. A benchmark names what it measures (``Cluster.plan(["gateway"], ...)``) and gets
that with everything it calls, started dependencies first. A service that gains an upstream is
then started by every benchmark without touching them (the benchmarks once stopped at the
gateway's /readyz, which then checked the upstreams, because none of them started cases).

Each run has its own caller-assertion keys (``trust/`` in its work directory: every process of the
run signs and verifies calls with them, and so does the benchmark when it calls a service itself),
its own databases (``bench_<run>_<service>``), JetStream stream prefix
(``BENCH<RUN>``), Redis key namespace (``bench-<run>``, shared by identity, search and the gateway
as in a deployment) and index alias (``bench-<run>-search``), all removed by ``remove``.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import importlib.util
import os
import sys
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import (
    Processes,
    delete_indices,
    delete_redis_keys,
    delete_streams,
    drop_databases,
    free_port,
    identity_env,
    log,
)

from govhall.kit.testing import create_database_sync, es_headers, pg_url, redis_credentials, service_env

ADMIN_TOKEN = "bench-admin-token"
# The local servers' passwords in the infra variables (deploy/local's secrets.env).
SECRET = "GOVHALL_SECRET_"
GATEWAY = "gateway"


@functools.cache
def settings_fields(service: str) -> tuple[str, ...]:
    """The field names of a service's settings class (the one read from GOVHALL_<SERVICE>_*)."""
    from pydantic_settings import BaseSettings

    module = importlib.import_module(f"govhall.{service}.settings")
    prefix = f"GOVHALL_{service.upper()}_"
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, BaseSettings)
            and value.model_config.get("env_prefix") == prefix
        ):
            return tuple(value.model_fields)
    raise LookupError(f"govhall.{service}.settings has no settings class with the prefix {prefix}")


def is_service(name: str) -> bool:
    try:
        return importlib.util.find_spec(f"govhall.{name}.settings") is not None
    except ModuleNotFoundError:
        return False


# Calls made only while serving a request, never to start: such a pair may be started in either
# order, so it is no edge of the start order (cases asks licences for a drive file an applicant
# picks; licences asks cases for a concluded case's form, so the two would otherwise be a cycle).
LATE_CALLS = frozenset({("cases", "licences")})


@functools.cache
def upstreams(service: str) -> tuple[str, ...]:
    """The services ``service`` calls before it can serve: one per ``<service>_address`` field of
    its settings, less its LATE_CALLS."""
    names = (f.removesuffix("_address") for f in settings_fields(service) if f.endswith("_address"))
    return tuple(n for n in names if n != "grpc" and is_service(n) and (service, n) not in LATE_CALLS)


def with_upstreams(wanted: Iterable[str]) -> list[str]:
    """``wanted`` and everything it calls, transitively, each after what it calls."""
    order: list[str] = []

    def visit(service: str, path: tuple[str, ...]) -> None:
        if service in path:
            raise ValueError(f"services call each other in a cycle: {' -> '.join((*path, service))}")
        if service in order:
            return
        for upstream in upstreams(service):
            visit(upstream, (*path, service))
        order.append(service)

    for service in wanted:
        visit(service, ())
    return order


@dataclass
class Cluster:
    """The plan of one run's services: names, addresses, databases; ``env`` sets them all."""

    services: list[str]
    infra: dict[str, str]
    work_dir: Path
    log_level: str = "info"
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    addresses: dict[str, str] = field(default_factory=dict)  # gRPC, per service but the gateway
    gateway_port: int = 0
    # Databases of this run (the services' and any a benchmark adds): all dropped by remove().
    databases: list[str] = field(default_factory=list)
    databases_created: bool = False

    @classmethod
    def plan(cls, wanted: Iterable[str], infra: dict[str, str], work_dir: Path, log_level: str) -> Cluster:
        c = cls(with_upstreams(wanted), infra, work_dir, log_level)
        from govhall.kit import trustkeys  # files only: no threads before the processes start

        trustkeys.init(c.trust_dir)
        for service in c.services:
            if service == GATEWAY:
                c.gateway_port = free_port()
            else:
                c.addresses[service] = f"127.0.0.1:{free_port()}"
                c.databases.append(c.database(service))
        return c

    @property
    def trust_dir(self) -> Path:
        return self.work_dir / "trust"

    def channel(self, service: str, principal: str) -> Any:
        """A channel to ``service`` of this run whose calls ``principal`` signs: whoever makes that
        call in production (the gateway for users, ops for an operator's tool, a service for
        itself). grpc starts threads: only once every process is started."""
        from govhall.kit.grpcclient import channel

        return channel(self.addresses[service], signer=self.signer(principal), audience=service)

    def signer(self, principal: str) -> Any:
        """``principal``'s signer with its key of this run (for tools that make their own channel)."""
        from govhall.kit.trust import Signer

        return Signer(self.trust_dir / f"{principal}.key", principal)

    def database(self, service: str) -> str:
        return f"bench_{self.run_id}_{service}"

    def has_roles(self) -> bool:
        """deploy/local made a role per service (its passwords are in the infra's secrets)."""
        return any(k.startswith("GOVHALL_SECRET_PG_") for k in self.infra)

    def database_url(self, service: str, *, password: bool = False) -> str:
        """The run's database of ``service``, as the service's own role when deploy/local made the
        roles (without the password unless asked: services take it apart, in
        GOVHALL_<SERVICE>_DATABASE_PASSWORD)."""
        if self.has_roles():
            return pg_url(self.infra, f"govhall_{service}", self.database(service), password=password)
        return f"{self.infra['GOVHALL_PG_URL']}/{self.database(service)}"

    def service_env(self, service: str, env: dict[str, str]) -> dict[str, str]:
        """``env`` plus what only ``service`` may know: its passwords (service_env), the run's
        database kept."""
        own = {k: v for k, v in service_env(self.infra, service).items() if not k.endswith("_DATABASE_URL")}
        return {**env, **own}

    @property
    def stream_prefix(self) -> str:
        return f"BENCH{self.run_id.upper()}"

    @property
    def kv_namespace(self) -> str:
        return f"bench-{self.run_id}"

    @property
    def index_alias(self) -> str:
        return f"bench-{self.run_id}-search" if "search" in self.services else ""

    @property
    def sms_file(self) -> Path:
        return self.work_dir / "var" / "dev-sms.jsonl"

    def env(self) -> dict[str, str]:
        """The environment every service of the run is started with (each reads its own prefix)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("GOVHALL_")}
        # The servers' URLs; never their secrets: each process gets its own (see start).
        env.update({k: v for k, v in self.infra.items() if k != "GOVHALL_RUN" and not k.startswith(SECRET)})
        env.update(
            {
                "GOVHALL_LOG_LEVEL": self.log_level.upper(),
                "GOVHALL_VAR_DIR": str(self.work_dir / "var"),
                "GOVHALL_STREAM_PREFIX": self.stream_prefix,
                "GOVHALL_TRUST_DIR": str(self.trust_dir),
            }
        )
        for service in self.services:
            prefix = f"GOVHALL_{service.upper()}_"
            # Whom it calls, by the same field names upstreams() read.
            env.update({f"{prefix}{up.upper()}_ADDRESS": self.addresses[up] for up in upstreams(service)})
            if service == GATEWAY:
                continue
            env[f"{prefix}DATABASE_URL"] = self.database_url(service)
            env[f"{prefix}GRPC_ADDRESS"] = self.addresses[service]
            if "kv_namespace" in settings_fields(service):
                env[f"{prefix}KV_NAMESPACE"] = self.kv_namespace
        if "identity" in self.services:
            # Its data key, SMS file and the lifted per-client login limit (every request of a
            # benchmark comes from one address); argon2 keeps its production defaults.
            env.update(
                identity_env(
                    self.database_url("identity"),
                    self.addresses["identity"],
                    self.kv_namespace,
                    self.sms_file,
                )
            )
        if "search" in self.services:
            env["GOVHALL_SEARCH_INDEX_ALIAS"] = self.index_alias
        if "crossprovince" in self.services:
            # Its partner endpoint, when a benchmark gives it certificates, on a port of this run
            # (50059 may be `make up`'s); no other service calls it, so only a benchmark that
            # names it starts it.
            env["GOVHALL_CROSSPROVINCE_PARTNER_PORT"] = str(free_port())
        if "cases" in self.services:
            env["GOVHALL_CASES_FILES_DIR"] = str(self.work_dir / "cases-files")
            # No clock sweep during the run: it would scan the cases table at an arbitrary moment.
            env["GOVHALL_CASES_SWEEP_INTERVAL_SECONDS"] = "0"
        if GATEWAY in self.services:
            env.update(
                {
                    "GOVHALL_GATEWAY_PORT": str(self.gateway_port),
                    "GOVHALL_GATEWAY_KV_NAMESPACE": self.kv_namespace,
                    "GOVHALL_GATEWAY_ADMIN_TOKEN": ADMIN_TOKEN,
                    # The benchmark is one client hammering; the limiter's work is still measured.
                    "GOVHALL_GATEWAY_RATE_LIMIT_PER_MINUTE": "100000000",
                }
            )
            if "cases" in self.services:
                env["GOVHALL_CASES_VERIFY_URL_TEMPLATE"] = (
                    f"http://127.0.0.1:{self.gateway_port}/verify/notice/{{document_id}}?code={{code}}"
                )
        return env

    def start(self, processes: Processes, env: dict[str, str]) -> None:
        """Every service, each after those it calls, each as itself. Before any thread exists in
        this process."""
        self.create_databases()
        for service in self.services:
            processes.start(
                service, [sys.executable, "-m", f"govhall.{service}"], self.service_env(service, env)
            )

    def create_databases(self) -> None:
        """The services' databases, made by the superuser and owned by each service's role (which
        may not create databases), as deploy/local makes govhall_<service>. Once per run; without
        the roles the services create their own, as before."""
        if self.databases_created or not self.has_roles():
            return
        for service in self.services:
            if service != GATEWAY:
                create_database_sync(self.infra, self.database(service), f"govhall_{service}")
        self.databases_created = True

    def remove(self, timeout: float = 60.0) -> None:
        """Drop what the run left on the servers: databases, streams, Redis keys, indices."""
        try:
            asyncio.run(asyncio.wait_for(self._remove(), timeout))
        except Exception as err:
            log(f"clean-up incomplete: {err!r}")

    async def _remove(self) -> None:
        # Each step only for what this run named: an empty alias would match every alias in _alias/.
        await drop_databases(self.infra["GOVHALL_PG_URL"], self.databases)
        await delete_streams(self.infra, self.stream_prefix)
        await delete_redis_keys(
            self.infra["GOVHALL_REDIS_URL"], self.kv_namespace, redis_credentials(self.infra)
        )
        if self.index_alias:
            # Every generation of this run's index (the pattern names only ours), whatever the alias holds.
            await asyncio.to_thread(
                delete_indices,
                self.infra["GOVHALL_ELASTICSEARCH_URL"],
                f"{self.index_alias}-*",
                es_headers(self.infra),
            )
