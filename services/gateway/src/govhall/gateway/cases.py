"""The cases routes (办件): applicants apply and follow their cases, staff work their queues,
supervisors watch the clock, anyone follows a case by its number and password or verifies a
notice's QR code. Every route is one call to the cases service, which checks who may do what."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, File, Header, Path, Query, Request, UploadFile
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import Field
from starlette.types import Message

from govhall.gateway import bounds, model, openapi, problems
from govhall.gateway.auth import Caller, SignedIn
from govhall.gateway.protojson import from_dict, to_dict
from govhall.gateway.upstreams import Upstreams
from govhall.kit.errors import DomainError, ErrorKind, FieldError, invalid, invalid_fields
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.common.v1 import common_pb2

IdPath = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{1,64}$")]
# A material's code as the matter's guide names it (the catalogue does not restrict its spelling).
CodePath = Annotated[str, Path(min_length=1, max_length=200)]
PageNo = Annotated[int, Query(ge=1, le=10_000)]
PageSize = Annotated[int, Query(ge=1, le=100)]
Day = Annotated[
    str | None, Query(pattern=bounds.DAY_PATTERN, description="YYYY-MM-DD, inclusive"), bounds.DayText
]
FromDay = Annotated[
    str | None,
    Query(alias="from", pattern=bounds.DAY_PATTERN, description="YYYY-MM-DD, inclusive"),
    bounds.DayText,
]
IdempotencyKey = Annotated[
    str | None, Header(max_length=64, description="a retry with the same key does it once")
]
IfMatch = Annotated[
    str | None,
    Header(max_length=40, description='the revision the client saw, as the ETag of GET /cases/{id}: "3"'),
]
# What a multipart body may carry beyond the file itself (boundaries, part headers, the name).
MULTIPART_ALLOWANCE = 64 * 1024
Text = Annotated[str, Field(max_length=2_000)]

TabName = Literal["draft", "supplement", "in_progress", "to_evaluate", "done", "other"]
ActionName = Literal[
    "accept",
    "not_accept",
    "request_supplement",
    "complete_step",
    "start_special_procedure",
    "end_special_procedure",
    "conclude",
    "terminate",
]


# Requests ------------------------------------------------------------------------------------


class AnswerIn(model.In):
    situation_code: str = Field(max_length=40)
    option_codes: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=20)


class DeliveryIn(model.In):
    method: Literal["pick_up", "mail"]
    address_id: str = Field("", max_length=64, description="for mail: one of my saved addresses")


class DraftIn(model.In):
    site_code: model.SiteCode
    matter_code: str = Field(max_length=36)
    situation_answers: list[AnswerIn] = Field(default_factory=list, max_length=50)
    form: Annotated[dict[str, Any], bounds.FreeJson] = Field(
        default_factory=dict, description="the application form (the matter's schema)"
    )
    delivery: DeliveryIn | None = None
    idempotency_key: str = Field("", max_length=64)


class DraftUpdate(model.In):
    """Only the parts present are replaced."""

    situation_answers: list[AnswerIn] | None = Field(None, max_length=50)
    form: Annotated[dict[str, Any] | None, bounds.FreeJson] = None
    delivery: DeliveryIn | None = None
    expected_revision: bounds.Revision = 0


class SubmitIn(model.In):
    notice_read: bool = Field(False, description="I have read the 申报须知")
    idempotency_key: str = Field("", max_length=64)


class NoteIn(model.In):
    note: Text = ""


class ReasonIn(model.In):
    reason: Text = ""


class StatusQueryIn(model.In):
    case_number: str = Field(max_length=64, description="办件编号，或受理前的申报号")
    query_password: str = Field(max_length=32)


class SupplementItemIn(model.In):
    """One material (its code or name) or one form field (its path), and what is wrong."""

    material: str = Field("", max_length=200, description="a material of the matter: code or name")
    field: str = Field("", max_length=200, description='a form field by path: "shop_name", "agent.name"')
    problem: Text


class ActionIn(model.In):
    """The fields of one staff action; which apply depends on the action."""

    expected_revision: bounds.Revision = 0
    opinion: Text = ""
    reason: Text = ""
    items: list[SupplementItemIn] = Field(default_factory=list, max_length=100)
    deadline: Annotated[str, Field(pattern=r"^(\d{4}-\d{2}-\d{2})?$"), bounds.DayText] = ""
    outcome: Literal["", "pass", "return"] = ""
    procedure: str = Field("", max_length=40)
    planned: model.TimeLimitIn | None = None
    result: Text = ""
    decision: Literal["", "approved", "denied"] = ""
    result_code: int = Field(0, ge=0, le=9)


#: The body fields each action reads (besides expected_revision); others are refused, not ignored.
ACTION_FIELDS: dict[str, frozenset[str]] = {
    "accept": frozenset({"opinion"}),
    "not_accept": frozenset({"reason"}),
    "request_supplement": frozenset({"items", "deadline", "opinion"}),
    "complete_step": frozenset({"outcome", "opinion"}),
    "start_special_procedure": frozenset({"procedure", "reason", "planned"}),
    "end_special_procedure": frozenset({"result"}),
    "conclude": frozenset({"decision", "opinion"}),
    "terminate": frozenset({"result_code", "reason"}),
}


def _check_action_fields(action: ActionName, body: ActionIn) -> None:
    extra = sorted(body.model_fields_set - ACTION_FIELDS[action] - {"expected_revision"})
    if extra:
        raise invalid_fields(
            "REQUEST_INVALID",
            [FieldError(name, f"not a field of {action}", f"{name}：该操作不使用此字段") for name in extra],
        )


def expected_revision(if_match: str | None, in_body: int = 0) -> int:
    """The revision the client saw: the If-Match header ("3", W/"3" or 3) or the body's field."""
    if if_match is None or not if_match.strip():
        return in_body
    text = if_match.strip().removeprefix("W/").strip('"')
    # ASCII digits only ("３" and "²" are digits to str.isdigit), and a revision an int64 holds.
    if (
        not re.fullmatch(r"[0-9]{1,19}", text)
        or int(text) > bounds.MAX_INT64
        or (in_body and int(text) != in_body)
    ):
        raise invalid(
            "IF_MATCH_INVALID",
            'If-Match is the case\'s revision, e.g. "3" (and agrees with expected_revision)',
            "If-Match 应为办件的版本号，且与 expected_revision 一致",
            "If-Match",
        )
    return int(text)


def file_too_large(max_bytes: int) -> DomainError:
    mb = max_bytes / (1024 * 1024)
    return DomainError(
        "FILE_TOO_LARGE",
        f"a file may have at most {mb:g} MB",
        f"文件过大：单个文件不能超过 {mb:g} MB",
        ErrorKind.INVALID,
        [FieldError("file", f"at most {mb:g} MB", f"单个文件不能超过 {mb:g} MB")],
    )


def capped_body_route(max_file_bytes: int) -> type[APIRoute]:
    """A route class that refuses a body bigger than a file of max_file_bytes in a multipart
    envelope (413 FILE_TOO_LARGE) before FastAPI parses and spools it: at once when its
    Content-Length says so, or as a body without one streams in past the limit."""
    limit = max_file_bytes + MULTIPART_ALLOWANCE

    class CappedBody(APIRoute):
        # guards.RequestLimits leaves these bodies to this class (at the size of a file).
        own_body_limit = True

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def capped(request: Request) -> Response:
                def refuse() -> Response:
                    return problems.problem(file_too_large(max_file_bytes), request.url.path, 413)

                declared = request.headers.get("content-length", "")
                if declared.isdigit():
                    # The server delivers no more than Content-Length says.
                    return refuse() if int(declared) > limit else await handler(request)
                body = bytearray()
                async for chunk in request.stream():
                    body += chunk
                    if len(body) > limit:
                        return refuse()
                replayed = False

                async def replay() -> Message:
                    nonlocal replayed
                    if replayed:
                        return await request.receive()
                    replayed = True
                    return {"type": "http.request", "body": bytes(body), "more_body": False}

                return await handler(Request(request.scope, replay))

            return capped

    return CappedBody


def _delivery(d: DeliveryIn | None) -> pb.Delivery | None:
    if d is None:
        return None
    method = pb.DELIVERY_METHOD_MAIL if d.method == "mail" else pb.DELIVERY_METHOD_PICK_UP
    return pb.Delivery(method=method, address_id=d.address_id)


def _answers(items: list[AnswerIn]) -> list[pb.SituationAnswer]:
    return [pb.SituationAnswer(situation_code=a.situation_code, option_codes=a.option_codes) for a in items]


def _form_json(form: dict[str, Any]) -> str:
    return json.dumps(form, ensure_ascii=False)


def _command(action: ActionName, body: ActionIn) -> dict[str, Any]:
    """The HandleCaseRequest oneof member for an action."""
    match action:
        case "accept":
            return {"accept": pb.AcceptCommand(opinion=body.opinion)}
        case "not_accept":
            return {"not_accept": pb.NotAcceptCommand(reason=body.reason)}
        case "request_supplement":
            items = [
                pb.SupplementItem(material=i.material, field=i.field, problem=i.problem) for i in body.items
            ]
            return {
                "request_supplement": pb.RequestSupplementCommand(
                    items=items, deadline=body.deadline, opinion=body.opinion
                )
            }
        case "complete_step":
            return {"complete_step": pb.CompleteStepCommand(outcome=body.outcome, opinion=body.opinion)}
        case "start_special_procedure":
            planned = from_dict(body.planned.model_dump(), common_pb2.TimeLimit) if body.planned else None
            return {
                "start_special_procedure": pb.StartSpecialProcedureCommand(
                    procedure=body.procedure, reason=body.reason, planned=planned
                )
            }
        case "end_special_procedure":
            return {"end_special_procedure": pb.EndSpecialProcedureCommand(result=body.result)}
        case "conclude":
            return {"conclude": pb.ConcludeCommand(decision=body.decision, opinion=body.opinion)}
        case "terminate":
            return {"terminate": pb.TerminateCommand(result_code=body.result_code, reason=body.reason)}


# Responses -----------------------------------------------------------------------------------


def case_out(c: pb.Case) -> dict[str, Any]:
    """A case, its form as a JSON object and its schema too (the portal renders both)."""
    out = to_dict(c)
    for key, text in (("form", c.form_json), ("form_schema", c.form_schema)):
        try:
            out[key] = json.loads(text) if text else {}
        except ValueError:
            out[key] = {}
    out.pop("form_json", None)
    if not c.query_password:
        out.pop("query_password", None)
    return out


def content_disposition(file_name: str) -> str:
    """RFC 6266: an ASCII fallback for old clients and the real (Chinese) name as RFC 5987
    filename*, e.g. 准予许可决定书.pdf -> filename="download.pdf"; filename*=UTF-8''%E5%87%86..."""
    stem, dot, ext = file_name.rpartition(".")
    if not dot:
        stem, ext = file_name, ""
    ascii_ext = ext if ext.isascii() and ext.isalnum() else ""
    ascii_stem = re.sub(r"[^0-9A-Za-z._-]+", "", stem).strip("._-") or "download"
    fallback = ascii_stem + (f".{ascii_ext}" if ascii_ext else "")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def _file_response(f: pb.StoredFile) -> Response:
    return Response(
        f.content,
        media_type=f.media_type or "application/octet-stream",
        headers={
            "Content-Disposition": content_disposition(f.file_name or "download"),
            "Cache-Control": "private, no-store",
            # What an applicant uploaded is served as the type its content was checked to be.
            "X-Content-Type-Options": "nosniff",
        },
    )


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
    ) -> dict[str, Any]:
        request = pb.CreateDraftRequest(
            site_code=body.site_code,
            matter_code=body.matter_code,
            situation_answers=_answers(body.situation_answers),
            form_json=_form_json(body.form),
            delivery=_delivery(body.delivery),
            idempotency_key=idempotency_key or body.idempotency_key,
        )
        return case_out(await up().cases.call(lambda s: s.CreateDraft, request, caller))

    @router.patch(
        "/api/v1/cases/{case_id}", tags=["cases"], summary="Change a draft", operation_id="updateDraft"
    )
    async def update_draft(
        case_id: IdPath, body: DraftUpdate, caller: SignedIn, if_match: IfMatch = None
    ) -> dict[str, Any]:
        request = pb.UpdateDraftRequest(
            case_id=case_id, expected_revision=expected_revision(if_match, body.expected_revision)
        )
        if body.situation_answers is not None:
            request.set_situation_answers = True
            request.situation_answers.extend(_answers(body.situation_answers))
        if body.form is not None:
            request.set_form, request.form_json = True, _form_json(body.form)
        delivery = _delivery(body.delivery)
        if delivery is not None:
            request.set_delivery = True
            request.delivery.CopyFrom(delivery)
        return case_out(await up().cases.call(lambda s: s.UpdateDraft, request, caller))

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
    ) -> dict[str, Any]:
        content = await file.read(max_upload_bytes + 1)
        if len(content) > max_upload_bytes:
            raise file_too_large(max_upload_bytes)
        request = pb.UploadMaterialRequest(
            case_id=case_id, material_code=code, file_name=(file.filename or "")[:255], content=content
        )
        return case_out(await up().cases.call(lambda s: s.UploadMaterial, request, caller))

    router.include_router(uploads)

    @router.delete(
        "/api/v1/cases/{case_id}/materials/{code}/files/{file_id}",
        tags=["cases"],
        summary="Remove a file from a material",
        operation_id="removeMaterialFile",
    )
    async def remove_file(
        case_id: IdPath, code: CodePath, file_id: IdPath, caller: SignedIn
    ) -> dict[str, Any]:
        request = pb.RemoveMaterialRequest(case_id=case_id, material_code=code, file_id=file_id)
        return case_out(await up().cases.call(lambda s: s.RemoveMaterial, request, caller))

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
    ) -> dict[str, Any]:
        request = pb.SubmitCaseRequest(
            case_id=case_id,
            notice_read=body.notice_read,
            idempotency_key=idempotency_key or body.idempotency_key,
        )
        return case_out(await up().cases.call(lambda s: s.SubmitCase, request, caller))

    @router.post(
        "/api/v1/cases/{case_id}/query-password",
        tags=["cases"],
        summary="A new query password for a submitted case (the old one stops working); shown once",
        operation_id="resetCaseQueryPassword",
    )
    async def reset_query_password(case_id: IdPath, caller: SignedIn) -> dict[str, Any]:
        request = pb.ResetQueryPasswordRequest(case_id=case_id)
        return case_out(await up().cases.call(lambda s: s.ResetQueryPassword, request, caller))

    @router.post(
        "/api/v1/cases/{case_id}/resubmit",
        tags=["cases"],
        summary="Resubmit after a supplement notice (补正提交)",
        operation_id="resubmitCase",
    )
    async def resubmit(case_id: IdPath, body: NoteIn, caller: SignedIn) -> dict[str, Any]:
        return case_out(
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
    async def withdraw(case_id: IdPath, body: ReasonIn, caller: SignedIn) -> dict[str, Any]:
        request = pb.WithdrawCaseRequest(case_id=case_id, reason=body.reason)
        return case_out(await up().cases.call(lambda s: s.WithdrawCase, request, caller))

    @router.get(
        "/api/v1/me/cases",
        tags=["cases"],
        summary="My cases by tab: 待提交, 待补正, 审批中, 待评价, 已办结, 其他",
        operation_id="listMyCases",
    )
    async def my_cases(
        caller: SignedIn, tab: TabName | None = None, page: PageNo = 1, page_size: PageSize = 20
    ) -> dict[str, Any]:
        request = pb.ListMyCasesRequest(
            tab=model.enum_number(pb.ApplicantTab, tab),  # type: ignore[arg-type]
            page=common_pb2.PageRequest(page=page, page_size=page_size),
        )
        reply = await up().cases.call(lambda s: s.ListMyCases, request, caller)
        return {
            "cases": [to_dict(c) for c in reply.cases],
            "page": model.page_out(reply.page),
            "tabs": [to_dict(t) for t in reply.tabs],
        }

    # Reading ------------------------------------------------------------------------------

    @router.get(
        "/api/v1/cases/{case_id}",
        tags=["cases"],
        summary="A case: basic information, materials, the flow, the notices",
        operation_id="getCase",
    )
    async def get_case(case_id: IdPath, caller: SignedIn, response: Response) -> dict[str, Any]:
        case = await up().cases.call(lambda s: s.GetCase, pb.GetCaseRequest(case_id=case_id), caller)
        response.headers["ETag"] = f'"{case.revision}"'  # for If-Match on the next change
        response.headers["Cache-Control"] = "private, no-store"
        return case_out(case)

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
        return _file_response(
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
        return _file_response(await up().cases.call(lambda s: s.GetDocument, request, caller))

    @router.post(
        "/api/v1/cases/status-query",
        tags=["cases"],
        summary="Follow a case by its case or application number and query password (办件查询), "
        "without signing in",
        operation_id="queryCaseStatus",
    )
    async def status_query(body: StatusQueryIn, caller: Caller, request_: Request) -> dict[str, Any]:
        # Wrong passwords lock the query per case and client address.
        request = pb.QueryStatusRequest(
            case_number=body.case_number,
            query_password=body.query_password,
            client_ip=request_.client.host if request_.client else "",
        )
        return to_dict(await up().cases.call(lambda s: s.QueryStatus, request, caller))

    @router.get(
        "/api/v1/cases/documents/{document_id}/verify",
        tags=["cases"],
        summary="Verify a notice from its QR code (文书核验)",
        operation_id="verifyCaseDocument",
    )
    async def verify(
        document_id: IdPath, caller: Caller, code: Annotated[str, Query(max_length=16)]
    ) -> dict[str, Any]:
        request = pb.VerifyDocumentRequest(document_id=document_id, verification_code=code)
        return to_dict(await up().cases.call(lambda s: s.VerifyDocument, request, caller))

    # Staff --------------------------------------------------------------------------------

    @router.get(
        "/api/v1/staff/queue",
        tags=["handling"],
        summary="My work queue (待办列表), with counts by state and card",
        operation_id="listQueue",
    )
    async def queue(
        caller: SignedIn,
        role: Literal["window_clerk", "reviewer", "approver"] | None = None,
        department_code: Annotated[str | None, Query(max_length=40)] = None,
        matter_code: Annotated[str | None, Query(max_length=36)] = None,
        state: Annotated[str | None, Query(max_length=32)] = None,
        level: Literal["none", "yellow", "red"] | None = None,
        q: Annotated[str | None, Query(max_length=64, description="case number or applicant name")] = None,
        page: PageNo = 1,
        page_size: PageSize = 20,
    ) -> dict[str, Any]:
        request = pb.ListQueueRequest(
            role=role or "",
            department_code=department_code or "",
            matter_code=matter_code or "",
            state=model.enum_number(pb.CaseState, state),  # type: ignore[arg-type]
            level=model.enum_number(pb.WarningLevel, level),  # type: ignore[arg-type]
            query=q or "",
            page=common_pb2.PageRequest(page=page, page_size=page_size),
        )
        reply = await up().cases.call(lambda s: s.ListQueue, request, caller)
        return {
            "cases": [to_dict(c) for c in reply.cases],
            "page": model.page_out(reply.page),
            "counts": [to_dict(c) for c in reply.counts],
        }

    @router.post(
        "/api/v1/staff/cases/{case_id}/actions/{action}",
        tags=["handling"],
        summary="Handle a case: accept, not_accept, request_supplement, complete_step, "
        "start/end_special_procedure, conclude, terminate",
        operation_id="handleCase",
    )
    async def handle(
        case_id: IdPath, action: ActionName, body: ActionIn, caller: SignedIn, if_match: IfMatch = None
    ) -> dict[str, Any]:
        _check_action_fields(action, body)
        request = pb.HandleCaseRequest(
            case_id=case_id,
            expected_revision=expected_revision(if_match, body.expected_revision),
            **_command(action, body),
        )
        return case_out(await up().cases.call(lambda s: s.HandleCase, request, caller))

    # Supervision and statistics -----------------------------------------------------------

    @router.get(
        "/api/v1/supervision/warnings",
        tags=["supervision"],
        summary="Cases with a yellow (黄牌) or red (红牌) card at my site",
        operation_id="listWarnings",
    )
    async def warnings(
        caller: SignedIn,
        level: Literal["yellow", "red"] | None = None,
        department_code: Annotated[str | None, Query(max_length=40)] = None,
        page: PageNo = 1,
        page_size: PageSize = 20,
    ) -> dict[str, Any]:
        request = pb.ListWarningsRequest(
            level=model.enum_number(pb.WarningLevel, level),  # type: ignore[arg-type]
            department_code=department_code or "",
            page=common_pb2.PageRequest(page=page, page_size=page_size),
        )
        reply = await up().cases.call(lambda s: s.ListWarnings, request, caller)
        return {"warnings": [to_dict(w) for w in reply.warnings], "page": model.page_out(reply.page)}

    @router.get(
        "/api/v1/supervision/performance",
        tags=["supervision"],
        summary="Per-department performance: on-time rate, average working days, open cards",
        operation_id="getPerformance",
    )
    async def performance(
        caller: SignedIn,
        site_code: Annotated[str | None, Query(pattern=r"^\d{6}$", description="empty: mine")] = None,
        from_: FromDay = None,
        to: Day = None,
    ) -> dict[str, Any]:
        request = pb.GetPerformanceRequest(site_code=site_code or "", to=to or "")
        setattr(request, "from", from_ or "")
        return to_dict(await up().cases.call(lambda s: s.GetPerformance, request, caller))

    @router.get(
        "/api/v1/statistics/cases",
        tags=["supervision"],
        summary="Counts by state, matter type and month, and the on-time rate (for charts)",
        operation_id="getCaseStatistics",
    )
    async def statistics(
        caller: SignedIn,
        site_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
        from_: FromDay = None,
        to: Day = None,
    ) -> dict[str, Any]:
        request = pb.GetStatisticsRequest(site_code=site_code or "", to=to or "")
        setattr(request, "from", from_ or "")
        return to_dict(await up().cases.call(lambda s: s.GetStatistics, request, caller))

    return router


__all__ = ["case_out", "cases_routes"]
