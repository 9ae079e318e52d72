"""跨省通办, home side (B): a handover from a partner province becomes a real, submitted case of
the local matter, marked with its origin, handled from the usual queue; one case however often
it is delivered (concurrently: test_handovers_home_race.py); a supplement taken at the partner's window resubmits
it; the concluded case's result goes back with its notices. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa

from govhall.contracts import cases as contract
from govhall.kit.events import Delivery, decode
from govhall.kit.eventstore import OUTBOX
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.cases.v1 import handovers_pb2 as hpb
from govhall.protos.crossprovince.v1 import partner_pb2 as xp

from .conftest import APPROVER, CLERK, GOOD_FORM, MATTER, REVIEWER, World, pdf_bytes, png_bytes
from .handovers_helpers import CROSSPROVINCE, Handovers, handovers_of
from .test_service import in_days

pytestmark = pytest.mark.asyncio
ID_NUMBER = "220102198807075678"


def hfile(code: str, file_name: str, content: bytes, sha256: str = "") -> xp.HandoverFile:
    return xp.HandoverFile(
        material_code=code,
        name=code,
        file_name=file_name,
        content=content,
        sha256=sha256 or hashlib.sha256(content).hexdigest(),
    )


def handover(handover_id: str = "a-handover-1", **kw: object) -> hpb.ReceiveHandoverRequest:
    body = xp.Handover(
        handover_id=handover_id,
        origin_number="KS22010220261205000001",
        matter_code=MATTER,
        applicant=xp.HandoverApplicant(kind="person", name="李四", id_type="居民身份证", id_number=ID_NUMBER),
        form_json=json.dumps(GOOD_FORM, ensure_ascii=False),
        materials=[hfile("M01", "申请书.pdf", pdf_bytes()), hfile("M02", "平面图.png", png_bytes())],
        window=xp.ReceivingWindow(
            province="220000",
            site_code="220102",
            hall_name="南关区政务服务中心",
            window_name="跨省通办窗口",
            clerk_id="jl-clerk-1",
            clerk_name="王窗口",
            received_at="2026-12-05T01:00:00Z",
        ),
        consent=xp.Consent(given=True, text="同意转送", given_at="2026-12-05T01:00:00Z"),
        delivery_method="post",
    )
    for key, value in kw.items():
        if isinstance(value, list):
            del getattr(body, key)[:]
            getattr(body, key).extend(value)
        else:
            setattr(body, key, value)
    return hpb.ReceiveHandoverRequest(message_id=f"msg-{handover_id}", sender="220000", handover=body)


async def test_a_handover_is_a_submitted_case_with_its_origin_once(world: World) -> None:
    h = handovers_of(world)
    accepted = await h.call("ReceiveHandover", handover(), CROSSPROVINCE)
    assert accepted.case_id and accepted.case_number.startswith("SB")
    again = await h.call("ReceiveHandover", handover(), CROSSPROVINCE)
    assert again == accepted
    # B's staff see it in the usual window queue, with A's window, clerk and number.
    queue = await world.call("ListQueue", pb.ListQueueRequest(), CLERK)
    assert [c.id for c in queue.cases] == [accepted.case_id]
    case = await world.call("GetCase", pb.GetCaseRequest(case_id=accepted.case_id), CLERK)
    assert case.state == pb.CASE_STATE_SUBMITTED and case.applicant.name == "李四"
    assert (case.origin.province, case.origin.origin_number) == ("220000", "KS22010220261205000001")
    assert case.origin.window.clerk_name == "王窗口" and case.origin.delivery_method == "post"
    assert [m.code for m in case.materials if m.files] == ["M01", "M02"]
    assert ID_NUMBER not in str(case)
    # Its CaseChanged carries the origin, so crossprovince knows to report it back.
    changed = await _case_events(h)
    assert [(c.action, c.origin.handover_id) for c in changed] == [("submit", "a-handover-1")]


async def _case_events(h: Handovers) -> list[pb.CaseChanged]:
    async with h.world.db.reader() as uow:
        rows = (
            await uow.conn.execute(
                sa.select(OUTBOX).where(OUTBOX.c.subject.like("cases.case.%")).order_by(OUTBOX.c.seq)
            )
        ).all()
    decoded = [
        decode(Delivery(r.subject, bytes(r.payload), r.event_id), contract.REGISTRY, "t") for r in rows
    ]
    return [c for c in decoded if isinstance(c, pb.CaseChanged)]


async def test_what_is_refused(world: World) -> None:
    h = handovers_of(world)
    tampered = handover(materials=[hfile("M01", "申请书.pdf", pdf_bytes(), sha256="0" * 64)])
    refused = await h.fails("ReceiveHandover", tampered, CROSSPROVINCE)
    assert refused.code == "FILE_HASH_MISMATCH" and refused.fields[0].field == "materials[0].sha256"
    # Only crossprovince may hand a case over: staff through the gateway are refused.
    assert (await h.fails("ReceiveHandover", handover(), CLERK)).code in (
        "CROSSPROVINCE_ONLY",
        "NOT_PERMITTED",
    )
    unknown = await h.fails("ReceiveHandover", handover(matter_code="420502-SCJG-9999"), CROSSPROVINCE)
    assert unknown.kind.name == "NOT_FOUND"
    assert (await world.call("ListQueue", pb.ListQueueRequest(), CLERK)).cases == []


async def test_supplement_through_the_partner_and_the_result_back(world: World) -> None:
    h = handovers_of(world)
    accepted = await h.call("ReceiveHandover", handover(), CROSSPROVINCE)
    case_id = accepted.case_id
    await world.handle(
        case_id,
        CLERK,
        request_supplement=pb.RequestSupplementCommand(
            items=[pb.SupplementItem(material="M01", problem="申请书未签字")], deadline=in_days(10)
        ),
    )
    supplement = hpb.ReceiveSupplementRequest(
        message_id="supplement-1",
        sender="220000",
        supplement=xp.SupplementSent(
            handover_id="a-handover-1",
            materials=[hfile("M01", "签字版.pdf", pdf_bytes("已签字"))],
            note="已签字",
        ),
    )
    case = await h.call("ReceiveSupplement", supplement, CROSSPROVINCE)
    assert case.state == pb.CASE_STATE_SUBMITTED and len(case.materials[0].files) == 2
    again = await h.call("ReceiveSupplement", supplement, CROSSPROVINCE)
    assert again.revision == case.revision
    early = await h.fails("ExportResult", hpb.ExportResultRequest(case_id=case_id), CROSSPROVINCE)
    assert early.code == "CASE_NOT_CONCLUDED"

    await world.handle(case_id, CLERK, accept=pb.AcceptCommand())
    await world.handle(case_id, REVIEWER, complete_step=pb.CompleteStepCommand(outcome="pass"))
    await world.handle(case_id, REVIEWER, complete_step=pb.CompleteStepCommand(outcome="pass"))
    await world.handle(case_id, APPROVER, conclude=pb.ConcludeCommand(decision="approved", opinion="准予"))
    result = await h.call("ExportResult", hpb.ExportResultRequest(case_id=case_id), CROSSPROVINCE)
    assert (result.handover_id, result.result_code) == ("a-handover-1", 0)
    decision = [d for d in result.documents if d.material_code == "approval"]
    assert decision and decision[0].content.startswith(b"%PDF")
    assert all(hashlib.sha256(d.content).hexdigest() == d.sha256 for d in result.documents)
    assert (await h.fails("ExportResult", hpb.ExportResultRequest(case_id=case_id), CLERK)).kind.name in (
        "FORBIDDEN",
    )
