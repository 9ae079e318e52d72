"""Following a case (办件): the applicant reads it and downloads its files and notices; anyone
follows it by its number and query password, or verifies a notice from its QR code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from govhall.gateway import cases_model as views
from govhall.gateway import openapi
from govhall.gateway.auth import Caller, SignedIn
from govhall.gateway.cases_http import file_response
from govhall.gateway.cases_model import (
    StatusQueryIn,
)
from govhall.gateway.params import IdPath
from govhall.gateway.protojson import out
from govhall.gateway.upstreams import Upstreams
from govhall.protos.cases.v1 import cases_pb2 as pb


def following_routes(up: Callable[[], Upstreams]) -> APIRouter:
    router = APIRouter()

    @router.get(
        "/api/v1/cases/{case_id}",
        tags=["cases"],
        summary="A case: basic information, materials, the flow, the notices",
        operation_id="getCase",
    )
    async def get_case(case_id: IdPath, caller: SignedIn, response: Response) -> views.CaseOut:
        case = await up().cases.call(lambda s: s.GetCase, pb.GetCaseRequest(case_id=case_id), caller)
        response.headers["ETag"] = f'"{case.revision}"'  # for If-Match on the next change
        response.headers["Cache-Control"] = "private, no-store"
        return views.case_out(case)

    @router.get(
        "/api/v1/cases/{case_id}/files/{file_id}",
        tags=["cases"],
        summary="Download an attached file",
        operation_id="getCaseFile",
        response_class=Response,
        responses=openapi.content(
            "application/pdf",
            "image/jpeg",
            "image/png",
            "application/ofd",
            description="The file as uploaded",
        ),
    )
    async def get_file(case_id: IdPath, file_id: IdPath, caller: SignedIn) -> Response:
        return file_response(
            await up().cases.call(
                lambda s: s.GetMaterialFile,
                pb.GetMaterialFileRequest(case_id=case_id, file_id=file_id),
                caller,
            )
        )

    @router.get(
        "/api/v1/cases/{case_id}/documents/{document_id}",
        tags=["cases"],
        summary="Download a notice (PDF)",
        operation_id="getCaseDocument",
        response_class=Response,
        responses=openapi.content("application/pdf", description="The notice"),
    )
    async def get_document(case_id: IdPath, document_id: IdPath, caller: SignedIn) -> Response:
        request = pb.GetDocumentRequest(case_id=case_id, document_id=document_id)
        return file_response(await up().cases.call(lambda s: s.GetDocument, request, caller))

    @router.post(
        "/api/v1/cases/status-query",
        tags=["cases"],
        summary="Follow a case by its case or application number and query password (办件查询), "
        "without signing in",
        operation_id="queryCaseStatus",
    )
    async def status_query(body: StatusQueryIn, caller: Caller, request_: Request) -> views.PublicStatusOut:
        # Wrong passwords lock the query per case and client address.
        request = pb.QueryStatusRequest(
            case_number=body.case_number,
            query_password=body.query_password,
            client_ip=request_.client.host if request_.client else "",
        )
        return out(views.PublicStatusOut, await up().cases.call(lambda s: s.QueryStatus, request, caller))

    @router.get(
        "/api/v1/cases/documents/{document_id}/verify",
        tags=["cases"],
        summary="Verify a notice from its QR code (文书核验)",
        operation_id="verifyCaseDocument",
    )
    async def verify(
        document_id: IdPath, caller: Caller, code: Annotated[str, Query(max_length=16)]
    ) -> views.VerificationOut:
        request = pb.VerifyDocumentRequest(document_id=document_id, verification_code=code)
        return out(views.VerificationOut, await up().cases.call(lambda s: s.VerifyDocument, request, caller))

    return router
