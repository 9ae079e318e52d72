"""The cases gRPC servicer: each RPC hands its request to the module that owns it."""

from __future__ import annotations

from typing import Any

from govhall.cases import applying, handling, licence_materials, reading, sources, submitting, supervision
from govhall.cases.workflow import Deps
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.cases.v1 import cases_pb2_grpc


class CasesService(cases_pb2_grpc.CasesServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    # The applicant ----------------------------------------------------------------------------

    async def CreateDraft(self, request: pb.CreateDraftRequest, context: Any) -> pb.Case:
        return await applying.create_draft(self._deps, request)

    async def UpdateDraft(self, request: pb.UpdateDraftRequest, context: Any) -> pb.Case:
        return await applying.update_draft(self._deps, request)

    async def UploadMaterial(self, request: pb.UploadMaterialRequest, context: Any) -> pb.Case:
        return await applying.upload_material(self._deps, request)

    async def RemoveMaterial(self, request: pb.RemoveMaterialRequest, context: Any) -> pb.Case:
        return await applying.remove_material(self._deps, request)

    async def AttachMaterialFrom(self, request: pb.AttachMaterialFromRequest, context: Any) -> pb.Case:
        return await sources.attach_from(self._deps, request)

    async def UseLicence(self, request: pb.UseLicenceRequest, context: Any) -> pb.Case:
        return await licence_materials.use_licence(self._deps, request)

    async def SubmitCase(self, request: pb.SubmitCaseRequest, context: Any) -> pb.Case:
        return await submitting.submit(self._deps, request)

    async def ResubmitCase(self, request: pb.ResubmitCaseRequest, context: Any) -> pb.Case:
        return await submitting.resubmit(self._deps, request)

    async def WithdrawCase(self, request: pb.WithdrawCaseRequest, context: Any) -> pb.Case:
        return await submitting.withdraw(self._deps, request)

    async def DeleteDraft(self, request: pb.DeleteDraftRequest, context: Any) -> pb.DeleteDraftResponse:
        return await applying.delete_draft(self._deps, request)

    async def ResetQueryPassword(self, request: pb.ResetQueryPasswordRequest, context: Any) -> pb.Case:
        return await submitting.reset_query_password(self._deps, request)

    async def ListMyCases(self, request: pb.ListMyCasesRequest, context: Any) -> pb.ListMyCasesResponse:
        return await applying.list_mine(self._deps, request)

    # Reading ----------------------------------------------------------------------------------

    async def GetCase(self, request: pb.GetCaseRequest, context: Any) -> pb.Case:
        return await reading.get_case(self._deps, request)

    async def GetMaterialFile(self, request: pb.GetMaterialFileRequest, context: Any) -> pb.StoredFile:
        return await reading.material_file(self._deps, request)

    async def GetDocument(self, request: pb.GetDocumentRequest, context: Any) -> pb.StoredFile:
        return await reading.document(self._deps, request)

    async def QueryStatus(self, request: pb.QueryStatusRequest, context: Any) -> pb.PublicStatus:
        return await reading.query_status(self._deps, request)

    async def VerifyDocument(
        self, request: pb.VerifyDocumentRequest, context: Any
    ) -> pb.DocumentVerification:
        return await reading.verify_document(self._deps, request)

    # Staff ------------------------------------------------------------------------------------

    async def ListQueue(self, request: pb.ListQueueRequest, context: Any) -> pb.ListQueueResponse:
        return await handling.queue(self._deps, request)

    async def HandleCase(self, request: pb.HandleCaseRequest, context: Any) -> pb.Case:
        return await handling.handle(self._deps, request)

    # Supervision ------------------------------------------------------------------------------

    async def ListWarnings(self, request: pb.ListWarningsRequest, context: Any) -> pb.ListWarningsResponse:
        return await supervision.warnings(self._deps, request)

    async def GetPerformance(self, request: pb.GetPerformanceRequest, context: Any) -> pb.Performance:
        return await supervision.performance(self._deps, request)

    async def GetStatistics(self, request: pb.GetStatisticsRequest, context: Any) -> pb.Statistics:
        return await supervision.statistics(self._deps, request)

    async def SweepClock(self, request: pb.SweepClockRequest, context: Any) -> pb.SweepClockResponse:
        return await supervision.sweep_rpc(self._deps, request)
