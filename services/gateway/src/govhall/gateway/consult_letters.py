"""Letters' REST routes (咨询/投诉/建议): writing one (signed in, or anonymously with an SMS code),
我的咨询, reading, 追问, rating, reading by number and query password, the public Q&A, and the
department's staff under /api/v1/staff/consultations. Consult authorises every letter itself."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from govhall.gateway import consult_letters_model as m
from govhall.gateway.auth import Caller, SignedIn
from govhall.gateway.identity_model import client_ip
from govhall.gateway.params import PageNo, PageSize, SitePath
from govhall.gateway.upstreams import Upstreams
from govhall.protos.common.v1 import common_pb2
from govhall.protos.consult.v1 import letters_pb2 as pb

IdPath = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{1,36}$")]
TAGS: list[str | Enum] = ["consultations"]
STAFF_TAGS: list[str | Enum] = ["consultations-staff"]


def letters_routes(up: Callable[[], Upstreams]) -> APIRouter:
    router = APIRouter()

    async def call(method: str, request: Any, caller: common_pb2.CallerIdentity) -> Any:
        return await up().consult.call(lambda s: getattr(s.letters, method), request, caller)

    @router.post(
        "/api/v1/consultations",
        tags=TAGS,
        summary="Write a consultation, complaint or suggestion (signed in, or anonymously with name, "
        "mobile and an SMS code of purpose letter); an anonymous writer gets a query password once",
        operation_id="submitLetter",
        status_code=201,
        # A Caller route documents only 401; staff and administrators are refused by consult.
        responses={403: {"description": "staff and administrators do not write letters (OWNER_ONLY)"}},
    )
    async def submit(body: m.LetterIn, caller: Caller) -> m.SubmittedOut:
        return m.submitted_out(await call("SubmitLetter", body.message(), caller))

    @router.get(
        "/api/v1/me/consultations",
        tags=TAGS,
        summary="我的咨询: my letters, newest first",
        operation_id="listMyLetters",
    )
    async def mine(caller: SignedIn, page: PageNo = 1, page_size: PageSize = 20) -> m.LettersOut:
        request = pb.ListMyLettersRequest(page=common_pb2.PageRequest(page=page, page_size=page_size))
        return m.letters_out(await call("ListMyLetters", request, caller))

    @router.get(
        "/api/v1/consultations/{letter_id}",
        tags=TAGS,
        summary="A letter with its thread (its writer, its department's staff, supervisors above)",
        operation_id="getLetter",
    )
    async def get(letter_id: IdPath, caller: SignedIn) -> m.LetterOut:
        return m.letter_out(await call("GetLetter", pb.GetLetterRequest(letter_id=letter_id), caller))

    @router.post(
        "/api/v1/consultations/{letter_id}/follow-ups",
        tags=TAGS,
        summary="追问: ask again about a replied letter",
        operation_id="followUpLetter",
    )
    async def follow_up(letter_id: IdPath, body: m.FollowUpIn, caller: SignedIn) -> m.LetterOut:
        request = pb.FollowUpRequest(letter_id=letter_id, content=body.content)
        return m.letter_out(await call("FollowUp", request, caller))

    @router.post(
        "/api/v1/consultations/{letter_id}/rating",
        tags=TAGS,
        summary="Rate the reply; unsatisfied may reopen once within 10 days of the reply",
        operation_id="rateLetter",
    )
    async def rate(letter_id: IdPath, body: m.RatingIn, caller: SignedIn) -> m.LetterOut:
        request = pb.RateLetterRequest(letter_id=letter_id, rating=m.RATINGS[body.rating], reopen=body.reopen)
        return m.letter_out(await call("RateLetter", request, caller))

    @router.post(
        "/api/v1/letters/query",
        tags=TAGS,
        summary="Read an anonymous letter by its number and query password (wrong ones lock per "
        "letter and client)",
        operation_id="queryLetter",
    )
    async def query(body: m.QueryIn, caller: Caller, request_: Request) -> m.LetterOut:
        request = pb.QueryLetterRequest(
            letter_number=body.letter_number,
            query_password=body.query_password,
            client_ip=client_ip(request_),
        )
        return m.letter_out(await call("QueryLetter", request, caller))

    @router.get(
        "/api/v1/sites/{site}/consultations",
        tags=TAGS,
        summary="咨询公开: answered letters whose writer agreed and whose reply is public, without "
        "names or numbers",
        operation_id="listPublicLetters",
    )
    async def public(
        site: SitePath,
        caller: Caller,
        matter_code: Annotated[str, Query(max_length=36)] = "",
        page: PageNo = 1,
        page_size: PageSize = 20,
    ) -> m.PublicLettersOut:
        request = pb.ListPublicLettersRequest(
            site_code=site,
            matter_code=matter_code,
            page=common_pb2.PageRequest(page=page, page_size=page_size),
        )
        return m.public_out(await call("ListPublicLetters", request, caller))

    # Staff ------------------------------------------------------------------------------------

    @router.get(
        "/api/v1/staff/consultations",
        tags=STAFF_TAGS,
        summary="My department's letters (open ones unless states are named), nearest deadline first",
        operation_id="listLetterQueue",
    )
    async def queue(
        caller: SignedIn,
        state: Annotated[list[m.StateName] | None, Query()] = None,
        page: PageNo = 1,
        page_size: PageSize = 20,
    ) -> m.LettersOut:
        request = pb.ListQueueRequest(
            states=[m.STATES[s] for s in state or []],
            page=common_pb2.PageRequest(page=page, page_size=page_size),
        )
        return m.letters_out(await call("ListQueue", request, caller))

    @router.post(
        "/api/v1/staff/consultations/{letter_id}/claim",
        tags=STAFF_TAGS,
        summary="Claim a pending letter (签收)",
        operation_id="claimLetter",
    )
    async def claim(letter_id: IdPath, body: m.ClaimIn, caller: SignedIn) -> m.LetterOut:
        request = pb.ClaimLetterRequest(letter_id=letter_id, revision=body.revision)
        return m.letter_out(await call("ClaimLetter", request, caller))

    @router.post(
        "/api/v1/staff/consultations/{letter_id}/reply",
        tags=STAFF_TAGS,
        summary="Reply (公开/私密), or answer a follow-up (追答)",
        operation_id="replyLetter",
    )
    async def reply(letter_id: IdPath, body: m.ReplyIn, caller: SignedIn) -> m.LetterOut:
        request = pb.ReplyLetterRequest(
            letter_id=letter_id, revision=body.revision, content=body.content, public=body.public
        )
        return m.letter_out(await call("ReplyLetter", request, caller))

    @router.post(
        "/api/v1/staff/consultations/{letter_id}/reassign",
        tags=STAFF_TAGS,
        summary="Reassign to another department of the site, with a reason (转办)",
        operation_id="reassignLetter",
    )
    async def reassign(letter_id: IdPath, body: m.ReassignIn, caller: SignedIn) -> m.LetterOut:
        request = pb.ReassignLetterRequest(
            letter_id=letter_id,
            revision=body.revision,
            department_code=body.department_code,
            reason=body.reason,
        )
        return m.letter_out(await call("ReassignLetter", request, caller))

    @router.post(
        "/api/v1/staff/consultations/{letter_id}/refuse",
        tags=STAFF_TAGS,
        summary="Refuse as out of scope, with a reason (不予受理)",
        operation_id="refuseLetter",
    )
    async def refuse(letter_id: IdPath, body: m.RefuseIn, caller: SignedIn) -> m.LetterOut:
        request = pb.RefuseLetterRequest(letter_id=letter_id, revision=body.revision, reason=body.reason)
        return m.letter_out(await call("RefuseLetter", request, caller))

    @router.post(
        "/api/v1/staff/consultations/{letter_id}/extension",
        tags=STAFF_TAGS,
        summary="Ask for more working days before the deadline (延期申请); a supervisor decides",
        operation_id="requestLetterExtension",
    )
    async def extension(letter_id: IdPath, body: m.ExtensionIn, caller: SignedIn) -> m.LetterOut:
        request = pb.RequestExtensionRequest(
            letter_id=letter_id, revision=body.revision, days=body.days, reason=body.reason
        )
        return m.letter_out(await call("RequestExtension", request, caller))

    @router.post(
        "/api/v1/staff/consultations/{letter_id}/extension/decision",
        tags=STAFF_TAGS,
        summary="A supervisor of the site or above approves (the due date moves) or refuses an extension",
        operation_id="decideLetterExtension",
    )
    async def decision(letter_id: IdPath, body: m.DecisionIn, caller: SignedIn) -> m.LetterOut:
        request = pb.DecideExtensionRequest(
            letter_id=letter_id, revision=body.revision, approve=body.approve, reason=body.reason
        )
        return m.letter_out(await call("DecideExtension", request, caller))

    @router.get(
        "/api/v1/staff/consultations/supervised",
        tags=STAFF_TAGS,
        summary="Supervisors: the open (or only the overdue) letters of their site's subtree",
        operation_id="listSupervisedLetters",
    )
    async def supervised(
        caller: SignedIn, overdue_only: bool = False, page: PageNo = 1, page_size: PageSize = 20
    ) -> m.LettersOut:
        request = pb.ListSupervisedRequest(
            overdue_only=overdue_only, page=common_pb2.PageRequest(page=page, page_size=page_size)
        )
        return m.letters_out(await call("ListSupervised", request, caller))

    return router


__all__ = ["letters_routes"]
