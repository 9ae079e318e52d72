"""Level A: a case concluded approved issues exactly one licence to its holder."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from govhall.cases import app as cases_app
from govhall.contracts import cases as cases_contract
from govhall.identity import app as identity_app
from govhall.identity import store as identity_store
from govhall.identity.model import AccountRow
from govhall.identity.settings import IdentitySettings
from govhall.kit.bus import InProcessBus
from govhall.kit.errors import DomainError
from govhall.kit.events import Delivery, make_event
from govhall.kit.fieldcipher import FieldCipher, load_data_key
from govhall.kit.files import FileStore
from govhall.kit.ids import new_id
from govhall.kit.races import concurrently
from govhall.kit.testing import free_port, signed_channel, wait_until
from govhall.licences import identifier, issuance, rendering, tables
from govhall.licences.case_forms import CaseForms
from govhall.licences.holder_identity import HolderIdentities
from govhall.licences.imports import HOLDER_CODE_CONTEXT
from govhall.protos.cases.v1 import cases_pb2, cases_pb2_grpc
from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.identity.v1 import identity_pb2 as id_pb
from govhall.protos.identity.v1 import identity_pb2_grpc
from govhall.protos.licences.v1 import licences_pb2 as L
from govhall.protos.licences.v1 import licences_pb2_grpc, verification_pb2_grpc
from govhall.protos.licences.v1 import verification_pb2 as V

from .conftest import ANONYMOUS, DEPT, FOOD_TYPE, ISSUER_CODE, MATTER, World

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


# The holder from identity ------------------------------------------------------------------

ID_NUMBER = "420502199003071234"  # a person's (check character not verified by identity's store)
CREDIT_CODE = "91420502MA4K7Q8R2L"


@dataclass
class Holders:
    """The real identity service (SQLite), its accounts written straight into its tables, and
    licences' reader of holders asking it as the licences service."""

    host: Any
    reader: HolderIdentities
    cipher: FieldCipher  # licences' own, as the service loaded it

    async def account(self, kind: int, name: str, **kw: Any) -> str:
        identity_cipher = FieldCipher(load_data_key("", self.host.platform.var_dir), "identity")
        row = AccountRow(id=new_id(), kind=kind, name=name, created_at=identity_store.now(), **kw)
        id_number_idx = None
        if kw.get("id_number_enc"):
            row.id_number_enc = identity_cipher.encrypt(kw["id_number_enc"], "id_number")
            id_number_idx = identity_cipher.blind_index(kw["id_number_enc"], "id_number")
        async with self.host.db.uow() as uow:
            assert await identity_store.insert_account(uow, row, mobile_idx=None, id_number_idx=id_number_idx)
            await uow.commit()
        return row.id


@pytest.fixture
async def holders(world: World, start_service: Any, platform: Any, tmp_path: Path) -> AsyncIterator[Holders]:
    host = await start_service(
        identity_app.SPEC,
        IdentitySettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'identity.db'}",
            kv_namespace=f"t{uuid.uuid4().hex[:8]}",
            dev_sms_file=tmp_path / "sms.jsonl",
        ),
        platform,
        InProcessBus(),
    )
    channel = signed_channel(host.address, "identity", "licences")
    cipher = FieldCipher(load_data_key("", platform.var_dir, "licences"), "licences")
    yield Holders(host, HolderIdentities(identity_pb2_grpc.IdentityServiceStub(channel), cipher), cipher)
    await channel.close()


async def test_the_licence_carries_the_verified_holder_and_their_code_masked_and_sealed(
    world: World,
    holders: Holders,
    tmp_path: Path,
    cases_forms: tuple[FakeCases, CaseForms],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await world.licence_type()
    enterprise = await holders.account(
        id_pb.ACCOUNT_KIND_LEGAL_PERSON, "宜昌好味餐饮有限公司（核验）", credit_code=CREDIT_CODE, level=2
    )
    # Every log line from here on, down to the database drivers' debug lines (the account the
    # test wrote above is identity's own insert, not issuance's).
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    published: list[Delivery] = []

    async def record(delivery: Delivery) -> None:
        published.append(delivery)

    await world.bus.subscribe("test-issued", "licences.licence.>", record)
    files = FileStore(tmp_path / "files")
    renderer = rendering.Renderer(files, "https://portal.example/verify?code={code}")
    issue = issuance.Issuance(world.db, renderer, cases_forms[1], holders.reader).handler()
    message = concluded("case-1")
    message.applicant.subject = enterprise
    await issue(_delivery(message))

    [row] = await licences_of(world)
    # Identity's verified name, not the name the case's token carried.
    assert row.holder_name == "宜昌好味餐饮有限公司（核验）"
    assert row.holder_code_masked == "9142**********8R2L" and CREDIT_CODE not in row.holder_code
    assert holders.cipher.decrypt(row.holder_code, HOLDER_CODE_CONTEXT) == CREDIT_CODE
    owner = C.CallerIdentity(kind=C.CALLER_KIND_LEGAL_PERSON, subject=enterprise, name="x")
    mine = world.stub(licences_pb2_grpc.LicencesServiceStub)
    [listed] = (await world.call(mine, "ListMyLicences", L.ListMyLicencesRequest(), owner)).licences
    detail = await world.call(mine, "GetMyLicence", L.GetMyLicenceRequest(id=row.id), owner)
    assert listed.holder_code_masked == detail.holder_code_masked == "9142**********8R2L"
    verify = world.stub(verification_pb2_grpc.VerificationServiceStub)
    answer = await world.call(verify, "Verify", V.VerifyRequest(code=row.verify_code), ANONYMOUS)
    assert answer.holder_code == "9142**********8R2L"
    pdf = files.get(row.file_hash)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "9142**********8R2L" in text and CREDIT_CODE not in text
    # The clear code is in no event and no log line (licences', identity's, the drivers').
    [event] = await wait_until(lambda: published, what="the issued event")
    assert CREDIT_CODE.encode() not in event.payload and "GetHolderIdentity" in caplog.text
    assert CREDIT_CODE not in caplog.text


async def test_a_verified_person_gets_their_id_number_an_unverified_one_none(
    world: World, holders: Holders
) -> None:
    await world.licence_type(holder_kind="person")
    verified = await holders.account(id_pb.ACCOUNT_KIND_PERSON, "王五", id_number_enc=ID_NUMBER, level=2)
    # Not real-name verified: the account's name is not vouched for (nor is there a number).
    unverified = await holders.account(id_pb.ACCOUNT_KIND_PERSON, "自称", level=1)
    issue = issuance.Issuance(world.db, holders=holders.reader).handler()
    for case_id, subject in (("case-v", verified), ("case-u", unverified)):
        message = concluded(case_id)
        message.applicant.CopyFrom(cases_pb2.Applicant(kind="person", subject=subject, name="令牌上的名字"))
        await issue(_delivery(message))
    rows = {r.case_id: r for r in await licences_of(world)}
    assert (rows["case-v"].holder_name, rows["case-v"].holder_code_masked) == ("王五", "4205**********1234")
    assert holders.cipher.decrypt(rows["case-v"].holder_code, HOLDER_CODE_CONTEXT) == ID_NUMBER
    assert (rows["case-u"].holder_name, rows["case-u"].holder_code, rows["case-u"].holder_code_masked) == (
        "令牌上的名字",
        "",
        "",
    )


async def test_identity_unreachable_issues_nothing_and_the_redelivery_issues_once(
    world: World, holders: Holders
) -> None:
    await world.licence_type()
    enterprise = await holders.account(
        id_pb.ACCOUNT_KIND_LEGAL_PERSON, "宜昌好味", credit_code=CREDIT_CODE, level=2
    )
    message = concluded("case-1")
    message.applicant.subject = enterprise
    delivery = _delivery(message)
    down = signed_channel(f"127.0.0.1:{free_port()}", "identity", "licences")
    unreachable = HolderIdentities(identity_pb2_grpc.IdentityServiceStub(down), holders.cipher)
    with pytest.raises(DomainError):
        await issuance.Issuance(world.db, holders=unreachable).handler()(delivery)
    await down.close()
    assert await licences_of(world) == []
    # The bus redelivers the same event; identity answers now.
    await issuance.Issuance(world.db, holders=holders.reader).handler()(delivery)
    [row] = await licences_of(world)
    assert (row.holder_name, row.holder_code_masked) == ("宜昌好味", "9142**********8R2L")


def test_identity_lets_licences_read_a_holder_and_nothing_else() -> None:
    policy = json.loads((Path(identity_app.__file__).parent / "callers.json").read_text())
    assert policy["licences"] == {"kinds": ["service"], "methods": ["GetHolderIdentity"]}


def test_validity_ends_the_eve_of_the_anniversary() -> None:
    assert issuance.add_years(dt.date(2026, 12, 5), 5) == dt.date(2031, 12, 4)
    assert issuance.add_years(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 27)
