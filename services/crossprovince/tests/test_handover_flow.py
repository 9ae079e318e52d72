"""跨省通办 end to end between two provinces (flow_world.py): A's window clerk sends a handover,
B's case appears with its origin, B asks for a supplement that goes through A's window, B
concludes and the decision comes back to A, where the applicant sees it by A's number and the
clerk delivers it; B hears of the delivery. The same handover twice is one case; B away for a
while gets it exactly once when it is back; both audit chains verify."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from govhall.crossprovince import audit
from govhall.crossprovince.client import PartnerClient
from govhall.crossprovince.devca import load_signing_key
from govhall.crossprovince.envelope import seal
from govhall.crossprovince.outgoing import Backlog, backlog
from govhall.crossprovince.partners import load_partners
from govhall.crossprovince.store import audit_log, received_messages
from govhall.kit.testing import wait_until
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.cases.v1 import handovers_pb2 as hpb
from govhall.protos.crossprovince.v1 import partner_pb2 as xp

from .flow_world import (
    A_CLERK,
    A_SITE,
    APPLICANT,
    B_APPROVER,
    FORM,
    LICENCE_TYPE,
    MATTER,
    A,
    B,
    Flow,
    Province,
    link_of,
    make_flow,
    outgoing_of,
    pdf_bytes,
    png_bytes,
    received_of,
)

pytestmark = pytest.mark.asyncio
S = hpb.HandoverState


@pytest.fixture
async def flow(tmp_path: Path, db_url: str, start_service: Any, platform: Any) -> AsyncIterator[Flow]:
    yield await make_flow(tmp_path, db_url, start_service, platform)


def in_days(n: int) -> str:
    return (datetime.now(UTC) + timedelta(hours=8) + timedelta(days=n)).date().isoformat()


async def _sent(a: Province) -> hpb.HandoverRecord:
    record = await a.handover(
        "CreateHandover",
        hpb.CreateHandoverRequest(
            partner_province=B,
            matter_code=MATTER,
            matter_name="食品经营许可",
            applicant=xp.HandoverApplicant(kind="person", name="张三", id_number="210102199001011234"),
            applicant_subject=APPLICANT.subject,
            form_json=json.dumps(FORM, ensure_ascii=False),
            delivery_method="pickup",
            consent_text="本人同意将申请信息及材料转送吉林省办理",
            hall_name="和平区政务服务中心",
            window_name="跨省通办窗口",
            site_code=A_SITE,
        ),
    )
    for code, name, content in (("M01", "申请书.pdf", pdf_bytes()), ("M02", "平面图.png", png_bytes())):
        await a.handover(
            "AddHandoverMaterial",
            hpb.AddHandoverMaterialRequest(
                handover_id=record.id, material_code=code, name=code, file_name=name, content=content
            ),
        )
    sent: hpb.HandoverRecord = await a.handover("SendHandover", hpb.HandoverRef(handover_id=record.id))
    return sent


async def _state(
    a: Province, handover_id: str, state: hpb.HandoverState.ValueType, caller: Any = A_CLERK
) -> hpb.HandoverRecord:
    async def reached() -> hpb.HandoverRecord | None:
        record: hpb.HandoverRecord = await a.handover(
            "GetHandover", hpb.HandoverRef(handover_id=handover_id), caller
        )
        return record if record.state == state else None

    found: hpb.HandoverRecord = await wait_until(reached, timeout=10, what=f"handover {S.Name(state)}")
    return found


async def _b_cases(b: Province) -> list[pb.Case]:
    queue = await b.case("ListQueue", pb.ListQueueRequest())
    return list(queue.cases)


async def _b_case(b: Province, case_id: str, state: pb.CaseState.ValueType) -> pb.Case:
    async def reached() -> pb.Case | None:
        case: pb.Case = await b.case("GetCase", pb.GetCaseRequest(case_id=case_id))
        return case if case.state == state else None

    found: pb.Case = await wait_until(reached, timeout=10, what=f"B's case {pb.CaseState.Name(state)}")
    return found


async def _audit_intact(p: Province) -> int:
    verdict = await audit.verify(p.crossprovince.db)
    assert verdict.intact, verdict.problem
    return verdict.entries


async def test_a_handover_from_the_window_to_the_result_and_back(flow: Flow) -> None:
    a, b = flow.a, flow.b
    sent = await _sent(a)
    assert sent.state == S.HANDOVER_STATE_SENDING

    # B: a submitted case of its matter, marked with A's window and number.
    cases = await wait_until(lambda: _b_cases(b), timeout=10, what="B's case")
    assert len(cases) == 1
    case = await b.case("GetCase", pb.GetCaseRequest(case_id=cases[0].id))
    assert case.state == pb.CASE_STATE_SUBMITTED and case.matter_code == MATTER
    assert (case.origin.province, case.origin.origin_number) == (A, sent.number)
    assert case.origin.window.site_code == A_SITE
    forwarded = await _state(a, sent.id, S.HANDOVER_STATE_FORWARDED)
    assert forwarded.remote_case_number == case.application_number

    # The same handover again, as a resend (same message) and as a new message: one case.
    [row] = await outgoing_of(a, "Handover")
    client = _client(a, B)
    try:
        again = await client.send(xp.Envelope.FromString(row.envelope))
        assert again.SerializeToString(deterministic=True) == row.receipt
        fresh = _sealed(a, "Handover", xp.Envelope.FromString(row.envelope).body)
        receipt = await client.send(fresh)
        assert receipt.status == xp.RECEIPT_STATUS_ACCEPTED
        assert xp.HandoverAccepted.FromString(receipt.body).case_id == case.id
        # A asks B how its handover stands: from B's case as it is now.
        query = xp.HandoverStatusQuery(handover_id=sent.id).SerializeToString()
        status = await client.send(_sealed(a, "GetHandoverStatus", query))
        answer = xp.HandoverStatus.FromString(status.body)
        assert (answer.state, answer.case_number) == ("CASE_STATE_SUBMITTED", case.application_number)
    finally:
        await client.close()
    assert [c.id for c in await _b_cases(b)] == [case.id]

    # B asks for a supplement: A's window shows 待补正 with what is missing.
    await b.case(
        "HandleCase",
        pb.HandleCaseRequest(
            case_id=case.id,
            request_supplement=pb.RequestSupplementCommand(
                items=[pb.SupplementItem(material="M01", problem="申请书未签字")], deadline=in_days(10)
            ),
        ),
    )
    asked = await _state(a, sent.id, S.HANDOVER_STATE_SUPPLEMENT_REQUESTED)
    assert asked.state_zh == "待补正"
    assert [(s.material_code, s.problem) for s in asked.supplement] == [("M01", "申请书未签字")]

    # A's clerk takes the signed application: B's case is resubmitted with it.
    await a.handover(
        "SupplementHandover",
        hpb.SupplementHandoverRequest(
            handover_id=sent.id,
            materials=[
                hpb.AddHandoverMaterialRequest(
                    material_code="M01", name="申请书", file_name="签字版.pdf", content=pdf_bytes("已签字")
                )
            ],
            note="已签字",
        ),
    )
    resubmitted = await _b_case(b, case.id, pb.CASE_STATE_SUBMITTED)
    assert len([f for m in resubmitted.materials if m.code == "M01" for f in m.files]) == 2

    # B accepts and concludes approved: the decision comes back to A.
    await b.case("HandleCase", pb.HandleCaseRequest(case_id=case.id, accept=pb.AcceptCommand()))
    await b.case(
        "HandleCase",
        pb.HandleCaseRequest(
            case_id=case.id, conclude=pb.ConcludeCommand(decision="approved", opinion="准予许可")
        ),
        B_APPROVER,
    )
    returned = await _state(a, sent.id, S.HANDOVER_STATE_RESULT_RECEIVED)
    assert returned.result_code == 0 and returned.result_files
    # With the licence B's licences issued for the case: its identifier at A, its PDF among the
    # result's files.
    [result_message] = await outgoing_of(b, "ReturnResult")
    licence = xp.HandoverResult.FromString(xp.Envelope.FromString(result_message.envelope).body).licence
    assert licence.type_name == "食品经营许可证" and licence.number and licence.issued_on
    assert LICENCE_TYPE in licence.identifier and licence.file.content.startswith(b"%PDF")
    assert returned.licence_identifier == licence.identifier
    states = [s.state for s in returned.remote_steps]
    assert "CASE_STATE_SUPPLEMENT_REQUESTED" in states and "CASE_STATE_ACCEPTED" in states

    # The applicant follows it at A by A's number and gets the decision.
    mine = await a.handover("ListHandovers", hpb.ListHandoversRequest(), APPLICANT)
    [own] = [h for h in mine.handovers if h.number == sent.number]
    assert own.state == S.HANDOVER_STATE_RESULT_RECEIVED
    assert own.licence_identifier == licence.identifier
    decision = await a.handover(
        "GetHandoverFile",
        hpb.GetHandoverFileRequest(handover_id=sent.id, file_id=own.result_files[0].file_id),
        APPLICANT,
    )
    assert decision.content.startswith(b"%PDF")

    # A's clerk hands it over: B receives the acknowledgement of its result.
    await a.handover(
        "DeliverHandoverResult", hpb.DeliverHandoverResultRequest(handover_id=sent.id, delivered_by="pickup")
    )

    # B's endpoint updates the link inside the handler and records the received message after
    # it, so both are waited for.
    async def acknowledged() -> Any:
        link = await link_of(b, A, sent.id)
        ack = await received_of(b, "Acknowledge")
        return (link, ack) if link is not None and link.acknowledged_message_id and ack else None

    link, ack = await wait_until(acknowledged, timeout=10, what="B's acknowledgement")
    [result_message] = await outgoing_of(b, "ReturnResult")
    assert link.delivered_by == "pickup" and link.case_id == case.id
    assert xp.Acknowledgement.FromString(
        xp.Envelope.FromString(ack[0].envelope).body
    ).acknowledged_message_id == (result_message.message_id)

    # Both logs hold every message, each chained to the one before.
    assert await _audit_intact(a) > 0 and await _audit_intact(b) > 0
    async with a.crossprovince.db.reader() as uow:
        statuses = (
            (
                await uow.conn.execute(
                    sa.select(audit_log.c.status)
                    .where(audit_log.c.message_id == row.message_id)
                    .order_by(audit_log.c.seq)
                )
            )
            .scalars()
            .all()
        )
    assert statuses == ["SENT", "RECEIPTED_ACCEPTED"]


async def test_a_partner_away_gets_the_handover_once_when_it_is_back(flow: Flow) -> None:
    a, b = flow.a, flow.b
    await b.crossprovince.stop()
    sent = await _sent(a)

    async def tried_twice() -> bool:
        rows = await outgoing_of(a, "Handover")
        return bool(rows) and rows[0].attempts >= 2 and rows[0].receipted_at is None

    await wait_until(tried_twice, timeout=10, what="A trying the absent partner")
    [row] = await outgoing_of(a, "Handover")
    assert row.last_error.startswith("UNAVAILABLE")

    async def overdue() -> bool:
        return (await flow_sender_backlog(a)).overdue == 1

    await wait_until(overdue, timeout=10, what="the unreceipted handover overdue")

    await flow.restart_b()
    forwarded = await _state(a, sent.id, S.HANDOVER_STATE_FORWARDED)
    assert forwarded.remote_case_number
    assert len(await _b_cases(b)) == 1
    received = await b.rows(received_messages, received_messages.c.message_id == row.message_id)
    assert len(received) == 1
    backlog = await flow_sender_backlog(a)
    assert (backlog.unreceipted, backlog.overdue) == (0, 0)
    await _audit_intact(a)
    await _audit_intact(b)


def _sealed(p: Province, kind: str, body: bytes) -> xp.Envelope:
    """A new message from ``p`` to the other province, signed with its key."""
    key = load_signing_key(p.settings.signing_key_file)  # type: ignore[arg-type]
    to = B if p.code == A else A
    return seal(key, p.settings.signing_key_id, sender=p.code, receiver=to, kind=kind, body=body)


def _client(sender: Province, receiver: str) -> PartnerClient:
    partner = load_partners(sender.settings.partners_file, sender.code).get(receiver)  # type: ignore[arg-type]
    assert partner is not None
    d = sender.settings.client_cert_file.parent  # type: ignore[union-attr]
    return PartnerClient(partner, (d / "client.pem").read_bytes(), (d / "client.key").read_bytes())


async def test_what_each_side_refuses(flow: Flow) -> None:
    a, b = flow.a, flow.b
    # A matter B does not have: B's cases refuses it, the receipt says so, A's handover shows it.
    record = await a.handover(
        "CreateHandover",
        hpb.CreateHandoverRequest(
            partner_province=B,
            matter_code="420502-SCJG-9999",
            matter_name="不存在的事项",
            applicant=xp.HandoverApplicant(kind="person", name="张三", id_number="210102199001011234"),
            form_json="{}",
            consent_text="同意转送",
            site_code=A_SITE,
        ),
    )
    await a.handover(
        "AddHandoverMaterial",
        hpb.AddHandoverMaterialRequest(
            handover_id=record.id,
            material_code="M01",
            name="M01",
            file_name="申请书.pdf",
            content=pdf_bytes(),
        ),
    )
    await a.handover("SendHandover", hpb.HandoverRef(handover_id=record.id))
    await _state(a, record.id, S.HANDOVER_STATE_REJECTED)
    [row] = await outgoing_of(a, "Handover")
    refused = xp.Receipt.FromString(row.receipt)
    assert refused.status == xp.RECEIPT_STATUS_REJECTED and refused.reason_code
    assert await _b_cases(b) == []

    # B reporting on a handover A sent to another province (黑龙江): refused, nothing recorded.
    other = await a.handover(
        "CreateHandover",
        hpb.CreateHandoverRequest(
            partner_province="230000",
            matter_code="230102-SCJG-0001",
            matter_name="食品经营许可",
            applicant=xp.HandoverApplicant(kind="person", name="李四", id_number="210102199001015678"),
            form_json="{}",
            consent_text="同意转送",
            site_code=A_SITE,
        ),
    )
    report = xp.StatusReport(
        handover_id=other.id, case_number="X1", step=xp.RemoteStep(state="CASE_STATE_ACCEPTED", revision=5)
    )
    client = _client(b, A)
    try:
        receipt = await client.send(_sealed(b, "ReportStatus", report.SerializeToString()))
    finally:
        await client.close()
    assert (receipt.status, receipt.reason_code) == (xp.RECEIPT_STATUS_REJECTED, "HANDOVER_NOT_FOUND")
    after = await a.handover("GetHandover", hpb.HandoverRef(handover_id=other.id))
    assert after.state == S.HANDOVER_STATE_DRAFT and not after.remote_steps
    await _audit_intact(a)
    await _audit_intact(b)


async def flow_sender_backlog(p: Province) -> Backlog:
    return await backlog(p.crossprovince.db, p.settings.overdue_after_seconds)
