"""Staff handling (办理): the work queue and the actions on a case; supervision (cards,
performance) and statistics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from govhall.gateway import cases_model as views
from govhall.gateway import model
from govhall.gateway.auth import SignedIn
from govhall.gateway.cases_http import Day, FromDay, IfMatch
from govhall.gateway.cases_model import (
    ActionIn,
    ActionName,
    check_action_fields,
    command,
    expected_revision,
)
from govhall.gateway.params import IdPath, PageNo, PageSize
from govhall.gateway.protojson import out
from govhall.gateway.upstreams import Upstreams
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.common.v1 import common_pb2


def handling_routes(up: Callable[[], Upstreams]) -> APIRouter:
    router = APIRouter()

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
    ) -> views.QueueOut:
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
        return views.queue_out(reply)

    @router.post(
        "/api/v1/staff/cases/{case_id}/actions/{action}",
        tags=["handling"],
        summary="Handle a case: accept, not_accept, request_supplement, complete_step, "
        "start/end_special_procedure, conclude, terminate",
        operation_id="handleCase",
    )
    async def handle(
        case_id: IdPath, action: ActionName, body: ActionIn, caller: SignedIn, if_match: IfMatch = None
    ) -> views.CaseOut:
        check_action_fields(action, body)
        request = pb.HandleCaseRequest(
            case_id=case_id,
            expected_revision=expected_revision(if_match, body.expected_revision),
            **command(action, body),
        )
        return views.case_out(await up().cases.call(lambda s: s.HandleCase, request, caller))

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
    ) -> views.WarningsOut:
        request = pb.ListWarningsRequest(
            level=model.enum_number(pb.WarningLevel, level),  # type: ignore[arg-type]
            department_code=department_code or "",
            page=common_pb2.PageRequest(page=page, page_size=page_size),
        )
        reply = await up().cases.call(lambda s: s.ListWarnings, request, caller)
        return views.warnings_out(reply)

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
    ) -> views.PerformanceOut:
        request = pb.GetPerformanceRequest(site_code=site_code or "", to=to or "")
        setattr(request, "from", from_ or "")
        return out(views.PerformanceOut, await up().cases.call(lambda s: s.GetPerformance, request, caller))

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
    ) -> views.StatisticsOut:
        request = pb.GetStatisticsRequest(site_code=site_code or "", to=to or "")
        setattr(request, "from", from_ or "")
        return out(views.StatisticsOut, await up().cases.call(lambda s: s.GetStatistics, request, caller))

    return router
