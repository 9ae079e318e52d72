"""The cases gRPC servicer for 跨省通办 (CaseHandoversService): each RPC hands its request to the
module that owns it — the receiving window (handovers_window), crossprovince's calls on the
receiving side (handovers_remote) and on the home side (handovers_home)."""

from __future__ import annotations

from typing import Any

from govhall.cases import handovers_home, handovers_remote, handovers_window
from govhall.cases.workflow import Deps
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.cases.v1 import handovers_pb2 as hpb
from govhall.protos.cases.v1 import handovers_pb2_grpc
from govhall.protos.crossprovince.v1 import partner_pb2 as xp


class CaseHandoversService(handovers_pb2_grpc.CaseHandoversServiceServicer):
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    # Receiving side (A), window staff and the applicant ------------------------------------------

    async def CreateHandover(self, request: hpb.CreateHandoverRequest, context: Any) -> hpb.HandoverRecord:
        return await handovers_window.create(self._deps, request)

    async def AddHandoverMaterial(
        self, request: hpb.AddHandoverMaterialRequest, context: Any
    ) -> hpb.HandoverRecord:
        return await handovers_window.add_material(self._deps, request)

    async def SendHandover(self, request: hpb.HandoverRef, context: Any) -> hpb.HandoverRecord:
        return await handovers_window.send(self._deps, request)

    async def SupplementHandover(
        self, request: hpb.SupplementHandoverRequest, context: Any
    ) -> hpb.HandoverRecord:
        return await handovers_window.supplement(self._deps, request)

    async def DeliverHandoverResult(
        self, request: hpb.DeliverHandoverResultRequest, context: Any
    ) -> hpb.HandoverRecord:
        return await handovers_window.deliver(self._deps, request)

    async def GetHandover(self, request: hpb.HandoverRef, context: Any) -> hpb.HandoverRecord:
        return await handovers_window.get(self._deps, request)

    async def ListHandovers(
        self, request: hpb.ListHandoversRequest, context: Any
    ) -> hpb.ListHandoversResponse:
        return await handovers_window.list_handovers(self._deps, request)

    async def GetHandoverFile(self, request: hpb.GetHandoverFileRequest, context: Any) -> pb.StoredFile:
        return await handovers_window.get_file(self._deps, request)

    # Receiving side (A), crossprovince only ------------------------------------------------------

    async def ExportHandover(self, request: hpb.HandoverRef, context: Any) -> xp.Handover:
        return await handovers_remote.export_handover(self._deps, request)

    async def ExportSupplement(self, request: hpb.ExportSupplementRequest, context: Any) -> xp.SupplementSent:
        return await handovers_remote.export_supplement(self._deps, request)

    async def RecordHandoverAccepted(
        self, request: hpb.RecordHandoverAcceptedRequest, context: Any
    ) -> hpb.HandoverRecord:
        return await handovers_remote.record_accepted(self._deps, request)

    async def RecordRemoteStep(
        self, request: hpb.RecordRemoteStepRequest, context: Any
    ) -> hpb.HandoverRecord:
        return await handovers_remote.record_step(self._deps, request)

    async def RecordHandoverResult(
        self, request: hpb.RecordHandoverResultRequest, context: Any
    ) -> hpb.HandoverRecord:
        return await handovers_remote.record_result(self._deps, request)

    # Home side (B), crossprovince only -----------------------------------------------------------

    async def ReceiveHandover(self, request: hpb.ReceiveHandoverRequest, context: Any) -> xp.HandoverAccepted:
        return await handovers_home.receive_handover(self._deps, request)

    async def ReceiveSupplement(self, request: hpb.ReceiveSupplementRequest, context: Any) -> pb.Case:
        return await handovers_home.receive_supplement(self._deps, request)

    async def ExportResult(self, request: hpb.ExportResultRequest, context: Any) -> xp.HandoverResult:
        return await handovers_home.export_result(self._deps, request)
