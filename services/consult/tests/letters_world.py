"""A world for letters: the consult service over gRPC beside a real catalogue (two departments at
the county, none at the city) and a stand-in identity that checks SMS codes as consult's only
caller of CheckSmsCode (its callers.json is what the stand-in verifies with)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from govhall.catalogue import app as catalogue_app
from govhall.catalogue.settings import CatalogueSettings
from govhall.consult import app as consult_app
from govhall.consult.settings import ConsultSettings
from govhall.identity import app as identity_app
from govhall.kit import testing
from govhall.kit.bus import InProcessBus
from govhall.kit.caller import caller_metadata, current_caller
from govhall.kit.errors import invalid
from govhall.kit.events import Delivery
from govhall.kit.grpcserver import GrpcServer
from govhall.kit.testing import caller_channel, wait_until
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.consult.v1 import letters_pb2 as pb
from govhall.protos.consult.v1 import letters_pb2_grpc
from govhall.protos.identity.v1 import identity_pb2 as ident
from govhall.protos.identity.v1 import identity_pb2_grpc

from .conftest import ADMIN, COUNTY, DEPT, World, _catalogue_world, free_port

OTHER_DEPT = "420502-SWJ"
OFFICE = f"{COUNTY}-ZWFW"
MOBILE = "13812340001"


class FakeIdentity(identity_pb2_grpc.IdentityServiceServicer):
    """Codes "sent" to mobiles; each consumed once, only by consult (callers.json decides)."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}
        self.checked_by: list[str] = []

    async def CheckSmsCode(
        self, request: ident.CheckSmsCodeRequest, context: Any
    ) -> ident.CheckSmsCodeResponse:
        self.checked_by.append(current_caller().subject)
        if request.purpose != ident.SMS_PURPOSE_LETTER:
            raise invalid("SMS_PURPOSE_INVALID", "unknown purpose", "验证码用途无效", "purpose")
        if self.codes.get(request.mobile) != request.code:
            raise invalid("SMS_CODE_WRONG", "the verification code is wrong", "验证码错误", "sms_code")
        del self.codes[request.mobile]
        return ident.CheckSmsCodeResponse(mobile_masked=request.mobile[:3] + "****" + request.mobile[-4:])


@dataclass
class LettersWorld(World):
    identity: FakeIdentity = field(default_factory=FakeIdentity)
    events: list[Delivery] = field(default_factory=list)

    @property
    def letters(self) -> letters_pb2_grpc.LettersServiceStub:
        return self.stub(letters_pb2_grpc.LettersServiceStub)

    async def published(self, subject: str, count: int = 1) -> list[Delivery]:
        def enough() -> list[Delivery]:
            found = [e for e in self.events if e.subject == subject]
            return found if len(found) >= count else []

        return await wait_until(enough, what=f"{count} event(s) {subject}")

    async def write(self, caller: C.CallerIdentity, **fields: Any) -> pb.SubmitLetterResponse:
        values: dict[str, Any] = {
            "site_code": COUNTY,
            "kind": pb.LETTER_KIND_CONSULTATION,
            "title": "食品经营许可要带什么材料",
            "content": "请问办理食品经营许可需要哪些材料？我的电话13812345678",
            "agrees_to_publish": True,
        }
        values.update(fields)
        if caller.kind == C.CALLER_KIND_ANONYMOUS:
            values.setdefault("writer_name", "李匿名")
            values.setdefault("writer_mobile", MOBILE)
            self.identity.codes[values["writer_mobile"]] = "246810"
            values.setdefault("sms_code", "246810")
        return await self.call(self.letters, "SubmitLetter", pb.SubmitLetterRequest(**values), caller)


@pytest.fixture
async def letters_world(
    start_service: Any, platform: Any, tmp_path: Path, db_url: str
) -> AsyncIterator[LettersWorld]:
    bus = InProcessBus()
    fake = FakeIdentity()
    identity_server = GrpcServer(
        "127.0.0.1:0",
        [
            (
                identity_pb2_grpc.add_IdentityServiceServicer_to_server,
                fake,
                ident.DESCRIPTOR.services_by_name["IdentityService"].full_name,
            )
        ],
        verifier=testing.verifier("identity", identity_app.SPEC.callers),
    )
    await identity_server.start()
    catalogue_address = f"127.0.0.1:{free_port()}"
    events: list[Delivery] = []

    async def record(delivery: Delivery) -> None:
        events.append(delivery)

    await bus.subscribe("test-letters", "consult.letter.>", record)
    consult = await start_service(
        consult_app.SPEC,
        ConsultSettings(
            database_url=db_url,
            catalogue_address=catalogue_address,
            identity_address=identity_server.address,
            letter_sweep_seconds=0,  # the tests sweep with a day of their choosing
        ),
        platform,
        bus,
    )
    catalogue = await start_service(
        catalogue_app.SPEC,
        CatalogueSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", grpc_address=catalogue_address
        ),
        platform,
        bus,
    )
    stub = catalogue_pb2_grpc.CatalogueServiceStub(caller_channel(catalogue.address, "catalogue"))
    await _catalogue_world(stub)
    await stub.UpsertDepartment(
        cat.UpsertDepartmentRequest(code=OTHER_DEPT, site_code=COUNTY, name="西陵区商务局"),
        metadata=caller_metadata(ADMIN),
    )
    yield LettersWorld(stub, consult.address, consult.db, fake, events)
    await identity_server.stop(0)


__all__ = ["DEPT", "LettersWorld", "letters_world"]
