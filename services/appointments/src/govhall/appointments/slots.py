"""The slots people book: a bookable matter's slots at a site's halls (public), and a hall's
slots of one day as its administrators see them.

A matter is bookable where the catalogue's guide says so (the matter's appointment flag, asked
of the catalogue as appointments itself) and only at the windows that serve it: listed in
window_matters, or of the matter's department.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import grpc
import sqlalchemy as sa

from govhall.appointments import access
from govhall.appointments.events import CHINA, china_time
from govhall.appointments.hall_admin import admin_hall, now
from govhall.appointments.tables import halls, slots, window_matters, windows
from govhall.kit.db import Database
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.kit.grpcclient import call_options, domain_error
from govhall.protos.appointments.v1 import hall_admin_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc

MAX_SLOTS = 2_000


def day(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise invalid(
            "DAY_INVALID", f"{field} is a date YYYY-MM-DD", f"{field} 应为 YYYY-MM-DD 格式的日期", field
        ) from None


def slot_out(row: Any) -> pb.Slot:
    return pb.Slot(
        id=row.id,
        hall_id=row.hall_id,
        hall_name=row.hall_name,
        window_id=row.window_id,
        window_name=row.window_name,
        starts_at=china_time(row.starts_at).isoformat(),
        ends_at=china_time(row.ends_at).isoformat(),
        capacity=row.capacity,
        booked=row.booked,
        remaining=max(row.capacity - row.booked, 0),
        closed=row.closed,
        close_reason=row.close_reason,
        revision=row.revision,
    )


def with_names() -> Any:
    return (
        sa.select(slots, halls.c.name.label("hall_name"), windows.c.name.label("window_name"))
        .join(halls, halls.c.id == slots.c.hall_id)
        .join(windows, windows.c.id == slots.c.window_id)
    )


async def bookable_matter(
    catalogue: catalogue_pb2_grpc.CatalogueServiceStub, site: str, code: str, field: str = ""
) -> cat.Matter:
    """The published matter seen from `site`, when its guide allows appointments. A matter that
    does not is MATTER_NOT_BOOKABLE: 422 when listing its slots, or 400 naming `field` when it
    was a field of the request (a booking's matter_code)."""
    try:
        matter = await catalogue.GetMatter(
            cat.GetMatterRequest(site_code=site, code=code), **call_options(access.SERVICE_CALLER)
        )
    except grpc.aio.AioRpcError as err:
        if err.code() != grpc.StatusCode.NOT_FOUND:
            raise domain_error(err) from None
        matter = None
    if matter is None or matter.status != cat.MATTER_STATUS_PUBLISHED:
        raise DomainError(
            "MATTER_NOT_FOUND",
            "no published matter with this code at this site",
            "该站点没有此事项或事项未发布",
            ErrorKind.NOT_FOUND,
        )
    if not matter.draft.appointment:
        english = "this matter cannot be booked: its guide does not offer appointments"
        if field:
            raise invalid("MATTER_NOT_BOOKABLE", english, "该事项不提供预约办理", field)
        raise DomainError("MATTER_NOT_BOOKABLE", english, "该事项不提供预约办理", ErrorKind.UNPROCESSABLE)
    return matter


class Slots:
    def __init__(
        self, db: Database, catalogue: catalogue_pb2_grpc.CatalogueServiceStub, horizon_days: int
    ) -> None:
        self.db = db
        self.catalogue = catalogue
        self.horizon_days = horizon_days

    async def listing(self, r: pb.ListSlotsRequest) -> pb.ListSlotsResponse:
        site = access.site_code(r.site_code)
        code = access.matter_code(r.matter_code)
        if r.hall_id:
            access.object_id(r.hall_id, "hall_id")
        at = now()
        today = at.astimezone(CHINA).date()
        last = today + dt.timedelta(days=self.horizon_days - 1)
        first = day(r.from_day, "from") if r.from_day else today
        until = day(r.to_day, "to") if r.to_day else last
        if first < today:
            raise invalid("FROM_BEFORE_TODAY", "from is today or later", "开始日期不能早于今天", "from")
        if until > last:
            raise invalid(
                "TO_BEYOND_HORIZON",
                f"to is at most {self.horizon_days} days ahead ({last})",
                f"结束日期不能晚于{last}（可预约{self.horizon_days}天内）",
                "to",
            )
        if until < first:
            raise invalid("TO_BEFORE_FROM", "to is on or after from", "结束日期不能早于开始日期", "to")
        matter = await bookable_matter(self.catalogue, site, code)
        listed = sa.select(window_matters.c.window_id).where(window_matters.c.matter_code == code)
        serving = sa.or_(windows.c.id.in_(listed), windows.c.department_code == matter.draft.department_code)
        query = with_names().where(
            halls.c.site_code == site,
            windows.c.active.is_(True),
            serving,
            slots.c.closed.is_(False),
            slots.c.day >= first,
            slots.c.day <= until,
            slots.c.starts_at > at,
        )
        if r.hall_id:
            query = query.where(slots.c.hall_id == r.hall_id)
        async with self.db.reader() as uow:
            rows = (
                await uow.conn.execute(
                    query.order_by(slots.c.starts_at, halls.c.name, windows.c.name).limit(MAX_SLOTS)
                )
            ).all()
        return pb.ListSlotsResponse(slots=[slot_out(row) for row in rows])

    async def of_hall(self, r: pb.ListHallSlotsRequest) -> pb.ListSlotsResponse:
        on = day(r.day, "day")
        async with self.db.reader() as uow:
            hall = await admin_hall(uow, r.hall_id)
            rows = (
                await uow.conn.execute(
                    with_names()
                    .where(slots.c.hall_id == hall.id, slots.c.day == on)
                    .order_by(slots.c.starts_at, windows.c.name)
                )
            ).all()
        return pb.ListSlotsResponse(slots=[slot_out(row) for row in rows])
