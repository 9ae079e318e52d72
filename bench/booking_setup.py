"""The set-up of bench/appointments_booking.py (not measured): the run, a bookable matter, a hall
with slots of capacity 1 through the gateway's admin routes, the bare baseline's slots, and the
persons who book, signed in through the gateway.

Identity hashes with cheap argon2 parameters in this benchmark: registering and signing in a
thousand persons with the production ones (64 MiB, 3 passes) would take minutes of set-up, and
the hashing is not what is measured.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bare_app import BOOKING_DDL
from cases_submissions import DEPT, RPC_TIMEOUT, SITE, SITES
from cluster import ADMIN_TOKEN, Cluster
from common import START_TIMEOUT, Call, Processes, get_json, request_json, wait_until
from identity_vs_bare import login_body

MATTER = "420502-SCJG-0102"
HALLS = f"/api/v1/admin/sites/{SITE}/halls"
ADMIN = ((b"Authorization", b"Bearer " + ADMIN_TOKEN.encode()),)
# Slots start at least this far ahead (the rules' minimum notice is 30 minutes; room for set-up).
LEAD = timedelta(minutes=90)
# Set-up only: registering N persons with production argon2 (64 MiB, 3 passes) would take minutes.
CHEAP_ARGON2 = {
    "GOVHALL_IDENTITY_ARGON2_TIME_COST": "1",
    "GOVHALL_IDENTITY_ARGON2_MEMORY_KIB": "1024",
    "GOVHALL_IDENTITY_SMS_PER_CLIENT_PER_HOUR": "1000000",
}


@dataclass
class Run:
    work_dir: Path
    processes: Processes
    cluster: Cluster | None = None
    bare_port: int = 0

    @property
    def c(self) -> Cluster:
        assert self.cluster is not None, "the services are not planned yet"
        return self.cluster

    @property
    def bare_db(self) -> str:
        return self.c.database("bare")

    def dsn(self, database: str) -> str:
        return (
            f"{self.c.infra['GOVHALL_PG_URL'].replace('postgresql+asyncpg://', 'postgresql://')}/{database}"
        )


def cleanup(run: Run) -> None:
    run.processes.stop_all()
    if run.cluster is not None:
        run.cluster.remove()


# ---------------------------------------------------------------------------------------------
# Set-up


async def publish_matter(cluster: Cluster) -> None:
    """The sites, a department and a published matter whose guide allows appointments (可预约)."""
    from govhall.kit.caller import caller_metadata
    from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
    from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
    from govhall.protos.common.v1 import common_pb2 as c

    md = caller_metadata(c.CallerIdentity(kind=c.CALLER_KIND_ADMIN, subject="bench"))
    levels = {1: cat.SITE_LEVEL_PROVINCE, 2: cat.SITE_LEVEL_CITY, 3: cat.SITE_LEVEL_COUNTY}
    draft = cat.MatterDraft(
        name="食品经营许可证补办",
        department_code=DEPT,
        audiences=[cat.AUDIENCE_PERSON],
        type=cat.MATTER_TYPE_LICENSING,
        promised_limit=c.TimeLimit(value=1, unit=c.TIME_LIMIT_UNIT_WORKING_DAY),
        legal_limit=c.TimeLimit(value=20, unit=c.TIME_LIMIT_UNIT_WORKING_DAY),
        handling_type=cat.HANDLING_TYPE_INSTANT,
        appointment=True,
    )
    ch = cluster.channel("catalogue", "ops")
    try:
        stub = catalogue_pb2_grpc.CatalogueServiceStub(ch)
        for code, name, level, parent in SITES:
            request = cat.UpsertSiteRequest(code=code, name=name, level=levels[level], parent_code=parent)
            await stub.UpsertSite(request, metadata=md, timeout=RPC_TIMEOUT)
        await stub.UpsertDepartment(
            cat.UpsertDepartmentRequest(code=DEPT, site_code=SITE, name="西陵区市场监督管理局"),
            metadata=md,
            timeout=RPC_TIMEOUT,
        )
        create = cat.CreateMatterRequest(code=MATTER, site_code=SITE, draft=draft)
        await stub.CreateMatter(create, metadata=md, timeout=RPC_TIMEOUT)
        publish = cat.ChangeMatterStatusRequest(code=MATTER, site_code=SITE)
        await stub.PublishMatter(publish, metadata=md, timeout=RPC_TIMEOUT)
    finally:
        await ch.close()


async def admin_call(run: Run, method: bytes, target: str, body: Any) -> Any:
    call = Call(
        method,
        target.encode(),
        ((b"Content-Type", b"application/json"), *ADMIN),
        json.dumps(body, ensure_ascii=False).encode(),
    )
    status, reply = await request_json(run.c.gateway_port, call)
    if status not in (200, 201):
        raise RuntimeError(f"{method.decode()} {target}: HTTP {status} {reply}")
    return reply


async def open_hall(run: Run) -> str:
    """A hall, one window serving the matter, and 08:00-20:00 on every weekday in 30-minute slots
    of capacity 1 (every weekday: a run on a weekend finds slots too), through the admin routes."""
    hall = await admin_call(run, b"POST", HALLS, {"name": "西陵区政务服务中心", "hours": "每日 8:00-20:00"})
    await admin_call(
        run, b"POST", f"{HALLS}/{hall['id']}/windows", {"name": "1号窗口", "matter_codes": [MATTER]}
    )
    sessions = [{"weekday": d, "start": "08:00", "end": "20:00"} for d in range(1, 8)]
    timetable = {"sessions": sessions, "slot_minutes": 30, "capacity": 1}
    await admin_call(run, b"PUT", f"{HALLS}/{hall['id']}/timetables", timetable)
    return str(hall["id"])


async def gateway_groups(run: Run, rounds: int, per_round: int) -> list[list[str]]:
    """``per_round`` free slots of each of ``rounds`` different days, from the public slot list
    (made right after the timetable was saved; waited for, bounded)."""
    groups: list[list[str]] = []

    async def listed() -> bool:
        status, body = await get_json(run.c.gateway_port, f"/api/v1/sites/{SITE}/matters/{MATTER}/slots")
        if status != 200:
            return False
        soon = datetime.now(UTC) + LEAD
        by_day: dict[str, list[str]] = {}
        for s in body["items"]:
            if datetime.fromisoformat(s["starts_at"]) >= soon and s["remaining"] == 1:
                by_day.setdefault(s["starts_at"][:10], []).append(s["id"])
        groups[:] = [ids[:per_round] for ids in by_day.values() if len(ids) >= per_round][:rounds]
        return len(groups) == rounds

    await wait_until(run.processes, f"{rounds} days with {per_round} free slots", listed, START_TIMEOUT)
    return groups


async def bare_groups(run: Run, rounds: int, per_round: int) -> list[list[str]]:
    import asyncpg

    conn = await asyncpg.connect(run.dsn(run.bare_db), timeout=10)
    try:
        await conn.execute(BOOKING_DDL)
        groups = [[str(uuid.uuid4()) for _ in range(per_round)] for _ in range(rounds)]
        start = datetime.now(UTC) + timedelta(days=1)
        rows = [
            (
                uuid.UUID(i),
                start + timedelta(days=r, minutes=30 * n),
                start + timedelta(days=r, minutes=30 * n + 30),
            )
            for r, ids in enumerate(groups)
            for n, i in enumerate(ids)
        ]
        await conn.executemany(
            "INSERT INTO bare_slots (id, starts_at, ends_at, capacity) VALUES ($1, $2, $3, 1)", rows
        )
    finally:
        await conn.close()
    return groups


async def sign_in(run: Run, users: list[Any], parallel: int = 8) -> None:
    """One access token per user through the gateway, after the real-name verification (so the
    token carries the level and name booking needs)."""
    gate = asyncio.Semaphore(parallel)

    async def one(user: Any) -> None:
        async with gate:
            call = Call.post_json("/api/v1/auth/login", login_body(user))
            status, body = await request_json(run.c.gateway_port, call)
        if status != 200 or not body:
            raise RuntimeError(f"login through the gateway: HTTP {status} {body}")
        user.access_token = body["access_token"]

    await asyncio.gather(*(one(u) for u in users))
