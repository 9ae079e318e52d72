"""What appointments' routes answer (halls now; slots, bookings and the hall desk as they are
built): typed response models and the one mapping onto them."""

from __future__ import annotations

from govhall.gateway.model import PageOut, page_out
from govhall.gateway.protojson import Out, model_of, out
from govhall.protos.appointments.v1 import halls_pb2 as halls_pb

_HALL = model_of(halls_pb.Hall.DESCRIPTOR, name="Hall_")


class HallOut(_HALL):  # type: ignore[misc,valid-type]
    """A hall (办事大厅) with its windows (窗口) and the matters each serves."""


class HallsOut(Out):
    items: list[HallOut]
    page: PageOut


def hall_out(h: halls_pb.Hall) -> HallOut:
    return out(HallOut, h)


def halls_out(reply: halls_pb.ListHallsResponse) -> HallsOut:
    return HallsOut(items=[hall_out(h) for h in reply.halls], page=page_out(reply.page))
