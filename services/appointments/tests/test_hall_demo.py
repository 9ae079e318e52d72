"""The demo halls load through appointments' own API, signed as the operators, once."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from govhall.appointments import tables
from govhall.appointments.demo import demo_halls, load_demo_into
from govhall.kit.trust import Signer
from govhall.protos.appointments.v1 import halls_pb2 as pb
from govhall.protos.appointments.v1 import halls_pb2_grpc

from .conftest import ANONYMOUS, COUNTY, World

pytestmark = pytest.mark.integration


async def test_the_demo_halls_windows_and_timetables_load_once(world: World, platform: Any) -> None:
    ops = Signer.from_settings(platform, "ops")
    data = demo_halls()
    assert await load_demo_into(world.address, ops) == len(data["halls"])
    assert await load_demo_into(world.address, ops) == 0  # idempotent

    reply = await world.call(
        world.stub(halls_pb2_grpc.HallsServiceStub),
        "ListHalls",
        pb.ListHallsRequest(site_code=COUNTY),
        ANONYMOUS,
    )
    assert [h.name for h in reply.halls] == ["西陵区政务服务中心"]
    windows = {w.name: (list(w.matter_codes), w.requires_reply) for w in reply.halls[0].windows}
    assert windows == {
        "1号窗口 户政窗口": (["420502-GAFJ-0001", "420502-GAFJ-0002"], False),
        "2号窗口 社会事务窗口": (["420502-MZJ-0001"], True),
    }
    async with world.db.reader() as uow:
        timetables = await uow.conn.scalar(sa.select(sa.func.count()).select_from(tables.timetables))
        slot_windows = set((await uow.conn.execute(sa.select(tables.slots.c.window_id).distinct())).scalars())
    assert timetables == len(data["halls"])
    assert {w.id for w in reply.halls[0].windows} <= slot_windows
