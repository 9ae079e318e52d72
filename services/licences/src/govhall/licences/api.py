"""Licences' gRPC servicers: each RPC hands its request to the module that owns it."""

from __future__ import annotations

from typing import Any

from govhall.licences.types import LicenceTypes
from govhall.protos.licences.v1 import types_pb2 as pb
from govhall.protos.licences.v1 import types_pb2_grpc


class LicenceTypesService(types_pb2_grpc.LicenceTypesServiceServicer):
    def __init__(self, types: LicenceTypes) -> None:
        self._types = types

    async def ListLicenceTypes(
        self, request: pb.ListLicenceTypesRequest, context: Any
    ) -> pb.ListLicenceTypesResponse:
        return await self._types.listing(request)

    async def GetLicenceType(self, request: pb.GetLicenceTypeRequest, context: Any) -> pb.LicenceType:
        return await self._types.get(request)
