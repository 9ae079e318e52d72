"""Appointments' gRPC servicers: each RPC hands its request to the module that owns it."""

from __future__ import annotations

from typing import Any

from govhall.appointments.halls import Halls
from govhall.protos.appointments.v1 import halls_pb2 as pb
from govhall.protos.appointments.v1 import halls_pb2_grpc


class HallsService(halls_pb2_grpc.HallsServiceServicer):
    def __init__(self, halls: Halls) -> None:
        self._halls = halls

    async def ListHalls(self, request: pb.ListHallsRequest, context: Any) -> pb.ListHallsResponse:
        return await self._halls.listing(request)

    async def GetHall(self, request: pb.GetHallRequest, context: Any) -> pb.Hall:
        return await self._halls.get(request)
