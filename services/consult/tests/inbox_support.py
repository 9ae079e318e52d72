"""The inbox's test world: consult running for real (SQLite or PostgreSQL) on an in-process bus,
beside a stand-in identity that answers GetNotifyMobile (checked as the real one checks its
callers), with the development SMS file under the test's var/."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest

from govhall.consult import app as consult_app
from govhall.consult.settings import ConsultSettings
from govhall.contracts import cases as cases_contract
from govhall.identity import app as identity_app
from govhall.kit import testing
from govhall.kit.bus import InProcessBus
from govhall.kit.caller import current_caller
from govhall.kit.events import Event, make_event
from govhall.kit.grpcserver import GrpcServer
from govhall.protos.cases.v1 import cases_pb2
from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.consult.v1 import inbox_pb2_grpc
from govhall.protos.identity.v1 import identity_pb2 as id_pb
from govhall.protos.identity.v1 import identity_pb2_grpc

from .conftest import World, free_port

MOBILE = "13912345678"


@dataclass
class FakeIdentity(identity_pb2_grpc.IdentityServiceServicer):
    mobiles: dict[tuple[int, str], str] = field(default_factory=dict)
    asked: list[tuple[int, str, str]] = field(default_factory=list)
    down: bool = False

    async def GetNotifyMobile(self, request: id_pb.GetNotifyMobileRequest, context: Any) -> Any:
        self.asked.append((request.kind, request.subject, current_caller().subject))
        if self.down:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "identity is away")
        return id_pb.GetNotifyMobileResponse(mobile=self.mobiles.get((request.kind, request.subject), ""))


@dataclass
class InboxWorld:
    world: World
    bus: InProcessBus
    identity: FakeIdentity
    sms_file: Path
    host: Any

    @property
    def inbox(self) -> inbox_pb2_grpc.InboxServiceStub:
        return self.world.stub(inbox_pb2_grpc.InboxServiceStub)

    async def call(self, method: str, request: Any, caller: C.CallerIdentity) -> Any:
        return await self.world.call(self.inbox, method, request, caller)

    def texts(self) -> list[dict[str, Any]]:
        if not self.sms_file.exists():
            return []
        return [json.loads(line) for line in self.sms_file.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(name="inbox_world")
async def inbox_world_fixture(start_service: Any, platform: Any, db_url: str) -> AsyncIterator[InboxWorld]:
    identity = FakeIdentity()
    server = GrpcServer(
        "127.0.0.1:0",
        [
            (
                identity_pb2_grpc.add_IdentityServiceServicer_to_server,
                identity,
                id_pb.DESCRIPTOR.services_by_name["IdentityService"].full_name,
            )
        ],
        verifier=testing.verifier("identity", identity_app.SPEC.callers),
    )
    await server.start()
    bus = InProcessBus()
    sms_file = platform.var_dir / "dev-sms.jsonl"
    host = await start_service(
        consult_app.SPEC,
        ConsultSettings(
            database_url=db_url,
            catalogue_address=f"127.0.0.1:{free_port()}",
            identity_address=server.address,
            sms_interval_seconds=0.2,
        ),
        platform,
        bus,
    )
    try:
        yield InboxWorld(World(None, host.address, host.db), bus, identity, sms_file, host)  # type: ignore[arg-type]
    finally:
        await server.stop()


def case_event(subject: str, applicant: str = "person-1", kind: str = "person", **fields: Any) -> Event:
    message = cases_pb2.CaseChanged(
        case_id="case-1",
        case_number="420502-2026-000001",
        application_number="SB-1",
        matter_code="420502-SCJG-0001",
        matter_name="食品经营许可",
        site_code="420502",
        applicant=cases_pb2.Applicant(kind=kind, subject=applicant, name="张三"),
        revision=2,
        **fields,
    )
    return make_event(cases_contract.REGISTRY[subject], message, "420502")
