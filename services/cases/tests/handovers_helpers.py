"""Shared by the 跨省通办 tests: a CaseHandoversService stub beside the cases world, its callers,
and the events cases wrote to its outbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import grpc
import pytest
import sqlalchemy as sa

from govhall.contracts import cases as contract
from govhall.kit.caller import caller_metadata
from govhall.kit.errors import DomainError
from govhall.kit.events import Delivery, decode
from govhall.kit.eventstore import OUTBOX
from govhall.kit.grpcclient import domain_error
from govhall.kit.testing import caller_channel
from govhall.protos.cases.v1 import handovers_pb2 as hpb
from govhall.protos.cases.v1 import handovers_pb2_grpc
from govhall.protos.common.v1 import common_pb2 as C

from .conftest import World

CROSSPROVINCE = C.CallerIdentity(kind=C.CALLER_KIND_SERVICE, subject="crossprovince")


@dataclass
class Handovers:
    world: World
    stub: handovers_pb2_grpc.CaseHandoversServiceStub

    async def call(self, method: str, request: Any, caller: C.CallerIdentity) -> Any:
        try:
            return await getattr(self.stub, method)(request, metadata=caller_metadata(caller), timeout=30)
        except grpc.aio.AioRpcError as err:
            raise domain_error(err) from None

    async def fails(self, method: str, request: Any, caller: C.CallerIdentity) -> DomainError:
        with pytest.raises(DomainError) as info:
            await self.call(method, request, caller)
        return info.value

    async def events(self) -> list[hpb.HandoverChanged]:
        """The HandoverChanged events cases wrote to its outbox, in order."""
        async with self.world.db.reader() as uow:
            rows = (
                await uow.conn.execute(
                    sa.select(OUTBOX).where(OUTBOX.c.subject.like("cases.handover.%")).order_by(OUTBOX.c.seq)
                )
            ).all()
        out = []
        for r in rows:
            message = decode(Delivery(r.subject, bytes(r.payload), r.event_id), contract.REGISTRY, "test")
            assert isinstance(message, hpb.HandoverChanged)
            out.append(message)
        return out


def handovers_of(world: World) -> Handovers:
    return Handovers(
        world, handovers_pb2_grpc.CaseHandoversServiceStub(caller_channel(world.address, "cases"))
    )
