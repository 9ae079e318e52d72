"""跨省通办, receiving side (A): the window clerk records a handover, scans materials (checked as
case materials), sends it; crossprovince exports it and records B's receipt, status reports and
result; the clerk delivers it; the applicant follows it by A's number. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json

import pytest

from govhall.protos.cases.v1 import handovers_pb2 as hpb
from govhall.protos.crossprovince.v1 import partner_pb2 as xp

from .conftest import CLERK, COUNTY, REVIEWER, World, pdf_bytes, person, png_bytes, staff
from .handovers_helpers import CROSSPROVINCE, Handovers, handovers_of

pytestmark = pytest.mark.asyncio
S = hpb.HandoverState
ID_NUMBER = "420502199001011234"
APPLICANT = person(1, "张三")


async def _created(h: Handovers) -> hpb.HandoverRecord:
    return await h.call(
        "CreateHandover",
        hpb.CreateHandoverRequest(
            partner_province="220000",
            matter_code="220102-SCJG-0001",
            matter_name="食品经营许可",
            applicant=xp.HandoverApplicant(
                kind="person", name="张三", id_number=ID_NUMBER, mobile="13912345678"
            ),
            applicant_subject=APPLICANT.subject,
            form_json=json.dumps({"shop_name": "老张面馆"}, ensure_ascii=False),
            delivery_method="post",
            consent_text="本人同意将申请信息及材料转送吉林省办理",
            hall_name="西陵区政务服务中心",
            window_name="跨省通办窗口",
            site_code=COUNTY,
        ),
        CLERK,
    )


async def _sent(h: Handovers) -> hpb.HandoverRecord:
    record = await _created(h)
    await h.call(
        "AddHandoverMaterial",
        hpb.AddHandoverMaterialRequest(
            handover_id=record.id,
            material_code="M01",
            name="申请书",
            file_name="申请书.pdf",
            content=pdf_bytes(),
        ),
        CLERK,
    )
    return await h.call("SendHandover", hpb.HandoverRef(handover_id=record.id), CLERK)


def _step(handover_id: str, state: str, revision: int, **kw: object) -> hpb.RecordRemoteStepRequest:
    return hpb.RecordRemoteStepRequest(
        message_id=f"m-{state}-{revision}",
        report=xp.StatusReport(
            handover_id=handover_id,
            case_number="SB22010220261205000001",
            step=xp.RemoteStep(
                at="2026-12-05T08:00:00Z", action=state.lower(), state=state, revision=revision, **kw
            ),
        ),
    )


async def test_the_whole_flow_at_the_receiving_window(world: World) -> None:
    h = handovers_of(world)
    record = await _created(h)
    assert record.state == S.HANDOVER_STATE_DRAFT and record.number.startswith("KS" + COUNTY)
    assert record.applicant_id_masked == "4205**********1234" and ID_NUMBER not in str(record)
    assert record.window.clerk_id == CLERK.subject and record.window.province == "420000"
    # Nothing to send before a material is scanned.
    refused = await h.fails("SendHandover", hpb.HandoverRef(handover_id=record.id), CLERK)
    assert refused.code == "HANDOVER_NO_MATERIALS"
    record = await _sent_after(h, record)
    assert record.state == S.HANDOVER_STATE_SENDING and record.materials[0].media_type == "application/pdf"
    # Sent twice (a retried click): one event.
    await h.call("SendHandover", hpb.HandoverRef(handover_id=record.id), CLERK)
    assert [(e.action, e.number) for e in await h.events()] == [("sending", record.number)]

    # crossprovince exports the body it signs: the ID number in clear, the materials' bytes.
    body = await h.call("ExportHandover", hpb.HandoverRef(handover_id=record.id), CROSSPROVINCE)
    assert body.applicant.id_number == ID_NUMBER and body.origin_number == record.number
    assert body.materials[0].content == pdf_bytes()
    assert body.materials[0].sha256 == hashlib.sha256(pdf_bytes()).hexdigest()
    assert body.consent.given and body.window.site_code == COUNTY

    accepted = hpb.RecordHandoverAcceptedRequest(
        handover_id=record.id,
        message_id="receipt-1",
        status=xp.RECEIPT_STATUS_ACCEPTED,
        accepted=xp.HandoverAccepted(case_id="b-case", case_number="SB22010220261205000001"),
    )
    record = await h.call("RecordHandoverAccepted", accepted, CROSSPROVINCE)
    assert (
        record.state == S.HANDOVER_STATE_FORWARDED and record.remote_case_number == "SB22010220261205000001"
    )
    again = await h.call("RecordHandoverAccepted", accepted, CROSSPROVINCE)
    assert again.revision == record.revision

    # B asks for a supplement (revision 3); an older report arriving late changes nothing.
    asked = _step(
        record.id,
        "CASE_STATE_SUPPLEMENT_REQUESTED",
        3,
        supplement=[xp.SupplementRequest(material_code="M01", name="申请书", problem="未签字")],
        supplement_deadline="2026-12-20",
    )
    record = await h.call("RecordRemoteStep", asked, CROSSPROVINCE)
    assert record.state == S.HANDOVER_STATE_SUPPLEMENT_REQUESTED and record.supplement[0].problem == "未签字"
    stale = await h.call("RecordRemoteStep", _step(record.id, "CASE_STATE_SUBMITTED", 2), CROSSPROVINCE)
    assert stale.state == S.HANDOVER_STATE_SUPPLEMENT_REQUESTED and stale.revision == record.revision
    assert (await h.call("RecordRemoteStep", asked, CROSSPROVINCE)).revision == record.revision
    assert len(stale.remote_steps) == 1

    # The applicant brings the signed form to A's window.
    record = await h.call(
        "SupplementHandover",
        hpb.SupplementHandoverRequest(
            handover_id=record.id,
            materials=[
                hpb.AddHandoverMaterialRequest(
                    material_code="M01", file_name="签字版.pdf", content=pdf_bytes("已签字")
                )
            ],
            note="已签字",
        ),
        CLERK,
    )
    assert record.state == S.HANDOVER_STATE_SUPPLEMENT_SENDING
    sending = (await h.events())[-1]
    assert (sending.action, sending.supplement_seq) == ("supplement_sending", 1)
    supplement = await h.call(
        "ExportSupplement",
        hpb.ExportSupplementRequest(handover_id=record.id, supplement_seq=1),
        CROSSPROVINCE,
    )
    assert [f.content for f in supplement.materials] == [pdf_bytes("已签字")] and supplement.note == "已签字"
    record = await h.call("RecordRemoteStep", _step(record.id, "CASE_STATE_UNDER_REVIEW", 5), CROSSPROVINCE)
    assert record.state == S.HANDOVER_STATE_IN_PROGRESS

    # B returns the result; the applicant sees it in A's portal; the clerk delivers it.
    decision = pdf_bytes("准予许可决定书")
    result = hpb.RecordHandoverResultRequest(
        message_id="result-1",
        result=xp.HandoverResult(
            handover_id=record.id,
            result_code=0,
            result_zh="准予许可",
            documents=[
                xp.HandoverFile(
                    material_code="approval",
                    name="准予许可决定书",
                    file_name="准予许可决定书.pdf",
                    sha256=hashlib.sha256(decision).hexdigest(),
                    content=decision,
                )
            ],
        ),
    )
    record = await h.call("RecordHandoverResult", result, CROSSPROVINCE)
    assert record.state == S.HANDOVER_STATE_RESULT_RECEIVED and record.result_zh == "准予许可"
    assert (await h.call("RecordHandoverResult", result, CROSSPROVINCE)).revision == record.revision
    mine = await h.call("GetHandover", hpb.HandoverRef(handover_id=record.id), APPLICANT)
    assert mine.result_code == 0 and mine.number == record.number
    listed = await h.call("ListHandovers", hpb.ListHandoversRequest(), APPLICANT)
    assert [x.id for x in listed.handovers] == [record.id]
    pdf = await h.call(
        "GetHandoverFile",
        hpb.GetHandoverFileRequest(handover_id=record.id, file_id=mine.result_files[0].file_id),
        APPLICANT,
    )
    assert pdf.content == decision
    record = await h.call(
        "DeliverHandoverResult",
        hpb.DeliverHandoverResultRequest(handover_id=record.id, delivered_by="post", note="EMS1234"),
        CLERK,
    )
    assert record.state == S.HANDOVER_STATE_DELIVERED and record.delivered_by == "post"
    actions = [e.action for e in await h.events()]
    assert actions[-1] == "result_delivered" and "forwarded" in actions
    # No event carries the ID number.
    assert all(ID_NUMBER not in str(e) for e in await h.events())


async def _sent_after(h: Handovers, record: hpb.HandoverRecord) -> hpb.HandoverRecord:
    await h.call(
        "AddHandoverMaterial",
        hpb.AddHandoverMaterialRequest(
            handover_id=record.id,
            material_code="M01",
            name="申请书",
            file_name="申请书.pdf",
            content=pdf_bytes(),
        ),
        CLERK,
    )
    return await h.call("SendHandover", hpb.HandoverRef(handover_id=record.id), CLERK)


async def test_who_may_do_what(world: World) -> None:
    h = handovers_of(world)
    record = await _sent(h)
    ref = hpb.HandoverRef(handover_id=record.id)
    # The partner-facing RPCs are crossprovince's alone: staff through the gateway are refused.
    for method, request in (
        ("ExportHandover", ref),
        ("RecordHandoverAccepted", hpb.RecordHandoverAcceptedRequest(handover_id=record.id, message_id="x")),
        ("RecordRemoteStep", _step(record.id, "CASE_STATE_ACCEPTED", 4)),
    ):
        assert (await h.fails(method, request, CLERK)).code in ("CROSSPROVINCE_ONLY", "NOT_PERMITTED")
    # Another site's clerk, another person, a reviewer: not found / not theirs.
    other_clerk = staff(["window_clerk"], site="420503")
    assert (await h.fails("GetHandover", ref, other_clerk)).code == "HANDOVER_NOT_FOUND"
    assert (await h.fails("GetHandover", ref, person(2))).code == "HANDOVER_NOT_FOUND"
    assert (await h.fails("SendHandover", ref, REVIEWER)).code == "HANDOVER_WRONG_ACTOR"
    assert (await h.call("ListHandovers", hpb.ListHandoversRequest(), person(2))).handovers == []
    staff_list = await h.call(
        "ListHandovers", hpb.ListHandoversRequest(state=S.HANDOVER_STATE_SENDING), REVIEWER
    )
    assert [x.id for x in staff_list.handovers] == [record.id]


async def test_materials_are_checked_like_case_materials(world: World) -> None:
    h = handovers_of(world)
    record = await _created(h)
    refused = await h.fails(
        "AddHandoverMaterial",
        hpb.AddHandoverMaterialRequest(
            handover_id=record.id, material_code="M01", file_name="申请书.pdf", content=b"not a pdf at all"
        ),
        CLERK,
    )
    assert refused.fields and refused.kind.name in ("INVALID", "UNPROCESSABLE")
    record = await h.call(
        "AddHandoverMaterial",
        hpb.AddHandoverMaterialRequest(
            handover_id=record.id, material_code="M02", file_name="平面图.png", content=png_bytes()
        ),
        CLERK,
    )
    assert [(m.material_code, m.media_type) for m in record.materials] == [("M02", "image/png")]
    bad = await h.fails(
        "CreateHandover",
        hpb.CreateHandoverRequest(partner_province="420000", site_code=COUNTY),
        CLERK,
    )
    assert bad.code == "HANDOVER_PARTNER_INVALID" and bad.fields[0].field == "partner_province"


async def test_a_refused_handover_and_a_result_whose_hash_is_wrong(world: World) -> None:
    h = handovers_of(world)
    record = await _sent(h)
    bad = pdf_bytes("决定书")
    tampered = hpb.RecordHandoverResultRequest(
        message_id="result-x",
        result=xp.HandoverResult(
            handover_id=record.id,
            documents=[xp.HandoverFile(file_name="决定书.pdf", sha256="0" * 64, content=bad)],
        ),
    )
    refused = await h.fails("RecordHandoverResult", tampered, CROSSPROVINCE)
    assert refused.code == "FILE_HASH_MISMATCH" and refused.fields[0].field == "result.documents[0]"
    rejected = await h.call(
        "RecordHandoverAccepted",
        hpb.RecordHandoverAcceptedRequest(
            handover_id=record.id,
            message_id="receipt-r",
            status=xp.RECEIPT_STATUS_REJECTED,
            reason="事项未开通",
        ),
        CROSSPROVINCE,
    )
    assert rejected.state == S.HANDOVER_STATE_REJECTED and rejected.state_zh == "已退回"
    assert [e.action for e in await h.events()] == ["sending", "rejected"]
