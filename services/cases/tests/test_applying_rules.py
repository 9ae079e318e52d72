"""Applying as the guide promises (issue 11): an application number at submission, real-name
first, enterprises applying as themselves, dates named truly, supplements that name what must
change, idempotency keys that cannot be reused, and status-query locks per client."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from govhall.cases.settings import CasesSettings
from govhall.kit.caller import caller_metadata
from govhall.kit.errors import ErrorKind
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.common.v1 import common_pb2 as C

from .conftest import ADMIN, CLERK, COUNTY, MATTER, World, matter_draft, pdf_bytes, person, png_bytes

pytestmark = pytest.mark.asyncio
ANONYMOUS = C.CallerIdentity(kind=C.CALLER_KIND_ANONYMOUS)
ENTERPRISE = C.CallerIdentity(
    kind=C.CALLER_KIND_LEGAL_PERSON, subject="lp-1", name="宜昌三峡餐饮管理有限公司", real_name_level=2
)


def in_days(n: int) -> str:
    return (dt.datetime.now(ZoneInfo("Asia/Shanghai")).date() + dt.timedelta(days=n)).isoformat()


async def notice_text(world: World, case: pb.Case, kind: int, who: C.CallerIdentity) -> str:
    doc = next(d for d in case.documents if d.kind == kind)
    pdf = await world.call("GetDocument", pb.GetDocumentRequest(case_id=case.id, document_id=doc.id), who)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    return re.sub(r"\s+", "", text)


async def query(world: World, number: str, password: str, client: str = "10.0.0.1") -> Any:
    return await world.call(
        "QueryStatus",
        pb.QueryStatusRequest(case_number=number, query_password=password, client_ip=client),
        ANONYMOUS,
    )


async def test_submission_gives_an_application_number_shown_everywhere(world: World) -> None:
    citizen = person()
    case = await world.submitted(citizen)
    number, password = case.application_number, case.query_password
    assert re.fullmatch(r"SB420502\d{14}", number) and case.case_number == ""
    # The status query works before acceptance, by the application number.
    status = await query(world, number, password)
    assert status.application_number == number and status.state_zh == "待预审"
    mine = await world.call("ListMyCases", pb.ListMyCasesRequest(), citizen)
    assert [c.application_number for c in mine.cases] == [number]
    queued = await world.call("ListQueue", pb.ListQueueRequest(query=number), CLERK)
    assert [c.id for c in queued.cases] == [case.id]

    # At acceptance the case number comes too; both work and both are printed.
    case = await world.handle(case.id, CLERK, accept=pb.AcceptCommand())
    assert case.case_number and case.application_number == number
    for either in (case.case_number, number):
        status = await query(world, either, password)
        assert (status.case_number, status.application_number) == (case.case_number, number)
    text = await notice_text(world, case, pb.DOCUMENT_KIND_ACCEPTANCE, citizen)
    assert f"办件编号：{case.case_number}" in text and f"申报号：{number}" in text
    doc = case.documents[0]
    check = await world.call(
        "VerifyDocument",
        pb.VerifyDocumentRequest(document_id=doc.id, verification_code=doc.verification_code),
        ANONYMOUS,
    )
    assert check.valid and check.application_number == number


async def test_wrong_query_passwords_lock_that_client_only(world: World) -> None:
    case = await world.submitted()
    number, password = case.application_number, case.query_password
    for _ in range(5):
        err = await world.fails(
            "QueryStatus",
            pb.QueryStatusRequest(case_number=number, query_password="WRONG", client_ip="10.9.9.9"),
            ANONYMOUS,
        )
        assert err.code == "CASE_QUERY_FAILED"
    err = await world.fails(
        "QueryStatus",
        pb.QueryStatusRequest(case_number=number, query_password=password, client_ip="10.9.9.9"),
        ANONYMOUS,
    )
    assert err.code == "CASE_QUERY_LOCKED" and err.kind is ErrorKind.TOO_MANY
    # The applicant, elsewhere, is not locked out by someone else's guesses.
    assert (await query(world, number, password, client="192.0.2.7")).application_number == number


async def test_unverified_applicants_are_told_how_to_verify(world: World) -> None:
    unverified = person(5, level=1)
    err = await world.fails(
        "CreateDraft", pb.CreateDraftRequest(site_code=COUNTY, matter_code=MATTER), unverified
    )
    assert err.code == "REAL_NAME_REQUIRED" and err.kind is ErrorKind.FORBIDDEN
    assert "实名认证" in err.message_zh and "身份证" in err.message_zh
    # A draft from before cannot be submitted by a token without the level either.
    case = await world.draft(person(5))
    err = await world.fails("SubmitCase", pb.SubmitCaseRequest(case_id=case.id, notice_read=True), unverified)
    assert err.code == "REAL_NAME_REQUIRED"


async def test_a_matter_may_ask_for_the_high_level(world: World) -> None:
    from govhall.cases.workflow import require_real_name
    from govhall.kit.caller import reset_caller, set_caller
    from govhall.kit.errors import DomainError

    settings = CasesSettings(matter_real_name_levels={MATTER: 3})
    assert settings.real_name_level(MATTER) == 3 and settings.real_name_level("other") == 2

    class Deps:
        pass

    deps: Any = Deps()
    deps.settings = settings
    token = set_caller(ENTERPRISE)  # level 2: real name, not high
    try:
        with pytest.raises(DomainError) as info:
            await require_real_name(deps, MATTER)
        await require_real_name(deps, "other")  # passes
    finally:
        reset_caller(token)
    assert info.value.code == "REAL_NAME_REQUIRED" and "高级实名" in info.value.message_zh


async def test_an_enterprise_signed_in_as_itself_applies(world: World) -> None:
    case = await world.submitted(ENTERPRISE)
    assert case.state == pb.CASE_STATE_SUBMITTED and case.applicant.kind == "legal_person"
    mine = await world.call("ListMyCases", pb.ListMyCasesRequest(), ENTERPRISE)
    assert [c.id for c in mine.cases] == [case.id]
    # A person who neither is nor represents the enterprise learns nothing.
    err = await world.fails("GetCase", pb.GetCaseRequest(case_id=case.id), person(9))
    assert err.code == "CASE_NOT_FOUND"


async def _immediate_matter(world: World) -> str:
    code = "420502-SCJG-0009"
    draft = matter_draft()
    draft.name = "食品小作坊登记（即办）"
    draft.handling_type = cat.HANDLING_TYPE_INSTANT
    draft.promised_limit.CopyFrom(C.TimeLimit())
    draft.legal_limit.CopyFrom(C.TimeLimit(value=3, unit=C.TIME_LIMIT_UNIT_WORKING_DAY))
    del draft.steps[:]
    draft.steps.append(cat.ProcessStep(code="decide", name="受理并决定", role="window_clerk"))
    md = caller_metadata(ADMIN)
    await world.catalogue.CreateMatter(
        cat.CreateMatterRequest(code=code, site_code=COUNTY, draft=draft), metadata=md
    )
    await world.catalogue.PublishMatter(
        cat.ChangeMatterStatusRequest(code=code, site_code=COUNTY), metadata=md
    )
    return code


async def test_an_immediate_matter_promises_nothing_and_says_so(world: World) -> None:
    citizen = person()
    code = await _immediate_matter(world)
    case = await world.draft(citizen, matter_code=code)
    for material, name, content in (("M01", "a.pdf", pdf_bytes()), ("M02", "b.png", png_bytes())):
        await world.call(
            "UploadMaterial",
            pb.UploadMaterialRequest(
                case_id=case.id, material_code=material, file_name=name, content=content
            ),
            citizen,
        )
    case = await world.call("SubmitCase", pb.SubmitCaseRequest(case_id=case.id, notice_read=True), citizen)
    password = case.query_password
    case = await world.handle(case.id, CLERK, accept=pb.AcceptCommand())
    legal_due = case.clock.legal_due
    assert legal_due and case.clock.promised_due == ""
    status = await query(world, case.case_number, password)
    assert status.promised_due == "" and status.legal_due == legal_due
    mine = await world.call("ListMyCases", pb.ListMyCasesRequest(), citizen)
    assert (mine.cases[0].clock.promised_due, mine.cases[0].clock.legal_due) == ("", legal_due)
    text = await notice_text(world, case, pb.DOCUMENT_KIND_ACCEPTANCE, citizen)
    due = dt.date.fromisoformat(legal_due)
    assert f"法定办结日期：{due.year}年{due.month}月{due.day}日" in text
    assert "承诺办结日期" not in text


async def test_supplement_items_must_exist_and_print_by_name(world: World) -> None:
    citizen = person()
    case = await world.submitted(citizen)

    async def ask(*items: pb.SupplementItem) -> pb.Case:
        return await world.handle(
            case.id, CLERK, request_supplement=pb.RequestSupplementCommand(items=items, deadline=in_days(10))
        )

    with pytest.raises(Exception) as info:
        await ask(
            pb.SupplementItem(material="M99", problem="?"),
            pb.SupplementItem(field="no_such_field", problem="?"),
        )
    err: Any = info.value
    assert err.code == "CASE_SUPPLEMENT_ITEM_UNKNOWN"
    assert [f.field for f in err.fields] == ["items[0].material", "items[1].field"]
    with pytest.raises(Exception) as info:
        await ask(pb.SupplementItem(material="M01", field="shop_name", problem="两者"))
    assert info.value.code == "CASE_SUPPLEMENT_ITEM_INVALID"  # type: ignore[attr-defined]

    # A material by name is kept as its code; the notice prints names and the 申报号.
    case = await ask(
        pb.SupplementItem(material="经营场所平面图", problem="平面图不清晰"),
        pb.SupplementItem(field="shop_name", problem="名称与营业执照不一致"),
    )
    items = case.supplement.items
    assert [(i.material, i.field, i.name) for i in items] == [
        ("M02", "", "经营场所平面图"),
        ("", "shop_name", "经营者名称"),
    ]
    text = await notice_text(world, case, pb.DOCUMENT_KIND_SUPPLEMENT, citizen)
    assert "经营场所平面图" in text and "经营者名称" in text and "M02" not in text
    assert f"申报号：{case.application_number}" in text and case.id not in text


async def test_resubmission_needs_every_named_item_changed(world: World) -> None:
    citizen = person()
    case = await world.submitted(citizen)
    case = await world.handle(
        case.id,
        CLERK,
        request_supplement=pb.RequestSupplementCommand(
            items=[
                pb.SupplementItem(material="M01", problem="申请书未签字"),
                pb.SupplementItem(field="shop_name", problem="名称与营业执照不一致"),
            ],
            deadline=in_days(10),
        ),
    )
    err = await world.fails("ResubmitCase", pb.ResubmitCaseRequest(case_id=case.id), citizen)
    assert err.code == "CASE_SUPPLEMENT_NOT_DONE"
    assert [f.field for f in err.fields] == ["materials.M01", "form.shop_name"]
    assert "食品经营许可申请书" in err.message_zh and "经营者名称" in err.message_zh

    form = json.loads(case.form_json)

    async def patch(**changes: str) -> pb.Case:
        request = pb.UpdateDraftRequest(
            case_id=case.id, set_form=True, form_json=json.dumps({**form, **changes}, ensure_ascii=False)
        )
        return await world.call("UpdateDraft", request, citizen)

    # Only the named field may change, and only named materials take files.
    with pytest.raises(Exception) as info:
        await patch(address="宜昌市西陵区东山大道2号")
    assert info.value.code == "CASE_FIELD_NOT_IN_SUPPLEMENT"  # type: ignore[attr-defined]
    assert info.value.kind is ErrorKind.WRONG_STATE  # type: ignore[attr-defined]
    err = await world.fails(
        "UploadMaterial",
        pb.UploadMaterialRequest(
            case_id=case.id, material_code="M02", file_name="b.png", content=png_bytes(3)
        ),
        citizen,
    )
    assert err.code == "CASE_MATERIAL_NOT_IN_SUPPLEMENT"

    case = await patch(shop_name="西陵区老张面馆有限公司")
    assert [i.changed for i in case.supplement.items] == [False, True]
    err = await world.fails("ResubmitCase", pb.ResubmitCaseRequest(case_id=case.id), citizen)
    assert [f.field for f in err.fields] == ["materials.M01"]
    case = await world.call(
        "UploadMaterial",
        pb.UploadMaterialRequest(
            case_id=case.id, material_code="M01", file_name="签字版.pdf", content=pdf_bytes("已签字")
        ),
        citizen,
    )
    assert [i.changed for i in case.supplement.items] == [True, True]
    case = await world.call("ResubmitCase", pb.ResubmitCaseRequest(case_id=case.id), citizen)
    assert case.state == pb.CASE_STATE_SUBMITTED
    assert json.loads(case.form_json)["shop_name"] == "西陵区老张面馆有限公司"


async def test_idempotency_keys_are_not_reused_and_a_lost_password_comes_back(world: World) -> None:
    citizen = person()
    first = await world.draft(citizen, idempotency_key="draft-k")
    assert (await world.draft(citizen, idempotency_key="draft-k")).id == first.id
    other_form = json.dumps({"shop_name": "另一家店"}, ensure_ascii=False)
    err = await world.fails(
        "CreateDraft",
        pb.CreateDraftRequest(
            site_code=COUNTY, matter_code=MATTER, form_json=other_form, idempotency_key="draft-k"
        ),
        citizen,
    )
    assert err.code == "IDEMPOTENCY_KEY_REUSED" and err.kind is ErrorKind.UNPROCESSABLE

    case = await world.submitted(citizen)
    # (submitted() used no key; submit a second case with one, then retry it.)
    second = await world.draft(citizen)
    for material, name, content in (("M01", "a.pdf", pdf_bytes()), ("M02", "b.png", png_bytes())):
        await world.call(
            "UploadMaterial",
            pb.UploadMaterialRequest(
                case_id=second.id, material_code=material, file_name=name, content=content
            ),
            citizen,
        )
    request = pb.SubmitCaseRequest(case_id=second.id, notice_read=True, idempotency_key="submit-k")
    lost = await world.call("SubmitCase", request, citizen)
    retried = await world.call("SubmitCase", request, citizen)
    number = retried.application_number
    assert retried.query_password and retried.query_password != lost.query_password
    assert (await query(world, number, retried.query_password)).state_zh == "待预审"
    err = await world.fails(
        "QueryStatus",
        pb.QueryStatusRequest(case_number=number, query_password=lost.query_password, client_ip="10.0.0.1"),
        ANONYMOUS,
    )
    assert err.code == "CASE_QUERY_FAILED"
    # The same key on another case is a reuse, not a retry.
    err = await world.fails(
        "SubmitCase",
        pb.SubmitCaseRequest(case_id=case.id, notice_read=True, idempotency_key="submit-k"),
        citizen,
    )
    assert err.code == "IDEMPOTENCY_KEY_REUSED"

    # Or, without a retry, the applicant sets a new one.
    reset = await world.call("ResetQueryPassword", pb.ResetQueryPasswordRequest(case_id=case.id), citizen)
    assert (await query(world, case.application_number, reset.query_password)).application_number
    err = await world.fails("ResetQueryPassword", pb.ResetQueryPasswordRequest(case_id=case.id), person(8))
    assert err.code == "CASE_NOT_FOUND"
    err = await world.fails("ResetQueryPassword", pb.ResetQueryPasswordRequest(case_id=first.id), citizen)
    assert err.code == "CASE_NOT_IN_STATE"
