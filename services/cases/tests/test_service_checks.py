"""What the cases service refuses on its own, whatever the gateway let through: hostile uploads
(checked off the event loop), unsafe form values, a form without the sections its answers show.
On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from govhall.cases import applying
from govhall.kit.caller import caller_metadata
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat

from .conftest import ADMIN, CLERK, GOOD_FORM, World, matter_draft, pdf_bytes, person, png_bytes

pytestmark = pytest.mark.asyncio


async def upload(world: World, case_id: str, code: str, content: bytes, who: Any) -> pb.Case:
    return await world.call(
        "UploadMaterial",
        pb.UploadMaterialRequest(case_id=case_id, material_code=code, file_name="材料", content=content),
        who,
    )


async def test_hostile_uploads_are_refused_off_the_event_loop(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[int] = []
    check = applying.check_upload

    def recording(*args: Any) -> Any:
        threads.append(threading.get_ident())
        return check(*args)

    monkeypatch.setattr(applying, "check_upload", recording)
    citizen = person()
    case = await world.draft(citizen)
    for content, code in (
        (
            pdf_bytes(catalog=b"/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>"),
            "FILE_ACTIVE_CONTENT",
        ),
        (b"%PDF-1.4\n" + bytes(range(256)) * 8, "FILE_UNREADABLE"),
    ):
        err = await world.fails(
            "UploadMaterial",
            pb.UploadMaterialRequest(
                case_id=case.id, material_code="M01", file_name="申请书.pdf", content=content
            ),
            citizen,
        )
        assert err.code == code and [f.field for f in err.fields] == ["content"]
    case = await upload(world, case.id, "M01", pdf_bytes(), citizen)
    assert [m.code for m in case.materials if m.files] == ["M01"]
    assert len(threads) == 3 and threading.get_ident() not in threads


async def test_a_section_the_answers_show_is_required_at_submission(world: World) -> None:
    citizen = person()
    case = await world.call(
        "CreateDraft",
        pb.CreateDraftRequest(
            site_code="420502",
            matter_code="420502-SCJG-0001",
            situation_answers=[pb.SituationAnswer(situation_code="S1", option_codes=["S1B"])],  # 委托代办
            form_json=json.dumps(GOOD_FORM, ensure_ascii=False),
            delivery=pb.Delivery(method=pb.DELIVERY_METHOD_PICK_UP),
        ),
        citizen,
    )  # a draft may lack the section
    for code, content in (("M01", pdf_bytes()), ("M02", png_bytes()), ("M03", pdf_bytes("委托书"))):
        await upload(world, case.id, code, content, citizen)
    err = await world.fails("SubmitCase", pb.SubmitCaseRequest(case_id=case.id, notice_read=True), citizen)
    assert err.code == "CASE_INCOMPLETE"
    assert [(f.field, f.message_zh) for f in err.fields] == [("form.agent", "“代办人信息”为必填项")]
    form = {**GOOD_FORM, "agent": {}}
    await world.call(
        "UpdateDraft",
        pb.UpdateDraftRequest(case_id=case.id, set_form=True, form_json=json.dumps(form, ensure_ascii=False)),
        citizen,
    )
    err = await world.fails("SubmitCase", pb.SubmitCaseRequest(case_id=case.id, notice_read=True), citizen)
    assert [(f.field, f.message_zh) for f in err.fields] == [
        ("form.agent.name", "“代办人信息 › 代办人姓名”为必填项")
    ]
    form["agent"] = {"name": "李四"}
    await world.call(
        "UpdateDraft",
        pb.UpdateDraftRequest(case_id=case.id, set_form=True, form_json=json.dumps(form, ensure_ascii=False)),
        citizen,
    )
    case = await world.call("SubmitCase", pb.SubmitCaseRequest(case_id=case.id, notice_read=True), citizen)
    assert case.state == pb.CASE_STATE_SUBMITTED and json.loads(case.form_json)["agent"] == {"name": "李四"}


async def test_each_missing_field_is_reported_once(world: World) -> None:
    citizen = person()
    case = await world.draft(citizen, form_json="{}")
    err = await world.fails("SubmitCase", pb.SubmitCaseRequest(case_id=case.id, notice_read=True), citizen)
    fields = [f.field for f in err.fields]
    assert sorted(fields) == [
        "form.address",
        "form.mobile",
        "form.shop_name",
        "materials.M01",
        "materials.M02",
    ]
    assert err.message_zh.count("经营场所”为必填项") == 1


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"shop_name": "老张面馆", "capital": NaN}', "form.capital"),
        ('{"shop_name": "老张面馆", "capital": Infinity}', "form.capital"),
        ('{"shop_name": "老张面馆", "capital": 1e400}', "form.capital"),
        ('{"shop_name": "老张\\u0000面馆"}', "form.shop_name"),
        ('{"shop_name": "\\ud800"}', "form.shop_name"),
        ('{"shop_name": "老张面馆", "extra": ' + "[" * 900 + "]" * 900 + "}", "form.extra"),
    ],
)
async def test_unsafe_form_values_are_refused_by_field(world: World, text: str, field: str) -> None:
    citizen = person()
    err = await world.fails(
        "CreateDraft",
        pb.CreateDraftRequest(site_code="420502", matter_code="420502-SCJG-0001", form_json=text),
        citizen,
    )
    assert err.code == "CASE_FORM_INVALID"
    assert len(err.fields) == 1 and err.fields[0].field.startswith(field)
    case = await world.draft(citizen)
    err = await world.fails(
        "UpdateDraft", pb.UpdateDraftRequest(case_id=case.id, set_form=True, form_json=text), citizen
    )
    assert err.code == "CASE_FORM_INVALID" and err.fields[0].field.startswith(field)
    stored = await world.call("GetCase", pb.GetCaseRequest(case_id=case.id), citizen)
    assert json.loads(stored.form_json) == GOOD_FORM  # nothing of it was kept


PERSONAL_MATTER = "420502-SCJG-0002"
PERSONAL_SCHEMA = {
    "type": "object",
    "title": "个体工商户登记申请表",
    "properties": {
        "operator": {"type": "string", "title": "经营者姓名"},
        "id_number": {
            "type": "string",
            "title": "公民身份号码",
            "pattern": "^\\d{17}[\\dX]$",
            "x-govhall-kind": "id_number",
        },
        "mobile": {"type": "string", "title": "联系电话", "x-govhall-kind": "mobile"},
        "agent": {"type": "object", "title": "代办人信息"},
    },
    "required": ["operator", "id_number", "mobile"],
}
ID = "420502199003070127"


async def personal_matter(world: World) -> None:
    draft = matter_draft()
    draft.form_schema = json.dumps(PERSONAL_SCHEMA, ensure_ascii=False)
    md = caller_metadata(ADMIN)
    await world.catalogue.CreateMatter(
        cat.CreateMatterRequest(code=PERSONAL_MATTER, site_code="420502", draft=draft), metadata=md
    )
    await world.catalogue.PublishMatter(
        cat.ChangeMatterStatusRequest(code=PERSONAL_MATTER, site_code="420502"), metadata=md
    )


async def test_personal_numbers_are_checked_encrypted_and_masked(world: World, db_url: str) -> None:
    await personal_matter(world)
    citizen = person()

    def create(form: dict[str, str]) -> pb.CreateDraftRequest:
        return pb.CreateDraftRequest(
            site_code="420502",
            matter_code=PERSONAL_MATTER,
            situation_answers=[pb.SituationAnswer(situation_code="S1", option_codes=["S1A"])],
            form_json=json.dumps(form, ensure_ascii=False),
            delivery=pb.Delivery(method=pb.DELIVERY_METHOD_PICK_UP),
        )

    err = await world.fails("CreateDraft", create({"operator": "张三", "id_number": ID[:-1] + "8"}), citizen)
    assert err.code == "CASE_FORM_INVALID" and [f.field for f in err.fields] == ["form.id_number"]
    assert err.fields[0].message_zh.startswith("公民身份号码：") and "校验" in err.fields[0].message_zh
    case = await world.call(
        "CreateDraft", create({"operator": "张三", "id_number": ID, "mobile": "13812340012"}), citizen
    )
    shown = {"operator": "张三", "id_number": "4205**********0127", "mobile": "138****0012"}
    assert json.loads(case.form_json) == shown
    # The database holds neither number in the clear.
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            stored = (await conn.execute(sa.text("SELECT application FROM cases"))).scalar_one()
    finally:
        await engine.dispose()
    assert ID not in stored and "13812340012" not in stored and "0127" in stored
    # The form saved back as shown keeps the numbers; it submits, and staff see it masked too.
    await world.call(
        "UpdateDraft",
        pb.UpdateDraftRequest(case_id=case.id, set_form=True, form_json=case.form_json),
        citizen,
    )
    for code, content in (("M01", pdf_bytes()), ("M02", png_bytes())):
        await upload(world, case.id, code, content, citizen)
    case = await world.call("SubmitCase", pb.SubmitCaseRequest(case_id=case.id, notice_read=True), citizen)
    assert case.state == pb.CASE_STATE_SUBMITTED and json.loads(case.form_json) == shown
    seen = await world.call("GetCase", pb.GetCaseRequest(case_id=case.id), CLERK)
    assert json.loads(seen.form_json) == shown


async def test_a_number_corrected_where_the_mask_hides_it_counts_as_corrected(world: World) -> None:
    await personal_matter(world)
    citizen = person()
    form = {"operator": "张三", "id_number": ID, "mobile": "13812340012"}
    case = await world.call(
        "CreateDraft",
        pb.CreateDraftRequest(
            site_code="420502",
            matter_code=PERSONAL_MATTER,
            situation_answers=[pb.SituationAnswer(situation_code="S1", option_codes=["S1A"])],
            form_json=json.dumps(form, ensure_ascii=False),
            delivery=pb.Delivery(method=pb.DELIVERY_METHOD_PICK_UP),
        ),
        citizen,
    )
    for code, content in (("M01", pdf_bytes()), ("M02", png_bytes())):
        await upload(world, case.id, code, content, citizen)
    case = await world.call("SubmitCase", pb.SubmitCaseRequest(case_id=case.id, notice_read=True), citizen)
    await world.handle(
        case.id,
        CLERK,
        request_supplement=pb.RequestSupplementCommand(
            items=[pb.SupplementItem(field="id_number", problem="出生日期有误")]
        ),
    )
    # Saving back the form as shown changes nothing: not corrected yet.
    shown = await world.call("GetCase", pb.GetCaseRequest(case_id=case.id), citizen)
    await world.call(
        "UpdateDraft",
        pb.UpdateDraftRequest(case_id=case.id, set_form=True, form_json=shown.form_json),
        citizen,
    )
    err = await world.fails("ResubmitCase", pb.ResubmitCaseRequest(case_id=case.id), citizen)
    assert err.code == "CASE_SUPPLEMENT_NOT_DONE" and [f.field for f in err.fields] == ["form.id_number"]
    # The birth date corrected: the mask (first and last four) is the same, the number is not.
    corrected = {**json.loads(shown.form_json), "id_number": "420502199003150127"}
    case = await world.call(
        "UpdateDraft",
        pb.UpdateDraftRequest(
            case_id=case.id, set_form=True, form_json=json.dumps(corrected, ensure_ascii=False)
        ),
        citizen,
    )
    assert json.loads(case.form_json)["id_number"] == "4205**********0127"
    assert [i.changed for i in case.supplement.items] == [True]
    case = await world.call("ResubmitCase", pb.ResubmitCaseRequest(case_id=case.id), citizen)
    assert case.state == pb.CASE_STATE_SUBMITTED
