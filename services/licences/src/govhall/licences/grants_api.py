"""LicenceGrantsService: 用证授权 (grants.py)."""

from __future__ import annotations

from typing import Any

from govhall.licences.grants import Grants
from govhall.protos.licences.v1 import grants_pb2 as pb
from govhall.protos.licences.v1 import grants_pb2_grpc, licences_pb2


class LicenceGrantsService(grants_pb2_grpc.LicenceGrantsServiceServicer):
    def __init__(self, grants: Grants) -> None:
        self._grants = grants

    async def CreateGrant(self, request: pb.CreateGrantRequest, context: Any) -> pb.Grant:
        return await self._grants.create(request)

    async def ListGrants(self, request: pb.ListGrantsRequest, context: Any) -> pb.ListGrantsResponse:
        return await self._grants.listing(request)

    async def RevokeGrant(self, request: pb.RevokeGrantRequest, context: Any) -> pb.Grant:
        return await self._grants.revoke(request)

    async def ListAccesses(self, request: pb.ListAccessesRequest, context: Any) -> pb.ListAccessesResponse:
        return await self._grants.accesses(request)

    async def GetGrantedLicence(
        self, request: pb.GetGrantedLicenceRequest, context: Any
    ) -> licences_pb2.Licence:
        return await self._grants.read(request)

    async def GetGrantedLicenceFile(
        self, request: pb.GetGrantedLicenceRequest, context: Any
    ) -> licences_pb2.LicenceFile:
        return await self._grants.file(request)
