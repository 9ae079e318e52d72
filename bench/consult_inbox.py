"""Consult's inbox (我的消息): messages made from case events, and reading them through the gateway.

    uv run python bench/consult_inbox.py [--events 10000] [--applicants 1000] [--users 8]
                                         [--rate 0] [--drain-timeout 300] [--seconds 6]
                                         [--rounds 4] [--concurrency 8] [--no-start]

Two parts, with the gateway and every service it calls (cluster.py; consult among them) as
separate processes against the local servers, with this run's databases and stream prefix:

1. **Lag**: N `cases.case.submitted` CaseChanged events for A applicants (the first U of them
   registered, signed-in users) published onto JetStream as the cases principal, as cases' relay
   does; consult's durable `consult-inbox-cases` turns each into a message row. Per event, the lag
   is from just before its publish to the commit of its row, which the benchmark hears at once:
   an AFTER INSERT trigger on the table NOTIFYs the event id, and PostgreSQL delivers a NOTIFY at
   commit. Baseline, measured first in the same run: bench/bare_consumer.py (its own process,
   nats-py and asyncpg, no kit) writing one row per event into a plain table with the same
   trigger, from the same number of events on a stream of its own.
2. **Load**: the U users read `GET /api/v1/me/messages/unread-count` and `GET /api/v1/me/messages`
   through the gateway (token verification, a gRPC call to consult, its query) against
   bench/bare_app.py's routes of the same shape, in alternating rounds (see common.run_rounds).

Each event gives exactly one message, and each user's unread count and list total are what was
published for them: both are checked and reported (`checks` in the JSON); a miss is an error.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cluster import GATEWAY, Cluster
from common import (
    BENCH,
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
    percentile,
    print_cpu,
    print_rows,
    ratio_line,
    ratios,
    request_json,
    run_main,
    run_rounds,
    server_pids,
    start_bare,
    summarise,
    wait_until,
)
from identity_vs_bare import create_users, sign_in

RESULTS = RESULTS_DIR / "consult_inbox.json"
CHANNEL = "bench_inbox"
BARE_STEM = "benchbare"
MAX_EVENTS = 100_000
# Each table's rows announce their commit: a NOTIFY is delivered when its transaction commits.
TRIGGER = f"""
CREATE OR REPLACE FUNCTION bench_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('{CHANNEL}', NEW.source_event_id); RETURN NULL; END $$;
CREATE TRIGGER bench_announce AFTER INSERT ON {{table}} FOR EACH ROW EXECUTE FUNCTION bench_announce();
"""


@dataclass
class Run:
    work_dir: Path
    processes: Processes
    cluster: Cluster | None = None
    bare_port: int = 0
    listeners: list[Any] = field(default_factory=list)

    @property
    def c(self) -> Cluster:
        assert self.cluster is not None, "the services are not planned yet"
        return self.cluster

    @property
    def bare_db(self) -> str:
        return self.c.database("bare")

    @property
    def bare_stream(self) -> str:
        return f"{self.c.stream_prefix}_{BARE_STEM.upper()}"


def cleanup(run: Run) -> None:
    run.processes.stop_all()
    if run.cluster is not None:
        asyncio.run(_delete_bare_stream(run))
        run.cluster.remove()


async def _delete_bare_stream(run: Run) -> None:
    """The baseline's stream is not one of the kit's stems, so Cluster.remove does not know it."""
    try:
        bus = _bus(run, "admin")
        await bus.start()
        try:
            await bus._js.delete_stream(run.bare_stream)
        finally:
            await bus.close()
    except Exception as err:
        log(f"could not delete the stream {run.bare_stream}: {err!r}")


def _bus(run: Run, principal: str) -> Any:
    from govhall.kit.testing import cluster_bus

    return cluster_bus(run.c.infra, principal, run.c.stream_prefix)


def _dsn(run: Run, database: str) -> str:
    return f"{run.c.infra['GOVHALL_PG_URL'].replace('postgresql+asyncpg://', 'postgresql://')}/{database}"


# ---------------------------------------------------------------------------------------------
# Part 1: lag


@dataclass(eq=False)  # hashable: asyncpg keeps its listeners in a set
class Seen:
    """Commit times (perf_counter) of the rows of one target, by event id, as NOTIFYs arrive."""

    expected: int = 0
    at: dict[str, float] = field(default_factory=dict)
    duplicates: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, _conn: Any, _pid: int, _channel: str, event_id: str) -> None:
        now = time.perf_counter()
        if event_id in self.at:
            self.duplicates += 1
            return
        self.at[event_id] = now
        if len(self.at) >= self.expected:
            self.done.set()


async def listen(run: Run, database: str, table: str, seen: Seen) -> None:
    """Install the announcing trigger on ``table`` (as the superuser) and listen to it."""
    import asyncpg

    conn = await asyncpg.connect(_dsn(run, database), timeout=10)
    run.listeners.append(conn)
    await conn.execute(TRIGGER.format(table=table))
    await conn.add_listener(CHANNEL, seen)


def case_event(subject: str, n: int, run_tag: str) -> Any:
    from govhall.contracts import cases as contract
    from govhall.kit.events import make_event
    from govhall.protos.cases.v1 import cases_pb2 as pb

    message = pb.CaseChanged(
        case_id=str(uuid.uuid4()),
        matter_code="420502-SCJGJ-0001",
        matter_name="食品经营许可",
        site_code="420502",
        department_code="SCJGJ",
        state=pb.CASE_STATE_SUBMITTED,
        action="submit",
        result_code=-1,
        applicant=pb.Applicant(kind="person", subject=subject, name="张伟"),
        revision=1,
        application_number=f"SB{run_tag}{n:07d}",
        matter_version=1,
        matter_site_code="420502",
    )
    return make_event(contract.SUBMITTED, message, site_code="420502")


async def publish(
    run: Run, events: list[Any], principal: str, seen: Seen, args: argparse.Namespace, bare: bool
) -> dict[str, Any]:
    """Publish ``events`` (paced at --rate per second if given), wait for every row, return lags."""
    bus = _bus(run, principal)
    await bus.start()
    sent: dict[str, float] = {}
    seen.expected = len(events)
    try:
        t0 = time.perf_counter()
        for i, event in enumerate(events):
            if args.rate:
                await asyncio.sleep(max(0.0, t0 + i / args.rate - time.perf_counter()))
            sent[event.event_id] = time.perf_counter()
            if bare:  # the baseline's own stream; the kit's publish would pick the stem's stream
                await bus._js.publish(
                    f"{run.c.stream_prefix.lower()}.{BARE_STEM}.case.submitted",
                    event.payload,
                    headers={"Nats-Msg-Id": event.event_id},
                )
            else:
                await bus.publish(event)
        published = time.perf_counter() - t0
        try:
            async with asyncio.timeout(args.drain_timeout):
                await seen.done.wait()
        except TimeoutError:
            pass
    finally:
        await bus.close()
    lags = sorted(seen.at[e] - sent[e] for e in sent if e in seen.at)
    last = max(seen.at.values(), default=t0)
    return {
        "events": len(events),
        "rows": len(lags),
        "missing": len(events) - len(lags),
        "duplicate_notices": seen.duplicates,
        "publish_seconds": round(published, 3),
        "seconds": round(last - t0, 3),
        "per_second": len(lags) / (last - t0) if last > t0 else 0.0,
        "p50_ms": percentile(lags, 0.50) * 1000,
        "p90_ms": percentile(lags, 0.90) * 1000,
        "p99_ms": percentile(lags, 0.99) * 1000,
        "max_ms": (lags[-1] * 1000) if lags else math.nan,
    }


async def drained(run: Run, timeout: float) -> dict[str, Any]:
    """Wait until every consumer of the cases stream (consult's copy of cases, the catalogue's hot
    matters: they hear the same events) has caught up, so part 2 does not share the CPU with
    their backlog. Returns how long that took after the inbox's last row, per durable."""
    bus = _bus(run, "admin")
    await bus.start()
    stream = f"{run.c.stream_prefix}_CASES"
    t0 = time.perf_counter()
    took: dict[str, float] = {}
    try:
        while time.perf_counter() - t0 < timeout:
            behind = []
            for info in await bus._js.consumers_info(stream):
                if info.num_pending or info.num_ack_pending:
                    behind.append(info.name)
                else:
                    took.setdefault(info.name, round(time.perf_counter() - t0, 3))
            if not behind:
                return {"seconds_after_inbox": took, "behind": []}
            await asyncio.sleep(0.2)
        return {"seconds_after_inbox": took, "behind": behind}
    finally:
        await bus.close()


async def count_rows(run: Run, database: str, table: str, ids: list[str]) -> dict[str, int]:
    """Rows of the published events in ``table``, and distinct event ids among them."""
    import asyncpg

    conn = await asyncpg.connect(_dsn(run, database), timeout=10)
    try:
        row = await conn.fetchrow(
            f"SELECT count(*) AS rows, count(DISTINCT source_event_id) AS events FROM {table}"
            " WHERE source_event_id = ANY($1::text[])",
            ids,
        )
    finally:
        await conn.close()
    return {"rows": int(row["rows"]), "distinct_events": int(row["events"])}


async def lag(run: Run, subjects: list[str], args: argparse.Namespace) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:6].upper()
    out: dict[str, Any] = {}
    for name, principal, database, table in (
        ("bare", "admin", run.bare_db, "bare_messages"),
        ("consult", "cases", run.c.database("consult"), "messages"),
    ):
        events = [case_event(subjects[i % len(subjects)], i, tag) for i in range(args.events)]
        seen = Seen()
        await listen(run, database, table, seen)
        log(f"lag {name}: publishing {len(events)} events")
        result = await publish(run, events, principal, seen, args, bare=name == "bare")
        result["table"] = await count_rows(run, database, table, [e.event_id for e in events])
        out[name] = result
        log(
            f"lag {name}: {result['rows']} rows, {result['per_second']:.0f}/s,"
            f" p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms"
        )
        run.processes.check()
    out["consumers"] = await drained(run, args.drain_timeout)
    if out["consumers"]["behind"]:
        log(f"consumers still behind after {args.drain_timeout:.0f} s: {out['consumers']['behind']}")
    b, s = out["bare"], out["consult"]
    out["ratios"] = {
        "per_second": s["per_second"] / b["per_second"] if b["per_second"] else math.nan,
        "p50": s["p50_ms"] / b["p50_ms"] if b["p50_ms"] else math.nan,
        "p99": s["p99_ms"] / b["p99_ms"] if b["p99_ms"] else math.nan,
    }
    return out


# ---------------------------------------------------------------------------------------------
# The benchmark


async def check_counts(run: Run, users: list[Any], expected: list[int]) -> dict[str, Any]:
    """Each user's unread count and list total through the gateway against what was published."""
    wrong = []
    for user, want in zip(users, expected, strict=True):
        _, unread = await request_json(
            run.c.gateway_port, Call.get("/api/v1/me/messages/unread-count", user.access_token)
        )
        _, listed = await request_json(
            run.c.gateway_port, Call.get("/api/v1/me/messages?page_size=5", user.access_token)
        )
        got = ((unread or {}).get("unread"), ((listed or {}).get("page") or {}).get("total"))
        if got != (want, want):
            wrong.append({"expected": want, "unread": got[0], "total": got[1]})
    return {"users": len(users), "expected": expected, "wrong": wrong}


async def bench(run: Run, args: argparse.Namespace) -> dict[str, Any]:
    import jwt

    from govhall.kit.tokens import caller_from_claims

    t_start = time.monotonic()
    run.bare_port = free_port()
    run.cluster = Cluster.plan([GATEWAY], infra_env(not args.no_start), run.work_dir, args.log_level)
    env = run.cluster.env()
    run.cluster.start(run.processes, env)
    # The baseline's database, owned by the superuser (dropped with the services' by remove()).
    run.c.databases.append(run.bare_db)
    import asyncpg

    admin = await asyncpg.connect(_dsn(run, "postgres"), timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{run.bare_db}"')
    finally:
        await admin.close()
    start_bare(run.processes, run.bare_port, args.log_level, env)
    from govhall.kit.testing import nats_credentials

    creds = nats_credentials(run.c.infra, "admin")
    consumer_env = {
        **env,
        "BENCH_NATS_USER": creds.get("user", ""),
        "BENCH_NATS_PASSWORD": creds.get("password", ""),
    }
    prefix = run.c.stream_prefix
    run.processes.start(
        "bare-consumer",
        [
            sys.executable,
            str(BENCH / "bare_consumer.py"),
            "--nats-url",
            run.c.infra["GOVHALL_NATS_URL"],
            "--stream",
            run.bare_stream,
            "--subject",
            f"{prefix.lower()}.{BARE_STEM}.>",
            "--dsn",
            _dsn(run, run.bare_db),
        ],
        consumer_env,
    )

    async def gateway_ready() -> bool:
        return (await get_json(run.c.gateway_port, "/healthz/upstreams"))[0] == 200

    async def bare_ready() -> bool:
        return (await get_json(run.bare_port, "/healthz"))[0] == 200

    async def consumer_ready() -> bool:
        return "ready" in (run.work_dir / "logs" / "bare-consumer.log").read_text(errors="replace")

    await wait_until(
        run.processes, "the upstreams serving (/healthz/upstreams)", gateway_ready, START_TIMEOUT
    )
    await wait_until(run.processes, "the bare app up", bare_ready, START_TIMEOUT)
    await wait_until(run.processes, "the bare consumer subscribed", consumer_ready, START_TIMEOUT)
    users, per_user = await create_users(run, args.users)  # type: ignore[arg-type]
    await sign_in(run, users)  # type: ignore[arg-type]
    log(
        f"{len(users)} users signed in ({per_user * 1000:.0f} ms each to register); ready after"
        f" {time.monotonic() - t_start:.1f} s"
    )
    # The signed-in users are the first applicants; the others are people nobody signs in as.
    subjects = [
        caller_from_claims(jwt.decode(u.access_token, options={"verify_signature": False})).subject
        for u in users
    ]
    subjects += [f"bench-{uuid.uuid4().hex[:12]}" for _ in range(args.applicants - len(users))]
    expected = [len(range(i, args.events, args.applicants)) for i in range(len(users))]

    cpu_roots = {name: proc.pid for name, proc in run.processes.procs.items()}
    cpu_roots.update(server_pids(run.c.infra["GOVHALL_RUN"]))
    lags = await lag(run, subjects, args)
    checks = await check_counts(run, users, expected)
    log(f"counts checked for {len(users)} users: {len(checks['wrong'])} wrong")

    bare, gateway = connector("raw", run.bare_port), connector("raw", run.c.gateway_port)
    sections = {
        "unread": [Call.get("/api/v1/me/messages/unread-count", u.access_token) for u in users],
        "list": [Call.get("/api/v1/me/messages?page_size=20", u.access_token) for u in users],
    }
    results: dict[str, Any] = {}
    for section, calls in sections.items():
        phases = await run_rounds(
            run.processes,
            ("bare", "gateway"),
            {"bare": Target(bare, calls), "gateway": Target(gateway, calls)},
            rounds=args.rounds,
            seconds=args.seconds,
            warmup=args.warmup,
            concurrency=args.concurrency,
            cpu_roots=cpu_roots,
        )
        results[section] = {
            "bare": summarise(phases["bare"]),
            "gateway": summarise(phases["gateway"]),
            "ratios": ratios(phases["bare"], phases["gateway"]),
        }
    for conn in run.listeners:
        await conn.close()
    return {
        "benchmark": "consult_inbox",
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "client_address": client_address() or "default",
        "events": args.events,
        "applicants": args.applicants,
        "users": len(users),
        "rate": args.rate,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "seconds_per_round": args.seconds,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        "lag": lags,
        "checks": checks,
        **results,
    }


def print_table(result: dict[str, Any]) -> None:
    lag_ = result["lag"]
    rate = f"{result['rate']:g}/s" if result["rate"] else "as fast as published"
    print()
    print(
        f"consult inbox: {result['events']} case events for {result['applicants']} applicants ({rate}),"
        f" {result['users']} signed-in users, {result['machine']['cpus']} CPUs"
    )
    header = (
        f"{'':<9}{'events':>8}{'rows':>8}{'missing':>8}{'per s':>9}{'p50 ms':>11}{'p99 ms':>11}{'max ms':>11}"
    )
    print(header)
    print("-" * len(header))
    for name in ("bare", "consult"):
        s = lag_[name]
        print(
            f"{name:<9}{s['events']:>8}{s['table']['distinct_events']:>8}{s['missing']:>8}{s['per_second']:>9.1f}"
            f"{s['p50_ms']:>11.1f}{s['p99_ms']:>11.1f}{s['max_ms']:>11.1f}"
        )
    r = lag_["ratios"]
    print(
        f"consult / bare   per s {r['per_second']:.3f}x   p50 lag {r['p50']:.2f}x   p99 lag {r['p99']:.2f}x"
    )
    for name in ("bare", "consult"):
        t = lag_[name]["table"]
        print(f"  {name} rows {t['rows']} for {t['distinct_events']} of {lag_[name]['events']} events")
    d = lag_["consumers"]
    caught = ", ".join(f"{k} {v:.1f}" for k, v in sorted(d["seconds_after_inbox"].items()))
    print(f"  the stream's consumers caught up, s after the inbox's last row: {caught}")
    if d["behind"]:
        print(f"  still behind: {', '.join(d['behind'])}")
    c = result["checks"]
    print(f"  unread count and list total right for {c['users'] - len(c['wrong'])} of {c['users']} users")
    for section, title in (
        ("unread", "GET /api/v1/me/messages/unread-count"),
        ("list", "GET /api/v1/me/messages?page_size=20"),
    ):
        s = result[section]
        summaries = {"bare": s["bare"], "gateway": s["gateway"]}
        print()
        print(title)
        print_rows(summaries)
        print(ratio_line("gateway / bare", s["ratios"]))
        print_cpu(summaries, result["machine"]["cpus"])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = load_parser(__doc__.split("\n\n")[0], RESULTS)
    p.add_argument("--events", type=int, default=10_000, help="case events published per target")
    p.add_argument("--applicants", type=int, default=1000, help="whom the events are for")
    p.add_argument("--users", type=int, default=8, help="applicants who sign in and read their inbox")
    p.add_argument("--rate", type=float, default=0.0, help="events per second published; 0: as fast as acks")
    p.add_argument("--drain-timeout", type=float, default=300.0, help="seconds to wait for the last row")
    args = p.parse_args(argv)
    check_load_bounds(p, args)
    if not 1 <= args.events <= MAX_EVENTS:
        p.error(f"--events must be in [1, {MAX_EVENTS}]")
    if not 1 <= args.users <= min(args.applicants, 200):
        p.error("--users must be in [1, min(--applicants, 200)]")
    if not (0 <= args.rate <= 100_000 and 0 < args.drain_timeout <= 1800):
        p.error("--rate must be in [0, 100000], --drain-timeout in (0, 1800]")
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
    if code == 0:
        import json

        result = json.loads(args.output.read_text(encoding="utf-8"))
        lag_ = result["lag"]
        if any(
            lag_[n]["missing"] or lag_[n]["table"]["rows"] != lag_[n]["events"] for n in ("bare", "consult")
        ):
            log("failed: not every event gave exactly one row")
            return 1
        if result["checks"]["wrong"]:
            log(f"failed: wrong counts {result['checks']['wrong']}")
            return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
