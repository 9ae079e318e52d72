"""What the benchmarks share: child processes, an HTTP load generator, statistics, the servers.

Each benchmark measures a subject against a baseline in the same run, in alternating rounds
(`run_rounds`), with C workers in the benchmark process, each on one keep-alive connection
sending requests back to back (a closed loop); see README.md. The bench/*.py scripts run as
`python bench/<name>.py`, which puts bench/ on sys.path, and import this module as `common`.

Every loop is bounded in time and count and traffic goes only to loopback addresses.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import ctypes
import functools
import json
import math
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govhall.kit.ports import free_port as kit_free_port

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS_DIR = BENCH / "results"

# Bounds: no loop runs longer or more often than this, whatever the arguments say.
MAX_REQUESTS_PER_PHASE = 1_000_000
REQUEST_TIMEOUT = 10.0  # seconds; a request slower than this counts as an error
START_TIMEOUT = 120.0  # seconds for the processes to answer
# The load comes from this loopback address, so the gateway's per-client rate-limit counter in
# Redis (keyed by client address) is not the one of a developer's `make up` gateway on 127.0.0.1.
CLIENT_ADDRESS = "127.0.0.2"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# Ports handed out in this process: a port is released when free_port returns, so the OS may
# hand it out again before its service binds it; never giving one twice keeps a cluster's
# processes (eight now) from colliding with each other.
_GIVEN: set[int] = set()


def free_port() -> int:
    while True:
        port = kit_free_port()
        if port not in _GIVEN:
            _GIVEN.add(port)
            return port


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


def start_bare(
    processes: Processes, port: int, log_level: str, env: dict[str, str], extra: Sequence[str] = ()
) -> None:
    """The baseline, bench/bare_app.py, in its own process under uvicorn (``extra``: its options)."""
    argv = [sys.executable, str(BENCH / "bare_app.py"), "--port", str(port), "--log-level", log_level, *extra]
    processes.start("bare", argv, env)


# ---------------------------------------------------------------------------------------------
# HTTP clients: one connection per worker, keep-alive


class ProtocolError(Exception):
    pass


# What a request may end in, other than a reply: the connection is dropped and a new one made.
REQUEST_ERRORS = (OSError, EOFError, TimeoutError, ProtocolError, asyncio.IncompleteReadError)


@dataclass(frozen=True)
class Call:
    """One HTTP request: method, target (path and query), extra headers and body. The header
    lines after Host are built once here, not on every send."""

    method: bytes
    target: bytes
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes = b""
    head_tail: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lines = b"User-Agent: govhall-bench\r\nAccept: application/json\r\n"
        lines += b"".join(b"%s: %s\r\n" % (name, value) for name, value in self.headers)
        if self.body or self.method in (b"POST", b"PUT", b"PATCH"):
            lines += b"Content-Length: %d\r\n" % len(self.body)
        object.__setattr__(self, "head_tail", lines + b"\r\n")

    @classmethod
    def get(cls, target: str, bearer: str = "") -> Call:
        headers = ((b"Authorization", b"Bearer " + bearer.encode()),) if bearer else ()
        return cls(b"GET", target.encode(), headers)

    @classmethod
    def post_json(cls, target: str, body: Any, bearer: str = "") -> Call:
        headers: tuple[tuple[bytes, bytes], ...] = ((b"Content-Type", b"application/json"),)
        if bearer:
            headers += ((b"Authorization", b"Bearer " + bearer.encode()),)
        return cls(b"POST", target.encode(), headers, json.dumps(body, ensure_ascii=False).encode())


class RawConnection:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams, just enough to read a uvicorn
    reply. Several times cheaper per request than httpx, so on a small machine the load
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
        return await self.send(Call(b"GET", target))

    async def send(self, call: Call) -> tuple[int, bytes]:
        if self.writer is None:
            await self._connect()
        assert self.reader is not None and self.writer is not None
        self.writer.write(
            b"%s %s HTTP/1.1\r\nHost: %s\r\n%s%s"
            % (call.method, call.target, self.host_header, call.head_tail, call.body)
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
        elif status in (204, 304) or 100 <= status < 200:
            body = b""
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
        return await self.send(Call(b"GET", target))

    async def send(self, call: Call) -> tuple[int, bytes]:
        reply = await self.client.request(
            call.method.decode(),
            self.base + call.target.decode(),
            headers={name.decode(): value.decode() for name, value in call.headers},
            content=call.body or None,
        )
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
CLIENTS: dict[str, type[RawConnection] | type[HttpxConnection]] = {
    "raw": RawConnection,
    "httpx": HttpxConnection,
}


def connector(client: str, port: int) -> Callable[[], Connection]:
    """New connections of the --client kind to a port on 127.0.0.1, from CLIENT_ADDRESS."""
    kind, local = CLIENTS[client], client_address()
    return lambda: kind("127.0.0.1", port, local)


async def request_json(port: int, call: Call) -> tuple[int, Any]:
    """One request on a fresh connection (set-up and probes, not the measured load)."""
    conn = RawConnection("127.0.0.1", port, client_address())
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT):
            status, body = await conn.send(call)
    finally:
        conn.close()
    try:
        return status, json.loads(body)
    except ValueError:
        return status, None


async def get_json(port: int, target: str) -> tuple[int, Any]:
    return await request_json(port, Call(b"GET", target.encode()))


async def wait_until(
    processes: Processes,
    what: str,
    probe: Callable[[], Awaitable[bool]],
    timeout: float,
    interval: float = 0.3,
) -> None:
    """Until ``probe()`` is true; fails early if a child process has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check()
        with contextlib.suppress(*REQUEST_ERRORS):
            if await probe():
                return
        await asyncio.sleep(interval)
    raise RuntimeError(f"{what} not within {timeout:.0f} s\n{processes.log_tail()}")


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
    calls: Sequence[Call],
    concurrency: int,
    seconds: float,
    cpu_roots: dict[str, int] | None = None,
    ok_status: int = 200,
) -> Phase:
    """C workers send ``calls`` round-robin for ``seconds``; only ``ok_status`` replies count."""
    phase = Phase(name, round_no, 0.0)
    issued = 0
    deadline = 0.0

    async def worker(index: int) -> None:
        nonlocal issued
        conn = connect()
        at = index  # workers start at different calls
        try:
            while issued < MAX_REQUESTS_PER_PHASE and time.perf_counter() < deadline:
                issued += 1
                call = calls[at % len(calls)]
                at += 1
                start = time.perf_counter()
                try:
                    async with asyncio.timeout(REQUEST_TIMEOUT):
                        status, body = await conn.send(call)
                except REQUEST_ERRORS as err:
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
                if status == ok_status:
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


@dataclass
class Target:
    """Something to load: where to connect and what to send."""

    connect: Callable[[], Connection]
    calls: Sequence[Call]


async def run_rounds(
    processes: Processes,
    pair: tuple[str, ...],
    targets: dict[str, Target],
    *,
    rounds: int,
    seconds: float,
    warmup: float,
    concurrency: int,
    cpu_roots: dict[str, int] | None = None,
) -> dict[str, list[Phase]]:
    """A warm-up of each, then ``rounds`` rounds of baseline and subject (``pair``), the order
    alternating (a b, b a, a b, ...) so that drift in the machine's load hits both alike."""
    for name in pair:
        t = targets[name]
        warm = await run_phase(name, 0, t.connect, t.calls, concurrency, warmup)
        log(
            f"warm-up {name}: {warm.ok} ok, {sum(warm.errors.values())} errors"
            + (f" {dict(warm.errors)}" if warm.errors else "")
        )
    width = max(7, *(len(n) for n in pair))
    phases: dict[str, list[Phase]] = {name: [] for name in pair}
    for r in range(1, rounds + 1):
        for name in pair if r % 2 else pair[::-1]:
            processes.check()
            t = targets[name]
            phase = await run_phase(name, r, t.connect, t.calls, concurrency, seconds, cpu_roots)
            phases[name].append(phase)
            log(
                f"round {r} {name:<{width}} {phase.rps:8.1f} req/s"
                + (f"  errors {dict(phase.errors)}" if phase.errors else "")
            )
            await asyncio.sleep(0.2)
    return phases


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


def ratios(base: list[Phase], subject: list[Phase]) -> dict[str, Any]:
    """subject / baseline: req/s (higher is better), p50 and p99 (lower is better), per round."""
    b, s = summarise(base), summarise(subject)
    per_round = [x.rps / y.rps for y, x in zip(base, subject, strict=True) if y.rps]
    return {
        "rps": s["rps"] / b["rps"] if b["rps"] else math.nan,
        "p50": s["p50_ms"] / b["p50_ms"] if b["p50_ms"] else math.nan,
        "p99": s["p99_ms"] / b["p99_ms"] if b["p99_ms"] else math.nan,
        "rps_per_round": [round(x, 4) for x in per_round],
    }


def ratio_line(label: str, r: dict[str, Any]) -> str:
    per_round = r["rps_per_round"]
    spread = f" (rounds {min(per_round):.3f}-{max(per_round):.3f})" if per_round else ""
    return f"{label}   req/s {r['rps']:.3f}x{spread}   p50 {r['p50']:.2f}x   p99 {r['p99']:.2f}x"


def print_rows(summaries: dict[str, dict[str, Any]], width: int = 9) -> None:
    header = f"{'':<{width}}{'requests':>10}{'errors':>8}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'body B':>8}"
    print(header)
    print("-" * len(header))
    for name, s in summaries.items():
        print(
            f"{name:<{width}}{s['requests']:>10}{s['errors']:>8}{s['rps']:>10.1f}{s['p50_ms']:>9.2f}"
            f"{s['p99_ms']:>9.2f}{s['mean_body_bytes']:>8}"
        )


def print_cpu(summaries: dict[str, dict[str, Any]], cpus: int | None, width: int = 8) -> None:
    print(f"CPU while under load, % of one CPU (machine: % of all {cpus}):")
    for name, s in summaries.items():
        cpu = s["cpu_percent"]
        busy = ", ".join(f"{k} {v:.0f}" for k, v in cpu.items() if k != "machine" and v >= 1)
        print(f"  {name:<{width}} {busy}; machine {cpu.get('machine', math.nan):.0f}")
    for name, s in summaries.items():
        if s["error_kinds"]:
            print(f"{name} errors: {s['error_kinds']}")


# ---------------------------------------------------------------------------------------------
# The local servers (deploy/local)


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
        "GOVHALL_PG_HOST",
        "GOVHALL_PG_PORT",
        "GOVHALL_DB_SERVICES",
        "GOVHALL_NATS_URL",
        "GOVHALL_REDIS_URL",
        "GOVHALL_ELASTICSEARCH_URL",
        "GOVHALL_RUN",
    )
    # And the servers' passwords (deploy/local's secrets.env): each service process gets its own
    # (govhall.kit.testing.service_env), clean-up uses the admin ones.
    return {k: v for k, v in env.items() if k in keys or k.startswith("GOVHALL_SECRET_")}


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


async def drop_databases(pg_url: str, names: Sequence[str]) -> None:
    """Drop this run's PostgreSQL databases (only those named: an empty list drops nothing)."""
    import asyncpg

    try:
        if not names:
            raise LookupError("no databases: nothing to drop")
        dsn = pg_url.replace("postgresql+asyncpg://", "postgresql://")
        conn = await asyncpg.connect(f"{dsn}/postgres", timeout=10)
        try:
            for name in names:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
    except Exception as err:
        log(f"could not drop the databases {list(names)}: {err!r}")


async def delete_streams(infra: dict[str, str], prefix: str) -> None:
    """Delete this run's JetStream streams (prefix_*) as NATS's admin (no service may); an empty
    prefix deletes nothing."""
    try:
        if not prefix:
            raise LookupError("no stream prefix: nothing to delete")
        from govhall.kit.testing import cluster_bus

        bus = cluster_bus(infra, "admin", prefix)
        await bus.start()
        try:
            await bus.delete_streams()
        finally:
            await bus.close()
    except Exception as err:
        log(f"could not delete the streams {prefix}_*: {err!r}")


async def delete_redis_keys(
    redis_url: str, namespace: str, credentials: dict[str, str] | None = None
) -> None:
    """Delete this run's Redis keys (namespace:*) as the admin user of ``credentials``; an empty
    namespace deletes nothing."""
    try:
        if not namespace:
            raise LookupError("no namespace: nothing to delete")
        import redis.asyncio as redis

        client = redis.from_url(redis_url, socket_timeout=5, **(credentials or {}))
        try:
            batch = [key async for key in client.scan_iter(match=f"{namespace}:*", count=1000)]
            for at in range(0, len(batch), 1000):
                await client.delete(*batch[at : at + 1000])
        finally:
            await client.aclose()
    except Exception as err:
        log(f"could not delete the Redis keys {namespace}:*: {err!r}")


def delete_indices(es_url: str, pattern: str, headers: dict[str, str] | None = None) -> None:
    """Delete this run's Elasticsearch indices (a name or a wildcard pattern that names only them),
    with the admin's Authorization ``headers``."""
    import urllib.error
    import urllib.request

    if not pattern.strip("*-"):
        log("no index pattern: nothing to delete")
        return
    try:
        request = urllib.request.Request(f"{es_url}/{pattern}", method="DELETE", headers=headers or {})
        urllib.request.urlopen(request, timeout=30)
    except urllib.error.HTTPError as err:
        if err.code != 404:
            log(f"could not delete the indices {pattern}: {err}")
    except OSError as err:
        log(f"could not delete the indices {pattern}: {err}")


def identity_env(database_url: str, address: str, kv_namespace: str, sms_file: Path) -> dict[str, str]:
    """The settings that run identity beside a gateway: its database and address, a random data
    key, the Redis key namespace it shares with the gateway (which reads the sessions identity
    revokes there) and where its development SMS sender writes. Argon2 keeps its defaults; the
    per-client login limit is lifted, because every benchmark request comes from one address."""
    return {
        "GOVHALL_IDENTITY_DATABASE_URL": database_url,
        "GOVHALL_IDENTITY_GRPC_ADDRESS": address,
        "GOVHALL_IDENTITY_DATA_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "GOVHALL_IDENTITY_KV_NAMESPACE": kv_namespace,
        "GOVHALL_IDENTITY_DEV_SMS_FILE": str(sms_file),
        "GOVHALL_IDENTITY_LOGINS_PER_CLIENT_PER_MINUTE": "100000000",
        "GOVHALL_GATEWAY_IDENTITY_ADDRESS": address,
        "GOVHALL_GATEWAY_KV_NAMESPACE": kv_namespace,
        # The services check each call's session against the sessions identity revokes there.
        "GOVHALL_CATALOGUE_KV_NAMESPACE": kv_namespace,
        "GOVHALL_CASES_KV_NAMESPACE": kv_namespace,
        "GOVHALL_SEARCH_KV_NAMESPACE": kv_namespace,
    }


# ---------------------------------------------------------------------------------------------
# Running a benchmark


def _interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def runner() -> Callable[[Any], Any]:
    """uvloop.run if uvloop is installed (as the services use it), else asyncio.run; SIGTERM and
    SIGHUP become KeyboardInterrupt so the clean-up runs."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    try:
        import uvloop

        return uvloop.run  # type: ignore[no-any-return]
    except ImportError:
        return asyncio.run


def load_parser(description: str, output: Path) -> argparse.ArgumentParser:
    """The options every benchmark's load phases share; a benchmark adds its own."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--seconds", type=float, default=6.0, help="measured seconds per target per round")
    p.add_argument("--rounds", type=int, default=4, help="rounds of bare + gateway (order alternates)")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per target")
    p.add_argument("--concurrency", type=int, default=8, help="concurrent connections")
    p.add_argument("--client", choices=("raw", "httpx"), default="raw")
    p.add_argument("--log-level", default="info", help="of the servers (all use the same)")
    p.add_argument("--no-start", action="store_true", help="do not run deploy/local/start.sh first")
    p.add_argument("--output", type=Path, default=output)
    return p


def check_load_bounds(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Bounds on the shared options, whatever was asked: this runs on small shared machines."""
    if not (0 < args.seconds <= 120 and 1 <= args.rounds <= 20 and 0 <= args.warmup <= 30):
        p.error("--seconds must be in (0, 120], --rounds in [1, 20], --warmup in [0, 30]")
    if not 1 <= args.concurrency <= 256:
        p.error("--concurrency must be in [1, 256]")


def write_result(path: Path, result: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    log(f"written {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def run_main(
    make_run: Callable[[Path, Processes], Any],
    bench: Callable[[Any], Awaitable[dict[str, Any]]],
    cleanup: Callable[[Any], None],
    print_table: Callable[[dict[str, Any]], None],
    output: Path,
) -> int:
    """A benchmark's main: a scratch directory for logs, the run, clean-up whatever happens,
    then the table and the result file. Returns the process exit code."""
    run_loop = runner()
    with tempfile.TemporaryDirectory(prefix="govhall-bench-") as tmp:
        work = Path(tmp)
        (work / "logs").mkdir()
        run = make_run(work, Processes(work / "logs"))
        try:
            result = run_loop(bench(run))
        except RuntimeError as err:
            log(f"failed: {err}")
            return 1
        except KeyboardInterrupt as err:
            log(f"interrupted ({err or 'Ctrl-C'}); cleaning up")
            return 130
        finally:
            cleanup(run)
    print_table(result)
    write_result(output, result)
    return 0
