"""The demo licence types load through licences' own API, signed as the operators, once, each
linked to the demo matters whose result it is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from govhall.kit.trust import Signer
from govhall.licences.demo import demo_types, load_demo_into
from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.licences.v1 import types_pb2 as pb
from govhall.protos.licences.v1 import types_pb2_grpc

from .conftest import ANONYMOUS, World

pytestmark = pytest.mark.integration


async def test_the_demo_types_load_once_with_their_matters(world: World, platform: Any) -> None:
    ops = Signer.from_settings(platform, "ops")
    assert await load_demo_into(world.address, ops) == 6
    assert await load_demo_into(world.address, ops) == 0  # idempotent

    reply = await world.call(
        world.stub(types_pb2_grpc.LicenceTypesServiceStub),
        "ListLicenceTypes",
        pb.ListLicenceTypesRequest(page=C.PageRequest(page_size=50)),
        ANONYMOUS,
    )
    by_name = {t.name: t for t in reply.types}
    assert set(by_name) == {"营业执照", "食品经营许可证", "结婚证", "医师执业证书", "残疾人证", "社会保障卡"}
    assert "420502-SCJGJ-0001" in by_name["食品经营许可证"].matter_codes
    assert by_name["结婚证"].holder_maintained and by_name["结婚证"].holder_kind == "person"
    assert sum(len(t.matter_codes) for t in reply.types) == sum(len(t["matter_codes"]) for t in demo_types())


def test_each_linked_matter_is_a_demo_matter_whose_result_is_the_type() -> None:
    seed = Path(__file__).resolve().parents[3] / "services/catalogue/src/govhall/catalogue/seed/hubei"
    results = {
        f"{m['department_code']}-{m['serial']:04d}": json.loads(
            (seed / "kinds" / f"{m['kind']}.json").read_text()
        )["result"]
        for m in json.loads((seed / "matters.json").read_text())
    }
    for kind in demo_types():
        for matter in kind["matter_codes"]:
            assert kind["name"] in results[matter], (kind["name"], matter)
