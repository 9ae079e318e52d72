"""Gateway search against a bare FastAPI JSON endpoint, measured in the same run.

    uv run python bench/search_vs_bare.py [--seconds N] [--rounds R] [--concurrency C]
                                          [--mode cluster|embedded] [--client raw|httpx]

Subject: GET /api/v1/sites/420502/search?q=<query> on the govhall gateway, in two mixes measured
apart: "hot", realistic Chinese queries repeated (the hot words most traffic is: the gateway's
response cache answers them), and "uncached", each request one the cache has not seen in its time
to live (the same queries with page sizes and level filters that make every key unique). In `cluster` mode (the default) the gateway and every service it calls
(catalogue, search; identity and cases idle here: see cluster.py) run as separate processes against
the local servers (PostgreSQL, NATS, Redis, Elasticsearch; started by deploy/local/start.sh),
each run with its own databases, stream prefix, Redis key namespace and index alias, all removed
afterwards. In `embedded` mode the subject is `python -m govhall.allinone` (SQLite, the
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
import itertools
import json
import os
import platform
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

from cluster import ADMIN_TOKEN, GATEWAY, Cluster
from common import (
    RESULTS_DIR,
    START_TIMEOUT,
    Call,
    Processes,
    Target,
    check_load_bounds,
    client_address,
    connector,
    free_port,
    get_json,
    infra_env,
    load_parser,
    log,
    print_cpu,
    print_rows,
    ratio_line,
    ratios,
    run_main,
    run_rounds,
    server_pids,
    start_bare,
    summarise,
    wait_until,
)

RESULTS = RESULTS_DIR / "search_vs_bare.json"

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
# The baseline, then the gateway with the hot words repeated and with every request unique.
MIXES = ("bare", "hot", "uncached")
INDEX_TIMEOUT = 60.0  # seconds for the demo matters to reach the search index


LEVELS = ("", "county", "city", "province")
UNCACHED_SIZES = range(1, 51)  # 16 queries x 50 page sizes x 4 levels: 3,200 distinct requests


def search_target(query: str, extra: str = "") -> str:
    return f"/api/v1/sites/{SITE}/search?q={urllib.parse.quote(query)}{extra}"


def uncached_targets() -> list[str]:
    """Every request a different key: the queries with a page size and a level filter more."""
    return [
        search_target(q, f"&page_size={size}" + (f"&level={level}" if level else ""))
        for level in LEVELS
        for size in UNCACHED_SIZES
        for q in QUERIES
    ]


class NextUnique(Sequence[Call]):
    """Calls in turn whatever index the load generator asks for: its workers each walk the list
    from their own start, one behind another, which would repeat a key a moment after the
    previous worker sent it. This hands out each call once before any comes again, across
    workers, phases and rounds: at a few hundred requests a second a key returns after many
    seconds, longer than the response cache keeps an answer."""

    def __init__(self, calls: list[Call]) -> None:
        self._calls = calls
        self._next = itertools.count()

    def __len__(self) -> int:
        return len(self._calls)

    @overload
    def __getitem__(self, index: int) -> Call: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Call]: ...
    def __getitem__(self, index: int | slice) -> Call | Sequence[Call]:
        if isinstance(index, slice):
            return self._calls[index]
        return self._calls[next(self._next) % len(self._calls)]


# ---------------------------------------------------------------------------------------------
# Set-up and clean-up of the subject


@dataclass
class Run:
    mode: str
    work_dir: Path
    processes: Processes
    cluster: Cluster | None = None  # cluster mode: the services and this run's names on the servers
    gateway_port: int = 0
    bare_port: int = 0


def bare_env(run: Run, log_level: str) -> dict[str, str]:
    """The baseline's environment, and all-in-one's: no settings of the cluster."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVHALL_")}
    env.update(
        {
            "GOVHALL_LOG_LEVEL": log_level.upper(),
            "GOVHALL_VAR_DIR": str(run.work_dir / "var"),
            "GOVHALL_GATEWAY_PORT": str(run.gateway_port),
            "GOVHALL_GATEWAY_ADMIN_TOKEN": ADMIN_TOKEN,
            # The benchmark is one client hammering; the limiter's work is still measured.
            "GOVHALL_GATEWAY_RATE_LIMIT_PER_MINUTE": "100000000",
            # All-in-one's cross-province endpoint on ports of this run (50159 may be `make run`'s).
            "GOVHALL_ALLINONE_PARTNER_ENDPOINTS": json.dumps(
                {"420000": f"127.0.0.1:{free_port()}", "430000": f"127.0.0.1:{free_port()}"}
            ),
        }
    )
    return env


def start_subject(run: Run, infra: dict[str, str], log_level: str, cache_seconds: str) -> None:
    # The gateway's response cache: its default, or what --response-cache-seconds says (0: off,
    # the gateway as it was before it had one).
    cache = {"GOVHALL_GATEWAY_RESPONSE_CACHE_SECONDS": cache_seconds} if cache_seconds else {}
    if run.mode == "embedded":
        run.gateway_port = free_port()
        argv = [sys.executable, "-m", "govhall.allinone"]
        run.processes.start("allinone", argv, bare_env(run, log_level) | cache)
        return
    # The gateway and everything /healthz/upstreams waits for (identity and cases are idle here).
    run.cluster = Cluster.plan([GATEWAY], infra, run.work_dir, log_level)
    run.gateway_port = run.cluster.gateway_port
    run.cluster.start(run.processes, run.cluster.env() | cache)


async def load_demo_cluster(run: Run) -> int:
    # Imported here: grpc starts threads, and the processes must all be started before that.
    from govhall.catalogue.demo import load_demo
    from govhall.kit.caller import caller_metadata
    from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
    from govhall.protos.common.v1 import common_pb2

    admin = common_pb2.CallerIdentity(
        kind=common_pb2.CALLER_KIND_ADMIN, subject="bench", name="benchmark demo loader"
    )
    assert run.cluster is not None
    ch = run.cluster.channel("catalogue", "ops")  # an operator's tool, as the demo loader
    try:
        return await load_demo(catalogue_pb2_grpc.CatalogueServiceStub(ch), caller_metadata(admin))
    finally:
        await ch.close()


async def wait_for_index(run: Run) -> dict[str, int]:
    """Until 营业执照 finds something and the hit totals of all queries stop changing."""

    async def first_hit() -> bool:
        status, body = await get_json(run.gateway_port, search_target(QUERIES[0]))
        return status == 200 and bool(body and body.get("items"))

    await wait_until(run.processes, "the demo matters in the search index", first_hit, INDEX_TIMEOUT, 0.5)

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
    if run.cluster is not None:
        run.cluster.remove()


# ---------------------------------------------------------------------------------------------
# The benchmark


async def bench(run: Run, args: argparse.Namespace) -> dict[str, Any]:
    t_start = time.monotonic()
    run.bare_port = free_port()
    # Its own stream prefix namespaces its subjects, so a `make up` cluster can run beside it.
    infra = infra_env(not args.no_start) if run.mode == "cluster" else {}
    start_subject(run, infra, args.log_level, args.response_cache_seconds)
    start_bare(run.processes, run.bare_port, args.log_level, bare_env(run, args.log_level))

    async def gateway_ready() -> bool:
        return (await get_json(run.gateway_port, "/healthz/upstreams"))[0] == 200

    async def bare_ready() -> bool:
        return (await get_json(run.bare_port, "/healthz"))[0] == 200

    await wait_until(
        run.processes, "the upstreams serving (/healthz/upstreams)", gateway_ready, START_TIMEOUT
    )
    await wait_until(run.processes, "the bare app up", bare_ready, START_TIMEOUT)
    if run.mode == "cluster":
        published = await load_demo_cluster(run)
        log(f"demo province loaded: {published} matters published")
    hits = await wait_for_index(run)
    log("search hits per query: " + ", ".join(f"{q} {n}" for q, n in hits.items()))
    log(f"ready after {time.monotonic() - t_start:.1f} s")

    calls = [Call(b"GET", search_target(q).encode()) for q in QUERIES]
    uncached = NextUnique([Call(b"GET", t.encode()) for t in uncached_targets()])
    targets = {
        "bare": Target(connector(args.client, run.bare_port), calls),
        "hot": Target(connector(args.client, run.gateway_port), calls),
        "uncached": Target(connector(args.client, run.gateway_port), uncached),
    }
    cpu_roots = {name: proc.pid for name, proc in run.processes.procs.items()}
    if infra:
        cpu_roots.update(server_pids(infra["GOVHALL_RUN"]))

    phases = await run_rounds(
        run.processes,
        MIXES,
        targets,
        rounds=args.rounds,
        seconds=args.seconds,
        warmup=args.warmup,
        concurrency=args.concurrency,
        cpu_roots=cpu_roots,
    )
    return {
        "benchmark": "search_vs_bare",
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": args.mode,
        "client": args.client,
        "client_address": client_address() or "default",
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "seconds_per_round": args.seconds,
        "log_level": args.log_level,
        "response_cache_seconds": args.response_cache_seconds or "default",
        "site": SITE,
        "queries": list(QUERIES),
        "hits_per_query": hits,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        **{name: summarise(phases[name]) for name in MIXES},
        "ratios": {name: ratios(phases["bare"], phases[name]) for name in MIXES[1:]},
    }


def print_table(result: dict[str, Any]) -> None:
    print()
    print(
        f"search vs bare: {result['mode']} mode, {result['rounds']} rounds x {result['seconds_per_round']:g} s each,"
        f" concurrency {result['concurrency']}, {result['client']} client, {result['machine']['cpus']} CPUs"
    )
    summaries = {name: result[name] for name in MIXES}
    print_rows(summaries)
    print()
    for name in MIXES[1:]:
        print(ratio_line(f"{name + ' / bare':<16}", result["ratios"][name]))
    print_cpu(summaries, result["machine"]["cpus"])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = load_parser(__doc__.split("\n\n")[0], RESULTS)
    p.add_argument("--mode", choices=("cluster", "embedded"), default="cluster")
    p.add_argument(
        "--response-cache-seconds",
        default="",
        help="the gateway's GOVHALL_GATEWAY_RESPONSE_CACHE_SECONDS (default: its own; 0: no cache)",
    )
    args = p.parse_args(argv)
    check_load_bounds(p, args)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_main(
        lambda work, processes: Run(args.mode, work, processes),
        lambda run: bench(run, args),
        cleanup,
        print_table,
        args.output,
    )


if __name__ == "__main__":
    sys.exit(main())
