"""Verification's and the administrators' gRPC servicers: each RPC hands its request to the
module that owns it."""

from __future__ import annotations

from typing import Any

from govhall.licences.verification import Verification
from govhall.protos.licences.v1 import verification_pb2 as pb
from govhall.protos.licences.v1 import verification_pb2_grpc


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
