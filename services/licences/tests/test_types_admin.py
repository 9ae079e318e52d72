"""Keeping licence types: platform administrators create and update under the revision, link
and unlink matters (a matter issues at most one type); everyone else is refused; bad input
names its field."""

from __future__ import annotations

import pytest

from govhall.protos.licences.v1 import types_pb2 as T
from govhall.protos.licences.v1 import types_pb2_grpc, verification_pb2_grpc
from govhall.protos.licences.v1 import verification_pb2 as pb

from .conftest import ADMIN, DEPT, ISSUER_CODE, MATTER, World, person, staff

pytestmark = pytest.mark.integration


def admin(world: World) -> verification_pb2_grpc.LicenceAdminServiceStub:
    return world.stub(verification_pb2_grpc.LicenceAdminServiceStub)


def marriage(**kw: object) -> T.LicenceType:
    values: dict[str, object] = {
        "code": "11100000000013338W012",
        "name": "结婚证",
        "issuer_department_code": DEPT,
        "issuer_name": "西陵区民政局",
        "issuer_code": ISSUER_CODE,
        "holder_kind": "person",
        "validity_years": 0,
        "fields": [T.LicenceField(key="spouse_name", label="配偶姓名", required=True)],
    } | kw
    return T.LicenceType(**values)  # type: ignore[arg-type]


async def test_create_update_under_revision_and_link_matters(world: World) -> None:
    stub = admin(world)
    made = await world.call(stub, "SaveLicenceType", pb.SaveLicenceTypeRequest(type=marriage()), ADMIN)
    assert (made.name, [f.key for f in made.fields], list(made.matter_codes)) == (
        "结婚证",
        ["spouse_name"],
        [],
    )

    updated = await world.call(
        stub,
        "SaveLicenceType",
        pb.SaveLicenceTypeRequest(type=marriage(name="结婚证书", holder_maintained=True), revision=1),
        ADMIN,
    )
    assert (updated.name, updated.holder_maintained) == ("结婚证书", True)
    stale = await world.fails(
        stub, "SaveLicenceType", pb.SaveLicenceTypeRequest(type=marriage(), revision=1), ADMIN
    )
    assert (stale.code, stale.kind.http_status) == ("REVISION_MISMATCH", 409)
    twice = await world.fails(stub, "SaveLicenceType", pb.SaveLicenceTypeRequest(type=marriage()), ADMIN)
    assert (twice.code, twice.kind.http_status) == ("LICENCE_TYPE_EXISTS", 409)

    linked = await world.call(
        stub, "LinkMatter", pb.LinkMatterRequest(type_code=made.code, matter_code=MATTER), ADMIN
    )
    assert list(linked.matter_codes) == [MATTER]
    read = await world.call(
        world.stub(types_pb2_grpc.LicenceTypesServiceStub),
        "GetLicenceType",
        T.GetLicenceTypeRequest(code=made.code),
        person(),
    )
    assert read.name == "结婚证书" and list(read.matter_codes) == [MATTER]
    await world.licence_type(matters=())  # 食品经营许可证
    taken = await world.fails(
        stub, "LinkMatter", pb.LinkMatterRequest(type_code="11100000000013338W011", matter_code=MATTER), ADMIN
    )
    assert (taken.code, taken.kind.http_status) == ("MATTER_LINKED", 409)
    unlinked = await world.call(
        stub, "UnlinkMatter", pb.LinkMatterRequest(type_code=made.code, matter_code=MATTER), ADMIN
    )
    assert list(unlinked.matter_codes) == []


async def test_only_admins_and_bad_fields_are_named(world: World) -> None:
    stub = admin(world)
    for caller in (person(), staff(["site_admin"])):
        refused = await world.fails(
            stub, "SaveLicenceType", pb.SaveLicenceTypeRequest(type=marriage()), caller
        )
        assert (refused.code, refused.kind.http_status) == ("ADMIN_ONLY", 403)
    cases = [
        (marriage(code="bad code"), "type.code"),
        (marriage(name=""), "type.name"),
        (marriage(issuer_code="123"), "type.issuer_code"),
        (marriage(holder_kind="robot"), "type.holder_kind"),
        (marriage(validity_years=-1), "type.validity_years"),
        (
            marriage(fields=[T.LicenceField(key="a", label="甲"), T.LicenceField(key="a", label="乙")]),
            "type.fields[1].key",
        ),
        (marriage(fields=[T.LicenceField(key="a", label="")]), "type.fields[0].label"),
    ]
    for bad, field in cases:
        err = await world.fails(stub, "SaveLicenceType", pb.SaveLicenceTypeRequest(type=bad), ADMIN)
        assert err.kind.http_status == 400 and [f.field for f in err.fields] == [field], field
    missing = await world.fails(
        stub, "LinkMatter", pb.LinkMatterRequest(type_code="NOPE", matter_code=MATTER), ADMIN
    )
    assert missing.code == "LICENCE_TYPE_NOT_FOUND"
    update_missing = await world.fails(
        stub, "SaveLicenceType", pb.SaveLicenceTypeRequest(type=marriage(), revision=3), ADMIN
    )
    assert update_missing.code == "LICENCE_TYPE_NOT_FOUND"
