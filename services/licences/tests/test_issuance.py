"""Level A: a case concluded approved issues exactly one licence to its holder."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from govhall.cases import app as cases_app
from govhall.contracts import cases as cases_contract
from govhall.kit.events import Delivery, make_event
from govhall.kit.files import FileStore
from govhall.kit.races import concurrently
from govhall.licences import identifier, issuance, rendering, tables
from govhall.licences.case_forms import CaseForms
from govhall.protos.cases.v1 import cases_pb2, cases_pb2_grpc

from .conftest import DEPT, FOOD_TYPE, ISSUER_CODE, MATTER, World

pytestmark = pytest.mark.integration


def concluded(case_id: str = "case-1", result_code: int = 0, matter: str = MATTER) -> cases_pb2.CaseChanged:
    return cases_pb2.CaseChanged(
        case_id=case_id,
        case_number=f"N-{case_id}",
        matter_code=matter,
        site_code="420502",
        department_code=DEPT,
        result_code=result_code,
        result_name="食品经营许可证",
        applicant=cases_pb2.Applicant(kind="legal_person", subject="ent-1", name="宜昌好味餐饮有限公司"),
        revision=7,
    )


async def licences_of(world: World) -> list[sa.Row]:
    async with world.db.reader() as uow:
        return list((await uow.conn.execute(sa.select(tables.licences))).all())


class FakeCases(cases_pb2_grpc.CasesServiceServicer):
    """Cases as licences sees it: GetCase with the form (who asked is recorded)."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def GetCase(self, request: cases_pb2.GetCaseRequest, context: Any) -> cases_pb2.Case:
        self.asked.append(request.case_id)
        if request.case_id == "gone":
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such case")
        form = {"business_scope": "热食类食品制售", "address": {"nested": 1}, "shop_name": "好味"}
        return cases_pb2.Case(
            id=request.case_id,
            form_json=json.dumps(form, ensure_ascii=False),
            applicant=cases_pb2.Applicant(
                kind="legal_person", subject="ent-1", name="宜昌好味餐饮有限公司（案卷）"
            ),
        )


@pytest.fixture
async def cases_forms() -> AsyncIterator[tuple[FakeCases, CaseForms]]:
    fake = FakeCases()
    server = grpc.aio.server()
    cases_pb2_grpc.add_CasesServiceServicer_to_server(fake, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield fake, CaseForms(cases_pb2_grpc.CasesServiceStub(channel))
    await channel.close()
    await server.stop(None)


async def test_an_approved_conclusion_issues_one_verifiable_licence_with_its_pdf(
    world: World, tmp_path: Path, cases_forms: tuple[FakeCases, CaseForms]
) -> None:
    await world.licence_type()
    fake, forms = cases_forms
    files = FileStore(tmp_path / "files")
    renderer = rendering.Renderer(files, "https://portal.example/verify?code={code}")
    await issuance.Issuance(world.db, renderer, forms).handler()(_delivery(concluded()))

    [row] = await licences_of(world)
    assert fake.asked == ["case-1"]
    assert (row.level, row.type_code, row.case_id, row.state) == ("A", FOOD_TYPE, "case-1", "valid")
    assert (row.holder_kind, row.holder_subject, row.holder_name) == (
        "legal_person",
        "ent-1",
        "宜昌好味餐饮有限公司",
    )
    assert (row.issuer_department_code, row.issuer_code, row.status_index) == (DEPT, ISSUER_CODE, 0)
    # The type's field keys only, from the case's form (a nested value is no field's text).
    assert json.loads(row.metadata) == {"business_scope": "热食类食品制售"}
    parts = identifier.parse(row.identifier)
    assert parts is not None and (parts.type_code, parts.issuer_code) == (FOOD_TYPE, ISSUER_CODE)
    assert len(row.verify_code) >= 32 and row.verify_code not in row.identifier
    assert row.valid_until == issuance.add_years(row.issued_on, 5)
    pdf = files.get(row.file_hash)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "食品经营许可证" in text and "西陵区市场监督管理局" in text and row.number in text
    assert "热食类食品制售" in text


async def test_a_case_cases_no_longer_has_issues_without_metadata_and_names_come_from_the_case(
    world: World, cases_forms: tuple[FakeCases, CaseForms]
) -> None:
    await world.licence_type()
    nameless = concluded("nameless")
    nameless.applicant.name = ""
    issue = issuance.Issuance(world.db, forms=cases_forms[1]).handler()
    await issue(_delivery(concluded("gone")))
    await issue(_delivery(nameless))
    rows = {r.case_id: r for r in await licences_of(world)}
    assert json.loads(rows["gone"].metadata) == {}
    # The event named nobody: the case's own applicant name is the holder's.
    assert rows["nameless"].holder_name == "宜昌好味餐饮有限公司（案卷）"


def test_cases_lets_licences_read_a_case_and_nothing_else() -> None:
    policy = json.loads((Path(cases_app.__file__).parent / "callers.json").read_text())
    assert policy["licences"] == {"kinds": ["service"], "methods": ["GetCase"]}


async def test_other_results_and_unlinked_matters_issue_nothing(world: World) -> None:
    await world.licence_type()
    issue = issuance.Issuance(world.db).handler()
    await issue(_delivery(concluded("denied", result_code=1)))
    await issue(_delivery(concluded("other", matter="420502-SCJG-0099")))
    assert await licences_of(world) == []


def _delivery(message: cases_pb2.CaseChanged) -> Delivery:
    event = make_event(cases_contract.CONCLUDED, message)
    return Delivery(event.subject, event.payload, event.event_id)


async def test_concurrent_redeliveries_and_cases_issue_one_each_with_distinct_places(
    world: World, tmp_path: Path
) -> None:
    await world.licence_type()
    renderer = rendering.Renderer(FileStore(tmp_path / "f"), "https://v.example/{code}")
    issue = issuance.Issuance(world.db, renderer).handler()
    same = _delivery(concluded("case-1"))
    # The same event id delivered at once, and the same case in a second event (a republish).
    deliveries = [same, same, same, _delivery(concluded("case-1")), _delivery(concluded("case-2"))]

    async def deliver(n: int) -> None:
        # The bus redelivers a delivery whose transaction failed (lost a race): so does this.
        for _ in range(10):
            try:
                return await issue(deliveries[n])
            except Exception:
                continue

    await concurrently(len(deliveries), deliver)

    rows = await licences_of(world)
    assert sorted(r.case_id for r in rows) == ["case-1", "case-2"]
    assert sorted(r.status_index for r in rows) == [0, 1]
    assert len({r.identifier for r in rows}) == 2 and len({r.verify_code for r in rows}) == 2


def test_validity_ends_the_eve_of_the_anniversary() -> None:
    assert issuance.add_years(dt.date(2026, 12, 5), 5) == dt.date(2031, 12, 4)
    assert issuance.add_years(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 27)
