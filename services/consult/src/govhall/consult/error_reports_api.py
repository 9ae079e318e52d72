"""ErrorReportsService: each RPC hands its request to error_reports.ErrorReports."""

from __future__ import annotations

from typing import Any

from govhall.consult.error_reports import ErrorReports
from govhall.protos.consult.v1 import error_reports_pb2 as pb
from govhall.protos.consult.v1 import error_reports_pb2_grpc


class ErrorReportsService(error_reports_pb2_grpc.ErrorReportsServiceServicer):
    def __init__(self, reports: ErrorReports) -> None:
        self._reports = reports

    async def SubmitErrorReport(self, request: pb.SubmitErrorReportRequest, context: Any) -> pb.ErrorReport:
        return await self._reports.submit(request)

    async def ListMyErrorReports(
        self, request: pb.ListMyErrorReportsRequest, context: Any
    ) -> pb.ListErrorReportsResponse:
        return await self._reports.mine(request)

    async def ListErrorReportQueue(
        self, request: pb.ListErrorReportQueueRequest, context: Any
    ) -> pb.ListErrorReportsResponse:
        return await self._reports.queue(request)

    async def AcceptErrorReport(self, request: pb.DecideErrorReportRequest, context: Any) -> pb.ErrorReport:
        return await self._reports.decide(request, "accepted")

    async def RefuseErrorReport(self, request: pb.DecideErrorReportRequest, context: Any) -> pb.ErrorReport:
        return await self._reports.decide(request, "refused")
