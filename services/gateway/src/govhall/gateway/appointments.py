"""Appointments' REST routes: a site's halls (public); slots, bookings and the hall desk join here
as they are built. Every object is authorised by appointments itself from the caller."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter

from govhall.gateway import appointments_model as views
from govhall.gateway.appointments_bookings import bookings_routes
from govhall.gateway.appointments_desk import desk_routes
from govhall.gateway.appointments_halls import hall_routes
from govhall.gateway.auth import Caller
from govhall.gateway.params import IdPath, PageNo, PageSize, SitePath
from govhall.gateway.upstreams import Upstreams
from govhall.protos.appointments.v1 import halls_pb2 as halls_pb
from govhall.protos.common.v1 import common_pb2


def appointments_routes(up: Callable[[], Upstreams]) -> APIRouter:
    router = APIRouter()

    @router.get(
        "/api/v1/sites/{site}/halls",
        tags=["appointments"],
        summary="A site's halls (办事大厅) with their windows, address, hours and phone",
        operation_id="listHalls",
    )
    async def list_halls(
        site: SitePath, caller: Caller, page: PageNo = 1, page_size: PageSize = 20
    ) -> views.HallsOut:
        request = halls_pb.ListHallsRequest(
            site_code=site, page=common_pb2.PageRequest(page=page, page_size=page_size)
        )
        return views.halls_out(await up().appointments.call(lambda s: s.halls.ListHalls, request, caller))

    @router.get(
        "/api/v1/halls/{hall}",
        tags=["appointments"],
        summary="One hall with its windows",
        operation_id="getHall",
    )
    async def get_hall(hall: IdPath, caller: Caller) -> views.HallOut:
        request = halls_pb.GetHallRequest(hall_id=hall)
        return views.hall_out(await up().appointments.call(lambda s: s.halls.GetHall, request, caller))

    router.include_router(bookings_routes(up))
    router.include_router(hall_routes(up))
    router.include_router(desk_routes(up))
    return router


__all__ = ["appointments_routes"]
