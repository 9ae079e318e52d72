"""跨省通办 routes: window staff of the receiving site record a handover, scan its materials,
send it, take a supplement and deliver the result; the applicant follows their own by A's number.
Each route is one call to cases' CaseHandoversService, which checks who may do what."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response

from govhall.gateway import handovers_model as views
from govhall.gateway import model, openapi
from govhall.gateway.auth import SignedIn
from govhall.gateway.cases_http import CodePath, capped_body_route, file_response, file_too_large, read_upload
from govhall.gateway.handovers_model import DeliverIn, HandoverIn, HandoverStateName
from govhall.gateway.params import IdPath, PageNo, PageSize
from govhall.gateway.upstreams import Upstream, Upstreams
from govhall.protos.cases.v1 import handovers_pb2 as hpb
from govhall.protos.cases.v1 import handovers_pb2_grpc
from govhall.protos.common.v1 import common_pb2

FILE_TYPES = openapi.content(
    "application/pdf", "image/jpeg", "image/png", "application/ofd", description="The file"
)


def _stub(u: Upstream[object]) -> handovers_pb2_grpc.CaseHandoversServiceStub:
    """CaseHandoversService on cases' channel (cases serves it beside CasesService)."""
    return handovers_pb2_grpc.CaseHandoversServiceStub(u.channel)


def handovers_routes(up: Callable[[], Upstreams], max_upload_bytes: int) -> APIRouter:
    router = APIRouter()

    async def call(method: str, request: object, caller: common_pb2.CallerIdentity) -> object:
        cases = up().cases
        return await cases.call(lambda _: getattr(_stub(cases), method), request, caller)

    @router.post(
        "/api/v1/staff/handovers",
        status_code=201,
        tags=["handovers"],
        summary="Record a cross-province handover (异地代收) at my window",
        operation_id="createHandover",
    )
    async def create(body: HandoverIn, caller: SignedIn) -> views.HandoverOut:
        return views.handover_out(await call("CreateHandover", body.request(), caller))  # type: ignore[arg-type]

    uploads = APIRouter(route_class=capped_body_route(max_upload_bytes))

    @uploads.post(
        "/api/v1/staff/handovers/{handover_id}/materials/{code}",
        tags=["handovers"],
        summary="Add a scanned material (checked by content as a case material is)",
        operation_id="addHandoverMaterial",
        responses={413: {"description": "the body is larger than the upload limit (FILE_TOO_LARGE)"}},
    )
    async def add_material(
        handover_id: IdPath,
        code: CodePath,
        caller: SignedIn,
        file: Annotated[UploadFile, File()],
        name: Annotated[str, Form(max_length=200)] = "",
    ) -> views.HandoverOut:
        file_name, content = await read_upload(file, max_upload_bytes)
        request = hpb.AddHandoverMaterialRequest(
            handover_id=handover_id,
            material_code=code,
            name=name,
            file_name=file_name,
            content=content,
        )
        return views.handover_out(await call("AddHandoverMaterial", request, caller))  # type: ignore[arg-type]

    @uploads.post(
        "/api/v1/staff/handovers/{handover_id}/supplement",
        tags=["handovers"],
        summary="Send the supplemented materials (补正) the home province asked for",
        operation_id="supplementHandover",
        responses={413: {"description": "the body is larger than the upload limit (FILE_TOO_LARGE)"}},
    )
    async def supplement(
        handover_id: IdPath,
        caller: SignedIn,
        files: Annotated[list[UploadFile], File()],
        material_code: Annotated[str, Form(min_length=1, max_length=40)],
        note: Annotated[str, Form(max_length=500)] = "",
    ) -> views.HandoverOut:
        request = hpb.SupplementHandoverRequest(handover_id=handover_id, note=note)
        left = max_upload_bytes
        for f in files[:10]:
            content = await f.read(left + 1)
            if len(content) > left:
                raise file_too_large(max_upload_bytes)
            left -= len(content)
            request.materials.append(
                hpb.AddHandoverMaterialRequest(
                    material_code=material_code, file_name=(f.filename or "")[:255], content=content
                )
            )
        return views.handover_out(await call("SupplementHandover", request, caller))  # type: ignore[arg-type]

    router.include_router(uploads)

    @router.post(
        "/api/v1/staff/handovers/{handover_id}/send",
        tags=["handovers"],
        summary="Send the handover to the home province (retried until receipted)",
        operation_id="sendHandover",
    )
    async def send(handover_id: IdPath, caller: SignedIn) -> views.HandoverOut:
        reply = await call("SendHandover", hpb.HandoverRef(handover_id=handover_id), caller)
        return views.handover_out(reply)  # type: ignore[arg-type]

    @router.post(
        "/api/v1/staff/handovers/{handover_id}/deliver",
        tags=["handovers"],
        summary="Hand the returned result to the applicant (post, pick-up or electronic)",
        operation_id="deliverHandoverResult",
    )
    async def deliver(handover_id: IdPath, body: DeliverIn, caller: SignedIn) -> views.HandoverOut:
        request = hpb.DeliverHandoverResultRequest(
            handover_id=handover_id, delivered_by=body.delivered_by, note=body.note
        )
        return views.handover_out(await call("DeliverHandoverResult", request, caller))  # type: ignore[arg-type]

    async def listing(
        caller: common_pb2.CallerIdentity, state: str | None, page: int, page_size: int
    ) -> views.HandoversOut:
        request = hpb.ListHandoversRequest(
            state=model.enum_number(hpb.HandoverState, state),  # type: ignore[arg-type]
            page=common_pb2.PageRequest(page=page, page_size=page_size),
        )
        return views.handovers_out(await call("ListHandovers", request, caller))  # type: ignore[arg-type]

    @router.get(
        "/api/v1/staff/handovers",
        tags=["handovers"],
        summary="My site's cross-province handovers",
        operation_id="listHandovers",
    )
    async def staff_list(
        caller: SignedIn, state: HandoverStateName | None = None, page: PageNo = 1, page_size: PageSize = 20
    ) -> views.HandoversOut:
        return await listing(caller, state, page, page_size)

    @router.get(
        "/api/v1/me/handovers",
        tags=["handovers"],
        summary="My cross-province applications, by the number given at the window",
        operation_id="listMyHandovers",
    )
    async def my_list(
        caller: SignedIn, state: HandoverStateName | None = None, page: PageNo = 1, page_size: PageSize = 20
    ) -> views.HandoversOut:
        return await listing(caller, state, page, page_size)

    for prefix, audience in (("/api/v1/staff/handovers", "Staff"), ("/api/v1/me/handovers", "My")):
        _reads(router, call, prefix, audience)
    return router


def _reads(router: APIRouter, call: Callable[..., object], prefix: str, audience: str) -> None:
    @router.get(
        prefix + "/{handover_id}",
        tags=["handovers"],
        summary="One handover, with the home province's steps and the result",
        operation_id=f"get{audience}Handover",
    )
    async def get(handover_id: IdPath, caller: SignedIn) -> views.HandoverOut:
        reply = await call("GetHandover", hpb.HandoverRef(handover_id=handover_id), caller)  # type: ignore[misc]
        return views.handover_out(reply)

    @router.get(
        prefix + "/{handover_id}/files/{file_id}",
        tags=["handovers"],
        summary="Download a material or a returned result file",
        operation_id=f"get{audience}HandoverFile",
        response_class=Response,
        responses=FILE_TYPES,
    )
    async def get_file(handover_id: IdPath, file_id: IdPath, caller: SignedIn) -> Response:
        request = hpb.GetHandoverFileRequest(handover_id=handover_id, file_id=file_id)
        return file_response(await call("GetHandoverFile", request, caller))  # type: ignore[misc]
