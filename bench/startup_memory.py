"""Start-up time and memory: all-in-one and the cluster's services against a bare FastAPI app.

    uv run python bench/startup_memory.py [--requests 3000] [--concurrency 8] [--no-cluster]
                                          [--log-level warning] [--no-start] [--output PATH]

**Subject**: `python -m govhall.allinone` in a temporary var dir, started twice: a cold first start
(migrations, keys, the demo province loaded through the services' APIs) and a warm restart on the
data the first left (the demo is not loaded again). Each is timed from the process's start to its
`/readyz` answering 200, and its resident memory (VmRSS) read then. Then two equal loads of mixed
public reads (search over 16 queries, suggestions, hot words, the site, its children, its matters
and FAQs), each `--requests` requests at `--concurrency`, with the RSS after each: the second load
must not grow it much (a leak or an unbounded cache would). With the cluster (unless
`--no-cluster`), the gateway and every service it calls are started as separate processes on the
local servers, and each one's RSS is read once `/healthz/upstreams` answers 200 (idle).

**Baseline**: `bench/bare_app.py` (FastAPI under uvicorn, no I/O), started the same way in the
same run: its start-to-ready time and RSS. The ratios all-in-one / bare are what to compare
across machines; goals (issue 20): warm start-to-ready ≤ 5 s, idle RSS ≤ 200 MB all-in-one and
≤ 120 MB per service.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cluster import GATEWAY, Cluster
from common import (
    RESULTS_DIR,
    START_TIMEOUT,
    Call,
    Processes,
    RawConnection,
    client_address,
    free_port,
    get_json,
    infra_env,
    log,
    run_main,
    start_bare,
    wait_until,
)

RESULTS = RESULTS_DIR / "startup_memory.json"
SITE = "420502"
QUERIES = ("营业执照", "食品经营许可", "身份证", "社保卡", "结婚登记", "护照", "公积金", "出生医学证明")
PUBLIC = (
    f"/api/v1/sites/{SITE}",
    f"/api/v1/sites/{SITE}/children",
    f"/api/v1/sites/{SITE}/matters",
    f"/api/v1/sites/{SITE}/faqs",
    f"/api/v1/sites/{SITE}/search/hot-words",
)


def targets() -> list[bytes]:
    out = [f"/api/v1/sites/{SITE}/search?q={urllib.parse.quote(q)}" for q in QUERIES]
    out += [f"/api/v1/sites/{SITE}/search/suggest?q={urllib.parse.quote(q[:2])}" for q in QUERIES[:4]]
    out += list(PUBLIC)
    return [t.encode() for t in out]


def rss_mb(pid: int) -> float:
    """Resident memory of a process, MB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


@dataclass
class Run:
    work_dir: Path
    processes: Processes
    cluster: Cluster | None = None
    notes: list[str] = field(default_factory=list)


def embedded_env(run: Run, port: int, log_level: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVHALL_")}
    env.update(
        {
            "GOVHALL_LOG_LEVEL": log_level.upper(),
            "GOVHALL_VAR_DIR": str(run.work_dir / "var"),
            "GOVHALL_GATEWAY_PORT": str(port),
            "GOVHALL_GATEWAY_RATE_LIMIT_PER_MINUTE": "100000000",
            # Its cross-province endpoint on ports of this run (50159 may be `make run`'s).
            "GOVHALL_ALLINONE_PARTNER_ENDPOINTS": (
                f'{{"420000": "127.0.0.1:{free_port()}", "430000": "127.0.0.1:{free_port()}"}}'
            ),
        }
    )
    return env


def stop(processes: Processes, name: str) -> None:
    proc = processes.procs.pop(name)
    proc.terminate()
    proc.wait(timeout=60)


async def start_timed(run: Run, name: str, start: Any, port: int, path: str) -> dict[str, float]:
    """Start a process and time it to ``path`` answering 200; its RSS then."""

    async def ready() -> bool:
        return (await get_json(port, path))[0] == 200

    t0 = time.monotonic()
    start()
    await wait_until(run.processes, f"{name} ready ({path})", ready, START_TIMEOUT * 2, 0.05)
    seconds = time.monotonic() - t0
    pid = run.processes.procs[name].pid
    rss = rss_mb(pid)
    idle = await settled_rss(pid)
    log(f"{name}: ready after {seconds:.2f} s, RSS {rss:.0f} MB, idle {idle:.0f} MB")
    return {"ready_s": round(seconds, 3), "rss_mb": round(rss, 1), "idle_rss_mb": round(idle, 1)}


async def settled_rss(pid: int, steady_for: float = 3.0, at_most: float = 30.0) -> float:
    """RSS once background start-up work (warm-ups, relays' first rounds) has settled: unchanged
    within 1 MB for ``steady_for`` seconds, or whatever it is after ``at_most``."""
    deadline = time.monotonic() + at_most
    last, since = rss_mb(pid), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < steady_for:
        await asyncio.sleep(0.5)
        now = rss_mb(pid)
        if abs(now - last) >= 1.0:
            last, since = now, time.monotonic()
    return rss_mb(pid)


async def load(port: int, requests: int, concurrency: int) -> dict[str, int]:
    """``requests`` GETs over the mixed public reads, ``concurrency`` keep-alive connections."""
    calls = [Call(b"GET", t) for t in targets()]
    done = {"requests": 0, "errors": 0}
    counter = iter(range(requests))
    failed: Counter[str] = Counter()

    async def worker() -> None:
        conn = RawConnection("127.0.0.1", port, client_address())
        try:
            for i in counter:
                try:
                    status, _ = await conn.send(calls[i % len(calls)])
                except Exception:
                    status = 0
                    conn.close()
                    conn = RawConnection("127.0.0.1", port, client_address())
                done["requests"] += 1
                if status != 200:
                    done["errors"] += 1
                    failed[f"{status} {calls[i % len(calls)].target.decode()}"] += 1
        finally:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    if failed:
        log(f"failed requests (status target: count): {dict(failed)}")
    return done


async def bench(run: Run, args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {}
    # The baseline: a bare FastAPI app, started as the gateway's process is.
    bare_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVHALL_")}
    result["bare"] = await start_timed(
        run, "bare", lambda: start_bare(run.processes, bare_port, args.log_level, env), bare_port, "/healthz"
    )
    stop(run.processes, "bare")

    argv = [sys.executable, "-m", "govhall.allinone"]
    for phase in ("cold", "warm"):
        port = free_port()
        result[f"allinone_{phase}"] = await start_timed(
            run,
            "allinone",
            lambda port=port: run.processes.start("allinone", argv, embedded_env(run, port, args.log_level)),
            port,
            "/readyz",
        )
        if phase == "cold":
            stop(run.processes, "allinone")
    pid = run.processes.procs["allinone"].pid
    loads = []
    for n in (1, 2):
        t0 = time.monotonic()
        counts = await load(port, args.requests, args.concurrency)
        counts["seconds"] = round(time.monotonic() - t0, 2)  # type: ignore[assignment]
        counts["rss_mb"] = round(rss_mb(pid), 1)  # type: ignore[assignment]
        log(f"load {n}: {counts}")
        loads.append(counts)
    result["loads"] = loads
    stop(run.processes, "allinone")

    if not args.no_cluster:
        infra = infra_env(not args.no_start)
        run.cluster = Cluster.plan([GATEWAY], infra, run.work_dir, args.log_level)
        run.cluster.start(run.processes, run.cluster.env())

        async def upstreams() -> bool:
            assert run.cluster is not None
            return (await get_json(run.cluster.gateway_port, "/healthz/upstreams"))[0] == 200

        await wait_until(
            run.processes, "the cluster's upstreams (/healthz/upstreams)", upstreams, START_TIMEOUT
        )
        result["cluster_rss_mb"] = {
            name: round(rss_mb(proc.pid), 1) for name, proc in sorted(run.processes.procs.items())
        }
    load_avg = os.getloadavg()
    return {
        "benchmark": "startup_memory",
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "requests_per_load": args.requests,
        "concurrency": args.concurrency,
        "load_average": [round(x, 2) for x in load_avg],
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        **result,
    }


def cleanup(run: Run) -> None:
    run.processes.stop_all()
    if run.cluster is not None:
        run.cluster.remove()


def print_table(result: dict[str, Any]) -> None:
    print()
    print(
        f"startup and memory: {result['requests_per_load']} requests per load, concurrency"
        f" {result['concurrency']}, {result['machine']['cpus']} CPUs, load average"
        f" {result['load_average'][0]:.2f}"
    )
    print(f"{'':16} {'ready s':>8} {'RSS MB':>8} {'idle MB':>8}")
    for name in ("bare", "allinone_cold", "allinone_warm"):
        row = result[name]
        print(f"{name:16} {row['ready_s']:8.2f} {row['rss_mb']:8.0f} {row['idle_rss_mb']:8.0f}")
    bare, warm = result["bare"], result["allinone_warm"]
    print()
    print(
        f"allinone warm / bare    ready {warm['ready_s'] / bare['ready_s']:.2f}x"
        f"  RSS {warm['rss_mb'] / bare['rss_mb']:.2f}x  idle RSS {warm['idle_rss_mb'] / bare['idle_rss_mb']:.2f}x"
    )
    first, second = result["loads"]
    for n, row in enumerate(result["loads"], 1):
        print(
            f"load {n}: {row['requests']} requests, {row['errors']} errors, {row['seconds']:.1f} s,"
            f" RSS after {row['rss_mb']:.0f} MB"
        )
    print(f"growth over the second load: {second['rss_mb'] - first['rss_mb']:+.1f} MB")
    if "cluster_rss_mb" in result:
        print(
            "cluster idle RSS MB: " + ", ".join(f"{k} {v:.0f}" for k, v in result["cluster_rss_mb"].items())
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=3000, help="requests per load (two loads)")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--no-cluster", action="store_true", help="all-in-one and the baseline only")
    p.add_argument("--log-level", default="warning", help="of the servers")
    p.add_argument("--no-start", action="store_true", help="do not run deploy/local/start.sh first")
    p.add_argument("--output", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    if not (1 <= args.requests <= 200_000 and 1 <= args.concurrency <= 64):
        p.error("--requests must be in [1, 200000], --concurrency in [1, 64]")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_main(
        lambda work, processes: Run(work, processes),
        lambda run: bench(run, args),
        cleanup,
        print_table,
        args.output,
    )


if __name__ == "__main__":
    sys.exit(main())
