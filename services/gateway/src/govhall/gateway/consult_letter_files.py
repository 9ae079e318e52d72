"""Letter attachments' REST routes: the writer uploads a file (multipart, one at a time, capped
at the size of a file before it is parsed, as cases' material uploads are), the writer and the
letter's staff download one; an anonymous writer does both with the letter number and query
password (in the body: a password never goes into a URL). Consult checks the file and decides
who may."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from govhall.gateway import consult_letters_model as m
from govhall.gateway import openapi
from govhall.gateway.auth import Caller, SignedIn
from govhall.gateway.cases_http import capped_body_route, file_response, read_upload
from govhall.gateway.consult_letters import TAGS, IdPath
from govhall.gateway.identity_model import client_ip
from govhall.gateway.upstreams import Upstreams
from govhall.protos.common.v1 import common_pb2
from govhall.protos.consult.v1 import letters_pb2 as pb

FILE = openapi.content("application/pdf", "image/jpeg", "image/png", description="The file as checked")
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {"description": "the body is larger than the attachment limit (FILE_TOO_LARGE)"}
}


def letter_file_routes(up: Callable[[], Upstreams], max_bytes: int) -> APIRouter:
    router = APIRouter()
    uploads = APIRouter(route_class=capped_body_route(max_bytes))

    async def call(method: str, request: Any, caller: common_pb2.CallerIdentity) -> Any:
        return await up().consult.call(lambda s: getattr(s.letters, method), request, caller)

    @uploads.post(
        "/api/v1/consultations/{letter_id}/attachments",
        tags=TAGS,
        summary="Attach a file to my letter or my follow-up awaiting an answer (at most three each; "
        "checked by content: PDF, JPG or PNG)",
        operation_id="attachLetterFile",
        responses=TOO_LARGE,
    )
    async def attach(letter_id: IdPath, caller: SignedIn, file: Annotated[UploadFile, File()]) -> m.LetterOut:
        name, content = await read_upload(file, max_bytes)
        request = pb.AttachLetterFileRequest(letter_id=letter_id, file_name=name, content=content)
        return m.letter_out(await call("AttachLetterFile", request, caller))

    @uploads.post(
        "/api/v1/letters/query/attachments",
        tags=TAGS,
        summary="Attach a file to an anonymous letter by its number and query password",
        operation_id="attachQueriedLetterFile",
        responses=TOO_LARGE,
    )
    async def attach_by_password(
        caller: Caller,
        request_: Request,
        letter_number: Annotated[str, Form(max_length=32)],
        query_password: Annotated[str, Form(max_length=32)],
        file: Annotated[UploadFile, File()],
    ) -> m.LetterOut:
        name, content = await read_upload(file, max_bytes)
        request = pb.AttachLetterFileRequest(
            letter_number=letter_number,
            query_password=query_password,
            client_ip=client_ip(request_),
            file_name=name,
            content=content,
        )
        return m.letter_out(await call("AttachLetterFile", request, caller))

    router.include_router(uploads)

    @router.get(
        "/api/v1/consultations/{letter_id}/attachments/{attachment_id}",
        tags=TAGS,
        summary="Download a letter's attachment (its writer, its department's staff, supervisors above)",
        operation_id="getLetterAttachment",
        response_class=Response,
        responses=FILE,
    )
    async def download(letter_id: IdPath, attachment_id: IdPath, caller: SignedIn) -> Response:
        request = pb.GetLetterAttachmentRequest(letter_id=letter_id, attachment_id=attachment_id)
        return file_response(await call("GetLetterAttachment", request, caller))

    @router.post(
        "/api/v1/letters/query/attachments/{attachment_id}",
        tags=TAGS,
        summary="Download an anonymous letter's attachment by its number and query password",
        operation_id="getQueriedLetterAttachment",
        response_class=Response,
        responses=FILE,
    )
    async def download_by_password(
        attachment_id: IdPath, body: m.QueryIn, caller: Caller, request_: Request
    ) -> Response:
        request = pb.GetLetterAttachmentRequest(
            attachment_id=attachment_id,
            letter_number=body.letter_number,
            query_password=body.query_password,
            client_ip=client_ip(request_),
        )
        return file_response(await call("GetLetterAttachment", request, caller))

    return router
