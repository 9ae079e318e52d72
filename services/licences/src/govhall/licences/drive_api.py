"""The cloud drive's gRPC servicer: each RPC hands its request to drive.py or drive_edit.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from govhall.kit.service import ServiceContext
from govhall.licences import drive_edit
from govhall.licences.drive import Drive
from govhall.licences.settings import LicencesSettings
from govhall.protos.licences.v1 import drive_pb2 as pb
from govhall.protos.licences.v1 import drive_pb2_grpc


class DriveService(drive_pb2_grpc.DriveServiceServicer):
    def __init__(self, drive: Drive) -> None:
        self._drive = drive

    async def ListDrive(self, request: pb.ListDriveRequest, context: Any) -> pb.ListDriveResponse:
        return await self._drive.listing(request)

    async def CreateDriveFolder(self, request: pb.CreateDriveFolderRequest, context: Any) -> pb.DriveItem:
        return await self._drive.create_folder(request)

    async def UploadDriveFile(
        self, request_iterator: AsyncIterator[pb.UploadDriveFileRequest], context: Any
    ) -> pb.DriveItem:
        return await self._drive.upload(request_iterator)

    async def DownloadDriveFile(
        self, request: pb.DownloadDriveFileRequest, context: Any
    ) -> AsyncIterator[pb.DownloadDriveFileResponse]:
        async for part in self._drive.download(request):
            yield part

    async def UpdateDriveItem(self, request: pb.UpdateDriveItemRequest, context: Any) -> pb.DriveItem:
        return await drive_edit.update(self._drive, request)

    async def DeleteDriveItem(
        self, request: pb.DeleteDriveItemRequest, context: Any
    ) -> pb.DeleteDriveItemResponse:
        return await drive_edit.delete(self._drive, request)

    async def GetDriveFile(self, request: pb.GetDriveFileRequest, context: Any) -> pb.DriveItem:
        return await self._drive.get_file(request)


def start_sweep(ctx: ServiceContext[LicencesSettings], drive: Drive) -> None:
    """Unreferenced blobs and stale temporary files on a timer (off at 0: tests sweep themselves)."""
    settings = ctx.settings
    if not settings.blob_sweep_interval_seconds:
        return
    sweeping = asyncio.create_task(
        drive_edit.sweep_forever(drive, settings.blob_sweep_interval_seconds, settings.blob_grace_seconds),
        name="licences-blob-sweep",
    )

    async def stop() -> None:
        sweeping.cancel()

    ctx.closers.append(stop)
