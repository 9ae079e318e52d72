"""The holder's 证照库 routes: my licences of every level (list, one, its file), and level C
kept by me (upload multipart, edit, delete). Licences decides every object from the caller."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from govhall.gateway import licences_mine_model as m
from govhall.gateway import openapi
from govhall.gateway.auth import SignedIn
from govhall.gateway.cases_http import capped_body_route, file_response, read_upload
from govhall.gateway.params import IdPath, PageNo, PageSize
from govhall.gateway.upstreams import Upstreams
from govhall.protos.common.v1 import common_pb2
from govhall.protos.licences.v1 import licences_pb2 as pb

TAGS: list[str | Any] = ["licences"]
# The gateway's guard on a level-C scan before parsing the body: licences' own default limit
# (GOVHALL_LICENCES_MAX_UPLOAD_BYTES); licences checks the file itself.
LICENCE_UPLOAD_MAX = 10 * 1024 * 1024
FILE = openapi.content("application/pdf", "image/jpeg", "image/png", description="The licence's file")
Level = Annotated[str, Query(pattern=r"^[ABC]$", description="only this level")]
TypeCode = Annotated[str, Query(pattern=r"^[0-9A-Z]{1,40}$", description="only this licence type")]


def licences_mine_routes(up: Callable[[], Upstreams], max_bytes: int) -> APIRouter:
    router = APIRouter()
    uploads = APIRouter(route_class=capped_body_route(max_bytes))

    async def call(method: str, request: Any, caller: common_pb2.CallerIdentity) -> Any:
        return await up().licences.call(lambda s: getattr(s.licences, method), request, caller)

    @router.get(
        "/api/v1/me/licences",
        tags=TAGS,
        summary="My licences (证照库), levels A, B and C",
        operation_id="listMyLicences",
    )
    async def listing(
        caller: SignedIn,
        page: PageNo = 1,
        page_size: PageSize = 20,
        level: Level = "",
        type_code: TypeCode = "",
    ) -> m.LicencesOut:
        request = pb.ListMyLicencesRequest(
            page=common_pb2.PageRequest(page=page, page_size=page_size), level=level, type_code=type_code
        )
        return m.licences_out(await call("ListMyLicences", request, caller))

    @router.get(
        "/api/v1/me/licences/{licence_id}",
        tags=TAGS,
        summary="One of my licences",
        operation_id="getMyLicence",
    )
    async def one(licence_id: IdPath, caller: SignedIn) -> m.LicenceOut:
        return m.licence_out(await call("GetMyLicence", pb.GetMyLicenceRequest(id=licence_id), caller))

    @router.get(
        "/api/v1/me/licences/{licence_id}/file",
        tags=TAGS,
        summary="My licence's file (the PDF of an issued licence, or my own scan)",
        operation_id="getMyLicenceFile",
        response_class=Response,
        responses=FILE,
    )
    async def file(licence_id: IdPath, caller: SignedIn) -> Response:
        return file_response(await call("GetMyLicenceFile", pb.GetMyLicenceRequest(id=licence_id), caller))

    @uploads.post(
        "/api/v1/me/licences",
        tags=TAGS,
        summary="Keep one of my own licences (level C): a scan or photo (PDF, JPG or PNG, checked by content) "
        "with the type's fields; metadata is a JSON object",
        operation_id="createMyLicence",
        status_code=201,
        responses={413: {"description": "the body is larger than the upload limit (FILE_TOO_LARGE)"}},
    )
    async def create(
        caller: SignedIn,
        type_code: Annotated[str, Form(max_length=40)],
        number: Annotated[str, Form(max_length=200)],
        issued_on: Annotated[str, Form(max_length=10)],
        file: Annotated[UploadFile, File()],
        valid_until: Annotated[str, Form(max_length=10)] = "",
        issuer_name: Annotated[str, Form(max_length=200)] = "",
        metadata: Annotated[str, Form(max_length=20_000)] = "",
    ) -> m.LicenceOut:
        file_name, content = await read_upload(file, max_bytes)
        request = pb.CreateMyLicenceRequest(
            type_code=type_code,
            number=number,
            issued_on=issued_on,
            valid_until=valid_until,
            issuer_name=issuer_name,
            metadata=m.metadata_field(metadata),
            file_name=file_name,
            content=content,
        )
        return m.licence_out(await call("CreateMyLicence", request, caller))

    router.include_router(uploads)

    @router.patch(
        "/api/v1/me/licences/{licence_id}",
        tags=TAGS,
        summary="Edit one of my own licences (level C only; 409 if it changed since revision)",
        operation_id="updateMyLicence",
    )
    async def update(licence_id: IdPath, body: m.LicenceEditIn, caller: SignedIn) -> m.LicenceOut:
        return m.licence_out(await call("UpdateMyLicence", body.request(licence_id), caller))

    @router.delete(
        "/api/v1/me/licences/{licence_id}",
        tags=TAGS,
        summary="Delete one of my own licences (level C only; 409 while it is granted to a case: revoke "
        "the grant first; its dead grants and their access records go with it)",
        operation_id="deleteMyLicence",
        status_code=204,
        response_class=Response,
    )
    async def delete(
        licence_id: IdPath, caller: SignedIn, revision: Annotated[int, Query(ge=1, le=2**31 - 1)]
    ) -> Response:
        await call("DeleteMyLicence", pb.DeleteMyLicenceRequest(id=licence_id, revision=revision), caller)
        return Response(status_code=204)

    return router


__all__ = ["licences_mine_routes"]
