"""The cloud drive's REST routes (政务云盘). An upload is read from the multipart body a chunk at a
time and streamed to licences (client-streaming gRPC), a download streamed back the same way, so
a drive file may be larger than one gRPC message; licences checks the content, the quota and
that every item is the caller's own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import StreamingResponse

from govhall.gateway import licences_drive_model as views
from govhall.gateway import openapi
from govhall.gateway.auth import SignedIn
from govhall.gateway.cases_http import capped_body_route, content_disposition
from govhall.gateway.params import IdPath, PageNo, PageSize
from govhall.gateway.upstreams import Upstreams
from govhall.protos.common.v1 import common_pb2
from govhall.protos.licences.v1 import drive_pb2 as pb

TAGS: list[str | Any] = ["drive"]
CHUNK = 1024 * 1024  # one gRPC message per MiB, well under the 16 MiB a message may carry
# A file moves in chunks but a large one still takes longer than an ordinary call's deadline.
TRANSFER_SECONDS = 300.0
FILE = openapi.content("application/pdf", "image/jpeg", "image/png", description="The file as checked")
FolderQuery = Annotated[
    str, Query(max_length=36, pattern=r"^([0-9A-Za-z-]{1,36})?$", description="folder id; empty: the root")
]


def drive_routes(up: Callable[[], Upstreams], max_file_bytes: int) -> APIRouter:
    router = APIRouter()
    uploads = APIRouter(route_class=capped_body_route(max_file_bytes))

    async def call(method: str, request: Any, caller: common_pb2.CallerIdentity) -> Any:
        return await up().licences.call(lambda s: getattr(s.drive, method), request, caller)

    @router.get(
        "/api/v1/me/drive",
        tags=TAGS,
        summary="My drive: a folder's items (folders first), its path from the root, and my usage",
        operation_id="listMyDrive",
        responses={404: {"description": "No folder of mine has this id (DRIVE_ITEM_NOT_FOUND)"}},
    )
    async def listing(
        caller: SignedIn,
        folder: FolderQuery = "",
        sort: Literal["name", "time", "size"] = "name",
        descending: bool = False,
        page: PageNo = 1,
        page_size: PageSize = 50,
    ) -> views.DriveListingOut:
        request = pb.ListDriveRequest(
            folder_id=folder,
            sort=sort,
            descending=descending,
            page=common_pb2.PageRequest(page=page, page_size=page_size),
        )
        return views.listing_out(await call("ListDrive", request, caller))

    @router.post(
        "/api/v1/me/drive/folders",
        tags=TAGS,
        summary="Create a folder (names are unique within a folder)",
        operation_id="createDriveFolder",
        status_code=201,
    )
    async def create_folder(body: views.FolderIn, caller: SignedIn) -> views.DriveItemOut:
        request = pb.CreateDriveFolderRequest(parent_id=body.parent_id, name=body.name)
        return views.item_out(await call("CreateDriveFolder", request, caller))

    @uploads.post(
        "/api/v1/me/drive/files",
        tags=TAGS,
        summary="Upload a file into a folder (checked by content: PDF, JPG, PNG or OFD; counted "
        "against my quota)",
        operation_id="uploadDriveFile",
        status_code=201,
        responses={413: {"description": "the body is larger than the drive's file limit (FILE_TOO_LARGE)"}},
    )
    async def upload(
        caller: SignedIn,
        file: Annotated[UploadFile, File()],
        folder: Annotated[str, Form(max_length=36, pattern=r"^([0-9A-Za-z-]{1,36})?$")] = "",
    ) -> views.DriveItemOut:
        async def parts() -> AsyncIterator[pb.UploadDriveFileRequest]:
            header = pb.UploadDriveFileHeader(parent_id=folder, file_name=(file.filename or "")[:255])
            yield pb.UploadDriveFileRequest(header=header)
            while chunk := await file.read(CHUNK):
                yield pb.UploadDriveFileRequest(chunk=chunk)

        licences = up().licences
        item = await licences.upload(
            lambda s: s.drive.UploadDriveFile, parts(), caller, seconds=TRANSFER_SECONDS
        )
        return views.item_out(item)

    router.include_router(uploads)

    @router.patch(
        "/api/v1/me/drive/items/{item_id}",
        tags=TAGS,
        summary="Rename and/or move a folder or file (never a folder into itself)",
        operation_id="updateDriveItem",
    )
    async def update(item_id: IdPath, body: views.ItemChangeIn, caller: SignedIn) -> views.DriveItemOut:
        return views.item_out(await call("UpdateDriveItem", body.message(item_id), caller))

    @router.delete(
        "/api/v1/me/drive/items/{item_id}",
        tags=TAGS,
        summary="Delete a file, or a folder with everything in it (the bytes return to my quota)",
        operation_id="deleteDriveItem",
    )
    async def delete(item_id: IdPath, caller: SignedIn) -> views.DeletedOut:
        request = pb.DeleteDriveItemRequest(id=item_id)
        return views.deleted_out(await call("DeleteDriveItem", request, caller))

    @router.get(
        "/api/v1/me/drive/files/{item_id}",
        tags=TAGS,
        summary="Download one of my drive files",
        operation_id="downloadDriveFile",
        response_class=StreamingResponse,
        responses=FILE,
    )
    async def download(item_id: IdPath, caller: SignedIn) -> StreamingResponse:
        licences = up().licences
        stream = licences.stream(
            lambda s: s.drive.DownloadDriveFile,
            pb.DownloadDriveFileRequest(id=item_id),
            caller,
            timeout=TRANSFER_SECONDS,
        )
        # The first message describes the file (or carries the error, as a problem): read before
        # the response starts, so a refusal is a 404 and not a broken 200.
        first = await licences.guard(stream.read())
        item = first.item

        async def body() -> AsyncIterator[bytes]:
            async for part in stream:
                yield part.chunk

        return StreamingResponse(
            body(),
            media_type=item.media_type or "application/octet-stream",
            headers={
                "Content-Disposition": content_disposition(item.name or "download"),
                "Content-Length": str(item.size),
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return router
