"""纠错 routes: a signed-in person or enterprise reports an error on a matter's guide and follows
it in 我的纠错; the site admins of the matter's site work their queue. Consult authorises each
report itself (the reporter, or a site_admin of the report's site)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path

from govhall.gateway import consult_error_reports_model as views
from govhall.gateway import model, protojson
from govhall.gateway.auth import SignedIn
from govhall.gateway.params import MatterCodePath, PageNo, PageSize, SitePath
from govhall.gateway.upstreams import Upstreams
from govhall.protos.common.v1 import common_pb2
from govhall.protos.consult.v1 import error_reports_pb2 as pb

ReportIdPath = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{1,36}$", description="error report id")]


def error_report_routes(up: Callable[[], Upstreams]) -> APIRouter:
    router = APIRouter()

    @router.post(
        "/api/v1/sites/{site}/matters/{code}/error-reports",
        tags=["error-reports"],
        summary="纠错: report an error on a published matter's guide",
        operation_id="submitErrorReport",
        status_code=201,
    )
    async def submit(
        site: SitePath, code: MatterCodePath, body: views.ErrorReportIn, caller: SignedIn
    ) -> views.ErrorReportOut:
        request = pb.SubmitErrorReportRequest(
            site_code=site,
            matter_code=code,
            element=protojson.enum_number(pb.ErrorElement.DESCRIPTOR, body.element, "element"),  # type: ignore[arg-type]
            content=body.content,
        )
        return views.report_out(
            await up().consult.call(lambda s: s.error_reports.SubmitErrorReport, request, caller)
        )

    @router.get(
        "/api/v1/me/error-reports",
        tags=["error-reports"],
        summary="我的纠错: my error reports, newest first, with their state and the answer",
        operation_id="listMyErrorReports",
    )
    async def mine(caller: SignedIn, page: PageNo = 1, page_size: PageSize = 20) -> views.ErrorReportsOut:
        request = pb.ListMyErrorReportsRequest(page=common_pb2.PageRequest(page=page, page_size=page_size))
        return views.reports_out(
            await up().consult.call(lambda s: s.error_reports.ListMyErrorReports, request, caller)
        )

    @router.get(
        "/api/v1/staff/error-reports",
        tags=["error-reports"],
        summary="A site admin's 纠错 queue: open reports oldest first (or decided ones by state)",
        operation_id="listErrorReportQueue",
    )
    async def queue(
        caller: SignedIn,
        state: views.StateName | None = None,
        page: PageNo = 1,
        page_size: PageSize = 20,
    ) -> views.ErrorReportsOut:
        request = pb.ListErrorReportQueueRequest(
            state=model.enum_number(pb.ErrorReportState, state),  # type: ignore[arg-type]
            page=common_pb2.PageRequest(page=page, page_size=page_size),
        )
        return views.reports_out(
            await up().consult.call(lambda s: s.error_reports.ListErrorReportQueue, request, caller)
        )

    @router.post(
        "/api/v1/staff/error-reports/{report_id}/accept",
        tags=["error-reports"],
        summary="Accept a report, saying what was fixed (the guide is fixed through the catalogue)",
        operation_id="acceptErrorReport",
    )
    async def accept(
        report_id: ReportIdPath, body: views.DecisionIn, caller: SignedIn
    ) -> views.ErrorReportOut:
        request = pb.DecideErrorReportRequest(report_id=report_id, answer=body.answer, revision=body.revision)
        return views.report_out(
            await up().consult.call(lambda s: s.error_reports.AcceptErrorReport, request, caller)
        )

    @router.post(
        "/api/v1/staff/error-reports/{report_id}/refuse",
        tags=["error-reports"],
        summary="Refuse a report with a reason",
        operation_id="refuseErrorReport",
    )
    async def refuse(
        report_id: ReportIdPath, body: views.DecisionIn, caller: SignedIn
    ) -> views.ErrorReportOut:
        request = pb.DecideErrorReportRequest(report_id=report_id, answer=body.answer, revision=body.revision)
        return views.report_out(
            await up().consult.call(lambda s: s.error_reports.RefuseErrorReport, request, caller)
        )

    return router


__all__ = ["error_report_routes"]
