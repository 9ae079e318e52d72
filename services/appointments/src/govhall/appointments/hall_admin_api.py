"""The servicers of hall_admin.proto: each RPC hands its request to the module that owns it."""

from __future__ import annotations

from typing import Any

from govhall.appointments.hall_admin import HallAdmin
from govhall.appointments.slot_admin import SlotAdmin
from govhall.appointments.slots import Slots
from govhall.appointments.timetables import Timetables
from govhall.protos.appointments.v1 import hall_admin_pb2 as pb
from govhall.protos.appointments.v1 import hall_admin_pb2_grpc, halls_pb2


class HallAdminService(hall_admin_pb2_grpc.HallAdminServiceServicer):
    def __init__(self, halls: HallAdmin, timetables: Timetables, slots: Slots, slot_admin: SlotAdmin) -> None:
        self._halls = halls
        self._timetables = timetables
        self._slots = slots
        self._slot_admin = slot_admin

    async def SaveHall(self, request: pb.SaveHallRequest, context: Any) -> halls_pb2.Hall:
        return await self._halls.save_hall(request)

    async def SaveWindow(self, request: pb.SaveWindowRequest, context: Any) -> halls_pb2.Window:
        window = await self._halls.save_window(request)
        # A window that starts (or stops) serving follows its hall's timetable from now on.
        await self._timetables.make(hall_id=window.hall_id)
        return window

    async def SaveTimetable(self, request: pb.SaveTimetableRequest, context: Any) -> pb.Timetable:
        return await self._timetables.save(request)

    async def ListTimetables(
        self, request: pb.ListTimetablesRequest, context: Any
    ) -> pb.ListTimetablesResponse:
        return await self._timetables.listing(request)

    async def ListHallSlots(self, request: pb.ListHallSlotsRequest, context: Any) -> pb.ListSlotsResponse:
        return await self._slots.of_hall(request)

    async def SetSlotCapacity(self, request: pb.SetSlotCapacityRequest, context: Any) -> pb.Slot:
        return await self._slot_admin.set_capacity(request)

    async def CloseSlots(self, request: pb.CloseSlotsRequest, context: Any) -> pb.CloseSlotsResponse:
        return await self._slot_admin.close(request)


class SlotsService(hall_admin_pb2_grpc.SlotsServiceServicer):
    def __init__(self, slots: Slots) -> None:
        self._slots = slots

    async def ListSlots(self, request: pb.ListSlotsRequest, context: Any) -> pb.ListSlotsResponse:
        return await self._slots.listing(request)
