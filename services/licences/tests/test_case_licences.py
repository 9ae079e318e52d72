"""CaseLicencesService: the licence a case was issued, for crossprovince only (跨省通办 returns it
with the result)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from govhall.kit.errors import ErrorKind
from govhall.kit.files import FileStore
from govhall.licences import app, issuance, rendering
from govhall.licences.settings import LicencesSettings
from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.licences.v1 import licences_pb2 as L
from govhall.protos.licences.v1 import licences_pb2_grpc

from .conftest import FOOD_TYPE, MATTER, World
from .test_issuance import _delivery, concluded

pytestmark = pytest.mark.integration

CROSSPROVINCE = C.CallerIdentity(kind=C.CALLER_KIND_SERVICE, subject="crossprovince")


async def ask(world: World, request: L.GetCaseLicenceRequest) -> L.CaseLicence:
    stub = world.stub(licences_pb2_grpc.CaseLicencesServiceStub)
    reply: L.CaseLicence = await world.call(stub, "GetCaseLicence", request, CROSSPROVINCE)
    return reply


async def test_crossprovince_learns_whether_a_licence_is_expected_and_gets_it_once_issued(
    world: World, platform: Any, tmp_path: Path
) -> None:
    request = L.GetCaseLicenceRequest(case_id="case-1", matter_code=MATTER)
    # No licence type on the matter: nothing to wait for.
    assert await ask(world, request) == L.CaseLicence(licence_matter=False)
    await world.licence_type()
    # Linked, not issued yet: worth waiting for.
    assert await ask(world, request) == L.CaseLicence(licence_matter=True)
    files = FileStore(LicencesSettings().resolved_files_dir(platform.var_dir), holder="licences")
    renderer = rendering.Renderer(files, "https://portal.example/verify?code={code}")
    await issuance.Issuance(world.db, renderer).handler()(_delivery(concluded()))
    found = await ask(world, request)
    assert found.licence_matter and found.licence.case_id == "case-1"
    assert (found.licence.type_code, found.licence.type_name) == (FOOD_TYPE, "食品经营许可证")
    assert found.licence.identifier and found.licence.number and found.licence.issued_on
    assert found.licence.verify_code == ""  # the holder's to show, not the other province's
    assert found.file.content.startswith(b"%PDF") and found.file.media_type == "application/pdf"
    assert found.file.file_name == f"食品经营许可证-{found.licence.number}.pdf"


async def test_only_crossprovince_may_ask(world: World) -> None:
    await world.licence_type()
    request = L.GetCaseLicenceRequest(case_id="case-1", matter_code=MATTER)
    stub = world.stub(licences_pb2_grpc.CaseLicencesServiceStub)
    holder = C.CallerIdentity(kind=C.CALLER_KIND_LEGAL_PERSON, subject="ent-1")
    staff = C.CallerIdentity(kind=C.CALLER_KIND_STAFF, subject="s-1", roles=["approver"])
    for caller in (holder, staff):
        err = await world.fails(stub, "GetCaseLicence", request, caller)
        assert (err.code, err.kind) == ("CROSSPROVINCE_ONLY", ErrorKind.FORBIDDEN)
    # No case named: the field, in both languages.
    no_case = L.GetCaseLicenceRequest(matter_code=MATTER)
    err = await world.fails(stub, "GetCaseLicence", no_case, CROSSPROVINCE)
    assert (err.code, [f.field for f in err.fields]) == ("CASE_ID_REQUIRED", ["case_id"])
    assert err.message and err.message_zh


def test_licences_lets_crossprovince_read_case_licences_only() -> None:

    policy = json.loads(Path(app.SPEC.callers).read_text(encoding="utf-8"))  # type: ignore[arg-type]
    assert policy["crossprovince"] == {"kinds": ["service"], "methods": ["GetCaseLicence"]}
