"""How the cost of cases' read paths grows with the number of cases: a table of cost against size.

    uv run python bench/growth.py [--sizes 10000,100000,1000000] [--seconds 4] [--rounds 2]
                                  [--warmup 1] [--concurrency 8] [--no-start] [--output PATH]

Data: cases' own database (the run's ``bench_growth_<run>``, owned by the cases role), built by
cases' own migrations, then grown to each size in turn by COPY. Every row is one of a few
templates made by the service's own code as CreateDraft and SubmitCase make them
(``values.new_case``, the model's transitions Submit, Accept, CompleteStep, Conclude and, once
the evaluation period has passed, EvaluationPeriodEnded as the clock sweep makes it, the
clock columns as ``workflow.record`` sets them, ``store``'s column mapping), copied with its own
id, applicant, site, department, numbers, dates and query-password hash. The mix: 5 % drafts,
10 % waiting at the window, 10 % in review, 75 % concluded; 100 counties under 10 cities; an
applicant has about four cases; submissions spread over two years. After each load the table is
vacuumed and analysed (what autovacuum does after a bulk load), and the settled cases are rolled
up into statistics' counts (what the clock sweep's roll-up does each day).

Subject: the service's own handlers, called in this process as its gRPC servicer calls them (the
caller set as the interceptor sets it), against that database, with C concurrent callers (closed
loop, default 8):

- ``my_cases``: ListMyCases of a random applicant (the first page and the tab counts);
- ``queue``: ListQueue of a window clerk and reviewer of a random county and department;
- ``status``: QueryStatus (办件查询) of a random submitted case by its number and password;
- ``statistics``: GetStatistics of a random county's supervisor.

Baseline: ``SELECT 1`` through the same engine and units of work at the same concurrency, in the
same rounds: the floor of a database round trip here. Each flow's ratio to its own p99 at the
first size says how its cost grows; the slope (log of the cost ratio over log of the size ratio)
is 0 for a flow whose cost does not grow with the table and 1 for one that grows with it.

The run's database is dropped on the way out, also on error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from common import RESULTS_DIR, infra_env, log, percentile, runner, write_result
from growth_data import SITES, GrowthData

from govhall.cases import app as cases_app
from govhall.cases import applying, handling, reading, rollup, supervision
from govhall.cases.workflow import Deps
from govhall.kit import migrations
from govhall.kit.caller import reset_caller, set_caller
from govhall.kit.db import Database
from govhall.kit.testing import create_database, drop_database
from govhall.kit.workdays import default_calendar
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.common.v1 import common_pb2 as C

RESULTS = RESULTS_DIR / "growth.json"
MAX_SIZE = 2_000_000
FLOWS = ("baseline", "my_cases", "queue", "status", "statistics")
CASES_ROLE = "govhall_cases"


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""


def _flows(deps: Deps, data: GrowthData) -> dict[str, Any]:
    """Each flow: a coroutine function making one call with a random caller."""

    async def baseline(rng: random.Random) -> None:
        async with deps.db.reader() as uow:
            await uow.conn.exec_driver_sql("SELECT 1")

    async def my_cases(rng: random.Random) -> None:
        subject = data.applicant(rng)
        caller = C.CallerIdentity(kind=C.CALLER_KIND_PERSON, subject=subject, real_name_level=2)
        await _as(caller, applying.list_mine(deps, pb.ListMyCasesRequest()))

    async def queue(rng: random.Random) -> None:
        site, dept = data.department(rng)
        caller = C.CallerIdentity(
            kind=C.CALLER_KIND_STAFF,
            subject=f"staff-{dept}",
            roles=["window_clerk", "reviewer"],
            site_code=site,
            department_code=dept,
        )
        await _as(caller, handling.queue(deps, pb.ListQueueRequest()))

    async def status(rng: random.Random) -> None:
        number = data.submitted_number(rng)
        await reading.query_status(
            deps,
            pb.QueryStatusRequest(case_number=number, query_password=data.password, client_ip="127.0.0.9"),
        )

    async def statistics(rng: random.Random) -> None:
        site, _ = data.department(rng)
        caller = C.CallerIdentity(
            kind=C.CALLER_KIND_STAFF, subject=f"sup-{site}", roles=["supervisor"], site_code=site
        )
        await _as(caller, supervision.statistics(deps, pb.GetStatisticsRequest()))

    return {
        "baseline": baseline,
        "my_cases": my_cases,
        "queue": queue,
        "status": status,
        "statistics": statistics,
    }


async def _as(caller: C.CallerIdentity, call: Any) -> Any:
    token = set_caller(caller)
    try:
        return await call
    finally:
        reset_caller(token)


async def run_phase(call: Any, seconds: float, concurrency: int, seed: int) -> Stats:
    stats = Stats()
    deadline = time.perf_counter() + seconds

    async def worker(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                await call(rng)
            except Exception as err:  # counted and shown: a benchmark must not hide failures
                stats.errors += 1
                stats.first_error = stats.first_error or repr(err)[:300]
                continue
            stats.latencies.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return stats


def summary(phases: list[Stats], seconds: float) -> dict[str, Any]:
    values = sorted(v for p in phases for v in p.latencies)
    errors = sum(p.errors for p in phases)
    first = next((p.first_error for p in phases if p.first_error), "")
    return {
        "requests": len(values),
        "errors": errors,
        "first_error": first,
        "per_second": round(len(values) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(percentile(values, 0.50), 2) if values else 0.0,
        "p99_ms": round(percentile(values, 0.99), 2) if values else 0.0,
    }


async def measure(deps: Deps, data: GrowthData, args: argparse.Namespace) -> dict[str, Any]:
    calls = _flows(deps, data)
    phases: dict[str, list[Stats]] = {name: [] for name in FLOWS}
    for name in FLOWS:  # warm-up: plans cached, pool full
        if args.warmup:
            await run_phase(calls[name], args.warmup, args.concurrency, seed=0)
    for r in range(args.rounds):
        order = FLOWS if r % 2 == 0 else tuple(reversed(FLOWS))
        for name in order:
            phases[name].append(await run_phase(calls[name], args.seconds, args.concurrency, seed=r + 1))
    return {name: summary(phases[name], args.seconds * args.rounds) for name in FLOWS}


def slope(cost0: float, cost1: float, size0: int, size1: int) -> float:
    if cost0 <= 0 or cost1 <= 0 or size1 == size0:
        return 0.0
    return math.log(cost1 / cost0) / math.log(size1 / size0)


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    infra = infra_env(start=not args.no_start)
    name = f"bench_growth_{uuid.uuid4().hex[:8]}"
    url = await create_database(infra, name, CASES_ROLE)
    db: Database | None = None
    try:
        await migrations.upgrade(url, cases_app.SPEC.migrations)
        db = Database(url)
        data = GrowthData(url, seed=args.seed, now=datetime(2026, 12, 1, 2, tzinfo=UTC))
        await data.prepare()
        deps = Deps(
            db=db,
            settings=cast(Any, None),
            files=cast(Any, None),
            catalogue=cast(Any, None),
            identity=cast(Any, None),
            calendar=default_calendar(),
            cipher=cast(Any, None),
            now=lambda: datetime(2026, 12, 1, 2, tzinfo=UTC) + timedelta(seconds=time.monotonic() % 60),
        )
        sizes: list[dict[str, Any]] = []
        for size in args.sizes:
            started = time.perf_counter()
            await data.grow_to(size)
            loaded = time.perf_counter() - started
            # What the clock sweep's daily roll-ups would have done by now (rollup.py): counted
            # again, since the load wrote the years before the last roll-up's watermark.
            started = time.perf_counter()
            rolled = await rollup.rebuild(db, deps.now())
            log(
                f"{size:,} cases loaded in {loaded:.1f} s; {rolled:,} settled ones rolled up in "
                f"{time.perf_counter() - started:.1f} s; measuring"
            )
            sizes.append(
                {"size": size, "load_seconds": round(loaded, 1), "flows": await measure(deps, data, args)}
            )
    finally:
        if db is not None:
            await db.close()
        await drop_database(infra, name)
    first = sizes[0]
    for row in sizes:
        for flow, s in row["flows"].items():
            base = first["flows"][flow]["p99_ms"]
            s["p99_vs_first"] = round(s["p99_ms"] / base, 2) if base else 0.0
            s["slope"] = round(slope(base, s["p99_ms"], first["size"], row["size"]), 2)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "benchmark": "growth",
        "sizes": sizes,
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "load": load,
    }


def print_table(result: dict[str, Any]) -> None:
    print(
        f"\ncases' read paths against the number of cases (concurrency {result['concurrency']}, "
        f"load average {result['load']})"
    )
    print(
        f"{'cases':>9} {'flow':<11} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p99 ms':>8} {'p99 ×first':>10} {'slope':>6}"
    )
    for row in result["sizes"]:
        for flow, s in row["flows"].items():
            print(
                f"{row['size']:>9} {flow:<11} {s['requests']:>8} {s['errors']:>6} {s['p50_ms']:>8.2f} "
                f"{s['p99_ms']:>8.2f} {s['p99_vs_first']:>10.2f} {s['slope']:>6.2f}"
            )
    for row in result["sizes"]:
        for flow, s in row["flows"].items():
            if s["first_error"]:
                print(f"first error, {flow} at {row['size']}: {s['first_error']}")
    print("slope: log(p99 / p99 at the first size) / log(size / first size); 0 flat, 1 grows with the table")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="10000,100000,1000000", help="cases, ascending, comma-separated")
    p.add_argument("--seconds", type=float, default=4.0, help="measured seconds per flow per round")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--warmup", type=float, default=1.0)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--seed", type=int, default=20)
    p.add_argument("--no-start", action="store_true", help="do not run deploy/local/start.sh first")
    p.add_argument("--output", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if (
        not args.sizes
        or args.sizes != sorted(args.sizes)
        or not all(len(SITES) <= s <= MAX_SIZE for s in args.sizes)
    ):
        p.error(f"--sizes must ascend, each in [{len(SITES)}, {MAX_SIZE}]")
    if not (0 < args.seconds <= 60 and 1 <= args.rounds <= 10 and 0 <= args.warmup <= 30):
        p.error("--seconds must be in (0, 60], --rounds in [1, 10], --warmup in [0, 30]")
    if not 1 <= args.concurrency <= 64:
        p.error("--concurrency must be in [1, 64]")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        result = runner()(bench(args))
    except KeyboardInterrupt as err:
        log(f"interrupted ({err or 'Ctrl-C'})")
        return 130
    print_table(result)
    write_result(args.output, result)
    errors = sum(s["errors"] for row in result["sizes"] for s in row["flows"].values())
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
