"""Halls (办事大厅) and their windows as the public reads them.

A hall's windows come with it, each with the matters it serves. Keeping halls (site
administrators), timetables and slots are their own modules beside this one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from govhall.appointments import access
from govhall.appointments.tables import halls, window_matters, windows
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.paging import page_info, paging
from govhall.protos.appointments.v1 import halls_pb2 as pb


class Halls:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def listing(self, request: pb.ListHallsRequest) -> pb.ListHallsResponse:
        site = access.site_code(request.site_code)
        number, size = paging(request.page)
        async with self.db.reader() as uow:
            mine = halls.c.site_code == site
            total = (await uow.conn.execute(sa.select(sa.func.count()).where(mine))).scalar_one()
            rows = (
                await uow.conn.execute(
                    sa.select(halls)
                    .where(mine)
                    .order_by(halls.c.name, halls.c.id)
                    .limit(size)
                    .offset((number - 1) * size)
                )
            ).all()
            found = await with_windows(uow, rows)
        return pb.ListHallsResponse(halls=found, page=page_info(number, size, total))

    async def get(self, request: pb.GetHallRequest) -> pb.Hall:
        hall_id = access.object_id(request.hall_id, "hall_id")
        async with self.db.reader() as uow:
            row = (await uow.conn.execute(sa.select(halls).where(halls.c.id == hall_id))).first()
            if row is None:
                raise access.hall_not_found()
            return (await with_windows(uow, [row]))[0]


async def with_windows(uow: UnitOfWork, rows: Sequence[Any]) -> list[pb.Hall]:
    """The halls of `rows` as messages, each with its windows (name order) and their matters."""
    ids = [r.id for r in rows]
    window_rows = (
        await uow.conn.execute(
            sa.select(windows).where(windows.c.hall_id.in_(ids)).order_by(windows.c.name, windows.c.id)
        )
    ).all()
    served: dict[str, list[str]] = defaultdict(list)
    if window_rows:
        for wm in await uow.conn.execute(
            sa.select(window_matters)
            .where(window_matters.c.window_id.in_([w.id for w in window_rows]))
            .order_by(window_matters.c.matter_code)
        ):
            served[wm.window_id].append(wm.matter_code)
    by_hall: dict[str, list[pb.Window]] = defaultdict(list)
    for w in window_rows:
        by_hall[w.hall_id].append(
            pb.Window(
                id=w.id,
                hall_id=w.hall_id,
                name=w.name,
                department_code=w.department_code or "",
                matter_codes=served[w.id],
                requires_reply=w.requires_reply,
                active=w.active,
                revision=w.revision,
            )
        )
    return [
        pb.Hall(
            id=r.id,
            site_code=r.site_code,
            name=r.name,
            address=r.address,
            hours=r.hours,
            phone=r.phone,
            longitude=r.longitude or 0.0,
            latitude=r.latitude or 0.0,
            requires_reply=r.requires_reply,
            revision=r.revision,
            windows=by_hall[r.id],
        )
        for r in rows
    ]
