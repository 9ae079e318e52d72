"""用证授权 in an application: a material taken from a licence is provided by the applicant's
licence through a grant cases confirms with licences (never the client's word), on SQLite and
PostgreSQL. Licences is a stand-in gRPC server holding one licence and its grants; the real
services together are driven through the gateway (services/gateway/tests/test_licences_grants.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from govhall.catalogue import testing as catalogue_world
from govhall.kit.errors import ErrorKind
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.licences.v1 import grants_pb2, grants_pb2_grpc, licences_pb2, licences_pb2_grpc

from .conftest import DEPT, World, matter_draft, pdf_bytes, person, png_bytes

pytestmark = pytest.mark.integration

LICENCE_MATTER = "420502-SCJG-0009"
BUSINESS = "11100000000013338W001"
LICENCE, GRANT = "lic-1", "grant-1"


class FakeLicences(licences_pb2_grpc.LicencesServiceServicer, grants_pb2_grpc.LicenceGrantsServiceServicer):
    """Licences as cases sees it: one valid 营业执照 (LICENCE) and the grants made of it. An id it
    does not hold is NOT_FOUND, as licences answers for someone else's licence."""

    def __init__(self) -> None:
        self.licence = licences_pb2.Licence(
            id=LICENCE,
            level="A",
            type_code=BUSINESS,
            type_name="营业执照",
            identifier="1.2.156.3005.2.11100000000013338W001.91420502MA4F0000XX.001.A",
            state="valid",
        )
        self.grants: list[grants_pb2.Grant] = []
        self.asked: list[str] = []

    async def GetMyLicence(self, request: Any, context: Any) -> licences_pb2.Licence:
        self.asked.append("GetMyLicence")
        if request.id != LICENCE:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such licence")
        return self.licence

    async def ListGrants(self, request: Any, context: Any) -> grants_pb2.ListGrantsResponse:
        self.asked.append("ListGrants")
        if request.licence_id != LICENCE:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such licence")
        return grants_pb2.ListGrantsResponse(grants=self.grants)

    def grant(
        self, case_id: str, grant_id: str = GRANT, material: str = "M04", state: str = "active"
    ) -> None:
        self.grants.insert(
            0,
            grants_pb2.Grant(
                id=grant_id, licence_id=LICENCE, case_id=case_id, material_code=material, state=state
            ),
        )


@pytest.fixture
async def licences(world: World) -> AsyncIterator[FakeLicences]:
    fake = FakeLicences()
    server = grpc.aio.server()
    licences_pb2_grpc.add_LicencesServiceServicer_to_server(fake, server)
    grants_pb2_grpc.add_LicenceGrantsServiceServicer_to_server(fake, server)
    server.add_insecure_port(world.licences_address)
    await server.start()
    draft = matter_draft()
    draft.materials.append(
        cat.Material(
            code="M04",
            name="营业执照",
            necessity=cat.MATERIAL_NECESSITY_REQUIRED,
            form=cat.MATERIAL_FORM_ELECTRONIC,
            source=cat.MATERIAL_SOURCE_LICENCE,
            licence_type_code=BUSINESS,
        )
    )
    await catalogue_world.seed(
        world.catalogue, departments=[(DEPT, "西陵区市场监督管理局")], matters=[(LICENCE_MATTER, draft)]
    )
    yield fake
    await server.stop(None)


def use(
    case_id: str, material: str = "M04", licence: str = LICENCE, grant: str = GRANT
) -> pb.UseLicenceRequest:
    return pb.UseLicenceRequest(case_id=case_id, material_code=material, licence_id=licence, grant_id=grant)


def licence_of(case: pb.Case, code: str = "M04") -> pb.MaterialLicence | None:
    [material] = [m for m in case.materials if m.code == code]
    return material.licence if material.HasField("licence") else None


async def test_a_granted_licence_is_the_materials_and_the_case_is_submitted(
    world: World, licences: FakeLicences
) -> None:
    me = person()
    case = await world.draft(me, matter_code=LICENCE_MATTER)
    assert licence_of(case) is None
    licences.grant(case.id)

    case = await world.call("UseLicence", use(case.id), me)
    ref = licence_of(case)
    assert ref is not None
    assert (ref.grant_id, ref.licence_id, ref.type_code, ref.type_name, ref.level) == (
        GRANT,
        LICENCE,
        BUSINESS,
        "营业执照",
        "A",
    )
    assert ref.identifier == licences.licence.identifier and ref.HasField("granted_at")
    assert licences.asked == ["GetMyLicence", "ListGrants"]
    # Read back as anyone reading the case reads it.
    again = await world.call("GetCase", pb.GetCaseRequest(case_id=case.id), me)
    assert licence_of(again) == ref

    # A newer grant replaces the reference: one licence per material.
    licences.grant(case.id, grant_id="grant-2")
    case = await world.call("UseLicence", use(case.id, grant="grant-2"), me)
    assert (ref2 := licence_of(case)) is not None and ref2.grant_id == "grant-2"

    for code, name, content in (("M01", "申请书.pdf", pdf_bytes()), ("M02", "平面图.png", png_bytes())):
        upload = pb.UploadMaterialRequest(
            case_id=case.id, material_code=code, file_name=name, content=content
        )
        await world.call("UploadMaterial", upload, me)
    submitted = await world.call("SubmitCase", pb.SubmitCaseRequest(case_id=case.id, notice_read=True), me)
    assert submitted.state == pb.CASE_STATE_SUBMITTED and licence_of(submitted) == ref2
    # Once submitted, the material is no longer the applicant's to change.
    err = await world.fails("UseLicence", use(case.id, grant="grant-2"), me)
    assert (err.kind, err.code) == (ErrorKind.WRONG_STATE, "CASE_NOT_IN_STATE"), err


async def test_cases_takes_no_grant_licences_does_not_confirm(world: World, licences: FakeLicences) -> None:
    me, other = person(), person(2, "李四")
    case = await world.draft(me, matter_code=LICENCE_MATTER)
    plain = await world.draft(me)  # MATTER has no material taken from a licence
    licences.grant("another-case", grant_id="grant-other-case")
    licences.grant(case.id, grant_id="grant-other-material", material="M01")
    licences.grant(case.id, grant_id="grant-revoked", state="revoked")
    licences.grant(case.id, grant_id="grant-expired", state="expired")
    refusals: list[tuple[pb.UseLicenceRequest, Any, ErrorKind, str, str]] = [
        (use(case.id, licence="someone-elses"), me, ErrorKind.NOT_FOUND, "LICENCE_NOT_FOUND", "licence_id"),
        (use(case.id, grant="no-such-grant"), me, ErrorKind.NOT_FOUND, "GRANT_NOT_FOUND", "grant_id"),
        (use(case.id, grant="grant-other-case"), me, ErrorKind.NOT_FOUND, "GRANT_NOT_FOUND", "grant_id"),
        (use(case.id, grant="grant-other-material"), me, ErrorKind.NOT_FOUND, "GRANT_NOT_FOUND", "grant_id"),
        (use(case.id, grant="grant-revoked"), me, ErrorKind.NOT_FOUND, "GRANT_NOT_FOUND", "grant_id"),
        (use(case.id, grant="grant-expired"), me, ErrorKind.NOT_FOUND, "GRANT_NOT_FOUND", "grant_id"),
        (use(case.id, material="M01"), me, ErrorKind.INVALID, "MATERIAL_NOT_FROM_LICENCE", "material_code"),
        (use(plain.id), me, ErrorKind.INVALID, "MATERIAL_NOT_FROM_LICENCE", "material_code"),
        (use(case.id, grant="bad id"), me, ErrorKind.INVALID, "ID_INVALID", "grant_id"),
    ]
    for request, who, kind, code, field in refusals:
        err = await world.fails("UseLicence", request, who)
        assert (err.kind, err.code, [f.field for f in err.fields]) == (kind, code, [field]), (request, err)
    # Someone else's case: cases' own 404, and licences is not asked.
    asked = len(licences.asked)
    err = await world.fails("UseLicence", use(case.id), other)
    assert (err.kind, err.code) == (ErrorKind.NOT_FOUND, "CASE_NOT_FOUND") and len(licences.asked) == asked

    licences.grant(case.id)
    licences.licence.type_code = "11100000000013338W002"
    err = await world.fails("UseLicence", use(case.id), me)
    assert (err.code, [f.field for f in err.fields]) == ("LICENCE_TYPE_MISMATCH", ["licence_id"])
    licences.licence.type_code, licences.licence.state = BUSINESS, "suspended"
    err = await world.fails("UseLicence", use(case.id), me)
    assert (err.code, [f.field for f in err.fields]) == ("LICENCE_NOT_VALID", ["licence_id"])
    case = await world.call("GetCase", pb.GetCaseRequest(case_id=case.id), me)
    assert licence_of(case) is None
