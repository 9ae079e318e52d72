"""The holder's 证照库: reads of every level, and level C kept by the holder."""

from __future__ import annotations

import struct
import zlib

import pytest

from govhall.contracts import cases as cases_contract
from govhall.kit.events import Delivery, make_event
from govhall.licences import issuance
from govhall.protos.cases.v1 import cases_pb2
from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.licences.v1 import licences_pb2 as pb
from govhall.protos.licences.v1 import licences_pb2_grpc

from .conftest import ANONYMOUS, DEPT, MATTER, World, person, staff

pytestmark = pytest.mark.integration

MARRIAGE = "11100000000013338W012"


def enterprise(n: int = 1, **kw: object) -> C.CallerIdentity:
    return C.CallerIdentity(
        kind=C.CALLER_KIND_LEGAL_PERSON, subject=f"ent-{n}", name="宜昌好味餐饮有限公司", **kw
    )


def png(seed: int = 0) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00" + bytes([seed % 256, 0, 0])))
        + chunk(b"IEND", b"")
    )


def stub(world: World) -> licences_pb2_grpc.LicencesServiceStub:
    return world.stub(licences_pb2_grpc.LicencesServiceStub)


async def issue_a(world: World, case_id: str = "case-1", subject: str = "ent-1") -> None:
    message = cases_pb2.CaseChanged(
        case_id=case_id,
        matter_code=MATTER,
        site_code="420502",
        department_code=DEPT,
        result_code=0,
        applicant=cases_pb2.Applicant(kind="legal_person", subject=subject, name="宜昌好味餐饮有限公司"),
    )
    event = make_event(cases_contract.CONCLUDED, message)
    await issuance.Issuance(world.db).handler()(Delivery(event.subject, event.payload, event.event_id))


async def own_type(world: World) -> str:
    return await world.licence_type(
        MARRIAGE,
        "结婚证",
        matters=(),
        holder_kind="person",
        holder_maintained=True,
        fields=[{"key": "spouse", "label": "配偶姓名", "required": True}],
    )


def c_request(**kw: object) -> pb.CreateMyLicenceRequest:
    values: dict[str, object] = {
        "type_code": MARRIAGE,
        "number": "J420502-2020-001",
        "issued_on": "2020-05-20",
        "issuer_name": "西陵区民政局",
        "metadata": {"spouse": "李四"},
        "file_name": "结婚证.png",
        "content": png(),
    }
    values.update(kw)
    return pb.CreateMyLicenceRequest(**values)  # type: ignore[arg-type]


async def test_the_holder_lists_and_reads_an_issued_licence_and_nobody_else_sees_it(world: World) -> None:
    await world.licence_type()
    await issue_a(world)
    mine = await world.call(stub(world), "ListMyLicences", pb.ListMyLicencesRequest(), enterprise())
    [licence] = mine.licences
    assert (licence.level, licence.type_name, licence.case_id, licence.editable) == (
        "A",
        "食品经营许可证",
        "case-1",
        False,
    )
    assert (
        licence.identifier.startswith("1.2.156.3005.2.") and licence.verify_code and licence.has_file is False
    )
    got = await world.call(stub(world), "GetMyLicence", pb.GetMyLicenceRequest(id=licence.id), enterprise())
    assert got == licence

    for other in (enterprise(2), person(1)):
        assert (
            await world.call(stub(world), "ListMyLicences", pb.ListMyLicencesRequest(), other)
        ).licences == []
        missing = await world.fails(stub(world), "GetMyLicence", pb.GetMyLicenceRequest(id=licence.id), other)
        assert missing.code == "LICENCE_NOT_FOUND"
    refused = await world.fails(
        stub(world), "GetMyLicence", pb.GetMyLicenceRequest(id=licence.id), staff(["approver"])
    )
    assert refused.code == "HOLDER_ONLY"
    assert (
        await world.fails(stub(world), "ListMyLicences", pb.ListMyLicencesRequest(), ANONYMOUS)
    ).code == "SIGN_IN_REQUIRED"
    # An agent acts for the enterprise only with the licences scope.
    agent = enterprise(actor_subject="person-9", authorisation_id="auth-1", scopes=["cases"])
    assert (
        await world.fails(stub(world), "ListMyLicences", pb.ListMyLicencesRequest(), agent)
    ).code == "AGENT_SCOPE_MISSING"
    agent.scopes.append("licences")
    assert (
        len((await world.call(stub(world), "ListMyLicences", pb.ListMyLicencesRequest(), agent)).licences)
        == 1
    )


async def test_a_level_a_licence_is_read_only_to_its_holder(world: World) -> None:
    await world.licence_type()
    await issue_a(world)
    [licence] = (
        await world.call(stub(world), "ListMyLicences", pb.ListMyLicencesRequest(), enterprise())
    ).licences
    update = pb.UpdateMyLicenceRequest(id=licence.id, revision=1, number="X", issued_on="2020-01-01")
    assert (
        await world.fails(stub(world), "UpdateMyLicence", update, enterprise())
    ).code == "LICENCE_READ_ONLY"
    deleted = await world.fails(
        stub(world), "DeleteMyLicence", pb.DeleteMyLicenceRequest(id=licence.id, revision=1), enterprise()
    )
    assert deleted.code == "LICENCE_READ_ONLY"


async def test_the_holder_keeps_their_own_level_c_licence(world: World) -> None:
    await own_type(world)
    created = await world.call(stub(world), "CreateMyLicence", c_request(), person(1))
    assert (created.level, created.editable, created.revision, dict(created.metadata)) == (
        "C",
        True,
        1,
        {"spouse": "李四"},
    )
    assert created.identifier == "" and created.verify_code == "" and created.has_file
    scan = await world.call(stub(world), "GetMyLicenceFile", pb.GetMyLicenceRequest(id=created.id), person(1))
    assert (scan.media_type, scan.content) == ("image/png", png())

    edit = pb.UpdateMyLicenceRequest(
        id=created.id,
        revision=1,
        number="J420502-2020-002",
        issued_on="2020-05-21",
        metadata={"spouse": "李四"},
        file_name="新.png",
        content=png(1),
    )
    edited = await world.call(stub(world), "UpdateMyLicence", edit, person(1))
    assert (edited.number, edited.revision, edited.issued_on) == ("J420502-2020-002", 2, "2020-05-21")
    assert (
        await world.call(stub(world), "GetMyLicenceFile", pb.GetMyLicenceRequest(id=created.id), person(1))
    ).content == png(1)
    assert (await world.fails(stub(world), "UpdateMyLicence", edit, person(1))).code == "LICENCE_CHANGED"
    other = await world.fails(
        stub(world), "DeleteMyLicence", pb.DeleteMyLicenceRequest(id=created.id, revision=2), person(2)
    )
    assert other.code == "LICENCE_NOT_FOUND"
    stale = await world.fails(
        stub(world), "DeleteMyLicence", pb.DeleteMyLicenceRequest(id=created.id, revision=1), person(1)
    )
    assert stale.code == "LICENCE_CHANGED"
    await world.call(
        stub(world), "DeleteMyLicence", pb.DeleteMyLicenceRequest(id=created.id, revision=2), person(1)
    )
    assert (
        await world.call(stub(world), "ListMyLicences", pb.ListMyLicencesRequest(), person(1))
    ).licences == []


async def test_the_holder_deletes_their_own_licence_after_its_expiry_was_announced(world: World) -> None:
    from govhall.licences.verification import ExpirySweep

    await own_type(world)
    created = await world.call(stub(world), "CreateMyLicence", c_request(valid_until="2021-05-20"), person(1))
    assert await ExpirySweep(world.db).sweep() == 1
    await world.call(
        stub(world), "DeleteMyLicence", pb.DeleteMyLicenceRequest(id=created.id, revision=1), person(1)
    )
    assert (
        await world.call(stub(world), "ListMyLicences", pb.ListMyLicencesRequest(), person(1))
    ).licences == []


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"content": b"not an image"}, "FILE_TYPE_NOT_ACCEPTED", "content"),
        ({"content": b""}, "FILE_EMPTY", "content"),
        ({"metadata": {}}, "FIELD_REQUIRED", "metadata.spouse"),
        ({"metadata": {"spouse": "李四", "x": "1"}}, "FIELD_UNKNOWN", "metadata.x"),
        ({"issued_on": "2020-13-01"}, "DATE_INVALID", "issued_on"),
        ({"number": " "}, "FIELD_REQUIRED", "number"),
        ({"type_code": "11100000000013338W011"}, "TYPE_NOT_HOLDER_MAINTAINED", "type_code"),
        ({"type_code": "bad code"}, "TYPE_CODE_INVALID", "type_code"),
    ],
)
async def test_bad_level_c_input_names_the_field(
    world: World, change: dict[str, object], code: str, field: str
) -> None:
    await own_type(world)
    await world.licence_type()
    failed = await world.fails(stub(world), "CreateMyLicence", c_request(**change), person(1))
    assert failed.code == code and [f.field for f in failed.fields] == [field]
