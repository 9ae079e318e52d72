"""The demo citizen's 证照库 loads through licences' own code behind an operators-only RPC: one
licence of each level (A issued with its PDF, B imported, C the holder's own), each once however
often the loader runs, and A and B verify valid."""

from __future__ import annotations

from typing import Any

import pytest

from govhall.kit.errors import DomainError
from govhall.kit.trust import Signer
from govhall.licences.demo import load_demo_into
from govhall.licences.demo.holdings import demo_holdings, load_demo_licences
from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.licences.v1 import demo_pb2, demo_pb2_grpc, licences_pb2_grpc, verification_pb2_grpc
from govhall.protos.licences.v1 import licences_pb2 as L
from govhall.protos.licences.v1 import verification_pb2 as V

from .conftest import ANONYMOUS, World, person

pytestmark = pytest.mark.integration


def demo_holder() -> C.CallerIdentity:
    holder = demo_holdings()["holder"]
    return C.CallerIdentity(
        kind=C.CALLER_KIND_PERSON, subject=holder["subject"], name=holder["name"], real_name_level=2
    )


async def test_the_demo_citizens_licences_load_once_and_verify(world: World, platform: Any) -> None:
    ops = Signer.from_settings(platform, "ops")
    await load_demo_into(world.address, ops)
    assert await load_demo_licences(world.address, ops) == 3
    assert await load_demo_licences(world.address, ops) == 0  # idempotent: nothing twice

    mine = world.stub(licences_pb2_grpc.LicencesServiceStub)
    reply = await world.call(
        mine, "ListMyLicences", L.ListMyLicencesRequest(page=C.PageRequest(page_size=50)), demo_holder()
    )
    assert sorted(lic.level for lic in reply.licences) == ["A", "B", "C"]
    by_level = {lic.level: lic for lic in reply.licences}
    a, b, c = by_level["A"], by_level["B"], by_level["C"]
    assert (a.type_name, a.holder_name, a.has_file, a.editable) == ("医师执业证书", "宜小昌", True, False)
    assert a.metadata["practice_place"] == "宜昌市西陵区人民医院"
    pdf = await world.call(mine, "GetMyLicenceFile", L.GetMyLicenceRequest(id=a.id), demo_holder())
    assert pdf.content.startswith(b"%PDF")
    assert (b.number, b.type_name, b.editable) == ("DEMO-SSC-0001", "社会保障卡", False)
    assert b.holder_code_masked and demo_holdings()["holder"]["id_number"] not in b.holder_code_masked
    assert a.holder_code_masked == b.holder_code_masked  # A carries the holder's number too, masked
    assert (c.number, c.type_name, c.editable) == ("J420502-2020-000123", "结婚证", True)
    assert dict(c.metadata) == {"spouse_name": "昌小宜", "registered_on": "2020-05-20"}

    verify = world.stub(verification_pb2_grpc.VerificationServiceStub)
    for lic in (a, b):
        check = await world.call(verify, "Verify", V.VerifyRequest(code=lic.verify_code), ANONYMOUS)
        assert (check.status, check.identifier, check.number) == ("valid", lic.identifier, lic.number)

    # Another holder subject gets their own set, once.
    assert await load_demo_licences(world.address, ops, holder_subject="person-7") == 3
    assert await load_demo_licences(world.address, ops, holder_subject="person-7") == 0


async def test_only_the_operators_load_demo_licences(world: World) -> None:
    stub = world.stub(demo_pb2_grpc.LicencesDemoServiceStub)
    for caller in (person(), demo_holder()):
        with pytest.raises(DomainError) as refused:
            await world.call(stub, "LoadDemoLicences", demo_pb2.LoadDemoLicencesRequest(), caller)
        assert (refused.value.code, refused.value.kind.http_status) == ("ADMIN_ONLY", 403)
    reply = await world.call(
        world.stub(licences_pb2_grpc.LicencesServiceStub),
        "ListMyLicences",
        L.ListMyLicencesRequest(page=C.PageRequest(page_size=50)),
        demo_holder(),
    )
    assert list(reply.licences) == []
