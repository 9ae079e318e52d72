"""Complete case submissions end to end (outbox and event delivery included) against pgbench
inserting one case-shaped row, measured in the same run.

    uv run python bench/cases_submissions.py [--seconds S] [--rounds R] [--warmup W]
                                             [--concurrency C] [--drain-timeout D]
                                             [--log-level info] [--no-start] [--output PATH]

Subject: C concurrent applicants in this process, each doing complete submissions back to back
over gRPC against the cases service: CreateDraft (with an idempotency key) -> UploadMaterial x2
(a small PDF and a small PNG) -> SubmitCase (with an idempotency key). A submission counts when
its ``cases.case.submitted`` event, written to the outbox in the submit's transaction and
published by the service's relay to NATS JetStream, has been delivered to a durable pull
consumer this benchmark subscribes (govhall.kit.bus.JetStreamBus, as the services consume).
Latency is from the start of CreateDraft to that delivery. Cases and the services it calls
(catalogue, whose matter every CreateDraft reads, and identity; see cluster.py) run as separate
processes (``python -m govhall.<service>``) against the local PostgreSQL and NATS (and Redis for
identity), with the run's own databases (``bench_<run>_*``), stream prefix (``BENCH<RUN>_*``) and
Redis key namespace.

Baseline: ``pgbench`` against the same PostgreSQL server, C clients for the same seconds, a
custom script inserting one row into a table shaped like a case row (a few columns, a jsonb
application, a primary key and one secondary index), prepared statements; latencies from its
per-transaction log (``-l``). Baseline and subject alternate in rounds (pgbench, submissions,
submissions, pgbench, ...), and the ratios (submissions/s / pgbench tps, p50 and p99 / pgbench's)
are what to compare across commits and machines.

Every loop is bounded in time and count, traffic goes only to 127.0.0.1, and all processes,
databases, streams and Redis keys of the run are removed on the way out, also on error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import glob
import json
import math
import os
import platform
import re
import resource
import shutil
import statistics
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cluster import Cluster
from common import (
    RESULTS_DIR,
    START_TIMEOUT,
    Processes,
    check_load_bounds,
    cpu_delta,
    cpu_snapshot,
    infra_env,
    log,
    percentile,
    run_main,
    server_pids,
    wait_until,
)

from govhall.contracts import cases as cases_events
from govhall.kit.testing import ONE_PAGE_PDF, create_database, pg_url

RESULTS = RESULTS_DIR / "cases_submissions.json"
# Bounds, whatever the arguments say.
MAX_SUBMISSIONS_PER_PHASE = 100_000
RPC_TIMEOUT = 30.0  # seconds; a slower call is an error
MAX_DRAIN_TIMEOUT = 120.0

SITES = (("420000", "湖北省", 1, ""), ("420500", "宜昌市", 2, "420000"), ("420502", "西陵区", 3, "420500"))
SITE, DEPT, MATTER = "420502", "420502-SCJG", "420502-SCJG-0001"
FORM_SCHEMA = {
    "type": "object",
    "title": "食品经营许可申请表",
    "properties": {
        "shop_name": {"type": "string", "title": "经营者名称", "minLength": 2, "maxLength": 100},
        "address": {"type": "string", "title": "经营场所", "minLength": 4},
        "mobile": {"type": "string", "title": "联系电话", "pattern": "^1[3-9][0-9]{9}$"},
    },
    "required": ["shop_name", "address", "mobile"],
}
FORM = {"shop_name": "西陵区老张面馆", "address": "宜昌市西陵区夷陵大道1号", "mobile": "13912345678"}
PDF = ONE_PAGE_PDF

# The baseline's table: the columns a case row is mostly about, its application as jsonb.
PGBENCH_TABLE = """
CREATE TABLE case_rows (
    id text PRIMARY KEY,
    site_code varchar(6) NOT NULL,
    matter_code varchar(36) NOT NULL,
    applicant_subject varchar(64) NOT NULL,
    state varchar(32) NOT NULL,
    revision bigint NOT NULL,
    submitted_at timestamptz NOT NULL,
    application jsonb NOT NULL
);
CREATE INDEX ix_case_rows_site_submitted ON case_rows (site_code, submitted_at);
"""
PGBENCH_SCRIPT = (
    "\\set n random(1, 1000000000)\n"
    "INSERT INTO case_rows (id, site_code, matter_code, applicant_subject, state, revision,"
    " submitted_at, application) VALUES (gen_random_uuid()::text, '420502', '420502-SCJG-0001',"
    " 'person-' || :n, 'SUBMITTED', 1, now(), '"
    + json.dumps(
        {"form": FORM, "answers": [["S1", ["S1A"]]], "delivery": {"method": "PICK_UP"}}, ensure_ascii=False
    )
    + "'::jsonb);\n"
)


# ---------------------------------------------------------------------------------------------
# Set-up and clean-up


@dataclass
class Run:
    work_dir: Path
    processes: Processes
    cluster: Cluster | None = None  # the services and this run's names on the servers

    @property
    def c(self) -> Cluster:
        assert self.cluster is not None, "the services are not planned yet"
        return self.cluster

    @property
    def pgbench_db(self) -> str:
        return f"bench_{self.c.run_id}_pgbench"


def start_services(run: Run, infra: dict[str, str], log_level: str, workers: int = 1) -> None:
    # Cases and everything it calls; no gateway (the calls go to cases directly, as the gateway's would).
    run.cluster = Cluster.plan(["cases"], infra, run.work_dir, log_level)
    run.c.databases.append(run.pgbench_db)
    # Cases' worker processes on its one port (kit/workers.py); 1 is one process, as before.
    run.c.start(run.processes, {**run.c.env(), "GOVHALL_CASES_WORKERS": str(workers)})


def cleanup(run: Run) -> None:
    run.processes.stop_all()
    if run.cluster is not None:
        run.cluster.remove()


def _pg_dsn(run: Run, database: str) -> str:
    return f"{run.c.infra['GOVHALL_PG_URL'].replace('postgresql+asyncpg://', 'postgresql://')}/{database}"


# The baseline writes as cases does: as the cases role, into a database that role owns (when
# deploy/local made the roles; else as the superuser, as before they existed).
PGBENCH_ROLE = "govhall_cases"


def _pgbench_dsn(run: Run) -> str:
    if run.c.has_roles():
        return pg_url(run.c.infra, PGBENCH_ROLE, run.pgbench_db).replace(
            "postgresql+asyncpg://", "postgresql://"
        )
    return _pg_dsn(run, run.pgbench_db)


async def asyncpg_create(run: Run) -> None:
    import asyncpg

    admin = await asyncpg.connect(_pg_dsn(run, "postgres"), timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{run.pgbench_db}"')
    finally:
        await admin.close()


async def create_pgbench_table(run: Run) -> str:
    """The baseline's database and table; returns the server's version."""
    import asyncpg

    admin = await asyncpg.connect(_pg_dsn(run, "postgres"), timeout=10)
    try:
        version = str(await admin.fetchval("SHOW server_version"))
    finally:
        await admin.close()
    if run.c.has_roles():
        await create_database(run.c.infra, run.pgbench_db, PGBENCH_ROLE)
    else:
        await asyncpg_create(run)
    conn = await asyncpg.connect(_pgbench_dsn(run), timeout=10)
    try:
        await conn.execute(PGBENCH_TABLE)
    finally:
        await conn.close()
    return version


def pgbench_binary() -> str:
    found = shutil.which("pgbench")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), key=lambda p: int(p.split("/")[4]))
    if not candidates:
        raise RuntimeError(
            "pgbench not found (Debian: the postgresql-client package; deploy/local/install.sh)"
        )
    return candidates[-1]


async def grpc_ready(address: str) -> bool:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    async with grpc.aio.insecure_channel(address) as ch:
        try:
            reply = await health_pb2_grpc.HealthStub(ch).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=2
            )
        except grpc.aio.AioRpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


async def publish_matter(cluster: Cluster) -> None:
    """The test matter, as in the cases tests: two required materials, a form, published (by an
    operator's tool, signed as ops)."""
    from govhall.kit.caller import caller_metadata
    from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
    from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
    from govhall.protos.common.v1 import common_pb2 as c

    md = caller_metadata(c.CallerIdentity(kind=c.CALLER_KIND_ADMIN, subject="bench"))
    levels = {1: cat.SITE_LEVEL_PROVINCE, 2: cat.SITE_LEVEL_CITY, 3: cat.SITE_LEVEL_COUNTY}

    def material(code: str, name: str, **kw: Any) -> cat.Material:
        return cat.Material(
            code=code,
            name=name,
            necessity=cat.MATERIAL_NECESSITY_REQUIRED,
            form=cat.MATERIAL_FORM_ELECTRONIC,
            source=cat.MATERIAL_SOURCE_APPLICANT,
            **kw,
        )

    draft = cat.MatterDraft(
        name="食品经营许可（仅销售预包装食品备案除外）",
        department_code=DEPT,
        audiences=[cat.AUDIENCE_PERSON, cat.AUDIENCE_LEGAL_PERSON],
        type=cat.MATTER_TYPE_LICENSING,
        promised_limit=c.TimeLimit(value=10, unit=c.TIME_LIMIT_UNIT_WORKING_DAY),
        legal_limit=c.TimeLimit(value=20, unit=c.TIME_LIMIT_UNIT_WORKING_DAY),
        online_application=True,
        online_depth=4,
        handling_type=cat.HANDLING_TYPE_PROMISED,
        result_name="食品经营许可证",
        guide=cat.Guide(
            notice="申请人应如实提交有关材料，并对申请材料实质内容的真实性负责。",
            legal_basis="《中华人民共和国食品安全法》第三十五条",
        ),
        steps=[
            cat.ProcessStep(code="accept", name="受理", role="window_clerk"),
            cat.ProcessStep(code="review", name="审查", role="reviewer"),
            cat.ProcessStep(code="decide", name="决定", role="approver"),
        ],
        materials=[
            material("M01", "食品经营许可申请书"),
            material("M02", "经营场所平面图", accepted_types=["pdf", "jpg", "png"]),
        ],
        situations=[
            cat.Situation(
                code="S1",
                question="是否委托他人代办？",
                options=[
                    cat.SituationOption(code="S1A", label="否"),
                    cat.SituationOption(code="S1B", label="是"),
                ],
            )
        ],
        form_schema=json.dumps(FORM_SCHEMA, ensure_ascii=False),
    )
    ch = cluster.channel("catalogue", "ops")
    try:
        stub = catalogue_pb2_grpc.CatalogueServiceStub(ch)
        for code, name, level, parent in SITES:
            await stub.UpsertSite(
                cat.UpsertSiteRequest(code=code, name=name, level=levels[level], parent_code=parent),
                metadata=md,
                timeout=RPC_TIMEOUT,
            )
        await stub.UpsertDepartment(
            cat.UpsertDepartmentRequest(code=DEPT, site_code=SITE, name="西陵区市场监督管理局"),
            metadata=md,
            timeout=RPC_TIMEOUT,
        )
        await stub.CreateMatter(
            cat.CreateMatterRequest(code=MATTER, site_code=SITE, draft=draft),
            metadata=md,
            timeout=RPC_TIMEOUT,
        )
        await stub.PublishMatter(
            cat.ChangeMatterStatusRequest(code=MATTER, site_code=SITE), metadata=md, timeout=RPC_TIMEOUT
        )
    finally:
        await ch.close()


def png_bytes(seed: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x00" + bytes([seed % 256, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------------------------------------
# CPU: the common snapshot, plus what exited during a phase (pgbench, its PostgreSQL backends)


def _reaped_cpu(pid: int) -> float:
    """CPU seconds of a process's children that have exited and been waited for (cutime+cstime)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def cpu_now(roots: dict[str, int]) -> dict[str, float]:
    snap = cpu_snapshot(roots)
    if "postgres" in roots:  # backends of closed connections: reaped by the postmaster
        snap["postgres"] = snap.get("postgres", 0.0) + _reaped_cpu(roots["postgres"])
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # pgbench, once it has been waited for
    snap["pgbench"] = usage.ru_utime + usage.ru_stime
    return snap


def cpu_percent(cpu: dict[str, float], seconds: float) -> dict[str, float]:
    out = {k: round(100 * v / seconds, 1) for k, v in cpu.items() if not k.startswith("machine") and seconds}
    if cpu.get("machine total"):
        out["machine"] = round(100 * cpu["machine busy"] / cpu["machine total"], 1)
    return out


# ---------------------------------------------------------------------------------------------
# The baseline: pgbench


@dataclass
class PgbenchPhase:
    round: int
    seconds: float
    tps: float = 0.0
    transactions: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds
    cpu: dict[str, float] = field(default_factory=dict)


async def run_pgbench(
    run: Run, round_no: int, seconds: int, concurrency: int, roots: dict[str, int]
) -> PgbenchPhase:
    url = run.c.infra["GOVHALL_PG_URL"].split("://", 1)[1]
    user, hostport = url.split("@", 1)
    host, port = hostport.rsplit(":", 1)
    pg_env = dict(os.environ)
    if run.c.has_roles():
        user = PGBENCH_ROLE
        pg_env["PGPASSWORD"] = run.c.infra[
            f"GOVHALL_SECRET_PG_{PGBENCH_ROLE.removeprefix('govhall_').upper()}"
        ]
    script = run.work_dir / "insert_case_row.sql"
    script.write_text(PGBENCH_SCRIPT, encoding="utf-8")
    logs = run.work_dir / f"pgbench-{round_no}"
    logs.mkdir(exist_ok=True)
    argv = [
        pgbench_binary(),
        "--no-vacuum",
        "--protocol=prepared",
        f"--client={concurrency}",
        f"--jobs={max(1, min(concurrency, os.cpu_count() or 1))}",
        f"--time={seconds}",
        f"--file={script}",
        "--log",
        f"--log-prefix={logs / 'tx'}",
        f"--host={host}",
        f"--port={port}",
        f"--username={user}",
        run.pgbench_db,
    ]
    phase = PgbenchPhase(round_no, float(seconds))
    cpu0 = cpu_now(roots)
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=run.work_dir, env=pg_env
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), seconds + 60)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise RuntimeError("pgbench did not finish in time") from None
    phase.cpu = cpu_delta(cpu0, cpu_now(roots))
    text = out.decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"pgbench failed ({proc.returncode}):\n{text[-3000:]}")
    found = re.search(r"tps = ([\d.]+) \(without initial connection time\)", text)
    for path in logs.glob("tx.*"):
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[2].isdigit():
                phase.latencies.append(int(parts[2]) / 1e6)
            elif parts:
                phase.failed += 1
        path.unlink()
    phase.transactions = len(phase.latencies)
    phase.tps = float(found.group(1)) if found else phase.transactions / seconds
    return phase


# ---------------------------------------------------------------------------------------------
# The subject: complete submissions, counted when their event is delivered


@dataclass
class Arrival:
    at: float  # perf_counter when the consumer got it
    wall: float  # time.time() then
    occurred: float  # the event's occurred_at (written in the submit's transaction), epoch seconds


class Deliveries:
    """The benchmark's consumer of cases.case.submitted: first arrival per case id."""

    def __init__(self) -> None:
        self.first: dict[str, Arrival] = {}
        self.duplicates = 0
        self.changed = asyncio.Event()

    async def handle(self, delivery: Any) -> None:
        from govhall.kit.events import decode
        from govhall.protos.cases.v1 import cases_pb2

        at, wall = time.perf_counter(), time.time()
        event = decode(delivery, cases_events.REGISTRY, "bench-submitted")
        if not isinstance(event, cases_pb2.CaseChanged):
            return
        if event.case_id in self.first:
            self.duplicates += 1
            return
        occurred = event.meta.occurred_at.seconds + event.meta.occurred_at.nanos / 1e9
        self.first[event.case_id] = Arrival(at, wall, occurred)
        self.changed.set()


@dataclass
class Submission:
    case_id: str
    started: float
    submit_started: float
    submitted: float


@dataclass
class SubmitPhase:
    round: int
    seconds: float = 0.0  # from the start until the last of its events was delivered
    submissions: list[Submission] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    steps: dict[str, list[float]] = field(default_factory=lambda: {"create": [], "upload": [], "submit": []})
    e2e: list[float] = field(default_factory=list)
    reply_to_delivery: list[float] = field(default_factory=list)
    outbox_to_delivery: list[float] = field(default_factory=list)
    undelivered: int = 0
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def delivered(self) -> int:
        return len(self.e2e)

    @property
    def rate(self) -> float:
        return self.delivered / self.seconds if self.seconds else 0.0


async def run_submissions(
    run: Run,
    deliveries: Deliveries,
    round_no: int,
    seconds: float,
    concurrency: int,
    drain_timeout: float,
    roots: dict[str, int],
    channels: int = 1,
) -> SubmitPhase:
    import grpc

    from govhall.kit.caller import caller_metadata
    from govhall.protos.cases.v1 import cases_pb2 as pb
    from govhall.protos.cases.v1 import cases_pb2_grpc
    from govhall.protos.common.v1 import common_pb2 as c

    phase = SubmitPhase(round_no)
    # Applicants as the gateway passes them on; several connections, as the gateway's worker
    # processes each have their own (cases' workers share its port by connection, not by call).
    chs = [run.c.channel("cases", "gateway") for _ in range(channels)]
    stubs = [cases_pb2_grpc.CasesServiceStub(ch) for ch in chs]
    form_json = json.dumps(FORM, ensure_ascii=False)
    issued = 0
    deadline = 0.0

    async def applicant(index: int) -> None:
        nonlocal issued
        who = c.CallerIdentity(
            kind=c.CALLER_KIND_PERSON,
            subject=f"bench-{run.c.run_id}-{index}",
            name="张三",
            real_name_level=2,  # cases refuses applicants without real-name verification
        )
        md = caller_metadata(who)
        stub = stubs[index % len(stubs)]
        while issued < MAX_SUBMISSIONS_PER_PHASE and time.perf_counter() < deadline:
            issued += 1
            key = uuid.uuid4().hex
            step = "create"
            started = time.perf_counter()
            try:
                draft = await stub.CreateDraft(
                    pb.CreateDraftRequest(
                        site_code=SITE,
                        matter_code=MATTER,
                        situation_answers=[pb.SituationAnswer(situation_code="S1", option_codes=["S1A"])],
                        form_json=form_json,
                        delivery=pb.Delivery(method=pb.DELIVERY_METHOD_PICK_UP),
                        idempotency_key=f"d-{key}",
                    ),
                    metadata=md,
                    timeout=RPC_TIMEOUT,
                )
                t = time.perf_counter()
                phase.steps["create"].append(t - started)
                step = "upload"
                for code, name, content in (
                    ("M01", "申请书.pdf", PDF),
                    ("M02", "平面图.png", png_bytes(issued)),
                ):
                    t0 = time.perf_counter()
                    await stub.UploadMaterial(
                        pb.UploadMaterialRequest(
                            case_id=draft.id, material_code=code, file_name=name, content=content
                        ),
                        metadata=md,
                        timeout=RPC_TIMEOUT,
                    )
                    phase.steps["upload"].append(time.perf_counter() - t0)
                step = "submit"
                submit_started = time.perf_counter()
                done = await stub.SubmitCase(
                    pb.SubmitCaseRequest(case_id=draft.id, notice_read=True, idempotency_key=f"s-{key}"),
                    metadata=md,
                    timeout=RPC_TIMEOUT,
                )
                submitted = time.perf_counter()
                phase.steps["submit"].append(submitted - submit_started)
            except grpc.aio.AioRpcError as err:
                phase.errors[f"{step}: {err.code().name}"] += 1
                continue
            if done.state != pb.CASE_STATE_SUBMITTED:
                phase.errors[f"submit: state {pb.CaseState.Name(done.state)}"] += 1
                continue
            phase.submissions.append(Submission(draft.id, started, submit_started, submitted))

    cpu0 = cpu_now(roots)
    t0 = time.perf_counter()
    deadline = t0 + seconds
    try:
        await asyncio.gather(*(applicant(i) for i in range(concurrency)))
        # Until every submitted case's event has arrived (bounded).
        wanted = {s.case_id for s in phase.submissions}
        drain_end = time.perf_counter() + drain_timeout
        while not wanted <= deliveries.first.keys() and time.perf_counter() < drain_end:
            deliveries.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(deliveries.changed.wait(), 0.5)
    finally:
        for ch in chs:
            await ch.close()
    phase.cpu = cpu_delta(cpu0, cpu_now(roots))
    last = t0
    for s in phase.submissions:
        arrival = deliveries.first.get(s.case_id)
        if arrival is None:
            phase.undelivered += 1
            continue
        last = max(last, arrival.at)
        phase.e2e.append(arrival.at - s.started)
        phase.reply_to_delivery.append(arrival.at - s.submitted)
        phase.outbox_to_delivery.append(arrival.wall - arrival.occurred)
    if phase.undelivered:
        phase.errors["event not delivered"] += phase.undelivered
    phase.seconds = last - t0
    return phase


# ---------------------------------------------------------------------------------------------
# Summaries


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "p50_ms": percentile(ordered, 0.50) * 1000,
        "p90_ms": percentile(ordered, 0.90) * 1000,
        "p99_ms": percentile(ordered, 0.99) * 1000,
        "max_ms": ordered[-1] * 1000 if ordered else math.nan,
        "mean_ms": statistics.fmean(ordered) * 1000 if ordered else math.nan,
    }


def _sum_cpu(phases: list[Any]) -> dict[str, float]:
    totals: Counter[str] = Counter()
    for p in phases:
        totals.update(p.cpu)
    return dict(totals)


def summarise_pgbench(phases: list[PgbenchPhase]) -> dict[str, Any]:
    seconds = sum(p.seconds for p in phases)
    transactions = sum(p.transactions for p in phases)
    latency = _ms([x for p in phases for x in p.latencies])
    return {
        "transactions": transactions,
        "failed": sum(p.failed for p in phases),
        "seconds": seconds,
        # pgbench's own figure (without connection set-up), weighted by each round's length
        "tps": sum(p.tps * p.seconds for p in phases) / seconds if seconds else 0.0,
        **{k: v for k, v in latency.items() if k != "count"},
        "rounds_tps": [round(p.tps, 1) for p in phases],
        "cpu_percent": cpu_percent(_sum_cpu(phases), seconds),
    }


def summarise_submissions(phases: list[SubmitPhase]) -> dict[str, Any]:
    seconds = sum(p.seconds for p in phases)
    delivered = sum(p.delivered for p in phases)
    errors: Counter[str] = Counter()
    for p in phases:
        errors.update(p.errors)
    e2e = _ms([x for p in phases for x in p.e2e])
    return {
        "submissions": delivered,
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "seconds": round(seconds, 3),
        "per_second": delivered / seconds if seconds else 0.0,
        **{k: v for k, v in e2e.items() if k != "count"},
        "steps": {
            "CreateDraft": _ms([x for p in phases for x in p.steps["create"]]),
            "UploadMaterial": _ms([x for p in phases for x in p.steps["upload"]]),
            "SubmitCase": _ms([x for p in phases for x in p.steps["submit"]]),
        },
        "lag": {
            "submit_reply_to_delivery": _ms([x for p in phases for x in p.reply_to_delivery]),
            "outbox_to_delivery": _ms([x for p in phases for x in p.outbox_to_delivery]),
        },
        "rounds_per_second": [round(p.rate, 1) for p in phases],
        "cpu_percent": cpu_percent(_sum_cpu(phases), seconds),
    }


def ratios(
    base: dict[str, Any], subject: dict[str, Any], rounds: list[tuple[float, float]]
) -> dict[str, Any]:
    return {
        "per_second": subject["per_second"] / base["tps"] if base["tps"] else math.nan,
        "p50": subject["p50_ms"] / base["p50_ms"] if base["p50_ms"] else math.nan,
        "p99": subject["p99_ms"] / base["p99_ms"] if base["p99_ms"] else math.nan,
        "submit_p99": subject["steps"]["SubmitCase"]["p99_ms"] / base["p99_ms"]
        if base["p99_ms"]
        else math.nan,
        "per_second_per_round": [round(s / b, 4) for b, s in rounds if b],
    }


# ---------------------------------------------------------------------------------------------
# The benchmark


async def bench(run: Run, args: argparse.Namespace) -> dict[str, Any]:
    from govhall.kit.testing import cluster_bus

    t_start = time.monotonic()
    # before any thread (gRPC) exists
    start_services(run, infra_env(not args.no_start), args.log_level, args.workers)
    pg_version = await create_pgbench_table(run)
    for name, address in run.c.addresses.items():

        async def ready(address: str = address) -> bool:
            return await grpc_ready(address)

        await wait_until(run.processes, f"{name} ready (gRPC health)", ready, START_TIMEOUT)
    await publish_matter(run.c)

    deliveries = Deliveries()
    # The benchmark's own consumer is no service's: it reads as NATS's admin.
    bus = cluster_bus(run.c.infra, "admin", run.c.stream_prefix)
    await bus.start()
    try:
        await bus.subscribe("bench-submitted", cases_events.SUBMITTED.subject, deliveries.handle)
        log(f"ready after {time.monotonic() - t_start:.1f} s")

        roots = {name: proc.pid for name, proc in run.processes.procs.items()}
        roots.update(
            {k: v for k, v in server_pids(run.c.infra["GOVHALL_RUN"]).items() if k in ("postgres", "nats")}
        )
        c, seconds = args.concurrency, args.seconds
        if args.warmup:
            await run_pgbench(run, 0, args.warmup, c, roots)
            warm = await run_submissions(
                run, deliveries, 0, args.warmup, c, args.drain_timeout, roots, args.channels
            )
            log(
                f"warm-up: {warm.delivered} submissions delivered, {sum(warm.errors.values())} errors"
                + (f" {dict(warm.errors)}" if warm.errors else "")
            )
        base: list[PgbenchPhase] = []
        subject: list[SubmitPhase] = []
        for r in range(1, args.rounds + 1):
            for which in ("pgbench", "submissions") if r % 2 else ("submissions", "pgbench"):
                run.processes.check()
                if which == "pgbench":
                    p = await run_pgbench(run, r, seconds, c, roots)
                    base.append(p)
                    log(f"round {r} pgbench      {p.tps:9.1f} tps")
                else:
                    s = await run_submissions(
                        run, deliveries, r, seconds, c, args.drain_timeout, roots, args.channels
                    )
                    subject.append(s)
                    log(
                        f"round {r} submissions  {s.rate:9.1f} /s"
                        + (f"  errors {dict(s.errors)}" if s.errors else "")
                    )
                await asyncio.sleep(0.2)
    finally:
        await bus.close()

    pg = summarise_pgbench(base)
    sub = summarise_submissions(subject)
    sub["duplicate_deliveries"] = deliveries.duplicates
    per_round = [(b.tps, s.rate) for b, s in zip(base, subject, strict=True)]
    return {
        "benchmark": "cases_submissions",
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "concurrency": c,
        "cases_workers": args.workers,
        "channels": args.channels,
        "rounds": args.rounds,
        "seconds_per_round": seconds,
        "warmup_seconds": args.warmup,
        "log_level": args.log_level,
        "postgresql": pg_version,
        "pgbench_script": PGBENCH_SCRIPT,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        "pgbench": pg,
        "submissions": sub,
        "ratios": ratios(pg, sub, per_round),
    }


def print_table(result: dict[str, Any]) -> None:
    pg, sub, r = result["pgbench"], result["submissions"], result["ratios"]
    print()
    print(
        f"cases submissions end to end vs pgbench: {result['rounds']} rounds x {result['seconds_per_round']} s,"
        f" concurrency {result['concurrency']}, cases workers {result.get('cases_workers', 1)},"
        f" {result.get('channels', 1)} channels, {result['machine']['cpus']} CPUs, PostgreSQL {result['postgresql']}"
    )
    header = f"{'':<13}{'done':>9}{'errors':>8}{'per s':>10}{'p50 ms':>9}{'p99 ms':>9}"
    print(header)
    print("-" * len(header))
    print(
        f"{'pgbench':<13}{pg['transactions']:>9}{pg['failed']:>8}{pg['tps']:>10.1f}"
        f"{pg['p50_ms']:>9.2f}{pg['p99_ms']:>9.2f}   one INSERT of a case-shaped row"
    )
    print(
        f"{'submissions':<13}{sub['submissions']:>9}{sub['errors']:>8}{sub['per_second']:>10.1f}"
        f"{sub['p50_ms']:>9.2f}{sub['p99_ms']:>9.2f}   CreateDraft -> event delivered"
    )
    spread = r["per_second_per_round"]
    rounds = f" (rounds {min(spread):.4f}-{max(spread):.4f})" if spread else ""
    print()
    print(
        f"submissions / pgbench   per s {r['per_second']:.4f}x{rounds}   p50 {r['p50']:.1f}x"
        f"   p99 {r['p99']:.1f}x   SubmitCase p99 {r['submit_p99']:.1f}x"
    )
    print()
    print(f"{'parts of a submission':<40}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    rows = [(f"{name}", s) for name, s in sub["steps"].items()]
    rows.append(("SubmitCase reply -> event delivered", sub["lag"]["submit_reply_to_delivery"]))
    rows.append(("outbox (occurred_at) -> event delivered", sub["lag"]["outbox_to_delivery"]))
    for name, s in rows:
        print(f"  {name:<38}{s['p50_ms']:>9.2f}{s['p99_ms']:>9.2f}{s['max_ms']:>9.2f}")
    cpus = result["machine"]["cpus"]
    print(f"CPU while under load, % of one CPU (machine: % of all {cpus}):")
    for name, s in (("pgbench", pg), ("submissions", sub)):
        cpu = s["cpu_percent"]
        busy = ", ".join(f"{k} {v:.0f}" for k, v in cpu.items() if k != "machine" and v >= 1)
        print(f"  {name:<12} {busy}; machine {cpu.get('machine', math.nan):.0f}")
    if sub["error_kinds"]:
        print(f"submission errors: {sub['error_kinds']}")
    if sub["duplicate_deliveries"]:
        print(f"duplicate deliveries to the benchmark's consumer: {sub['duplicate_deliveries']}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    # The shared options of common.load_parser, minus --client (no HTTP here) and with whole
    # seconds (pgbench's --time takes an integer).
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=int, default=8, help="measured seconds per target per round")
    p.add_argument("--rounds", type=int, default=3, help="rounds of pgbench + submissions (order alternates)")
    p.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per target")
    p.add_argument("--concurrency", type=int, default=16, help="concurrent applicants / pgbench clients")
    p.add_argument(
        "--drain-timeout", type=float, default=30.0, help="seconds to wait for a round's last events"
    )
    p.add_argument("--workers", type=int, default=1, help="cases' worker processes (GOVHALL_CASES_WORKERS)")
    p.add_argument("--channels", type=int, default=4, help="gRPC connections the applicants share")
    p.add_argument("--log-level", default="info", help="of the services (all use the same)")
    p.add_argument("--no-start", action="store_true", help="do not run deploy/local/start.sh first")
    p.add_argument("--output", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    check_load_bounds(p, args)
    if not 0 < args.drain_timeout <= MAX_DRAIN_TIMEOUT:
        p.error(f"--drain-timeout must be in (0, {MAX_DRAIN_TIMEOUT:.0f}]")
    if not (1 <= args.workers <= 8 and 1 <= args.channels <= 64):
        p.error("--workers must be in [1, 8], --channels in [1, 64]")
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
