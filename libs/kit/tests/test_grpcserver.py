"""The gRPC bootstrap: health follows the readiness checks, liveness does not; errors keep their codes."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from govhall.kit.caller import caller_metadata, current_caller
from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.grpcclient import domain_error
from govhall.kit.grpcserver import GrpcServer
from govhall.kit.testing import signed_channel, verifier, wait_until
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2


class Fake(catalogue_pb2_grpc.CatalogueServiceServicer):
    async def GetSite(self, request: pb.GetSiteRequest, context: Any) -> pb.Site:
        if request.code == "000000":
            raise DomainError("SITE_NOT_FOUND", "no such site", "站点不存在", ErrorKind.NOT_FOUND)
        if request.code == "boom":
            raise ZeroDivisionError("a bug with a secret in it: password=hunter2")
        return pb.Site(code=request.code, name=current_caller().name)


@pytest.fixture
async def server() -> Any:
    state = {"ready": True}

    async def ready() -> bool:
        return state["ready"]

    srv = GrpcServer(
        "127.0.0.1:0",
        [
            (
                catalogue_pb2_grpc.add_CatalogueServiceServicer_to_server,
                Fake(),
                "govhall.catalogue.v1.CatalogueService",
            )
        ],
        readiness=[ready],
        health_interval=0.05,
        verifier=verifier("catalogue", {"gateway": {"kinds": ["anonymous", "staff"]}}),
    )
    await srv.start()
    ch = signed_channel(srv.address, "catalogue")
    yield srv, ch, state
    await ch.close()
    await srv.stop(0)


async def status(ch: grpc.aio.Channel, service: str) -> int:
    reply = await health_pb2_grpc.HealthStub(ch).Check(
        health_pb2.HealthCheckRequest(service=service), timeout=2
    )
    return reply.status


async def test_health_follows_readiness_but_liveness_stays_serving(server: Any) -> None:
    _, ch, state = server
    serving, not_serving = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING
    assert await status(ch, "") == serving
    assert await status(ch, "govhall.catalogue.v1.CatalogueService") == serving
    state["ready"] = False

    async def unready() -> bool:
        return await status(ch, "") == not_serving

    await wait_until(unready, what="health NOT_SERVING after the next readiness check")
    assert await status(ch, "liveness") == serving


async def test_caller_identity_and_error_mapping(server: Any) -> None:
    _, ch, _ = server
    stub = catalogue_pb2_grpc.CatalogueServiceStub(ch)
    caller = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_STAFF, name="王科员")
    site = await stub.GetSite(pb.GetSiteRequest(code="420502"), metadata=caller_metadata(caller), timeout=2)
    assert site.name == "王科员"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetSite(pb.GetSiteRequest(code="000000"), timeout=2)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert domain_error(caught.value).message_zh == "站点不存在"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetSite(pb.GetSiteRequest(code="boom"), timeout=2)
    assert caught.value.code() == grpc.StatusCode.INTERNAL
    assert "hunter2" not in (caught.value.details() or "") and "ZeroDivision" not in (
        caught.value.details() or ""
    )
    assert domain_error(caught.value).code == "INTERNAL"


async def test_text_with_nul_characters_is_refused_at_the_door(server: Any) -> None:
    """PostgreSQL cannot store NUL: every service refuses it as bad input, not as a crash."""
    _, ch, _ = server
    stub = catalogue_pb2_grpc.CatalogueServiceStub(ch)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetSite(pb.GetSiteRequest(code="42\x000502"), timeout=2)
    err = domain_error(caught.value)
    assert err.code == "TEXT_INVALID" and err.kind == ErrorKind.INVALID and err.fields[0].field == "code"


def test_nul_is_found_in_nested_and_repeated_fields() -> None:
    from govhall.kit.grpcserver import reject_nul_text

    nested = pb.CreateMatterRequest(code="A-1", draft=pb.MatterDraft(name="食品\x00经营"))
    with pytest.raises(DomainError) as caught:
        reject_nul_text(nested)
    assert caught.value.fields[0].field == "draft.name"
    repeated = pb.Site(code="420000", path=["420000", "42\x00"])
    with pytest.raises(DomainError):
        reject_nul_text(repeated)
    reject_nul_text(pb.CreateMatterRequest(code="A-1", draft=pb.MatterDraft(name="食品经营许可")))


async def test_a_second_server_on_a_taken_port_is_refused_not_shared() -> None:
    """gRPC's default SO_REUSEPORT would let it bind and take half the first one's calls."""
    policy = verifier("catalogue", {"gateway": {"kinds": ["anonymous"]}})
    first = GrpcServer("127.0.0.1:0", [], verifier=policy)
    await first.start()
    try:
        with pytest.raises(RuntimeError, match="bind"):
            GrpcServer(first.address, [], verifier=policy)
    finally:
        await first.stop(0)


async def test_a_method_is_wrapped_once_not_on_every_call() -> None:
    """grpc asks the interceptor on every RPC: the wrapped handler is built on the first and
    handed out again, unless the servicer's own handler is another one by then."""
    from govhall.kit.grpcserver import _Middleware

    middleware = _Middleware(verifier("catalogue", {"gateway": {"kinds": ["anonymous"]}}), 5.0)

    async def get_site(request: Any, context: Any) -> pb.Site:
        return pb.Site()

    servicer_handler = grpc.unary_unary_rpc_method_handler(get_site)

    async def continuation(details: Any) -> Any:
        return servicer_handler

    details = SimpleNamespace(method="/govhall.catalogue.v1.CatalogueService/GetSite")
    first = await middleware.intercept_service(continuation, details)
    assert first is not servicer_handler and first.unary_unary is not get_site
    assert await middleware.intercept_service(continuation, details) is first
    servicer_handler = grpc.unary_unary_rpc_method_handler(get_site)
    assert await middleware.intercept_service(continuation, details) is not first
