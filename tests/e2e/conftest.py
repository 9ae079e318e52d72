"""The e2e cluster: catalogue, search and gateway as separate processes on the real servers.

Each run gets its own databases, JetStream stream prefix and Elasticsearch alias, so runs do not
see each other's data, and free ports, so a developer's `make up` can keep running beside it.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from govhall.kit.bus import JetStreamBus

ROOT = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "e2e-admin-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    env: dict[str, str]
    log_dir: Path
    gateway_url: str = ""
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, service: str) -> None:
        log = open(self.log_dir / f"{service}.log", "ab")
        self.procs[service] = subprocess.Popen(
            [sys.executable, "-m", f"govhall.{service}"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )

    def stop(self, service: str, *, kill: bool = False) -> None:
        proc = self.procs.pop(service)
        if kill:
            proc.kill()
        else:
            proc.terminate()
        proc.wait(timeout=15)

    def log_tail(self) -> str:
        return "\n".join(
            f"--- {p.name}\n" + p.read_text(errors="replace")[-2500:]
            for p in sorted(self.log_dir.glob("*.log"))
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    pytest.fail(f"{name} exited with {proc.returncode}\n{self.log_tail()}", pytrace=False)
            try:
                with urllib.request.urlopen(f"{self.gateway_url}/readyz", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        pytest.fail(f"the e2e cluster was not ready within {timeout}s\n{self.log_tail()}", pytrace=False)


@pytest.fixture(scope="module")
def e2e(cluster: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    run = uuid.uuid4().hex[:8]
    pg = cluster["GOVHALL_PG_URL"]
    catalogue_port, search_port, gateway_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVHALL_")}
    env.update(
        {
            "GOVHALL_NATS_URL": cluster["GOVHALL_NATS_URL"],
            "GOVHALL_REDIS_URL": cluster["GOVHALL_REDIS_URL"],
            "GOVHALL_ELASTICSEARCH_URL": cluster["GOVHALL_ELASTICSEARCH_URL"],
            "GOVHALL_STREAM_PREFIX": f"E2E{run.upper()}",
            "GOVHALL_LOG_LEVEL": "INFO",
            "GOVHALL_VAR_DIR": str(tmp_path_factory.mktemp("var")),
            "GOVHALL_CATALOGUE_DATABASE_URL": f"{pg}/e2e_{run}_catalogue",
            "GOVHALL_CATALOGUE_GRPC_ADDRESS": f"127.0.0.1:{catalogue_port}",
            "GOVHALL_SEARCH_DATABASE_URL": f"{pg}/e2e_{run}_search",
            "GOVHALL_SEARCH_GRPC_ADDRESS": f"127.0.0.1:{search_port}",
            "GOVHALL_SEARCH_INDEX_ALIAS": f"e2e-{run}-matters",
            "GOVHALL_GATEWAY_PORT": str(gateway_port),
            "GOVHALL_GATEWAY_CATALOGUE_ADDRESS": f"127.0.0.1:{catalogue_port}",
            "GOVHALL_GATEWAY_SEARCH_ADDRESS": f"127.0.0.1:{search_port}",
            "GOVHALL_GATEWAY_ADMIN_TOKEN": ADMIN_TOKEN,
            # The journeys poll; the limiter itself is tested in the gateway tests.
            "GOVHALL_GATEWAY_RATE_LIMIT_PER_MINUTE": "1000000",
        }
    )
    c = Cluster(env, tmp_path_factory.mktemp("logs"), gateway_url=f"http://127.0.0.1:{gateway_port}")
    for service in ("catalogue", "search", "gateway"):
        c.start(service)
    try:
        c.wait_ready()
        yield c
    finally:
        for service in list(c.procs):
            c.stop(service)
        _drop(pg, [f"e2e_{run}_catalogue", f"e2e_{run}_search"])
        asyncio.run(_delete_streams(cluster["GOVHALL_NATS_URL"], env["GOVHALL_STREAM_PREFIX"]))
        _delete_index(cluster["GOVHALL_ELASTICSEARCH_URL"], f"e2e-{run}-matters-v1")


def _drop(pg_url: str, names: list[str]) -> None:
    dsn = pg_url.replace("postgresql+asyncpg://", "postgresql://")
    for name in names:
        subprocess.run(
            ["psql", f"{dsn}/postgres", "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
            check=False,
            capture_output=True,
        )


async def _delete_streams(nats_url: str, prefix: str) -> None:
    bus = JetStreamBus(nats_url, stream_prefix=prefix)
    await bus.start()
    await bus.delete_streams()
    await bus.close()


def _delete_index(es_url: str, index: str) -> None:
    try:
        urllib.request.urlopen(urllib.request.Request(f"{es_url}/{index}", method="DELETE"), timeout=10)
    except OSError:
        pass
