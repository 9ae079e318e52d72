"""Gateway search against a bare FastAPI JSON endpoint, measured in the same run.

    uv run python bench/search_vs_bare.py [--seconds N] [--rounds R] [--concurrency C]
                                          [--mode cluster|embedded] [--client raw|httpx]

Subject: GET /api/v1/sites/420502/search?q=<query> on the govhall gateway, cycling through
realistic Chinese queries. In `cluster` mode (the default) catalogue, search and gateway run as
separate processes against the local servers (PostgreSQL, NATS, Redis, Elasticsearch; started by
deploy/local/start.sh), each run with its own databases, stream prefix and index alias, all
removed afterwards. In `embedded` mode the subject is `python -m govhall.allinone` (SQLite, the
in-process bus, the SQLite FTS index), in a temporary var directory.

Baseline: bench/bare_app.py, a bare FastAPI endpoint served by uvicorn in its own process that
returns a body shaped like a search result (10 hits of Chinese text) without any I/O.

Load: C concurrent workers in this process, each on one keep-alive connection, send requests
back to back for a fixed time (closed loop). Baseline and subject alternate in rounds (bare,
gateway, gateway, bare, ...) so that drift in the machine's load hits both alike, and the
numbers are aggregated over the rounds. What matters is the ratio gateway / bare: absolute
numbers depend on the machine and on whatever else it is doing; the ratio much less so.

Every loop is bounded in time and count, traffic goes only to 127.0.0.1, and all processes,
databases, streams and the index are removed on the way out, also on error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import functools
import json
import math
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results" / "search_vs_bare.json"

SITE = "420502"  # 西陵区, a county of the demo province: search covers it, 宜昌市 and 湖北省
QUERIES = (
    "营业执照",
    "食品经营许可",
    "身份证",
    "社保卡",
    "结婚登记",
    "护照",  # nothing to find: the county offers no passports
    "公积金提取",
    "出生登记",
    "失业保险金",
    "社会保险",
    "排污许可",
    "医师执业注册",
    "建设工程规划",
    "保安服务",
    "药品批发",
    "环境影响评价",
)
ADMIN_TOKEN = "bench-admin-token"

# Bounds: no loop runs longer or more often than this, whatever the arguments say.
MAX_REQUESTS_PER_PHASE = 1_000_000
REQUEST_TIMEOUT = 10.0  # seconds; a request slower than this counts as an error
START_TIMEOUT = 120.0  # seconds for the processes to answer
INDEX_TIMEOUT = 60.0  # seconds for the demo matters to reach the search index
# The load comes from this loopback address, so the gateway's per-client rate-limit counter in
# Redis (keyed by client address) is not the one of a developer's `make up` gateway on 127.0.0.1.
CLIENT_ADDRESS = "127.0.0.2"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@functools.cache
def client_address() -> str | None:
    """CLIENT_ADDRESS if this machine lets us bind it (any 127/8 address normally works)."""
    try:
        with socket.socket() as s:
            s.bind((CLIENT_ADDRESS, 0))
        return CLIENT_ADDRESS
    except OSError:
        return None


# ---------------------------------------------------------------------------------------------
# CPU accounting (Linux /proc): which process used the CPU while a target was under load


def _proc_table() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds used so far) for every process we may read."""
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return table


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU time of the whole machine, in ticks of all CPUs."""
    try:
        with open("/proc/stat") as f:
            values = [int(x) for x in f.readline().split()[1:9]]
    except OSError:
        return 0.0, 0.0
    idle = values[3] + values[4]  # idle + iowait
    return float(sum(values) - idle), float(sum(values))


def cpu_snapshot(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds of each named process together with its descendants (PostgreSQL backends,
    uvicorn workers), plus this process ("client") and the machine ("machine busy/total")."""
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _cpu) in table.items():
        children.setdefault(ppid, []).append(pid)
    out = {"client": time.process_time()}
    for name, root in roots.items():
        if root not in table:
            continue
        total, todo, seen = 0.0, [root], set[int]()
        while todo and len(seen) < 10_000:
            pid = todo.pop()
            if pid in seen or pid not in table:
                continue
            seen.add(pid)
            total += table[pid][1]
            todo.extend(children.get(pid, ()))
        out[name] = total
    out["machine busy"], out["machine total"] = _machine_busy()
    return out


def cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: after[k] - before[k] for k in after if k in before}


# ---------------------------------------------------------------------------------------------
# Processes


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the bench dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Processes:
    """Child processes with their output in log files. Start them all before any thread exists
    (grpc starts threads), since the pre-exec hook is not safe once there are threads."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        with open(self.log_dir / f"{name}.log", "ab") as out:
            self.procs[name] = subprocess.Popen(
                argv,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=ROOT,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )

    def check(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}\n{self.log_tail()}")

    def log_tail(self, chars: int = 2500) -> str:
        return "\n".join(
            f"--- {p.name}\n" + p.read_text(errors="replace")[-chars:]
            for p in sorted(self.log_dir.glob("*.log"))
        )

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for name, proc in self.procs.items():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop within 15 s; killing it")
                proc.kill()
                proc.wait(timeout=5)
        self.procs.clear()


# ---------------------------------------------------------------------------------------------
# HTTP clients: one connection per worker, keep-alive


class ProtocolError(Exception):
    pass


class RawConnection:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: GET only, just enough to read a
    uvicorn reply. Several times cheaper per request than httpx, so on a small machine the load
    generator takes less of the CPU the servers need (see README.md)."""

    def __init__(self, host: str, port: int, local_address: str | None) -> None:
        self.host, self.port, self.local_address = host, port, local_address
        self.host_header = f"{host}:{port}".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        local = (self.local_address, 0) if self.local_address else None
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, local_addr=local)
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    async def get(self, target: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            await self._connect()
        assert self.reader is not None and self.writer is not None
        self.writer.write(
            b"GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: govhall-bench\r\nAccept: application/json\r\n\r\n"
            % (target, self.host_header)
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 "):
            raise ProtocolError(f"not an HTTP/1.1 reply: {head[:40]!r}")
        status = int(head[9:12])
        lower = head.lower()
        at = lower.find(b"\r\ncontent-length:")
        if at >= 0:
            end = lower.index(b"\r\n", at + 2)
            body = await self.reader.readexactly(int(lower[at + 17 : end]))
        elif b"\r\ntransfer-encoding: chunked" in lower:
            body = await self._chunked()
        else:
            raise ProtocolError("a reply without Content-Length or chunked encoding")
        if b"\r\nconnection: close" in lower:
            self.close()
        return status, body

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        parts: list[bytes] = []
        for _ in range(100_000):
            size = int((await self.reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")  # no trailers from uvicorn
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)
        raise ProtocolError("too many chunks")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class HttpxConnection:
    """The same interface on httpx, for comparison (--client httpx)."""

    def __init__(self, host: str, port: int, local_address: str | None) -> None:
        import httpx

        self.base = f"http://{host}:{port}"
        transport = httpx.AsyncHTTPTransport(local_address=local_address, retries=0)
        self.client: Any = httpx.AsyncClient(
            transport=transport, timeout=REQUEST_TIMEOUT, limits=httpx.Limits(max_connections=1)
        )

    async def get(self, target: bytes) -> tuple[int, bytes]:
        reply = await self.client.get(self.base + target.decode())
        return reply.status_code, reply.content

    def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            # Closing is async in httpx; let the loop finish it.
            task = asyncio.ensure_future(client.aclose())
            _BACKGROUND.add(task)
            task.add_done_callback(_BACKGROUND.discard)


_BACKGROUND: set[asyncio.Future[Any]] = set()

Connection = RawConnection | HttpxConnection


async def get_json(port: int, target: str) -> tuple[int, Any]:
    conn = RawConnection("127.0.0.1", port, client_address())
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT):
            status, body = await conn.get(target.encode())
    finally:
        conn.close()
    try:
        return status, json.loads(body)
    except ValueError:
        return status, None


def search_target(query: str) -> str:
    return f"/api/v1/sites/{SITE}/search?q={urllib.parse.quote(query)}"


# ---------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Phase:
    target: str
    round: int
    seconds: float
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    body_bytes: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # seconds used during the phase, by process
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


async def run_phase(
    name: str,
    round_no: int,
    connect: Callable[[], Connection],
    targets: list[bytes],
    concurrency: int,
    seconds: float,
    cpu_roots: dict[str, int] | None = None,
) -> Phase:
    phase = Phase(name, round_no, 0.0)
    issued = 0
    deadline = 0.0

    async def worker(index: int) -> None:
        nonlocal issued
        conn = connect()
        at = index  # workers start at different queries
        try:
            while issued < MAX_REQUESTS_PER_PHASE and time.perf_counter() < deadline:
                issued += 1
                target = targets[at % len(targets)]
                at += 1
                start = time.perf_counter()
                try:
                    async with asyncio.timeout(REQUEST_TIMEOUT):
                        status, body = await conn.get(target)
                except (OSError, EOFError, TimeoutError, ProtocolError, asyncio.IncompleteReadError) as err:
                    phase.errors[type(err).__name__] += 1
                    conn.close()
                    conn = connect()
                    continue
                except Exception as err:  # httpx's own exceptions
                    phase.errors[type(err).__name__] += 1
                    conn.close()
                    conn = connect()
                    continue
                elapsed = time.perf_counter() - start
                if status == 200:
                    phase.ok += 1
                    phase.body_bytes += len(body)
                    phase.latencies.append(elapsed)
                else:
                    phase.errors[f"HTTP {status}"] += 1
        finally:
            conn.close()

    cpu0 = cpu_snapshot(cpu_roots or {})
    t0 = time.perf_counter()
    deadline = t0 + seconds
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    phase.seconds = time.perf_counter() - t0
    phase.cpu = cpu_delta(cpu0, cpu_snapshot(cpu_roots or {}))
    return phase


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return math.nan
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def _cpu_percent(phases: list[Phase], seconds: float) -> dict[str, float]:
    totals: Counter[str] = Counter()
    for p in phases:
        totals.update(p.cpu)
    out = {
        k: round(100 * v / seconds, 1) for k, v in totals.items() if not k.startswith("machine") and seconds
    }
    if totals["machine total"]:
        out["machine"] = round(100 * totals["machine busy"] / totals["machine total"], 1)
    return out


def summarise(phases: list[Phase]) -> dict[str, Any]:
    latencies = sorted(x for p in phases for x in p.latencies)
    ok = sum(p.ok for p in phases)
    errors: Counter[str] = Counter()
    for p in phases:
        errors.update(p.errors)
    seconds = sum(p.seconds for p in phases)
    return {
        "requests": ok + sum(errors.values()),
        "ok": ok,
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "seconds": round(seconds, 3),
        "rps": ok / seconds if seconds else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p90_ms": percentile(latencies, 0.90) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000 if latencies else math.nan,
        "mean_body_bytes": round(sum(p.body_bytes for p in phases) / ok) if ok else 0,
        # Per process, in % of one CPU (the machine has os.cpu_count() of them); "machine" in % of all.
        "cpu_percent": _cpu_percent(phases, seconds),
        "rounds_rps": [round(p.rps, 1) for p in phases],
    }


# ---------------------------------------------------------------------------------------------
# Set-up and clean-up of the subject


@dataclass
class Run:
    mode: str
    work_dir: Path
    processes: Processes
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    infra: dict[str, str] = field(default_factory=dict)
    databases: list[str] = field(default_factory=list)
    index_alias: str = ""
    stream_prefix: str = ""
    gateway_port: int = 0
    bare_port: int = 0
    catalogue_address: str = ""


def infra_env(start: bool) -> dict[str, str]:
    """Start the local servers (quick when they are up) and read their URLs from env.sh."""
    if start:
        done = subprocess.run(
            ["bash", "deploy/local/start.sh"], cwd=ROOT, capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            raise RuntimeError(f"deploy/local/start.sh failed:\n{done.stdout}{done.stderr}")
    out = subprocess.run(
        ["bash", "-c", ". deploy/local/env.sh && env -0"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout.decode()
    env = dict(item.split("=", 1) for item in out.split("\0") if "=" in item)
    keys = (
        "GOVHALL_PG_URL",
        "GOVHALL_NATS_URL",
        "GOVHALL_REDIS_URL",
        "GOVHALL_ELASTICSEARCH_URL",
        "GOVHALL_RUN",
    )
    return {k: env[k] for k in keys}


def server_pids(run_dir: str) -> dict[str, int]:
    """The local servers' pids, from deploy/local's pid files (for the CPU accounting only)."""
    files = {
        "postgres": "postgres.pid",
        "redis": "redis.pid",
        "nats": "nats.pid",
        "elasticsearch": "elasticsearch/elasticsearch.pid",
    }
    out = {}
    for name, file in files.items():
        with contextlib.suppress(OSError, ValueError, IndexError):
            out[name] = int((Path(run_dir) / file).read_text().split()[0])
    return out


def base_env(run: Run, log_level: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVHALL_")}
    env.update(
        {
            "GOVHALL_LOG_LEVEL": log_level.upper(),
            "GOVHALL_VAR_DIR": str(run.work_dir / "var"),
            "GOVHALL_GATEWAY_PORT": str(run.gateway_port),
            "GOVHALL_GATEWAY_ADMIN_TOKEN": ADMIN_TOKEN,
            # The benchmark is one client hammering; the limiter's work is still measured.
            "GOVHALL_GATEWAY_RATE_LIMIT_PER_MINUTE": "100000000",
        }
    )
    return env


def start_subject(run: Run, log_level: str) -> None:
    py = sys.executable
    if run.mode == "embedded":
        run.processes.start("allinone", [py, "-m", "govhall.allinone"], base_env(run, log_level))
        return
    pg = run.infra["GOVHALL_PG_URL"]
    catalogue_port, search_port = free_port(), free_port()
    run.catalogue_address = f"127.0.0.1:{catalogue_port}"
    run.databases = [f"bench_{run.run_id}_catalogue", f"bench_{run.run_id}_search"]
    run.index_alias = f"bench-{run.run_id}-matters"
    run.stream_prefix = f"BENCH{run.run_id.upper()}"
    env = base_env(run, log_level)
    env.update({k: v for k, v in run.infra.items() if k != "GOVHALL_RUN"})
    env.update(
        {
            "GOVHALL_STREAM_PREFIX": run.stream_prefix,
            "GOVHALL_CATALOGUE_DATABASE_URL": f"{pg}/{run.databases[0]}",
            "GOVHALL_CATALOGUE_GRPC_ADDRESS": run.catalogue_address,
            "GOVHALL_SEARCH_DATABASE_URL": f"{pg}/{run.databases[1]}",
            "GOVHALL_SEARCH_GRPC_ADDRESS": f"127.0.0.1:{search_port}",
            "GOVHALL_SEARCH_INDEX_ALIAS": run.index_alias,
            "GOVHALL_GATEWAY_CATALOGUE_ADDRESS": run.catalogue_address,
            "GOVHALL_GATEWAY_SEARCH_ADDRESS": f"127.0.0.1:{search_port}",
        }
    )
    for service in ("catalogue", "search", "gateway"):
        run.processes.start(service, [py, "-m", f"govhall.{service}"], env)


async def wait_until(
    run: Run, what: str, probe: Callable[[], Awaitable[bool]], timeout: float, interval: float = 0.3
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.processes.check()
        with contextlib.suppress(OSError, EOFError, TimeoutError, ProtocolError, asyncio.IncompleteReadError):
            if await probe():
                return
        await asyncio.sleep(interval)
    raise RuntimeError(f"{what} not within {timeout:.0f} s\n{run.processes.log_tail()}")


async def load_demo_cluster(run: Run) -> int:
    # Imported here: grpc starts threads, and the processes must all be started before that.
    from govhall.catalogue.demo import load_demo
    from govhall.gateway.api import ADMIN
    from govhall.kit.caller import caller_metadata
    from govhall.kit.grpcclient import channel
    from govhall.protos.catalogue.v1 import catalogue_pb2_grpc

    ch = channel(run.catalogue_address)
    try:
        return await load_demo(catalogue_pb2_grpc.CatalogueServiceStub(ch), caller_metadata(ADMIN))
    finally:
        await ch.close()


async def wait_for_index(run: Run) -> dict[str, int]:
    """Until 营业执照 finds something and the hit totals of all queries stop changing."""

    async def first_hit() -> bool:
        status, body = await get_json(run.gateway_port, search_target(QUERIES[0]))
        return status == 200 and bool(body and body.get("items"))

    await wait_until(run, "the demo matters in the search index", first_hit, INDEX_TIMEOUT, 0.5)

    async def totals() -> dict[str, int]:
        out = {}
        for q in QUERIES:
            status, body = await get_json(run.gateway_port, search_target(q))
            out[q] = int(body["page"]["total"]) if status == 200 and body else -1
        return out

    before = await totals()
    for _ in range(int(INDEX_TIMEOUT)):
        await asyncio.sleep(1.0)
        now = await totals()
        if now == before:
            return now
        before = now
    log("the hit counts were still changing; measuring anyway")
    return before


def cleanup(run: Run) -> None:
    run.processes.stop_all()
    if run.mode != "cluster" or not run.infra or not run.databases:
        return  # nothing of ours on the servers yet
    try:
        asyncio.run(asyncio.wait_for(_cleanup_servers(run), 60))
    except Exception as err:
        log(f"clean-up incomplete: {err!r}")


async def _cleanup_servers(run: Run) -> None:
    import asyncpg

    # Each step only for what this run named: an empty alias would match every alias in _alias/.
    dsn = run.infra["GOVHALL_PG_URL"].replace("postgresql+asyncpg://", "postgresql://")
    try:
        if not run.databases:
            raise LookupError("no databases: nothing to drop")
        conn = await asyncpg.connect(f"{dsn}/postgres", timeout=10)
        try:
            for name in run.databases:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
    except Exception as err:
        log(f"could not drop the databases {run.databases}: {err!r}")

    try:
        if not run.stream_prefix:
            raise LookupError("no stream prefix: nothing to delete")
        from govhall.kit.bus import JetStreamBus

        bus = JetStreamBus(run.infra["GOVHALL_NATS_URL"], stream_prefix=run.stream_prefix)
        await bus.start()
        try:
            await bus.delete_streams()
        finally:
            await bus.close()
    except Exception as err:
        log(f"could not delete the streams {run.stream_prefix}_*: {err!r}")

    if run.index_alias:
        await asyncio.to_thread(_delete_indices, run.infra["GOVHALL_ELASTICSEARCH_URL"], run.index_alias)


def _delete_indices(es: str, alias: str) -> None:
    indices = {f"{alias}-v1"}
    with contextlib.suppress(OSError, ValueError):
        with urllib.request.urlopen(f"{es}/_alias/{alias}", timeout=10) as reply:
            indices.update(json.load(reply))
    for index in sorted(indices):
        try:
            urllib.request.urlopen(urllib.request.Request(f"{es}/{index}", method="DELETE"), timeout=10)
        except urllib.error.HTTPError as err:
            if err.code != 404:
                log(f"could not delete the index {index}: {err}")
        except OSError as err:
            log(f"could not delete the index {index}: {err}")


# ---------------------------------------------------------------------------------------------
# The benchmark


async def bench(run: Run, args: argparse.Namespace) -> dict[str, Any]:
    t_start = time.monotonic()
    run.gateway_port, run.bare_port = free_port(), free_port()
    if run.mode == "cluster":
        # Its own stream prefix namespaces its subjects, so a `make up` cluster can run beside it.
        run.infra = infra_env(not args.no_start)
    start_subject(run, args.log_level)
    run.processes.start(
        "bare",
        [
            sys.executable,
            str(BENCH / "bare_app.py"),
            "--port",
            str(run.bare_port),
            "--log-level",
            args.log_level,
        ],
        base_env(run, args.log_level),
    )

    async def gateway_ready() -> bool:
        return (await get_json(run.gateway_port, "/readyz"))[0] == 200

    async def bare_ready() -> bool:
        return (await get_json(run.bare_port, "/healthz"))[0] == 200

    await wait_until(run, "the gateway ready (/readyz)", gateway_ready, START_TIMEOUT)
    await wait_until(run, "the bare app up", bare_ready, START_TIMEOUT)
    if run.mode == "cluster":
        published = await load_demo_cluster(run)
        log(f"demo province loaded: {published} matters published")
    hits = await wait_for_index(run)
    log("search hits per query: " + ", ".join(f"{q} {n}" for q, n in hits.items()))
    log(f"ready after {time.monotonic() - t_start:.1f} s")

    targets = [search_target(q).encode() for q in QUERIES]
    local = client_address()
    kind = RawConnection if args.client == "raw" else HttpxConnection

    def connector(port: int) -> Callable[[], Connection]:
        return lambda: kind("127.0.0.1", port, local)

    subjects = {"bare": connector(run.bare_port), "gateway": connector(run.gateway_port)}
    cpu_roots = {name: proc.pid for name, proc in run.processes.procs.items()}
    if run.infra:
        cpu_roots.update(server_pids(run.infra["GOVHALL_RUN"]))

    for name, connect in subjects.items():
        warm = await run_phase(name, 0, connect, targets, args.concurrency, args.warmup)
        log(f"warm-up {name}: {warm.ok} ok, {sum(warm.errors.values())} errors")

    phases: dict[str, list[Phase]] = {name: [] for name in subjects}
    for r in range(1, args.rounds + 1):
        order = ["bare", "gateway"] if r % 2 else ["gateway", "bare"]
        for name in order:
            run.processes.check()
            phase = await run_phase(
                name, r, subjects[name], targets, args.concurrency, args.seconds, cpu_roots
            )
            phases[name].append(phase)
            log(
                f"round {r} {name:<7} {phase.rps:8.1f} req/s"
                + (f"  errors {dict(phase.errors)}" if phase.errors else "")
            )
            await asyncio.sleep(0.2)

    bare, gateway = summarise(phases["bare"]), summarise(phases["gateway"])
    round_ratios = [g.rps / b.rps for b, g in zip(phases["bare"], phases["gateway"], strict=True) if b.rps]
    return {
        "benchmark": "search_vs_bare",
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": args.mode,
        "client": args.client,
        "client_address": local or "default",
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "seconds_per_round": args.seconds,
        "log_level": args.log_level,
        "site": SITE,
        "queries": list(QUERIES),
        "hits_per_query": hits,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        "bare": bare,
        "gateway": gateway,
        "ratios": {
            "rps": gateway["rps"] / bare["rps"] if bare["rps"] else math.nan,
            "p50": gateway["p50_ms"] / bare["p50_ms"] if bare["p50_ms"] else math.nan,
            "p99": gateway["p99_ms"] / bare["p99_ms"] if bare["p99_ms"] else math.nan,
            "rps_per_round": [round(x, 4) for x in round_ratios],
        },
    }


def print_table(result: dict[str, Any]) -> None:
    print()
    print(
        f"search vs bare: {result['mode']} mode, {result['rounds']} rounds x {result['seconds_per_round']:g} s each,"
        f" concurrency {result['concurrency']}, {result['client']} client, {result['machine']['cpus']} CPUs"
    )
    header = f"{'':<9}{'requests':>10}{'errors':>8}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'body B':>8}"
    print(header)
    print("-" * len(header))
    for name in ("bare", "gateway"):
        s = result[name]
        print(
            f"{name:<9}{s['requests']:>10}{s['errors']:>8}{s['rps']:>10.1f}{s['p50_ms']:>9.2f}{s['p99_ms']:>9.2f}"
            f"{s['mean_body_bytes']:>8}"
        )
    r = result["ratios"]
    per_round = r["rps_per_round"]
    spread = f" (rounds {min(per_round):.3f}-{max(per_round):.3f})" if per_round else ""
    print()
    print(f"gateway / bare   req/s {r['rps']:.3f}x{spread}   p50 {r['p50']:.2f}x   p99 {r['p99']:.2f}x")
    print(f"CPU while under load, % of one CPU (machine: % of all {result['machine']['cpus']}):")
    for name in ("bare", "gateway"):
        cpu = result[name]["cpu_percent"]
        busy = ", ".join(f"{k} {v:.0f}" for k, v in cpu.items() if k != "machine" and v >= 1)
        print(f"  {name:<8} {busy}; machine {cpu.get('machine', math.nan):.0f}")
    for name in ("bare", "gateway"):
        if result[name]["error_kinds"]:
            print(f"{name} errors: {result[name]['error_kinds']}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mode", choices=("cluster", "embedded"), default="cluster")
    p.add_argument("--seconds", type=float, default=6.0, help="measured seconds per target per round")
    p.add_argument("--rounds", type=int, default=4, help="rounds of bare + gateway (order alternates)")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per target")
    p.add_argument("--concurrency", type=int, default=8, help="concurrent connections")
    p.add_argument("--client", choices=("raw", "httpx"), default="raw")
    p.add_argument("--log-level", default="info", help="of the servers (both use the same)")
    p.add_argument("--no-start", action="store_true", help="do not run deploy/local/start.sh first")
    p.add_argument("--output", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    # Bounds, whatever was asked: this runs on small shared machines.
    if not (0 < args.seconds <= 120 and 1 <= args.rounds <= 20 and 0 <= args.warmup <= 30):
        p.error("--seconds must be in (0, 120], --rounds in [1, 20], --warmup in [0, 30]")
    if not 1 <= args.concurrency <= 256:
        p.error("--concurrency must be in [1, 256]")
    return args


def _interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    try:
        import uvloop

        runner: Callable[[Any], Any] = uvloop.run
    except ImportError:
        runner = asyncio.run
    with tempfile.TemporaryDirectory(prefix="govhall-bench-") as tmp:
        work = Path(tmp)
        (work / "logs").mkdir()
        run = Run(args.mode, work, Processes(work / "logs"))
        try:
            result = runner(bench(run, args))
        except RuntimeError as err:
            log(f"failed: {err}")
            return 1
        except KeyboardInterrupt as err:
            log(f"interrupted ({err or 'Ctrl-C'}); cleaning up")
            return 130
        finally:
            cleanup(run)
    print_table(result)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    log(f"written {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
