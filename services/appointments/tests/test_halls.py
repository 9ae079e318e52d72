"""A site's halls and their windows, as the public reads them."""

from __future__ import annotations

import pytest

from govhall.protos.appointments.v1 import halls_pb2 as pb
from govhall.protos.appointments.v1 import halls_pb2_grpc
from govhall.protos.common.v1 import common_pb2 as C

from .conftest import ANONYMOUS, CITY, COUNTY, MATTER, World, person

pytestmark = pytest.mark.integration


def halls(world: World) -> halls_pb2_grpc.HallsServiceStub:
    return world.stub(halls_pb2_grpc.HallsServiceStub)


async def test_a_sites_halls_are_public_with_their_windows_and_matters(world: World) -> None:
    hall_id, window_id = await world.hall(requires_reply=True)
    await world.hall(name="西陵区不动产登记中心", matters=())
    await world.hall(name="宜昌市民之家", site=CITY)

    reply = await world.call(halls(world), "ListHalls", pb.ListHallsRequest(site_code=COUNTY), ANONYMOUS)

    assert [h.name for h in reply.halls] == sorted(["西陵区政务服务中心", "西陵区不动产登记中心"])
    assert reply.page.total == 2
    centre = next(h for h in reply.halls if h.id == hall_id)
    assert centre.requires_reply and centre.phone == "0717-6222222"
    assert [(w.id, w.name, list(w.matter_codes)) for w in centre.windows] == [
        (window_id, "1号窗口", [MATTER])
    ]
    one = await world.call(halls(world), "GetHall", pb.GetHallRequest(hall_id=hall_id), person())
    assert one == centre


async def test_lists_page_and_bad_input_names_the_field(world: World) -> None:
    for n in range(3):
        await world.hall(name=f"大厅{n}", matters=())
    second = await world.call(
        halls(world),
        "ListHalls",
        pb.ListHallsRequest(site_code=COUNTY, page=C.PageRequest(page=2, page_size=2)),
        ANONYMOUS,
    )
    assert [h.name for h in second.halls] == ["大厅2"] and second.page.total == 3

    bad_site = await world.fails(halls(world), "ListHalls", pb.ListHallsRequest(site_code="4205"), ANONYMOUS)
    assert (bad_site.code, [f.field for f in bad_site.fields]) == ("SITE_CODE_INVALID", ["site_code"])
    bad_size = await world.fails(
        halls(world),
        "ListHalls",
        pb.ListHallsRequest(site_code=COUNTY, page=C.PageRequest(page_size=1000)),
        ANONYMOUS,
    )
    assert (bad_size.code, [f.field for f in bad_size.fields]) == ("PAGE_SIZE_INVALID", ["page_size"])
    missing = await world.fails(halls(world), "GetHall", pb.GetHallRequest(hall_id="nope"), ANONYMOUS)
    assert missing.code == "HALL_NOT_FOUND"
    malformed = await world.fails(halls(world), "GetHall", pb.GetHallRequest(hall_id="../x"), ANONYMOUS)
    assert (malformed.code, [f.field for f in malformed.fields]) == ("ID_INVALID", ["hall_id"])
