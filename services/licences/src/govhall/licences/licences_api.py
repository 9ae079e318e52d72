"""LicencesService: the holder's 证照库 (holder.py reads, own.py keeps level C)."""

from __future__ import annotations

from typing import Any

from govhall.licences.holder import HolderLicences
from govhall.licences.own import OwnLicences
from govhall.protos.licences.v1 import licences_pb2 as pb
from govhall.protos.licences.v1 import licences_pb2_grpc


class LicencesService(licences_pb2_grpc.LicencesServiceServicer):
    def __init__(self, reads: HolderLicences, own: OwnLicences) -> None:
        self._reads = reads
        self._own = own

    async def ListMyLicences(
        self, request: pb.ListMyLicencesRequest, context: Any
    ) -> pb.ListMyLicencesResponse:
        return await self._reads.listing(request)

    async def GetMyLicence(self, request: pb.GetMyLicenceRequest, context: Any) -> pb.Licence:
        return await self._reads.get(request)

    async def GetMyLicenceFile(self, request: pb.GetMyLicenceRequest, context: Any) -> pb.LicenceFile:
        return await self._reads.file(request)

    async def CreateMyLicence(self, request: pb.CreateMyLicenceRequest, context: Any) -> pb.Licence:
        return await self._own.create(request)

    async def UpdateMyLicence(self, request: pb.UpdateMyLicenceRequest, context: Any) -> pb.Licence:
        return await self._own.update(request)

    async def DeleteMyLicence(
        self, request: pb.DeleteMyLicenceRequest, context: Any
    ) -> pb.DeleteMyLicenceResponse:
        return await self._own.delete(request)
