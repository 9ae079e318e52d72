"""Licence types (证照目录) as anyone reads them."""

from __future__ import annotations

import pytest

from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.licences.v1 import types_pb2 as pb
from govhall.protos.licences.v1 import types_pb2_grpc

from .conftest import ANONYMOUS, FOOD_TYPE, ISSUER_CODE, MATTER, World, person

pytestmark = pytest.mark.integration


def types(world: World) -> types_pb2_grpc.LicenceTypesServiceStub:
    return world.stub(types_pb2_grpc.LicenceTypesServiceStub)


async def test_types_are_public_with_their_fields_and_matters(world: World) -> None:
    await world.licence_type()
    await world.licence_type("11100000000013338W012", "结婚证", matters=(), holder_kind="person")

    reply = await world.call(types(world), "ListLicenceTypes", pb.ListLicenceTypesRequest(), ANONYMOUS)

    assert sorted(t.name for t in reply.types) == ["结婚证", "食品经营许可证"] and reply.page.total == 2
    food = next(t for t in reply.types if t.code == FOOD_TYPE)
    assert (food.issuer_code, food.holder_kind, food.validity_years) == (ISSUER_CODE, "legal_person", 5)
    assert [(f.key, f.label, f.required) for f in food.fields] == [
        ("business_scope", "经营项目", True),
        ("address", "经营场所", False),
    ]
    assert list(food.matter_codes) == [MATTER]
    one = await world.call(types(world), "GetLicenceType", pb.GetLicenceTypeRequest(code=FOOD_TYPE), person())
    assert one == food


async def test_paging_unknown_and_malformed_codes(world: World) -> None:
    for n in range(3):
        await world.licence_type(f"TYPE{n}", f"证照{n}", matters=())
    second = await world.call(
        types(world),
        "ListLicenceTypes",
        pb.ListLicenceTypesRequest(page=C.PageRequest(page=2, page_size=2)),
        ANONYMOUS,
    )
    assert [t.name for t in second.types] == ["证照2"] and second.page.total == 3
    missing = await world.fails(
        types(world), "GetLicenceType", pb.GetLicenceTypeRequest(code="NOPE"), ANONYMOUS
    )
    assert missing.code == "LICENCE_TYPE_NOT_FOUND"
    bad = await world.fails(
        types(world), "GetLicenceType", pb.GetLicenceTypeRequest(code="bad code"), ANONYMOUS
    )
    assert (bad.code, [f.field for f in bad.fields]) == ("TYPE_CODE_INVALID", ["code"])
