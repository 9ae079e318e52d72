"""The session check every service makes (ServiceHost wires RevocationList.check into the gRPC
middleware): a revoked session or agent authorisation is refused before the servicer runs, on
every back end of the key-value store; a store that is down lets the call through (as at the
gateway)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from govhall.kit.caller import caller_metadata, current_caller
from govhall.kit.grpcclient import domain_error
from govhall.kit.grpcserver import GrpcServer, SessionCheck
from govhall.kit.kv import KeyValueStore, RedisStore
from govhall.kit.ports import free_port
from govhall.kit.testing import signed_channel, verifier
from govhall.kit.tokens import REVOCATION_CHECK_FAILURES, RevocationList
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2


class Counting(catalogue_pb2_grpc.CatalogueServiceServicer):
    def __init__(self) -> None:
        self.served: list[str] = []

    async def GetSite(self, request: pb.GetSiteRequest, context: Any) -> pb.Site:
        self.served.append(current_caller().subject)
        return pb.Site(code=request.code)


async def _serve(check: SessionCheck) -> tuple[GrpcServer, Counting]:
    servicer = Counting()
    server = GrpcServer(
        "127.0.0.1:0",
        [(catalogue_pb2_grpc.add_CatalogueServiceServicer_to_server, servicer, "govhall.catalogue.v1.X")],
        session_check=check,
        verifier=verifier(
            "catalogue",
            {"gateway": {"kinds": ["person"]}, "cases": {"kinds": ["service"], "methods": ["GetSite"]}},
        ),
    )
    await server.start()
    return server, servicer


@pytest.fixture
async def calls() -> AsyncIterator[list[Any]]:
    opened: list[Any] = []
    yield opened
    for server, ch in opened:
        await ch.close()
        if server is not None:
            await server.stop(0)


def person(subject: str, session_id: str = "", authorisation_id: str = "") -> common_pb2.CallerIdentity:
    return common_pb2.CallerIdentity(
        kind=common_pb2.CALLER_KIND_PERSON,
        subject=subject,
        session_id=session_id,
        authorisation_id=authorisation_id,
    )


async def _call(ch: grpc.aio.Channel, caller: common_pb2.CallerIdentity) -> str:
    try:
        await catalogue_pb2_grpc.CatalogueServiceStub(ch).GetSite(
            pb.GetSiteRequest(code="420502"), metadata=caller_metadata(caller), timeout=5
        )
    except grpc.aio.AioRpcError as err:
        assert err.code() is grpc.StatusCode.UNAUTHENTICATED
        return domain_error(err).code
    return "OK"


async def test_revoked_sessions_and_authorisations_are_refused_before_the_servicer(
    kv: KeyValueStore, calls: list[Any]
) -> None:
    writer = RevocationList(kv, hold_seconds=900)  # as identity writes it
    await writer.revoke_sessions(["s-ended"])
    await writer.revoke_authorisation("a-ended")
    server, servicer = await _serve(RevocationList(kv).check)
    ch = signed_channel(server.address, "catalogue")
    from_cases = signed_channel(server.address, "catalogue", "cases")
    calls.extend([(server, ch), (None, from_cases)])
    assert await _call(ch, person("ended", "s-ended")) == "TOKEN_REVOKED"
    assert await _call(ch, person("agent", "s-live", "a-ended")) == "TOKEN_REVOKED"
    assert await _call(ch, person("live", "s-live", "a-live")) == "OK"
    # Callers without a session (a service, the admin token, anonymous) need no lookup.
    assert (
        await _call(
            from_cases, common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_SERVICE, subject="cases")
        )
        == "OK"
    )
    assert servicer.served == ["live", "cases"]


async def test_a_store_that_is_down_lets_the_call_through(calls: list[Any]) -> None:
    dead = free_port()
    store = RedisStore(f"redis://127.0.0.1:{dead}/0", f"down-{uuid.uuid4().hex[:8]}")
    server, servicer = await _serve(RevocationList(store).check)
    ch = signed_channel(server.address, "catalogue")
    calls.append((server, ch))
    before = REVOCATION_CHECK_FAILURES._value.get()
    try:
        assert await _call(ch, person("someone", "s-1")) == "OK"
    finally:
        await store.close()
    assert servicer.served == ["someone"]
    assert REVOCATION_CHECK_FAILURES._value.get() == before + 1
