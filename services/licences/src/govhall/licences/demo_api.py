"""The demo data's gRPC servicer (operators only): hands the request to demo.holdings."""

from __future__ import annotations

from typing import Any

from govhall.licences.demo.holdings import DemoHoldings
from govhall.protos.licences.v1 import demo_pb2 as pb
from govhall.protos.licences.v1 import demo_pb2_grpc


class LicencesDemoService(demo_pb2_grpc.LicencesDemoServiceServicer):
    def __init__(self, holdings: DemoHoldings) -> None:
        self._h = holdings

    async def LoadDemoLicences(
        self, request: pb.LoadDemoLicencesRequest, context: Any
    ) -> pb.LoadDemoLicencesResponse:
        return await self._h.load(request)
