"""Fault: NATS is killed (SIGKILL) during 1,000 submissions and restarted; every
``cases.case.submitted`` event is delivered afterwards, and applied once by each consumer.

The test runs a NATS server of its own (``nats-server -js`` on a free port with a store directory
under tmp_path), so the shared local NATS is never touched; PostgreSQL is the local one (the
cases database is a fresh one from the ``db_url`` fixture). Cases, catalogue and identity run in
this process, as in the ``world`` fixture, but on JetStream: each service with its own connection,
as separate processes would have.

Two consumers of ``cases.case.submitted`` are checked:
- a test consumer, the kit's ``idempotent()`` wrapper around a handler that records
  (event id, case id) in a table of its own (SQLite); the raw deliveries before the inbox are
  counted too, so the report shows how many redeliveries the inbox absorbed;
- the catalogue's own hot-matters consumer, whose count for the matter must end at exactly 1,000.

Submissions go on while NATS is down: a submit commits its event into the outbox, the relay's
publishes fail (or hang in the client's reconnect buffer) and are retried; nothing is lost and
JetStream's duplicate window plus the inbox make the retries harmless.

With ``-s`` the test prints what it observed: when NATS was killed and restarted, how many
submissions went in while it was down, how long the consumers took to have every event, the
failed publishes in the outbox, raw deliveries and redeliveries, the cases service's readiness
while NATS was down (observed, not asserted: the kit's readiness follows the bus) and the
warnings logged. The consumers share this process's event loop with the services and the 20
clients, so under load they apply events more slowly than separate processes would; the drain
time after the last submit is mostly that backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import subprocess
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from govhall.cases import app as cases_app
from govhall.cases.settings import CasesSettings
from govhall.catalogue import app as catalogue_app
from govhall.catalogue.settings import CatalogueSettings
from govhall.contracts import cases as cases_events
from govhall.identity import app as identity_app
from govhall.identity.settings import IdentitySettings
from govhall.kit.bus import JetStreamBus
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.events import Delivery, decode
from govhall.kit.eventstore import INBOX, OUTBOX, idempotent
from govhall.kit.service import ServiceHost
from govhall.kit.settings import PlatformSettings
from govhall.kit.testing import caller_channel, wait_until
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.cases.v1 import cases_pb2_grpc
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc

from .conftest import (
    COUNTY,
    MATTER,
    World,
    _catalogue_world,
    free_port,
    pdf_bytes,
    person,
    png_bytes,
)

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]

SUBMISSIONS = 1000
CONCURRENCY = 20
KILL_AT = 300  # submitted cases when NATS is killed
RESTART_AT = 650  # ... and when it is started again (so ~350 are submitted while it is down)
MIN_DOWN_SECONDS = 3.0  # NATS stays down at least this long, however fast the submissions go
STALL_TIMEOUT = 60.0  # submissions not progressing for this long fail the test
DRAIN_TIMEOUT = 180.0  # after the last submit, until both consumers have every event
SUBJECT = cases_events.SUBMITTED.subject
CONSUMER = "fault-test-submitted"

_meta = sa.MetaData()
APPLIED = sa.Table(
    "applied",
    _meta,
    # No uniqueness on purpose: a second application of an event must show up as a second row.
    sa.Column("n", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("case_id", sa.String(36), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
)


def _nats_binary() -> str:
    for candidate in (shutil.which("nats-server"), "/usr/sbin/nats-server", "/usr/bin/nats-server"):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("nats-server is not installed (run deploy/local/install.sh)", pytrace=False)


class PrivateNats:
    """A NATS server with JetStream for this test only: a free port, a store under tmp_path."""

    def __init__(self, tmp: Path) -> None:
        self.binary = _nats_binary()
        self.port = free_port()
        self.store = tmp / "nats-store"
        self.log = tmp / "nats.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def _spawn(self) -> None:
        with open(self.log, "ab") as out:
            out.write(f"\n--- start at {time.strftime('%H:%M:%S')}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                [self.binary, "-js", "-p", str(self.port), "-sd", str(self.store), "-a", "127.0.0.1"],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    async def start(self, timeout: float = 30.0) -> float:
        """Start it (same port, same store) and wait until JetStream answers; returns the seconds."""
        t0 = time.monotonic()
        self._spawn()
        await self._wait_jetstream(t0 + timeout)
        return time.monotonic() - t0

    async def _wait_jetstream(self, deadline: float) -> None:
        import nats

        last: list[BaseException] = []

        async def up() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"nats-server exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                nc = await nats.connect(self.url, connect_timeout=1, allow_reconnect=False)
                try:
                    await nc.jetstream(timeout=2).account_info()
                    return True
                finally:
                    await nc.close()
            except Exception as err:
                last[:] = [err]
                return False

        try:
            await wait_until(up, deadline - time.monotonic(), interval=0.1, what=f"JetStream on {self.url}")
        except AssertionError as err:
            raise AssertionError(f"{err}: {last!r}\n{self.tail()}") from None

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush of anything the server kept in memory."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


@dataclass
class Progress:
    submitted: dict[int, str] = field(default_factory=dict)  # n -> case id
    failures: list[str] = field(default_factory=list)
    during_outage: int = 0
    nats_down: bool = False
    last_progress: float = field(default_factory=time.monotonic)
    done_at: list[float] = field(default_factory=list)  # monotonic time of each successful submit


async def _submit(world: World, n: int) -> str:
    who = person(n % 97 + 1)
    draft = await world.draft(who, idempotency_key=f"fault-draft-{n}")
    for code, name, content in (("M01", "申请书.pdf", pdf_bytes()), ("M02", "平面图.png", png_bytes(n))):
        await world.call(
            "UploadMaterial",
            pb.UploadMaterialRequest(case_id=draft.id, material_code=code, file_name=name, content=content),
            who,
        )
    done = await world.call(
        "SubmitCase",
        pb.SubmitCaseRequest(case_id=draft.id, notice_read=True, idempotency_key=f"fault-submit-{n}"),
        who,
    )
    assert done.state == pb.CASE_STATE_SUBMITTED, pb.CaseState.Name(done.state)
    return str(done.id)


async def _readiness(address: str) -> str:
    """The service's gRPC health for "" (what the Helm chart's readiness probe asks)."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    async with grpc.aio.insecure_channel(address) as ch:
        reply = await health_pb2_grpc.HealthStub(ch).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=5
        )
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


async def _readiness_becomes(address: str, wanted: str, timeout: float = 15.0) -> str:
    async def reached() -> str:
        return status if (status := await _readiness(address)) == wanted else ""

    return await wait_until(reached, timeout, interval=0.2, what=f"readiness {wanted}")


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_nats_killed_during_submissions_every_event_delivered_once(
    cluster: dict[str, str], db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    nats_server = PrivateNats(tmp_path)
    platform = PlatformSettings(
        var_dir=tmp_path / "var", nats_url=nats_server.url, redis_url=None, elasticsearch_url=None
    )
    # One connection per service (as separate processes would have) and one for the test consumer.
    buses = {name: JetStreamBus(nats_server.url) for name in ("cases", "identity", "catalogue", "consumer")}
    hosts: list[ServiceHost] = []
    consumer_db = Database(f"sqlite+aiosqlite:///{tmp_path / 'consumer.db'}")
    raw: list[tuple[str, int]] = []  # every delivery to the test consumer, before the inbox
    raw_at: list[float] = []
    report: dict[str, Any] = {}
    try:
        await nats_server.start()
        for bus in buses.values():
            await bus.start()
        async with consumer_db.engine.begin() as conn:
            await conn.run_sync(_meta.create_all)
            await conn.run_sync(INBOX.create)

        async def apply(uow: UnitOfWork, delivery: Delivery) -> None:
            event = decode(delivery, cases_events.REGISTRY, CONSUMER)
            assert isinstance(event, pb.CaseChanged) and event.revision > 0
            await uow.conn.execute(
                sa.insert(APPLIED).values(
                    event_id=delivery.event_id, case_id=event.case_id, attempt=delivery.attempt
                )
            )

        applied_once = idempotent(consumer_db.uow, CONSUMER, apply)

        async def consume(delivery: Delivery) -> None:
            raw.append((delivery.event_id, delivery.attempt))
            raw_at.append(time.monotonic())
            await applied_once(delivery)

        await buses["consumer"].subscribe(CONSUMER, SUBJECT, consume)

        # The services, as in the `world` fixture, with cases on PostgreSQL.
        catalogue_address = f"127.0.0.1:{free_port()}"
        identity_address = f"127.0.0.1:{free_port()}"
        specs: list[tuple[Any, Any, str]] = [
            (
                cases_app.SPEC,
                CasesSettings(
                    database_url=db_url,
                    catalogue_address=catalogue_address,
                    identity_address=identity_address,
                    files_dir=tmp_path / "files",
                    sweep_interval_seconds=0,
                ),
                "cases",
            ),
            (
                identity_app.SPEC,
                IdentitySettings(
                    database_url=f"sqlite+aiosqlite:///{tmp_path / 'i.db'}",
                    grpc_address=identity_address,
                    catalogue_address=catalogue_address,
                    argon2_time_cost=1,
                    argon2_memory_kib=1024,
                    dev_sms_file=tmp_path / "sms.jsonl",
                    kv_namespace=f"t{uuid.uuid4().hex[:10]}",
                ),
                "identity",
            ),
            (
                catalogue_app.SPEC,
                CatalogueSettings(
                    database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", grpc_address=catalogue_address
                ),
                "catalogue",
            ),
        ]
        for spec, settings, name in specs:
            host = ServiceHost(spec, settings, platform, buses[name])
            await host.start()
            hosts.append(host)
        cases_host, catalogue_host = hosts[0], hosts[2]
        catalogue_stub = catalogue_pb2_grpc.CatalogueServiceStub(
            caller_channel(catalogue_host.address, "catalogue")
        )
        await _catalogue_world(catalogue_stub)
        world = World(
            cases_pb2_grpc.CasesServiceStub(caller_channel(cases_host.address, "cases")), catalogue_stub
        )

        progress = Progress()
        todo = iter(range(SUBMISSIONS))

        async def client() -> None:
            for n in todo:
                try:
                    case_id = await _submit(world, n)
                except Exception as err:  # reported below: a submit must not fail
                    progress.failures.append(f"#{n}: {err!r}")
                    continue
                progress.submitted[n] = case_id
                progress.during_outage += progress.nats_down
                progress.last_progress = time.monotonic()
                progress.done_at.append(progress.last_progress)

        async def chaos() -> None:
            def stalled() -> bool:
                if time.monotonic() - progress.last_progress > STALL_TIMEOUT:
                    raise AssertionError(
                        f"submissions stalled at {len(progress.submitted)} "
                        f"(NATS {'down' if progress.nats_down else 'up'}): {progress.failures[:3]}"
                    )
                return False

            await wait_until(
                lambda: stalled() or len(progress.submitted) >= KILL_AT, 600, interval=0.05, what="kill point"
            )
            nats_server.kill()
            progress.nats_down = True
            down_at = report["killed_at"] = time.monotonic()
            report["killed_after_submitted"] = len(progress.submitted)
            # Still ready once cases has noticed: the outbox holds the events, so a probe must not
            # take cases out of rotation.
            await wait_until(lambda: not buses["cases"].healthy(), 30, what="cases noticing NATS down")
            report["cases_readiness_while_nats_down"] = await _readiness(cases_host.address)
            assert report["cases_readiness_while_nats_down"] == "SERVING"
            await wait_until(
                lambda: (
                    stalled()
                    or (
                        len(progress.submitted) >= RESTART_AT
                        and time.monotonic() - down_at >= MIN_DOWN_SECONDS
                    )
                ),
                600,
                interval=0.05,
                what="restart point",
            )
            report["restarted_after_submitted"] = len(progress.submitted)
            report["nats_restart_seconds"] = round(await nats_server.start(), 2)
            progress.nats_down = False
            report["nats_down_seconds"] = round(time.monotonic() - down_at, 2)
            report["restarted_at"] = time.monotonic()
            report["cases_readiness_after_restart"] = await _readiness_becomes(cases_host.address, "SERVING")

        t0 = time.monotonic()
        chaos_task = asyncio.create_task(chaos())
        await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
        submit_seconds = time.monotonic() - t0
        await chaos_task  # also raises its own failures (a stall)
        report["submit_seconds"] = round(submit_seconds, 1)
        report["submitted_while_nats_down"] = progress.during_outage
        assert not progress.failures, (
            f"{len(progress.failures)} submits failed; first: {progress.failures[:5]}\n{nats_server.tail()}"
        )
        assert len(progress.submitted) == SUBMISSIONS
        assert progress.during_outage > 0, "no submission happened while NATS was down"
        submitted_ids = set(progress.submitted.values())
        assert len(submitted_ids) == SUBMISSIONS

        # Until the test consumer has applied every case and the catalogue counted every one.
        async def applied_cases() -> int:
            async with consumer_db.reader() as uow:
                return int(
                    await uow.conn.scalar(sa.select(sa.func.count(sa.distinct(APPLIED.c.case_id)))) or 0
                )

        async def hot_count() -> int:
            reply = await catalogue_stub.ListHotMatters(
                cat.ListHotMattersRequest(site_code=COUNTY), timeout=10
            )
            return next((h.applications for h in reply.matters if h.matter.code == MATTER), 0)

        applied = hot = 0
        last_submit = t0 + submit_seconds
        report["at_last_submit"] = {
            "test_consumer_applied": await applied_cases(),
            "catalogue_counted": await hot_count(),
        }

        async def drained() -> bool:
            nonlocal applied, hot
            applied, hot = await applied_cases(), await hot_count()
            for name, count in (("test_consumer", applied), ("catalogue", hot)):
                if count >= SUBMISSIONS and f"{name}_complete_after_last_submit_s" not in report:
                    report[f"{name}_complete_after_last_submit_s"] = round(time.monotonic() - last_submit, 1)
                    report[f"{name}_complete_after_restart_s"] = round(
                        time.monotonic() - report["restarted_at"], 1
                    )
            return applied >= SUBMISSIONS and hot >= SUBMISSIONS

        # A timeout is reported below with what was and was not delivered.
        with contextlib.suppress(AssertionError):
            await wait_until(drained, DRAIN_TIMEOUT, interval=0.1, what="every event applied")
        async with cases_host.db.reader() as uow:
            unpublished = int(
                await uow.conn.scalar(
                    sa.select(sa.func.count()).select_from(OUTBOX).where(OUTBOX.c.published_at.is_(None))
                )
                or 0
            )
            retried = (
                await uow.conn.execute(
                    sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(OUTBOX.c.attempts), 0)).where(
                        OUTBOX.c.attempts > 0
                    )
                )
            ).one()
        report["outbox_rows_with_failed_publishes"] = int(retried[0])
        report["outbox_failed_publish_attempts"] = int(retried[1])
        assert applied == SUBMISSIONS and hot == SUBMISSIONS, (
            f"after {DRAIN_TIMEOUT:.0f} s: the test consumer applied {applied} of {SUBMISSIONS} cases, "
            f"the catalogue counted {hot}; {unpublished} outbox rows unpublished; "
            f"{len(raw)} raw deliveries\n--- nats log\n{nats_server.tail()}"
        )

        # Let JetStream settle: everything delivered and acknowledged by the test consumer.
        import nats

        nc = await nats.connect(nats_server.url)
        try:
            js = nc.jetstream(timeout=5)
            stream = buses["consumer"].stream_name("cases")

            async def settled() -> Any:
                info = await js.consumer_info(stream, CONSUMER)
                return info if not info.num_pending and not info.num_ack_pending else None

            info = await wait_until(
                settled, 20, interval=0.1, what="the test consumer with nothing unacknowledged or pending"
            )
            stream_info = await js.stream_info(stream, subjects_filter=SUBJECT)
            in_stream = (stream_info.state.subjects or {}).get(SUBJECT, stream_info.state.messages)
            report["jetstream_messages_on_subject"] = in_stream
            report["jetstream_consumer_num_redelivered"] = info.num_redelivered
        finally:
            await nc.close()

        async with consumer_db.reader() as uow:
            rows = (await uow.conn.execute(sa.select(APPLIED.c.event_id, APPLIED.c.case_id))).all()
        delivered_ids = {r.case_id for r in rows}
        per_case = Counter(r.case_id for r in rows)
        per_event = Counter(r.event_id for r in rows)
        events_of_case: dict[str, set[str]] = {}
        for r in rows:
            events_of_case.setdefault(r.case_id, set()).add(r.event_id)
        raw_per_event = Counter(event_id for event_id, _ in raw)
        report.update(
            {
                "applied_rows": len(rows),
                "raw_deliveries": len(raw),
                "redelivered_events": sum(1 for n in raw_per_event.values() if n > 1),
                "deliveries_absorbed_by_inbox": len(raw) - len(rows),
                "max_delivery_attempt": max((a for _, a in raw), default=0),
                "catalogue_hot_count": hot,
            }
        )
        logged = Counter(f"{r.name} {r.levelname}" for r in caplog.records if r.levelno >= logging.WARNING)
        report["log_records_warning_and_above"] = dict(logged)
        restarted = report.pop("restarted_at")
        killed = report.pop("killed_at")

        def rate(start: float, end: float) -> float:
            n = sum(1 for t in progress.done_at if start <= t < end)
            return round(n / (end - start), 1) if end > start else 0.0

        report["submits_per_second"] = {
            "before_kill": rate(t0, killed),
            "nats_down": rate(killed, restarted),
            "after_restart": rate(restarted, t0 + submit_seconds),
        }
        after = [t - restarted for t in raw_at if t > restarted]
        report["first_delivery_after_restart_s"] = round(min(after), 2) if after else None
        print("\nNATS fault test:", json.dumps(report, indent=2))

        assert delivered_ids == submitted_ids, (
            f"missing {len(submitted_ids - delivered_ids)}, unexpected {len(delivered_ids - submitted_ids)}"
        )
        assert max(per_case.values()) == 1, f"applied twice: {[c for c, n in per_case.items() if n > 1][:5]}"
        assert max(per_event.values()) == 1
        assert all(len(ids) == 1 for ids in events_of_case.values()), "a case under two event ids"
        assert len(rows) == SUBMISSIONS
        assert hot == SUBMISSIONS, "the catalogue's hot-matters consumer counted an event twice"
        assert in_stream == SUBMISSIONS, "JetStream kept a republished event twice"
        assert unpublished == 0, f"{unpublished} outbox rows still unpublished"
    finally:
        for host in reversed(hosts):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(host.stop(), 30)
        for bus in buses.values():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(bus.close(), 10)
        await consumer_db.close()
        nats_server.stop()
