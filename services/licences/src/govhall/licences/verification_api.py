"""Verification's and the administrators' gRPC servicers: each RPC hands its request to the
module that owns it."""

from __future__ import annotations

from typing import Any

from govhall.licences.imports import Imports
from govhall.licences.types_admin import TypesAdmin
from govhall.licences.verification import Verification
from govhall.protos.licences.v1 import types_pb2, verification_pb2_grpc
from govhall.protos.licences.v1 import verification_pb2 as pb


class VerificationService(verification_pb2_grpc.VerificationServiceServicer):
    def __init__(self, verification: Verification) -> None:
        self._v = verification

    async def Verify(self, request: pb.VerifyRequest, context: Any) -> pb.VerifyResponse:
        return await self._v.verify(request)

    async def GetStatusList(self, request: pb.GetStatusListRequest, context: Any) -> pb.StatusList:
        return await self._v.status_list(request)

    async def RevokeLicence(self, request: pb.ChangeLicenceStatusRequest, context: Any) -> pb.LicenceStatus:
        return await self._v.change(request, "revoked")

    async def SuspendLicence(self, request: pb.ChangeLicenceStatusRequest, context: Any) -> pb.LicenceStatus:
        return await self._v.change(request, "suspended")

    async def ReinstateLicence(
        self, request: pb.ChangeLicenceStatusRequest, context: Any
    ) -> pb.LicenceStatus:
        return await self._v.change(request, "reinstated")


class LicenceAdminService(verification_pb2_grpc.LicenceAdminServiceServicer):
    def __init__(self, types: TypesAdmin, imports: Imports) -> None:
        self._types = types
        self._imports = imports

    async def SaveLicenceType(
        self, request: pb.SaveLicenceTypeRequest, context: Any
    ) -> types_pb2.LicenceType:
        return await self._types.save(request)

    async def LinkMatter(self, request: pb.LinkMatterRequest, context: Any) -> types_pb2.LicenceType:
        return await self._types.link(request, True)

    async def UnlinkMatter(self, request: pb.LinkMatterRequest, context: Any) -> types_pb2.LicenceType:
        return await self._types.link(request, False)

    async def ImportLicences(
        self, request: pb.ImportLicencesRequest, context: Any
    ) -> pb.ImportLicencesResponse:
        return await self._imports.load(request)
