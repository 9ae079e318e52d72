"""Slots and hall keeping: the public slots of a bookable matter, and the routes a site's
administrators keep its halls by (halls, windows, timetables, a slot's capacity, a closed day).
Appointments authorises every change itself (site_admin of the hall's site, or a platform admin)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query

from govhall.gateway import appointments_halls_model as views
from govhall.gateway.appointments_model import HallOut, hall_out
from govhall.gateway.auth import Admin, Caller
from govhall.gateway.params import DayQuery, FromDayQuery, IdPath, MatterCodePath, SitePath
from govhall.gateway.protojson import out
from govhall.gateway.upstreams import Upstreams
from govhall.protos.appointments.v1 import hall_admin_pb2 as pb

HALLS = "/api/v1/admin/sites/{site}/halls"


def hall_routes(up: Callable[[], Upstreams]) -> APIRouter:
    router = APIRouter(tags=["appointments"])

    @router.get(
        "/api/v1/sites/{site}/matters/{code}/slots",
        summary="The free and full slots of a bookable matter at the site's halls (Beijing time)",
        operation_id="listSlots",
    )
    async def list_slots(
        site: SitePath,
        code: MatterCodePath,
        caller: Caller,
        from_: FromDayQuery = "",
        to: DayQuery = "",
        hall: Annotated[str, Query(pattern=r"^[0-9A-Za-z-]{1,36}$")] = "",
    ) -> views.SlotsOut:
        request = pb.ListSlotsRequest(
            site_code=site, matter_code=code, from_day=from_, to_day=to, hall_id=hall
        )
        return views.slots_out(await up().appointments.call(lambda s: s.slots.ListSlots, request, caller))

    @router.post(
        HALLS, summary="Open a hall (site administrators)", operation_id="createHall", status_code=201
    )
    async def create_hall(site: SitePath, body: views.HallIn, caller: Admin) -> HallOut:
        request = pb.SaveHallRequest(site_code=site, hall=body.draft())
        return hall_out(await up().appointments.call(lambda s: s.hall_admin.SaveHall, request, caller))

    @router.put(HALLS + "/{hall}", summary="Change a hall (revision required)", operation_id="updateHall")
    async def update_hall(site: SitePath, hall: IdPath, body: views.HallIn, caller: Admin) -> HallOut:
        request = pb.SaveHallRequest(site_code=site, hall_id=hall, revision=body.revision, hall=body.draft())
        return hall_out(await up().appointments.call(lambda s: s.hall_admin.SaveHall, request, caller))

    @router.post(
        HALLS + "/{hall}/windows", summary="Open a window", operation_id="createHallWindow", status_code=201
    )
    async def create_window(
        site: SitePath, hall: IdPath, body: views.WindowIn, caller: Admin
    ) -> views.WindowOut:
        request = pb.SaveWindowRequest(hall_id=hall, window=body.draft())
        reply = await up().appointments.call(lambda s: s.hall_admin.SaveWindow, request, caller)
        return out(views.WindowOut, reply)

    @router.put(
        HALLS + "/{hall}/windows/{window}",
        summary="Change a window and the matters it serves (revision required)",
        operation_id="updateHallWindow",
    )
    async def update_window(
        site: SitePath, hall: IdPath, window: IdPath, body: views.WindowIn, caller: Admin
    ) -> views.WindowOut:
        request = pb.SaveWindowRequest(
            hall_id=hall, window_id=window, revision=body.revision, window=body.draft()
        )
        reply = await up().appointments.call(lambda s: s.hall_admin.SaveWindow, request, caller)
        return out(views.WindowOut, reply)

    @router.get(HALLS + "/{hall}/timetables", summary="A hall's timetables", operation_id="listTimetables")
    async def list_timetables(site: SitePath, hall: IdPath, caller: Admin) -> views.TimetablesOut:
        request = pb.ListTimetablesRequest(hall_id=hall)
        return views.timetables_out(
            await up().appointments.call(lambda s: s.hall_admin.ListTimetables, request, caller)
        )

    @router.put(
        HALLS + "/{hall}/timetables",
        summary="Set the timetable of the hall, a window or a matter; the horizon's slots follow",
        operation_id="saveTimetable",
    )
    async def save_timetable(
        site: SitePath, hall: IdPath, body: views.TimetableIn, caller: Admin
    ) -> views.TimetableOut:
        timetable = pb.Timetable(
            hall_id=hall,
            window_id=body.window_id,
            matter_code=body.matter_code,
            sessions=[pb.Session(weekday=s.weekday, start=s.start, end=s.end) for s in body.sessions],
            slot_minutes=body.slot_minutes,
            capacity=body.capacity,
            revision=body.revision,
        )
        request = pb.SaveTimetableRequest(timetable=timetable)
        reply = await up().appointments.call(lambda s: s.hall_admin.SaveTimetable, request, caller)
        return out(views.TimetableOut, reply)

    @router.get(HALLS + "/{hall}/slots", summary="A hall's slots of one day", operation_id="listHallSlots")
    async def hall_slots(site: SitePath, hall: IdPath, day: DayQuery, caller: Admin) -> views.SlotsOut:
        request = pb.ListHallSlotsRequest(hall_id=hall, day=day)
        return views.slots_out(
            await up().appointments.call(lambda s: s.hall_admin.ListHallSlots, request, caller)
        )

    @router.put(
        HALLS + "/{hall}/slots/{slot}/capacity",
        summary="One slot's capacity (never below its bookings: 409 CAPACITY_BELOW_BOOKED)",
        operation_id="setSlotCapacity",
    )
    async def set_capacity(
        site: SitePath, hall: IdPath, slot: IdPath, body: views.CapacityIn, caller: Admin
    ) -> views.SlotOut:
        request = pb.SetSlotCapacityRequest(slot_id=slot, capacity=body.capacity, revision=body.revision)
        return out(
            views.SlotOut,
            await up().appointments.call(lambda s: s.hall_admin.SetSlotCapacity, request, caller),
        )

    @router.post(
        HALLS + "/{hall}/close",
        summary="Close a day of the hall (or one slot) with a reason: its bookings are cancelled",
        operation_id="closeHallSlots",
    )
    async def close(site: SitePath, hall: IdPath, body: views.CloseIn, caller: Admin) -> views.ClosedOut:
        request = pb.CloseSlotsRequest(hall_id=hall, day=body.day, slot_id=body.slot_id, reason=body.reason)
        reply = await up().appointments.call(lambda s: s.hall_admin.CloseSlots, request, caller)
        return views.ClosedOut(slots_closed=reply.slots_closed, bookings_cancelled=reply.bookings_cancelled)

    return router


__all__ = ["hall_routes"]
