"""The cases service over gRPC: apply, handle, read, supervise; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from prometheus_client import REGISTRY
from pypdf import PdfReader

from govhall.kit.errors import DomainError
from govhall.kit.races import concurrently, outcomes
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.common.v1 import common_pb2

from .conftest import (
    APPROVER,
    CLERK,
    DEPT,
    MATTER,
    OTHER_DEPT,
    REVIEWER,
    SERVICE,
    SUPERVISOR,
    World,
    pdf_bytes,
    person,
    png_bytes,
    staff,
)

CHINA = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.asyncio


def in_days(n: int) -> str:
    """A date n days from today in China Standard Time."""
    return (dt.datetime.now(CHINA).date() + dt.timedelta(days=n)).isoformat()


def pdf_text(content: bytes) -> str:
    import io

    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def test_the_whole_journey(world: World) -> None:
    citizen = person()
    case = await world.submitted(citizen)
    assert case.state == pb.CASE_STATE_SUBMITTED and case.state_zh == "待预审"
    assert case.tab == pb.APPLICANT_TAB_IN_PROGRESS
    assert len(case.query_password) == 8
    assert [m.code for m in case.materials if m.files] == ["M01", "M02"]
    assert case.materials[1].files[0].media_type == "image/png"

    # The clerk sees it in the window queue; a reviewer of the department does not yet.
    queue = await world.call("ListQueue", pb.ListQueueRequest(), CLERK)
    assert [c.id for c in queue.cases] == [case.id]
    assert (await world.call("ListQueue", pb.ListQueueRequest(), REVIEWER)).cases == []

    # 补正: one notice with every problem, a deadline; the applicant resubmits.
    case = await world.handle(
        case.id,
        CLERK,
        request_supplement=pb.RequestSupplementCommand(
            items=[
                pb.SupplementItem(material="M01", problem="申请书未签字"),
                pb.SupplementItem(material="M02", problem="平面图不清晰"),
            ],
            deadline=in_days(10),
        ),
    )
    assert case.state == pb.CASE_STATE_SUPPLEMENT_REQUESTED and case.tab == pb.APPLICANT_TAB_SUPPLEMENT
    assert [i.problem for i in case.supplement.items] == ["申请书未签字", "平面图不清晰"]
    notice = next(d for d in case.documents if d.kind == pb.DOCUMENT_KIND_SUPPLEMENT)
    pdf = await world.call(
        "GetDocument", pb.GetDocumentRequest(case_id=case.id, document_id=notice.id), citizen
    )
    assert "申请书未签字" in pdf_text(pdf.content)
    await world.call(
        "UploadMaterial",
        pb.UploadMaterialRequest(
            case_id=case.id, material_code="M01", file_name="签字版.pdf", content=pdf_bytes("已签字")
        ),
        citizen,
    )
    # Every item the notice names is changed before resubmitting.
    await world.call(
        "UploadMaterial",
        pb.UploadMaterialRequest(
            case_id=case.id, material_code="M02", file_name="清晰版.png", content=png_bytes(7)
        ),
        citizen,
    )
    case = await world.call("ResubmitCase", pb.ResubmitCaseRequest(case_id=case.id, note="已补正"), citizen)
    assert case.state == pb.CASE_STATE_SUBMITTED

    # 受理: a case number, the clock starts, a notice.
    case = await world.handle(case.id, CLERK, accept=pb.AcceptCommand(opinion="材料齐全"))
    assert case.state == pb.CASE_STATE_ACCEPTED
    assert case.case_number.startswith("420502") and len(case.case_number) == 20
    assert case.clock.limit_days == 10 and case.clock.promised_due and case.clock.legal_due
    assert case.clock.level == pb.WARNING_LEVEL_NONE

    # Two review steps by reviewers of the department, then the approver's decision.
    assert [c.id for c in (await world.call("ListQueue", pb.ListQueueRequest(), REVIEWER)).cases] == [case.id]
    case = await world.handle(
        case.id, REVIEWER, complete_step=pb.CompleteStepCommand(outcome="pass", opinion="初审通过")
    )
    assert case.state == pb.CASE_STATE_UNDER_REVIEW and [s.name for s in case.steps if s.current] == ["复审"]
    case = await world.handle(
        case.id, REVIEWER, complete_step=pb.CompleteStepCommand(outcome="pass", opinion="复审通过")
    )
    assert [s.name for s in case.steps if s.current] == ["决定"]
    case = await world.handle(
        case.id, APPROVER, conclude=pb.ConcludeCommand(decision="approved", opinion="准予许可")
    )
    assert case.state == pb.CASE_STATE_CONCLUDED_APPROVED and case.result_code == 0

    # The applicant's view: the flow, the notices, the tab.
    mine = await world.call("GetCase", pb.GetCaseRequest(case_id=case.id), citizen)
    assert [f.action for f in mine.flow] == [
        "submit",
        "request_supplement",
        "resubmit",
        "accept",
        "complete_step",
        "complete_step",
        "conclude",
    ]
    assert [f.actor_role for f in mine.flow][3:] == ["window_clerk", "reviewer", "reviewer", "approver"]
    assert mine.flow[4].opinion == "初审通过" and mine.flow[4].step_name == "初审"
    kinds = [d.kind for d in mine.documents]
    assert kinds == [pb.DOCUMENT_KIND_SUPPLEMENT, pb.DOCUMENT_KIND_ACCEPTANCE, pb.DOCUMENT_KIND_APPROVAL]
    decision = mine.documents[-1]
    pdf = await world.call(
        "GetDocument", pb.GetDocumentRequest(case_id=case.id, document_id=decision.id), citizen
    )
    assert case.case_number in pdf_text(pdf.content) and pdf.media_type == "application/pdf"
    check = await world.call(
        "VerifyDocument",
        pb.VerifyDocumentRequest(document_id=decision.id, verification_code=decision.verification_code),
        common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_ANONYMOUS),
    )
    assert check.valid and check.case_number == case.case_number and check.title == "准予许可决定书"
    listed = await world.call("ListMyCases", pb.ListMyCasesRequest(tab=pb.APPLICANT_TAB_TO_EVALUATE), citizen)
    assert [c.id for c in listed.cases] == [case.id]
    assert {t.label: t.count for t in listed.tabs}["待评价"] == 1


async def test_status_query_by_number_and_password(world: World) -> None:
    case = await world.submitted()
    password = case.query_password
    case = await world.handle(case.id, CLERK, accept=pb.AcceptCommand())
    anonymous = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_ANONYMOUS)
    status = await world.call(
        "QueryStatus",
        pb.QueryStatusRequest(case_number=case.case_number, query_password=password.lower()),
        anonymous,
    )
    assert status.state_zh == "已受理" and status.current_step_name == "初审" and status.promised_due
    for _ in range(5):
        err = await world.fails(
            "QueryStatus",
            pb.QueryStatusRequest(case_number=case.case_number, query_password="WRONG"),
            anonymous,
        )
        assert err.code == "CASE_QUERY_FAILED"
    err = await world.fails(
        "QueryStatus", pb.QueryStatusRequest(case_number=case.case_number, query_password=password), anonymous
    )
    assert err.code == "CASE_QUERY_LOCKED"


async def test_submit_checks_everything_at_once_and_is_idempotent(world: World) -> None:
    citizen = person()
    # A draft may be incomplete, never wrong.
    err = await world.fails(
        "CreateDraft",
        pb.CreateDraftRequest(
            site_code="420502", matter_code=MATTER, form_json=json.dumps({"mobile": "123"})
        ),
        citizen,
    )
    assert err.code == "CASE_FORM_INVALID" and [f.field for f in err.fields] == ["form.mobile"]
    assert err.fields[0].message_zh == "联系电话：格式不正确"
    case = await world.draft(citizen, form_json=json.dumps({"shop_name": "老张面馆"}, ensure_ascii=False))
    err = await world.fails("SubmitCase", pb.SubmitCaseRequest(case_id=case.id, notice_read=True), citizen)
    assert err.code == "CASE_INCOMPLETE"
    assert {f.field for f in err.fields} == {"form.address", "form.mobile", "materials.M01", "materials.M02"}
    assert "“经营场所”为必填项" in [f.message_zh for f in err.fields]
    assert "请上传：经营场所平面图" in [f.message_zh for f in err.fields]
    err = await world.fails("SubmitCase", pb.SubmitCaseRequest(case_id=case.id), citizen)
    assert err.code == "NOTICE_NOT_READ"

    case = await world.draft(citizen)
    for code, name, content in (("M01", "a.pdf", pdf_bytes()), ("M02", "b.png", png_bytes())):
        await world.call(
            "UploadMaterial",
            pb.UploadMaterialRequest(case_id=case.id, material_code=code, file_name=name, content=content),
            citizen,
        )
    request = pb.SubmitCaseRequest(case_id=case.id, notice_read=True, idempotency_key="k-1")
    first = await world.call("SubmitCase", request, citizen)
    again = await world.call("SubmitCase", request, citizen)
    assert first.state == again.state == pb.CASE_STATE_SUBMITTED and first.revision == again.revision
    assert len([f for f in again.flow if f.action == "submit"]) == 1
    err = await world.fails("SubmitCase", pb.SubmitCaseRequest(case_id=case.id, notice_read=True), citizen)
    assert err.code == "CASE_NOT_IN_STATE"

    # A retried create with the same key gives the same draft.
    a = await world.draft(citizen, idempotency_key="draft-1")
    b = await world.draft(citizen, idempotency_key="draft-1")
    assert a.id == b.id


async def test_uploads_are_checked_by_content(world: World) -> None:
    citizen = person()
    case = await world.draft(citizen)
    err = await world.fails(
        "UploadMaterial",
        pb.UploadMaterialRequest(
            case_id=case.id, material_code="M01", file_name="申请书.pdf", content=b"MZ\x90\x00 not a pdf"
        ),
        citizen,
    )
    assert err.code == "FILE_TYPE_NOT_ACCEPTED"
    err = await world.fails(
        "UploadMaterial",
        pb.UploadMaterialRequest(
            case_id=case.id, material_code="M09", file_name="x.pdf", content=pdf_bytes()
        ),
        citizen,
    )
    assert err.code == "MATERIAL_UNKNOWN"
    ok = await world.call(
        "UploadMaterial",
        pb.UploadMaterialRequest(
            case_id=case.id, material_code="M02", file_name="平面图.pdf", content=png_bytes(7)
        ),
        citizen,
    )
    stored = ok.materials[1].files[0]
    assert stored.media_type == "image/png" and stored.file_name.endswith(".png")
    got = await world.call(
        "GetMaterialFile", pb.GetMaterialFileRequest(case_id=case.id, file_id=stored.id), citizen
    )
    assert got.content == png_bytes(7)


async def test_other_people_and_other_sites_are_refused_and_nothing_changes(world: World) -> None:
    case = await world.submitted(person(1))
    stranger = person(2, "李四")
    for method, request in (
        ("GetCase", pb.GetCaseRequest(case_id=case.id)),
        ("WithdrawCase", pb.WithdrawCaseRequest(case_id=case.id)),
        ("ResubmitCase", pb.ResubmitCaseRequest(case_id=case.id)),
    ):
        assert (await world.fails(method, request, stranger)).code == "CASE_NOT_FOUND"
    other_site = staff(["window_clerk"], site="420500", dept="420500-SCJG")
    assert (
        await world.fails(
            "HandleCase", pb.HandleCaseRequest(case_id=case.id, accept=pb.AcceptCommand()), other_site
        )
    ).code == "CASE_WRONG_SITE"
    assert (
        await world.fails(
            "HandleCase", pb.HandleCaseRequest(case_id=case.id, accept=pb.AcceptCommand()), REVIEWER
        )
    ).code == "CASE_WRONG_ROLE"
    assert (
        await world.fails(
            "HandleCase", pb.HandleCaseRequest(case_id=case.id, accept=pb.AcceptCommand()), person(1)
        )
    ).code == "CASE_WRONG_ACTOR"
    case = await world.handle(case.id, CLERK, accept=pb.AcceptCommand())
    outsider = staff(["reviewer"], dept=OTHER_DEPT)
    err = await world.fails(
        "HandleCase",
        pb.HandleCaseRequest(case_id=case.id, complete_step=pb.CompleteStepCommand(outcome="pass")),
        outsider,
    )
    assert err.code == "CASE_WRONG_DEPARTMENT"
    err = await world.fails("WithdrawCase", pb.WithdrawCaseRequest(case_id=case.id), person(1))
    assert err.code == "CASE_NOT_IN_STATE"
    err = await world.fails(
        "HandleCase",
        pb.HandleCaseRequest(
            case_id=case.id, expected_revision=1, complete_step=pb.CompleteStepCommand(outcome="pass")
        ),
        REVIEWER,
    )
    assert err.code == "CASE_CHANGED"
    after = await world.call("GetCase", pb.GetCaseRequest(case_id=case.id), person(1))
    assert (
        after.revision == case.revision
        and after.state == pb.CASE_STATE_ACCEPTED
        and len(after.flow) == len(case.flow)
    )


async def test_withdraw_before_acceptance_and_terminate_by_supervisor(world: World) -> None:
    citizen = person()
    a = await world.submitted(citizen)
    a = await world.call("WithdrawCase", pb.WithdrawCaseRequest(case_id=a.id, reason="不办了"), citizen)
    assert a.state == pb.CASE_STATE_WITHDRAWN and a.tab == pb.APPLICANT_TAB_OTHER
    b = await world.submitted(citizen)
    b = await world.handle(b.id, CLERK, accept=pb.AcceptCommand())
    err = await world.fails(
        "HandleCase",
        pb.HandleCaseRequest(case_id=b.id, terminate=pb.TerminateCommand(result_code=2, reason="重复申报")),
        CLERK,
    )
    assert err.code == "CASE_WRONG_ROLE"
    b = await world.handle(b.id, SUPERVISOR, terminate=pb.TerminateCommand(result_code=2, reason="重复申报"))
    assert b.state == pb.CASE_STATE_TERMINATED and b.result_zh == "作废"


async def test_special_procedure_pauses_the_clock_and_supervision_figures(world: World) -> None:
    case = await world.submitted()
    case = await world.handle(case.id, CLERK, accept=pb.AcceptCommand())
    case = await world.handle(
        case.id,
        REVIEWER,
        start_special_procedure=pb.StartSpecialProcedureCommand(
            procedure="site_check",
            reason="需现场核查经营场所",
            planned=common_pb2.TimeLimit(value=5, unit=common_pb2.TIME_LIMIT_UNIT_WORKING_DAY),
        ),
    )
    assert case.state == pb.CASE_STATE_SPECIAL_PROCEDURE and case.clock.paused
    case = await world.handle(
        case.id, REVIEWER, end_special_procedure=pb.EndSpecialProcedureCommand(result="核查合格")
    )
    assert case.state == pb.CASE_STATE_ACCEPTED and not case.clock.paused

    # The sweep on a day far past the due date: red, one overdue_warning.
    swept = await world.call("SweepClock", pb.SweepClockRequest(today="2099-01-05"), SERVICE)
    assert swept.warnings_raised == 1
    again = await world.call("SweepClock", pb.SweepClockRequest(today="2099-01-06"), SERVICE)
    assert again.warnings_raised == 0
    warned = await world.call("ListWarnings", pb.ListWarningsRequest(), SUPERVISOR)
    assert [w.case.id for w in warned.warnings] == [case.id] and warned.warnings[
        0
    ].level == pb.WARNING_LEVEL_RED
    assert (await world.fails("ListWarnings", pb.ListWarningsRequest(), CLERK)).code == "SUPERVISOR_REQUIRED"
    perf = await world.call("GetPerformance", pb.GetPerformanceRequest(), SUPERVISOR)
    assert [(d.department_code, d.accepted, d.open_red) for d in perf.departments] == [(DEPT, 1, 1)]
    stats = await world.call("GetStatistics", pb.GetStatisticsRequest(site_code="420000"), SERVICE)
    assert stats.total == 1 and {r.label: r.count for r in stats.by_matter_type} == {"行政许可": 1}


async def test_overdue_supplement_becomes_returned(world: World) -> None:
    case = await world.submitted()
    case = await world.handle(
        case.id,
        CLERK,
        request_supplement=pb.RequestSupplementCommand(
            items=[pb.SupplementItem(material="M02", problem="缺页")], deadline=in_days(3)
        ),
    )
    swept = await world.call("SweepClock", pb.SweepClockRequest(today=in_days(4)), SERVICE)
    assert swept.supplements_returned == 1
    after = await world.call("GetCase", pb.GetCaseRequest(case_id=case.id), person())
    assert after.state == pb.CASE_STATE_TERMINATED and after.result_code == 5 and after.result_zh == "退件"
    assert MATTER == after.matter_code


async def test_clerks_accepting_at_once_make_one_acceptance(world: World) -> None:
    case = await world.submitted()
    clerks = [CLERK, *(staff(["window_clerk"], n=n) for n in range(2, 6))]

    async def accept(i: int) -> pb.Case:
        request = pb.HandleCaseRequest(case_id=case.id, accept=pb.AcceptCommand())
        return await world.call("HandleCase", request, clerks[i])

    # Five at once, released together (on PostgreSQL truly overlapping transactions).
    accepted, refused = outcomes(await concurrently(len(clerks), accept))
    assert len(accepted) == 1 and all(isinstance(e, DomainError) for e in refused)
    assert {e.code for e in refused if isinstance(e, DomainError)} <= {"CASE_NOT_IN_STATE", "CASE_CHANGED"}
    after = await world.call("GetCase", pb.GetCaseRequest(case_id=case.id), person())
    assert [f.action for f in after.flow].count("accept") == 1
    assert [d.kind for d in after.documents] == [pb.DOCUMENT_KIND_ACCEPTANCE]


async def test_mail_delivery_needs_a_saved_address(world: World) -> None:
    err = await world.fails(
        "CreateDraft",
        pb.CreateDraftRequest(
            site_code="420502",
            matter_code=MATTER,
            delivery=pb.Delivery(method=pb.DELIVERY_METHOD_MAIL, address_id="not-mine"),
        ),
        person(),
    )
    assert err.code == "DELIVERY_ADDRESS_NOT_FOUND" and err.fields[0].field == "delivery.address_id"


async def test_gauges_follow_the_sweep(world: World) -> None:
    case = await world.submitted()
    accepted = await world.handle(case.id, CLERK, accept=pb.AcceptCommand())
    await world.call("SweepClock", pb.SweepClockRequest(), SERVICE)
    assert REGISTRY.get_sample_value("govhall_cases_overdue") == 0  # just accepted: in time
    # Past the promised due date (10 working days), not the legal one (20): red, not overdue.
    promised = dt.date.fromisoformat(accepted.clock.promised_due)
    assert promised < dt.date.fromisoformat(accepted.clock.legal_due) - dt.timedelta(days=1)
    day_after = (promised + dt.timedelta(days=1)).isoformat()
    await world.call("SweepClock", pb.SweepClockRequest(today=day_after), SERVICE)
    assert REGISTRY.get_sample_value("govhall_cases_warnings", {"level": "red"}) == 1
    assert REGISTRY.get_sample_value("govhall_cases_overdue") == 0
    await world.call("SweepClock", pb.SweepClockRequest(today="2099-01-05"), SERVICE)
    assert REGISTRY.get_sample_value("govhall_cases", {"state": "accepted"}) == 1
    assert REGISTRY.get_sample_value("govhall_cases_warnings", {"level": "red"}) == 1
    assert REGISTRY.get_sample_value("govhall_cases_overdue") == 1
    err = await world.fails("SweepClock", pb.SweepClockRequest(), CLERK)
    assert err.code == "SERVICE_ONLY"


async def test_named_options_are_checked(world: World) -> None:
    case = await world.submitted()
    case = await world.handle(case.id, CLERK, accept=pb.AcceptCommand())
    err = await world.fails(
        "HandleCase",
        pb.HandleCaseRequest(case_id=case.id, complete_step=pb.CompleteStepCommand(outcome="maybe")),
        REVIEWER,
    )
    assert err.code == "OUTCOME_INVALID" and err.fields[0].field == "complete_step.outcome"
    err = await world.fails(
        "HandleCase",
        pb.HandleCaseRequest(case_id=case.id, conclude=pb.ConcludeCommand(decision="perhaps")),
        APPROVER,
    )
    assert err.code == "DECISION_INVALID"
    assert (
        await world.fails("HandleCase", pb.HandleCaseRequest(case_id=case.id), CLERK)
    ).code == "COMMAND_REQUIRED"
