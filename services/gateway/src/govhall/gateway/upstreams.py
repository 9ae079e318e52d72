"""The gRPC stubs the gateway calls, with its deadlines; every call carries the caller in an
assertion the gateway signs for that one service (govhall.kit.trust)."""

from collections.abc import Awaitable
from typing import Any, TypeVar

import grpc
from google.protobuf.json_format import MessageToDict
from grpc_health.v1 import health_pb2, health_pb2_grpc

from govhall.gateway.settings import GatewaySettings
from govhall.kit.caller import ANONYMOUS
from govhall.kit.grpcclient import call_options, channel, domain_error
from govhall.kit.trust import Signer
from govhall.protos.cases.v1 import cases_pb2_grpc
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2, identity_pb2_grpc
from govhall.protos.search.v1 import search_pb2_grpc

T = TypeVar("T")


class Upstreams:
    """gRPC stubs for the services the gateway talks to."""

    def __init__(self, settings: GatewaySettings, signer: Signer) -> None:
        self.timeout = settings.rpc_timeout_seconds
        addresses = {
            "catalogue": settings.catalogue_address,
            "search": settings.search_address,
            "identity": settings.identity_address,
            "cases": settings.cases_address,
        }
        self._channels = {
            name: channel(address, signer=signer, audience=name) for name, address in addresses.items()
        }
        self.catalogue = catalogue_pb2_grpc.CatalogueServiceStub(self._channels["catalogue"])
        self.search = search_pb2_grpc.SearchServiceStub(self._channels["search"])
        self.identity = identity_pb2_grpc.IdentityServiceStub(self._channels["identity"])
        self.cases = cases_pb2_grpc.CasesServiceStub(self._channels["cases"])

    async def call(self, rpc: Awaitable[T]) -> T:
        try:
            return await rpc
        except grpc.aio.AioRpcError as err:
            raise domain_error(err) from None

    def opts(self, caller: common_pb2.CallerIdentity = ANONYMOUS) -> dict[str, Any]:
        return call_options(caller, self.timeout)

    async def jwks(self) -> dict[str, Any]:
        """Identity's public keys as a JWKS document (RFC 7517)."""
        reply = await self.call(self.identity.GetJwks(identity_pb2.GetJwksRequest(), **self.opts()))
        return MessageToDict(reply, preserving_proto_field_name=True)

    async def ready(self) -> dict[str, bool]:
        out = {}
        for name, ch in self._channels.items():
            try:
                reply = await health_pb2_grpc.HealthStub(ch).Check(
                    health_pb2.HealthCheckRequest(), timeout=1.0
                )
                out[name] = reply.status == health_pb2.HealthCheckResponse.SERVING
            except grpc.aio.AioRpcError:
                out[name] = False
        return out

    async def close(self) -> None:
        for ch in self._channels.values():
            await ch.close()
