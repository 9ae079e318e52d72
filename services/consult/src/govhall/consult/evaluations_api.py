"""EvaluationsService: each RPC hands its request to the module that owns it."""

from __future__ import annotations

from typing import Any

from govhall.consult.evaluation_reading import EvaluationReading
from govhall.consult.evaluation_stats import EvaluationStatistics
from govhall.consult.evaluations import Evaluations
from govhall.consult.rectification_staff import RectificationStaff
from govhall.protos.consult.v1 import evaluations_pb2 as pb
from govhall.protos.consult.v1 import evaluations_pb2_grpc


class EvaluationsService(evaluations_pb2_grpc.EvaluationsServiceServicer):
    def __init__(
        self,
        evaluations: Evaluations,
        staff: RectificationStaff,
        stats: EvaluationStatistics,
        reading: EvaluationReading,
    ) -> None:
        self._evaluations = evaluations
        self._staff = staff
        self._stats = stats
        self._reading = reading

    async def SubmitEvaluation(self, request: pb.SubmitEvaluationRequest, context: Any) -> pb.Evaluation:
        return await self._evaluations.submit(request)

    async def GetMyEvaluation(self, request: pb.GetMyEvaluationRequest, context: Any) -> pb.MyEvaluation:
        return await self._reading.mine(request)

    async def ListRectifications(
        self, request: pb.ListRectificationsRequest, context: Any
    ) -> pb.ListRectificationsResponse:
        return await self._staff.listing(request)

    async def GetRectification(self, request: pb.GetRectificationRequest, context: Any) -> pb.Rectification:
        return await self._staff.get(request.rectification_id)

    async def Rectify(self, request: pb.RectifyRequest, context: Any) -> pb.Rectification:
        return await self._staff.rectify(request)

    async def RecordCallback(self, request: pb.RecordCallbackRequest, context: Any) -> pb.Rectification:
        return await self._staff.callback(request)

    async def Appeal(self, request: pb.AppealRequest, context: Any) -> pb.Rectification:
        return await self._staff.appeal(request)

    async def DecideAppeal(self, request: pb.DecideAppealRequest, context: Any) -> pb.Rectification:
        return await self._staff.decide(request)

    async def EvaluationStatistics(
        self, request: pb.EvaluationStatisticsRequest, context: Any
    ) -> pb.EvaluationStatisticsResponse:
        return await self._stats.statistics(request)
