"""deploy/local's readiness probes never connect to a port nobody listens on yet, and start.sh
keeps the kernel from handing the servers' ports out as source ports (as root).

Why: the ports (5xxxx) lie inside Linux's ephemeral range, and a connect to a local port with no
listener can pick that same port as its source and connect to itself; the server then cannot
bind it. Elasticsearch failed to start that way twice in a row on a fresh clone."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "deploy/local/lib.sh"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bash(script: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", f". {LIB}; {script}"],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_listening_says_whether_a_port_listens() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert _bash(f"listening {port}").returncode == 0
    assert _bash(f"listening {port}").returncode == 1


@pytest.mark.parametrize(
    ("probe", "port_variable", "client"),
    [
        ("elasticsearch_ready", "GOVHALL_ES_PORT", "curl"),
        ("nats_ready", "GOVHALL_NATS_MONITOR_PORT", "curl"),
        ("redis_ready", "GOVHALL_REDIS_PORT", "redis-cli"),
    ],
)
def test_a_probe_does_not_connect_before_the_port_listens(
    tmp_path: Path, probe: str, port_variable: str, client: str
) -> None:
    # The probe's client, replaced by one that only records that it was run.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    called = tmp_path / "called"
    stub = bin_dir / client
    stub.write_text(f'#!/bin/sh\necho "$@" >> {called}\nexit 0\n')
    stub.chmod(0o755)
    port = _free_port()
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        port_variable: str(port),
        "GOVHALL_ELASTICSEARCH_URL": f"http://127.0.0.1:{port}",
    }
    assert _bash(probe, env).returncode != 0
    assert not called.exists(), f"{probe} ran {client} against a port nobody listens on"

    # Once the port listens, the probe asks the server (here the stub, which answers yes).
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen()
        _bash(probe, env)
        assert called.exists()


@pytest.mark.integration
def test_start_reserves_the_servers_ports_as_root(cluster: dict[str, str]) -> None:
    reserved = Path("/proc/sys/net/ipv4/ip_local_reserved_ports")
    if os.geteuid() != 0 or not os.access(reserved, os.W_OK):
        pytest.skip("only root reserves ports (start.sh leaves them alone otherwise)")
    ports: set[int] = set()
    for part in filter(None, reserved.read_text().strip().split(",")):
        low, _, high = part.partition("-")
        ports.update(range(int(low), int(high or low) + 1))
    wanted = {
        cluster[name]
        for name in (
            "GOVHALL_PG_PORT",
            "GOVHALL_REDIS_PORT",
            "GOVHALL_NATS_PORT",
            "GOVHALL_NATS_MONITOR_PORT",
            "GOVHALL_ES_PORT",
            "GOVHALL_ES_TRANSPORT_PORT",
        )
    }
    assert {int(p) for p in wanted} <= ports
