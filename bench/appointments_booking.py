"""Booking under contention: N concurrent booking requests through the gateway on a few slots of
capacity 1, against a bare FastAPI route doing the same conditional UPDATE, in the same run.

    uv run python bench/appointments_booking.py [--requests 1000] [--slots 10] [--rounds 2]
                                                [--log-level info] [--no-start] [--output PATH]

Set-up (not measured; bench/booking_setup.py): the gateway and every service it calls (cluster.py; appointments among
them) as separate processes against the local servers, with this run's databases and stream
prefix; a bookable matter published at 西陵区 through the catalogue's gRPC API (signed as ops);
through the gateway's admin routes with the admin token, a hall, a window serving the matter and
a timetable on all seven weekdays with slots of capacity 1; N persons registered, real-name
verified and signed in through the gateway (each books once per round: one person may hold at
most 3 active bookings and one per matter and day, so every request is a different person's and
each round books a different day). Identity hashes with cheap argon2 parameters here: the
hashing is set-up, not what is measured.

Subject: one burst per round of N `POST /api/v1/appointments`, each on its own keep-alive
connection (all opened first), all sent at once, spread evenly over S slots of one day; the
gateway verifies the token and calls appointments' Book (rules, the catalogue's matter, the
contact mobile from identity, the owner's lock, the conditional UPDATE, the booking row and its
event in the outbox). Baseline: bench/bare_app.py's route of the same shape (see its docstring),
on S fresh slots of a plain table. Rounds alternate the order (bare, gateway, gateway, bare, ...).

Per target: the rate (N / seconds from the first send to the last reply), p50/p99 latency over
all replies (201 and 409 alike), and the outcome: exactly S granted, N - S `409 SLOT_FULL`, nothing
else, and the database agreeing (bookings rows and the slots' booked count). A miss exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from booking_setup import (
    CHEAP_ARGON2,
    MATTER,
    Run,
    bare_groups,
    cleanup,
    gateway_groups,
    open_hall,
    publish_matter,
    sign_in,
)
from cluster import GATEWAY, Cluster
from common import (
    RESULTS_DIR,
    START_TIMEOUT,
    Call,
    RawConnection,
    client_address,
    cpu_delta,
    cpu_snapshot,
    free_port,
    get_json,
    infra_env,
    log,
    percentile,
    print_cpu,
    run_main,
    server_pids,
    start_bare,
    wait_until,
)
from identity_vs_bare import create_users

RESULTS = RESULTS_DIR / "appointments_booking.json"
MAX_REQUESTS = 5000
BURST_TIMEOUT = 120.0  # seconds for one reply within a burst; slower is an error

# ---------------------------------------------------------------------------------------------
# The burst


@dataclass
class Burst:
    target: str
    round: int
    slots: list[str]
    seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)  # "granted", "SLOT_FULL", "HTTP 504 ...", ...
    latencies: list[float] = field(default_factory=list)  # seconds, every reply
    body_bytes: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    database: dict[str, int] = field(default_factory=dict)


def outcome(status: int, body: bytes) -> str:
    if status == 201:
        return "granted"
    try:
        code = json.loads(body).get("code", "")
    except (ValueError, AttributeError):
        code = ""
    return "SLOT_FULL" if status == 409 and code == "SLOT_FULL" else f"HTTP {status} {code}".strip()


async def burst(
    name: str, round_no: int, port: int, slots: list[str], tokens: list[str], cpu_roots: dict[str, int]
) -> Burst:
    """One request per token, each on its own connection (all opened first), all sent at once,
    spread evenly over ``slots``."""
    result = Burst(name, round_no, slots)
    calls = [
        Call.post_json("/api/v1/appointments", {"slot_id": slots[i % len(slots)], "matter_code": MATTER}, t)
        for i, t in enumerate(tokens)
    ]
    conns = [RawConnection("127.0.0.1", port, client_address()) for _ in calls]
    await asyncio.gather(*(c._connect() for c in conns))
    go = asyncio.Event()

    async def one(conn: RawConnection, call: Call) -> float:
        await go.wait()
        start = time.perf_counter()
        try:
            async with asyncio.timeout(BURST_TIMEOUT):
                status, body = await conn.send(call)
        except Exception as err:  # a timeout or a dropped connection is an outcome, counted
            result.outcomes[type(err).__name__] += 1
            return time.perf_counter()
        end = time.perf_counter()
        result.outcomes[outcome(status, body)] += 1
        result.latencies.append(end - start)
        result.body_bytes += len(body)
        return end

    cpu0 = cpu_snapshot(cpu_roots)
    tasks = [asyncio.create_task(one(c, call)) for c, call in zip(conns, calls, strict=True)]
    await asyncio.sleep(0)  # every task waiting on the event before the first send
    t0 = time.perf_counter()
    go.set()
    ends = await asyncio.gather(*tasks)
    result.seconds = max(ends) - t0
    result.cpu = cpu_delta(cpu0, cpu_snapshot(cpu_roots))
    for c in conns:
        c.close()
    return result


async def count_in_database(run: Run, b: Burst) -> dict[str, int]:
    """What the database says of the burst's slots: bookings made, places taken."""
    import asyncpg

    if b.target == "bare":
        database, bookings, slots = run.bare_db, "bare_bookings", "bare_slots"
    else:
        database, bookings, slots = run.c.database("appointments"), "bookings", "slots"
    conn = await asyncpg.connect(run.dsn(database), timeout=10)
    try:
        made = await conn.fetchval(
            f"SELECT count(*) FROM {bookings} WHERE slot_id::text = ANY($1::text[])", b.slots
        )
        taken = await conn.fetchval(
            f"SELECT coalesce(sum(booked), 0) FROM {slots} WHERE id::text = ANY($1::text[])", b.slots
        )
    finally:
        await conn.close()
    return {"bookings": int(made), "booked": int(taken)}


def summarise(bursts: list[Burst]) -> dict[str, Any]:
    latencies = sorted(x for b in bursts for x in b.latencies)
    outcomes: Counter[str] = Counter()
    cpu: Counter[str] = Counter()
    for b in bursts:
        outcomes.update(b.outcomes)
        cpu.update(b.cpu)
    seconds = sum(b.seconds for b in bursts)
    requests = sum(outcomes.values())
    cpu_percent = {k: round(100 * v / seconds, 1) for k, v in cpu.items() if not k.startswith("machine")}
    if cpu["machine total"]:
        cpu_percent["machine"] = round(100 * cpu["machine busy"] / cpu["machine total"], 1)
    return {
        "requests": requests,
        "granted": outcomes["granted"],
        "slot_full": outcomes["SLOT_FULL"],
        "other": {k: v for k, v in outcomes.items() if k not in ("granted", "SLOT_FULL")},
        "seconds": round(seconds, 3),
        "rps": requests / seconds if seconds else 0.0,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p90_ms": percentile(latencies, 0.90) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": latencies[-1] * 1000 if latencies else math.nan,
        "mean_body_bytes": round(sum(b.body_bytes for b in bursts) / len(latencies)) if latencies else 0,
        "cpu_percent": cpu_percent,
        "rounds": [
            {
                "round": b.round,
                "seconds": round(b.seconds, 3),
                "outcomes": dict(b.outcomes),
                "database": b.database,
            }
            for b in bursts
        ],
        "error_kinds": {},
    }


def wrong(bursts: list[Burst], requests: int, slots: int) -> list[str]:
    """Every burst: exactly ``slots`` granted, the rest SLOT_FULL, nothing else, the database agreeing."""
    out = []
    want = {"granted": slots, "SLOT_FULL": requests - slots}
    for b in bursts:
        got = {k: v for k, v in b.outcomes.items() if v}
        if got != {k: v for k, v in want.items() if v}:
            out.append(f"{b.target} round {b.round}: {dict(b.outcomes)}, expected {want}")
        if b.database != {"bookings": slots, "booked": slots}:
            out.append(
                f"{b.target} round {b.round}: database {b.database}, expected {slots} bookings and places"
            )
    return out


# ---------------------------------------------------------------------------------------------
# The benchmark


async def bench(run: Run, args: argparse.Namespace) -> dict[str, Any]:
    import asyncpg

    t_start = time.monotonic()
    run.bare_port = free_port()
    run.cluster = Cluster.plan([GATEWAY], infra_env(not args.no_start), run.work_dir, args.log_level)
    env = {**run.cluster.env(), **CHEAP_ARGON2}
    # The burst queues at the gateway: with the production deadline (5 s) the later requests of
    # 1,000 sent at once on a small machine end as 504, and the booking's outcome is not measured.
    env["GOVHALL_GATEWAY_RPC_TIMEOUT_SECONDS"] = str(args.rpc_timeout)
    run.cluster.start(run.processes, env)
    run.c.databases.append(run.bare_db)  # the baseline's, the superuser's; dropped by remove()
    admin = await asyncpg.connect(run.dsn("postgres"), timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{run.bare_db}"')
    finally:
        await admin.close()
    start_bare(run.processes, run.bare_port, args.log_level, env, ["--dsn", run.dsn(run.bare_db)])

    async def gateway_ready() -> bool:
        return (await get_json(run.c.gateway_port, "/healthz/upstreams"))[0] == 200

    async def bare_ready() -> bool:
        return (await get_json(run.bare_port, "/healthz"))[0] == 200

    await wait_until(
        run.processes, "the upstreams serving (/healthz/upstreams)", gateway_ready, START_TIMEOUT
    )
    await wait_until(run.processes, "the bare app up", bare_ready, START_TIMEOUT)
    await publish_matter(run.c)
    await open_hall(run)
    groups = {
        "gateway": await gateway_groups(run, args.rounds, args.slots),
        "bare": await bare_groups(run, args.rounds, args.slots),
    }
    t_users = time.monotonic()
    users, _ = await create_users(run, args.requests, parallel=8)  # type: ignore[arg-type]
    await sign_in(run, users)
    tokens = [u.access_token for u in users]
    log(
        f"{len(users)} persons registered and signed in in {time.monotonic() - t_users:.1f} s;"
        f" ready after {time.monotonic() - t_start:.1f} s"
    )

    cpu_roots = {name: proc.pid for name, proc in run.processes.procs.items()}
    cpu_roots.update(server_pids(run.c.infra["GOVHALL_RUN"]))
    ports = {"bare": run.bare_port, "gateway": run.c.gateway_port}
    bursts: dict[str, list[Burst]] = {"bare": [], "gateway": []}
    for r in range(args.rounds):
        for name in ("bare", "gateway") if r % 2 == 0 else ("gateway", "bare"):
            run.processes.check()
            b = await burst(name, r + 1, ports[name], groups[name][r], tokens, cpu_roots)
            b.database = await count_in_database(run, b)
            bursts[name].append(b)
            log(
                f"round {r + 1} {name:<7} {len(tokens) / b.seconds:8.1f} req/s in {b.seconds:.2f} s:"
                f" {dict(b.outcomes)}; database {b.database}"
            )
    bare, gateway = summarise(bursts["bare"]), summarise(bursts["gateway"])
    return {
        "benchmark": "appointments_booking",
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "client_address": client_address() or "default",
        "requests": args.requests,
        "slots": args.slots,
        "rounds": args.rounds,
        "rpc_timeout_seconds": args.rpc_timeout,
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
        },
        "wrong": wrong(bursts["bare"] + bursts["gateway"], args.requests, args.slots),
    }


def print_table(result: dict[str, Any]) -> None:
    print()
    print(
        f"appointments booking: {result['requests']} concurrent requests on {result['slots']} slots of"
        f" capacity 1, {result['rounds']} rounds, gateway deadline {result['rpc_timeout_seconds']:g} s,"
        f" {result['machine']['cpus']} CPUs"
    )
    header = (
        f"{'':<9}{'requests':>10}{'granted':>9}{'full':>7}{'other':>7}{'req/s':>10}"
        f"{'p50 ms':>10}{'p99 ms':>10}{'body B':>8}"
    )
    print(header)
    print("-" * len(header))
    for name in ("bare", "gateway"):
        s = result[name]
        print(
            f"{name:<9}{s['requests']:>10}{s['granted']:>9}{s['slot_full']:>7}{sum(s['other'].values()):>7}"
            f"{s['rps']:>10.1f}{s['p50_ms']:>10.2f}{s['p99_ms']:>10.2f}{s['mean_body_bytes']:>8}"
        )
    r = result["ratios"]
    print(f"gateway / bare   req/s {r['rps']:.3f}x   p50 {r['p50']:.2f}x   p99 {r['p99']:.2f}x")
    print_cpu({"bare": result["bare"], "gateway": result["gateway"]}, result["machine"]["cpus"])
    for name in ("bare", "gateway"):
        if result[name]["other"]:
            print(f"{name} other replies: {result[name]['other']}")
    for line in result["wrong"]:
        print(f"WRONG: {line}")
    if not result["wrong"]:
        print(
            f"checks: every round granted exactly {result['slots']}, the rest SLOT_FULL, the database agrees"
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=1000, help="concurrent requests per burst (and persons)")
    p.add_argument("--slots", type=int, default=10, help="slots of capacity 1 per burst")
    p.add_argument("--rounds", type=int, default=2, help="bursts per target (order alternates)")
    p.add_argument(
        "--rpc-timeout", type=float, default=60.0, help="the gateway's deadline per call (production: 5 s)"
    )
    p.add_argument("--log-level", default="info", help="of the servers (all use the same)")
    p.add_argument("--no-start", action="store_true", help="do not run deploy/local/start.sh first")
    p.add_argument("--output", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    if not 1 <= args.requests <= MAX_REQUESTS:
        p.error(f"--requests must be in [1, {MAX_REQUESTS}]")
    # A day has 24 slots; a person may hold 3 active bookings (one per round, on different days).
    if not (1 <= args.slots <= min(20, args.requests) and 1 <= args.rounds <= 3):
        p.error("--slots must be in [1, min(20, --requests)], --rounds in [1, 3]")
    if not 0 < args.rpc_timeout <= 300:
        p.error("--rpc-timeout must be in (0, 300]")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    code = run_main(
        lambda work, processes: Run(work, processes),
        lambda run: bench(run, args),
        cleanup,
        print_table,
        args.output,
    )
    if code == 0 and json.loads(args.output.read_text(encoding="utf-8"))["wrong"]:
        log("failed: not exactly the slots' places granted and the rest SLOT_FULL")
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
