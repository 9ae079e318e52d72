"""The cases routes (办件): applicants apply and follow their cases, staff work their queues,
supervisors watch the clock, anyone follows a case by its number and password or verifies a
notice's QR code. Every route is one call to the cases service, which checks who may do what.

This module holds applying (drafts, materials, submitting, withdrawing, my cases) and puts the
routers together; following a case is in case_following.py, staff handling and supervision in
case_handling.py, their shapes in cases_model.py and the HTTP side in cases_http.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import Response

from govhall.gateway import cases_model as views
from govhall.gateway import model
from govhall.gateway.auth import SignedIn
from govhall.gateway.case_following import following_routes
from govhall.gateway.case_handling import handling_routes
from govhall.gateway.cases_http import CodePath, IdempotencyKey, IfMatch, capped_body_route, read_upload
from govhall.gateway.cases_model import (
    DraftIn,
    DraftUpdate,
    MaterialSourceIn,
    NoteIn,
    ReasonIn,
    SubmitIn,
    TabName,
    answers,
    delivery_message,
    expected_revision,
    form_json,
)
from govhall.gateway.params import IdPath, PageNo, PageSize
from govhall.gateway.upstreams import Upstreams
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.common.v1 import common_pb2


def cases_routes(up: Callable[[], Upstreams], max_upload_bytes: int) -> APIRouter:
    router = APIRouter()

    # The applicant ------------------------------------------------------------------------

    @router.post(
        "/api/v1/cases",
        status_code=201,
        tags=["cases"],
        summary="Start an application (待提交): a draft of a published matter",
        operation_id="createDraft",
        responses={422: {"description": "the idempotency key was used for another request"}},
    )
    async def create_draft(
        body: DraftIn, caller: SignedIn, idempotency_key: IdempotencyKey = None
    ) -> views.CaseOut:
        request = pb.CreateDraftRequest(
            site_code=body.site_code,
            matter_code=body.matter_code,
            situation_answers=answers(body.situation_answers),
            form_json=form_json(body.form),
            delivery=delivery_message(body.delivery),
            idempotency_key=idempotency_key or body.idempotency_key,
        )
        return views.case_out(await up().cases.call(lambda s: s.CreateDraft, request, caller))

    @router.patch(
        "/api/v1/cases/{case_id}", tags=["cases"], summary="Change a draft", operation_id="updateDraft"
    )
    async def update_draft(
        case_id: IdPath, body: DraftUpdate, caller: SignedIn, if_match: IfMatch = None
    ) -> views.CaseOut:
        request = pb.UpdateDraftRequest(
            case_id=case_id, expected_revision=expected_revision(if_match, body.expected_revision)
        )
        if body.situation_answers is not None:
            request.set_situation_answers = True
            request.situation_answers.extend(answers(body.situation_answers))
        if body.form is not None:
            request.set_form, request.form_json = True, form_json(body.form)
        delivery = delivery_message(body.delivery)
        if delivery is not None:
            request.set_delivery = True
            request.delivery.CopyFrom(delivery)
        return views.case_out(await up().cases.call(lambda s: s.UpdateDraft, request, caller))

    @router.delete(
        "/api/v1/cases/{case_id}",
        status_code=204,
        tags=["cases"],
        summary="Delete a draft",
        operation_id="deleteDraft",
    )
    async def delete_draft(case_id: IdPath, caller: SignedIn) -> Response:
        await up().cases.call(lambda s: s.DeleteDraft, pb.DeleteDraftRequest(case_id=case_id), caller)
        return Response(status_code=204)

    uploads = APIRouter(route_class=capped_body_route(max_upload_bytes))

    @uploads.post(
        "/api/v1/cases/{case_id}/materials/{code}",
        tags=["cases"],
        summary="Attach a file to a material (checked by content: PDF, JPG, PNG or OFD as the matter allows)",
        operation_id="uploadMaterial",
        responses={413: {"description": "the body is larger than the upload limit (FILE_TOO_LARGE)"}},
    )
    async def upload(
        case_id: IdPath, code: CodePath, caller: SignedIn, file: Annotated[UploadFile, File()]
    ) -> views.CaseOut:
        file_name, content = await read_upload(file, max_upload_bytes)
        request = pb.UploadMaterialRequest(
            case_id=case_id, material_code=code, file_name=file_name, content=content
        )
        return views.case_out(await up().cases.call(lambda s: s.UploadMaterial, request, caller))

    router.include_router(uploads)

    @router.post(
        "/api/v1/cases/{case_id}/materials/{code}/from",
        tags=["cases"],
        summary="Attach a file I already have (云盘选择 from my cloud drive, or 历史材料引用 from an "
        "earlier case of mine), by its hash; checked as an upload is",
        operation_id="attachMaterialFrom",
        responses={404: {"description": "no such file of mine (MATERIAL_SOURCE_NOT_FOUND)"}},
    )
    async def attach_from(
        case_id: IdPath, code: CodePath, body: MaterialSourceIn, caller: SignedIn
    ) -> views.CaseOut:
        request = body.message(case_id, code)
        return views.case_out(await up().cases.call(lambda s: s.AttachMaterialFrom, request, caller))

    @router.delete(
        "/api/v1/cases/{case_id}/materials/{code}/files/{file_id}",
        tags=["cases"],
        summary="Remove a file from a material",
        operation_id="removeMaterialFile",
    )
    async def remove_file(
        case_id: IdPath, code: CodePath, file_id: IdPath, caller: SignedIn
    ) -> views.CaseOut:
        request = pb.RemoveMaterialRequest(case_id=case_id, material_code=code, file_id=file_id)
        return views.case_out(await up().cases.call(lambda s: s.RemoveMaterial, request, caller))

    @router.post(
        "/api/v1/cases/{case_id}/submit",
        tags=["cases"],
        summary="Submit (提交): the answer carries the application number (申报号) and the query "
        "password; a retry with the same key answers with a new password, another case with it is 422",
        responses={422: {"description": "the idempotency key was used for another request"}},
        operation_id="submitCase",
    )
    async def submit(
        case_id: IdPath, body: SubmitIn, caller: SignedIn, idempotency_key: IdempotencyKey = None
    ) -> views.CaseOut:
        request = pb.SubmitCaseRequest(
            case_id=case_id,
            notice_read=body.notice_read,
            idempotency_key=idempotency_key or body.idempotency_key,
        )
        return views.case_out(await up().cases.call(lambda s: s.SubmitCase, request, caller))

    @router.post(
        "/api/v1/cases/{case_id}/query-password",
        tags=["cases"],
        summary="A new query password for a submitted case (the old one stops working); shown once",
        operation_id="resetCaseQueryPassword",
    )
    async def reset_query_password(case_id: IdPath, caller: SignedIn) -> views.CaseOut:
        request = pb.ResetQueryPasswordRequest(case_id=case_id)
        return views.case_out(await up().cases.call(lambda s: s.ResetQueryPassword, request, caller))

    @router.post(
        "/api/v1/cases/{case_id}/resubmit",
        tags=["cases"],
        summary="Resubmit after a supplement notice (补正提交)",
        operation_id="resubmitCase",
    )
    async def resubmit(case_id: IdPath, body: NoteIn, caller: SignedIn) -> views.CaseOut:
        return views.case_out(
            await up().cases.call(
                lambda s: s.ResubmitCase, pb.ResubmitCaseRequest(case_id=case_id, note=body.note), caller
            )
        )

    @router.post(
        "/api/v1/cases/{case_id}/withdraw",
        tags=["cases"],
        summary="Withdraw before acceptance (撤回)",
        operation_id="withdrawCase",
    )
    async def withdraw(case_id: IdPath, body: ReasonIn, caller: SignedIn) -> views.CaseOut:
        request = pb.WithdrawCaseRequest(case_id=case_id, reason=body.reason)
        return views.case_out(await up().cases.call(lambda s: s.WithdrawCase, request, caller))

    @router.get(
        "/api/v1/me/cases",
        tags=["cases"],
        summary="My cases by tab: 待提交, 待补正, 审批中, 待评价, 已办结, 其他",
        operation_id="listMyCases",
    )
    async def my_cases(
        caller: SignedIn, tab: TabName | None = None, page: PageNo = 1, page_size: PageSize = 20
    ) -> views.MyCasesOut:
        request = pb.ListMyCasesRequest(
            tab=model.enum_number(pb.ApplicantTab, tab),  # type: ignore[arg-type]
            page=common_pb2.PageRequest(page=page, page_size=page_size),
        )
        reply = await up().cases.call(lambda s: s.ListMyCases, request, caller)
        return views.my_cases_out(reply)

    router.include_router(following_routes(up))
    router.include_router(handling_routes(up))
    return router


__all__ = ["cases_routes"]
