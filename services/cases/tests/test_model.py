"""The case state machine, without I/O: every allowed and every forbidden transition.

The matrix test builds a case in every reachable state (walking the machine itself, so every
state is one the machine can reach), tries every action on it as every kind of actor, and checks
the answer against an oracle written here independently of the implementation: allowed actions
land in the expected state with a well-formed history entry; forbidden ones raise the expected
stable code and leave the case exactly as it was.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import FrozenInstanceError

import pytest

from govhall.cases import rules, values, vocabulary
from govhall.cases.commands import (
    Accept,
    Command,
    CompleteStep,
    Conclude,
    Decision,
    EndSpecialProcedure,
    Evaluate,
    EvaluationPeriodEnded,
    NotAccept,
    RequestSupplement,
    Resubmit,
    StartSpecialProcedure,
    StepOutcome,
    Submit,
    SupplementOverdue,
    Terminate,
    Withdraw,
)
from govhall.cases.model import perform
from govhall.cases.values import (
    Actor,
    ActorKind,
    Applicant,
    ApplicantKind,
    Case,
    LimitUnit,
    PauseKind,
    Step,
    SupplementItem,
    TimeLimit,
    Transition,
)
from govhall.cases.vocabulary import Action, CaseState, ResultCode
from govhall.kit.errors import DomainError, ErrorKind
from govhall.protos.common.v1 import common_pb2

SITE, OTHER_SITE = "420502", "420503"
DEPT, OTHER_DEPT = "420502-SCJG", "420502-WJJ"
ALICE = "person-alice"
ACME = "legal-acme"

STEPS = (
    Step("accept", "受理", "window_clerk"),
    Step("first_review", "初审", "reviewer", 3),
    Step("second_review", "复审", "reviewer", 3),
    Step("decide", "决定", "approver", 4),
)
ROLES = ("window_clerk", "reviewer", "approver", "supervisor", "site_admin")

# Monday 2025-09-22, 09:00 in Beijing.
T0 = dt.datetime(2025, 9, 22, 1, 0, tzinfo=dt.UTC)
NOW = T0 + dt.timedelta(days=1)  # when the matrix acts: before every supplement deadline
DEADLINE = dt.date(2025, 10, 20)
CJK = re.compile(r"[\u4e00-\u9fff]")


def staff(role: str, site: str = SITE, dept: str = DEPT, *more: str) -> Actor:
    return Actor.staff(f"staff-{role}-{site}-{dept}", {role, *more}, site, dept, name=f"{role}工作人员")


OWNER = Actor.person(ALICE, "张三")
CLERK, REVIEWER, APPROVER, SUPERVISOR = (staff(r) for r in ROLES[:4])
SYSTEM = Actor.system("cases-timer")


def new(
    applicant: Applicant | None = None,
    steps: tuple[Step, ...] = STEPS,
    promised: TimeLimit | None = TimeLimit(10),
    legal: TimeLimit | None = TimeLimit(20),
) -> Case:
    return values.new_case(
        case_id="case-1",
        site_code=SITE,
        department_code=DEPT,
        matter_code="11420502MB0000000X-001",
        matter_name="食品经营许可",
        applicant=applicant or Applicant(ApplicantKind.PERSON, ALICE, "张三"),
        steps=steps,
        promised_limit=promised,
        legal_limit=legal,
        now=T0,
    )


SUPPLEMENT = RequestSupplement(
    (SupplementItem("营业执照", "复印件不清晰，请上传原件扫描件"), SupplementItem("经营场所证明", "缺少")),
    DEADLINE,
    "请一次性补齐以下材料",
)
SPECIAL = StartSpecialProcedure("expert_review", "需组织专家评审", TimeLimit(10, LimitUnit.NATURAL_DAY))


def walk(case: Case, *moves: tuple[Command, Actor]) -> Case:
    """Perform the moves an hour apart, starting at T0 + 1 h."""
    for i, (command, actor) in enumerate(moves, start=1):
        case = perform(case, command, actor, T0 + dt.timedelta(hours=i)).case
    return case


SUBMIT = (Submit(), OWNER)
ACCEPT = (Accept("420502-2025-000001"), CLERK)
PASS_REVIEW = (CompleteStep(StepOutcome.PASS, "同意"), REVIEWER)

# Every reachable state worth telling apart, with the state a paused case goes back to.
FIXTURES: dict[str, tuple[Callable[[], Case], CaseState | None]] = {
    "draft": (lambda: new(), None),
    "submitted": (lambda: walk(new(), SUBMIT), None),
    "supplement@intake": (lambda: walk(new(), SUBMIT, (SUPPLEMENT, CLERK)), CaseState.SUBMITTED),
    "resubmitted@intake": (lambda: walk(new(), SUBMIT, (SUPPLEMENT, CLERK), (Resubmit(), OWNER)), None),
    "accepted": (lambda: walk(new(), SUBMIT, ACCEPT), None),
    "under_review@second": (lambda: walk(new(), SUBMIT, ACCEPT, PASS_REVIEW), None),
    "under_review@last": (lambda: walk(new(), SUBMIT, ACCEPT, PASS_REVIEW, PASS_REVIEW), None),
    "returned@first": (
        lambda: walk(
            new(), SUBMIT, ACCEPT, PASS_REVIEW, (CompleteStep(StepOutcome.RETURN, "请再核"), REVIEWER)
        ),
        None,
    ),
    "supplement@review": (
        lambda: walk(new(), SUBMIT, ACCEPT, PASS_REVIEW, (SUPPLEMENT, REVIEWER)),
        CaseState.UNDER_REVIEW,
    ),
    "overdue@intake": (lambda: walk(new(), SUBMIT, (SUPPLEMENT, CLERK)), CaseState.SUBMITTED),
    "overdue@review": (
        lambda: walk(new(), SUBMIT, ACCEPT, PASS_REVIEW, (SUPPLEMENT, REVIEWER)),
        CaseState.UNDER_REVIEW,
    ),
    "resubmitted@review": (
        lambda: walk(new(), SUBMIT, ACCEPT, PASS_REVIEW, (SUPPLEMENT, REVIEWER), (Resubmit(), OWNER)),
        None,
    ),
    "special@first": (lambda: walk(new(), SUBMIT, ACCEPT, (SPECIAL, REVIEWER)), CaseState.ACCEPTED),
    "special@last": (
        lambda: walk(new(), SUBMIT, ACCEPT, PASS_REVIEW, PASS_REVIEW, (SPECIAL, APPROVER)),
        CaseState.UNDER_REVIEW,
    ),
    "not_accepted": (lambda: walk(new(), SUBMIT, (NotAccept("不属于本部门职权"), CLERK)), None),
    "withdrawn": (lambda: walk(new(), SUBMIT, (Withdraw("重新申请"), OWNER)), None),
    "concluded_approved": (
        lambda: walk(
            new(), SUBMIT, ACCEPT, PASS_REVIEW, PASS_REVIEW, (Conclude(Decision.APPROVED), APPROVER)
        ),
        None,
    ),
    "concluded_denied": (
        lambda: walk(
            new(),
            SUBMIT,
            ACCEPT,
            PASS_REVIEW,
            PASS_REVIEW,
            (Conclude(Decision.DENIED, "不符合条件"), APPROVER),
        ),
        None,
    ),
    "terminated": (lambda: walk(new(), SUBMIT, ACCEPT, (Terminate(2, "重复申报"), SUPERVISOR)), None),
    "evaluated": (
        lambda: walk(
            new(),
            SUBMIT,
            ACCEPT,
            PASS_REVIEW,
            PASS_REVIEW,
            (Conclude(Decision.APPROVED), APPROVER),
            (Evaluate("满意"), SYSTEM),
        ),
        None,
    ),
}
CASES = {name: build() for name, (build, _) in FIXTURES.items()}
#: The matrix acts at NOW, except on the "overdue@" fixtures: the day after the deadline (CST).
LATE = dt.datetime(2025, 10, 20, 16, 30, tzinfo=dt.UTC)


def when(fixture: str) -> dt.datetime:
    return LATE if fixture.startswith("overdue@") else NOW


COMMANDS: dict[str, Command] = {
    "submit": Submit(),
    "withdraw": Withdraw("不想办了"),
    "request_supplement": SUPPLEMENT,
    "resubmit": Resubmit("已补齐"),
    "supplement_overdue": SupplementOverdue(),
    "accept": Accept("420502-2025-000002"),
    "not_accept": NotAccept("不属于本部门职权范围"),
    "pass": CompleteStep(StepOutcome.PASS, "同意"),
    "return": CompleteStep(StepOutcome.RETURN, "材料需再核"),
    "start_special": SPECIAL,
    "end_special": EndSpecialProcedure("专家评审通过"),
    "approve": Conclude(Decision.APPROVED, "准予许可"),
    "deny": Conclude(Decision.DENIED, "不符合许可条件"),
    "terminate": Terminate(2, "重复申报，作废"),
    "evaluate": Evaluate("满意"),
    "evaluation_period_ended": EvaluationPeriodEnded(),
}

ACTORS: dict[str, Actor] = {
    "owner": OWNER,
    "other_person": Actor.person("person-bob"),
    "system": SYSTEM,
}
for _role in ROLES:
    ACTORS[f"{_role}@home"] = staff(_role)
    ACTORS[f"{_role}@other_dept"] = staff(_role, SITE, OTHER_DEPT)
    ACTORS[f"{_role}@other_site"] = staff(_role, OTHER_SITE, DEPT)


# --------------------------------------------------------------------------------------------
# The oracle
# --------------------------------------------------------------------------------------------

ACTOR_KIND = {
    "submit": "applicant",
    "withdraw": "applicant",
    "resubmit": "applicant",
    "supplement_overdue": "system",
    "evaluate": "system",
    "evaluation_period_ended": "system",
}
OPEN = {"submitted", "supplement_requested", "accepted", "under_review", "special_procedure"}
REVIEW = {"accepted", "under_review"}
TARGET = {
    "submit": "submitted",
    "withdraw": "withdrawn",
    "request_supplement": "supplement_requested",
    "supplement_overdue": "terminated",
    "accept": "accepted",
    "not_accept": "not_accepted",
    "pass": "under_review",
    "return": "under_review",
    "start_special": "special_procedure",
    "approve": "concluded_approved",
    "deny": "concluded_denied",
    "terminate": "terminated",
    "evaluate": "evaluated",
    "evaluation_period_ended": "evaluated",
}


def oracle(fixture: str, name: str, actor: Actor) -> tuple[str | None, str | None]:
    """(error code, None) or (None, target state) for ``name`` by ``actor`` on the fixture."""
    case = CASES[fixture]
    state = case.state.value
    accepted = case.accepted_at is not None
    index = case.step_index
    kind = ACTOR_KIND.get(name, "staff")
    if actor.kind.value != kind:
        return "CASE_WRONG_ACTOR", None
    if kind == "applicant" and actor.subject != ALICE:
        return "CASE_NOT_YOURS", None
    if kind == "staff" and actor.site_code != SITE:
        return "CASE_WRONG_SITE", None
    allowed_here = {
        "submit": state == "draft",
        "withdraw": state in {"submitted", "supplement_requested"} and not accepted,
        "resubmit": state == "supplement_requested",
        "supplement_overdue": state == "supplement_requested",
        "request_supplement": state == "submitted" or state in REVIEW,
        "accept": state == "submitted",
        "not_accept": state == "submitted",
        "pass": state in REVIEW,
        "return": state in REVIEW,
        "start_special": state in REVIEW,
        "end_special": state == "special_procedure",
        "approve": state in REVIEW,
        "deny": state in REVIEW,
        "terminate": state in OPEN,
        "evaluate": state in {"concluded_approved", "concluded_denied"},
        "evaluation_period_ended": state in {"concluded_approved", "concluded_denied"},
    }[name]
    if not allowed_here:
        return "CASE_NOT_IN_STATE", None
    if name in {"accept", "not_accept"} or (name == "request_supplement" and not accepted):
        role: str | None = "window_clerk"
    elif name == "terminate":
        role = "supervisor"
    elif kind == "staff":
        role = STEPS[index].role
    else:
        role = None
    if role is not None:
        if role not in actor.roles:
            return "CASE_WRONG_ROLE", None
        if role in {"reviewer", "approver"} and actor.department_code != DEPT:
            return "CASE_WRONG_DEPARTMENT", None
    last = index == len(STEPS) - 1
    if name == "pass" and last:
        return "CASE_AT_LAST_STEP", None
    if name == "return" and index == 1:
        return "CASE_NO_PREVIOUS_STEP", None
    if name in {"approve", "deny"} and not last:
        return "CASE_NOT_AT_LAST_STEP", None
    if name == "request_supplement" and fixture.startswith("resubmitted"):
        return "CASE_SUPPLEMENT_ALREADY_REQUESTED", None
    late = fixture.startswith("overdue@")
    if name == "supplement_overdue" and not late:
        return "CASE_SUPPLEMENT_NOT_OVERDUE", None
    if name == "resubmit" and late:
        return "CASE_SUPPLEMENT_DEADLINE_PASSED", None
    if name in {"resubmit", "end_special"}:
        resume = FIXTURES[fixture][1]
        assert resume is not None
        return None, resume.value
    return None, TARGET[name]


KIND_OF = {
    "CASE_WRONG_ACTOR": ErrorKind.FORBIDDEN,
    "CASE_NOT_YOURS": ErrorKind.FORBIDDEN,
    "CASE_WRONG_SITE": ErrorKind.FORBIDDEN,
    "CASE_WRONG_ROLE": ErrorKind.FORBIDDEN,
    "CASE_WRONG_DEPARTMENT": ErrorKind.FORBIDDEN,
    "CASE_NOT_IN_STATE": ErrorKind.WRONG_STATE,
    "CASE_AT_LAST_STEP": ErrorKind.WRONG_STATE,
    "CASE_NOT_AT_LAST_STEP": ErrorKind.WRONG_STATE,
    "CASE_NO_PREVIOUS_STEP": ErrorKind.WRONG_STATE,
    "CASE_SUPPLEMENT_ALREADY_REQUESTED": ErrorKind.WRONG_STATE,
    "CASE_SUPPLEMENT_NOT_OVERDUE": ErrorKind.WRONG_STATE,
    "CASE_SUPPLEMENT_DEADLINE_PASSED": ErrorKind.WRONG_STATE,
}

MATRIX = [pytest.param(f, c, a, id=f"{f}-{c}-{a}") for f in FIXTURES for c in COMMANDS for a in ACTORS]


def refused(case: Case, command: Command, actor: Actor, code: str, now: dt.datetime = NOW) -> DomainError:
    """Assert the command is refused with ``code`` and the case is unchanged."""
    before = copy.deepcopy(case)
    with pytest.raises(DomainError) as caught:
        perform(case, command, actor, now)
    assert caught.value.code == code, caught.value
    assert case == before
    assert CJK.search(caught.value.message_zh), caught.value.message_zh
    return caught.value


@pytest.mark.parametrize(("fixture", "command", "actor"), MATRIX)
def test_matrix(fixture: str, command: str, actor: str) -> None:
    case = CASES[fixture]
    who = ACTORS[actor]
    code, target = oracle(fixture, command, who)
    now = when(fixture)
    if code is not None:
        error = refused(case, COMMANDS[command], who, code, now)
        assert error.kind is KIND_OF[code]
        return
    before = copy.deepcopy(case)
    moved = perform(case, COMMANDS[command], who, now)
    assert case == before, "the old value is never changed"
    assert moved.case.state.value == target
    assert moved.case.revision == case.revision + 1
    assert moved.case.updated_at == now
    entry = moved.entry
    assert (entry.seq, entry.from_state, entry.to_state) == (case.revision + 1, case.state, moved.case.state)
    assert entry.action is COMMANDS[command].action
    assert entry.actor == who and entry.at == now
    assert moved.events and all(e.startswith("cases.case.") for e in moved.events)


def test_matrix_covers_every_action_and_state() -> None:
    """Every action is allowed somewhere and refused somewhere; every state is in the matrix."""
    allowed: Counter[str] = Counter()
    refusals: Counter[str] = Counter()
    for f in FIXTURES:
        for c in COMMANDS:
            for a in ACTORS:
                code, _ = oracle(f, c, ACTORS[a])
                (refusals if code else allowed)[c] += 1
    assert set(allowed) == set(COMMANDS) == set(refusals)
    assert {COMMANDS[c].action for c in COMMANDS} == set(Action)
    assert {case.state for case in CASES.values()} == set(CaseState)
    assert sum(allowed.values()) >= 40


# --------------------------------------------------------------------------------------------
# Journeys
# --------------------------------------------------------------------------------------------


def run(case: Case, *moves: tuple[Command, Actor, dt.datetime]) -> tuple[Case, list[Transition]]:
    done: list[Transition] = []
    for command, actor, when in moves:
        t = perform(case, command, actor, when)
        done.append(t)
        case = t.case
    return case, done


def test_happy_path_supplement_resubmit_accept_two_reviews_approve() -> None:
    h = dt.timedelta(hours=1)
    case, steps = run(
        new(),
        (Submit(), OWNER, T0 + h),
        (SUPPLEMENT, CLERK, T0 + 2 * h),
        (Resubmit("已补齐"), OWNER, T0 + 3 * h),
        (Accept("420502-2025-000001", "材料齐全"), CLERK, T0 + 4 * h),
        (CompleteStep(StepOutcome.PASS, "初审同意"), REVIEWER, T0 + 5 * h),
        (CompleteStep(StepOutcome.PASS, "复审同意"), REVIEWER, T0 + 6 * h),
        (Conclude(Decision.APPROVED, "准予许可"), APPROVER, T0 + 7 * h),
    )
    assert [t.entry.to_state for t in steps] == [
        CaseState.SUBMITTED,
        CaseState.SUPPLEMENT_REQUESTED,
        CaseState.SUBMITTED,
        CaseState.ACCEPTED,
        CaseState.UNDER_REVIEW,
        CaseState.UNDER_REVIEW,
        CaseState.CONCLUDED_APPROVED,
    ]
    assert [t.events for t in steps] == [
        ("cases.case.submitted",),
        ("cases.case.supplement_requested",),
        ("cases.case.resubmitted",),
        ("cases.case.accepted",),
        ("cases.case.step_completed",),
        ("cases.case.step_completed",),
        ("cases.case.concluded",),
    ]
    assert [t.entry.seq for t in steps] == list(range(1, 8))
    assert [t.entry.step_code for t in steps] == [
        "",
        "",
        "",
        "accept",
        "first_review",
        "second_review",
        "decide",
    ]
    supplement = steps[1].entry
    assert ("deadline", "2025-10-20") in supplement.details
    assert ("item:营业执照", "复印件不清晰，请上传原件扫描件") in supplement.details
    assert case.case_number == "420502-2025-000001"
    assert case.accepted_at == T0 + 4 * h and case.ended_at == T0 + 7 * h
    assert case.result_code is ResultCode.ISSUED and case.result_code.zh == "出证办结"
    assert case.pauses == ()  # a supplement before acceptance does not touch the clock
    assert case.supplement is None and case.resume_state is None
    assert case.applicant_tab == "待评价"
    evaluated = perform(case, Evaluate("非常满意"), SYSTEM, T0 + 8 * h)
    assert evaluated.case.state is CaseState.EVALUATED and evaluated.case.applicant_tab == "已办结"
    assert evaluated.case.result_code is ResultCode.ISSUED  # the outcome survives evaluation
    assert evaluated.events == ("cases.case.evaluated",)


def test_not_accept_needs_a_reason() -> None:
    case = CASES["submitted"]
    refused(case, NotAccept("  "), CLERK, "REASON_REQUIRED")
    t = perform(case, NotAccept("申请事项不属于本机关职权范围"), CLERK, NOW)
    assert t.case.state is CaseState.NOT_ACCEPTED and t.case.applicant_tab == "其他"
    assert t.case.result_code is ResultCode.NOT_ACCEPTED and t.case.result_code == 6
    assert t.case.result_reason == t.entry.opinion == "申请事项不属于本机关职权范围"
    assert t.events == ("cases.case.not_accepted",)


def test_withdraw_only_before_acceptance() -> None:
    for fixture in ("submitted", "supplement@intake"):
        t = perform(CASES[fixture], Withdraw(), OWNER, NOW)
        assert t.case.state is CaseState.WITHDRAWN and t.case.supplement is None
        assert t.case.ended_at == NOW and t.case.result_code is None
    for fixture in ("accepted", "supplement@review", "special@first", "draft"):
        refused(CASES[fixture], Withdraw(), OWNER, "CASE_NOT_IN_STATE")


def test_return_goes_back_one_step_and_not_past_acceptance() -> None:
    case = CASES["under_review@last"]
    t = perform(case, CompleteStep(StepOutcome.RETURN, "复审意见不充分"), APPROVER, NOW)
    assert t.case.current_step.code == "second_review" and t.case.state is CaseState.UNDER_REVIEW
    assert t.events == ("cases.case.step_returned",) and t.entry.outcome == "return"
    assert t.entry.step_code == "decide"
    refused(case, CompleteStep(StepOutcome.RETURN, " "), APPROVER, "REASON_REQUIRED")
    first = CASES["returned@first"]
    assert first.state is CaseState.UNDER_REVIEW and first.current_step.code == "first_review"
    refused(first, CompleteStep(StepOutcome.RETURN, "退回"), REVIEWER, "CASE_NO_PREVIOUS_STEP")
    # From the first review step the way back to the applicant is a supplement.
    assert perform(first, SUPPLEMENT, REVIEWER, NOW).case.state is CaseState.SUPPLEMENT_REQUESTED


def test_special_procedure_pauses_and_resumes() -> None:
    case = CASES["under_review@second"]
    started = perform(case, SPECIAL, REVIEWER, NOW)
    paused = started.case
    assert paused.state is CaseState.SPECIAL_PROCEDURE and started.events == (
        "cases.case.special_procedure_started",
    )
    pause = paused.open_pause
    assert pause is not None and pause.kind is PauseKind.SPECIAL_PROCEDURE
    assert (pause.procedure, pause.reason, pause.planned) == (
        "expert_review",
        "需组织专家评审",
        SPECIAL.planned,
    )
    refused(paused, CompleteStep(StepOutcome.PASS), REVIEWER, "CASE_NOT_IN_STATE")
    refused(paused, EndSpecialProcedure(" "), REVIEWER, "RESULT_REQUIRED")
    later = NOW + dt.timedelta(days=3)
    ended = perform(paused, EndSpecialProcedure("专家评审通过"), REVIEWER, later)
    assert ended.case.state is CaseState.UNDER_REVIEW and ended.case.open_pause is None
    assert ended.case.pauses[-1].ended_at == later and ended.case.pauses[-1].result == "专家评审通过"
    assert ended.events == ("cases.case.special_procedure_ended",)
    # The state it resumes is the one it left: accepted stays accepted.
    assert perform(CASES["special@first"], EndSpecialProcedure("完成"), REVIEWER, NOW).case.state is (
        CaseState.ACCEPTED
    )


def test_special_procedure_arguments() -> None:
    case = CASES["accepted"]
    refused(
        case, StartSpecialProcedure("party", "原因", TimeLimit(5)), REVIEWER, "CASE_SPECIAL_PROCEDURE_INVALID"
    )
    refused(case, StartSpecialProcedure("hearing", "", TimeLimit(5)), REVIEWER, "REASON_REQUIRED")
    refused(
        case, StartSpecialProcedure("hearing", "听证", TimeLimit(0)), REVIEWER, "CASE_PLANNED_LENGTH_INVALID"
    )
    refused(
        case,
        StartSpecialProcedure("hearing", "听证", TimeLimit(366)),
        REVIEWER,
        "CASE_PLANNED_LENGTH_INVALID",
    )


def test_supplement_during_review_pauses_the_clock() -> None:
    case = CASES["supplement@review"]
    pause = case.open_pause
    assert pause is not None and pause.kind is PauseKind.SUPPLEMENT
    assert case.supplement is not None and case.supplement.phase == "second_review"
    back = perform(case, Resubmit(), OWNER, NOW)
    assert back.case.state is CaseState.UNDER_REVIEW and back.case.current_step.code == "second_review"
    assert back.case.pauses[-1].ended_at == NOW and back.case.supplement is None
    # 一次性告知: the same step may not ask again; the next step may.
    refused(back.case, SUPPLEMENT, REVIEWER, "CASE_SUPPLEMENT_ALREADY_REQUESTED")
    at_last = perform(back.case, CompleteStep(StepOutcome.PASS), REVIEWER, NOW).case
    assert perform(at_last, SUPPLEMENT, APPROVER, NOW).case.supplement is not None


def test_supplement_deadline_and_overdue_return() -> None:
    case = CASES["supplement@intake"]
    # The deadline is a China Standard Time date: 2025-10-20 23:30 in Beijing is 15:30 UTC.
    last_minute = dt.datetime(2025, 10, 20, 15, 30, tzinfo=dt.UTC)
    just_after = dt.datetime(2025, 10, 20, 16, 10, tzinfo=dt.UTC)  # 00:10 on the 21st in Beijing
    assert perform(case, Resubmit(), OWNER, last_minute).case.state is CaseState.SUBMITTED
    refused(case, SupplementOverdue(), SYSTEM, "CASE_SUPPLEMENT_NOT_OVERDUE", last_minute)
    refused(case, Resubmit(), OWNER, "CASE_SUPPLEMENT_DEADLINE_PASSED", just_after)
    t = perform(case, SupplementOverdue(), SYSTEM, just_after)
    assert t.case.state is CaseState.TERMINATED and t.case.result_code is ResultCode.RETURNED
    assert t.case.result_code.zh == "退件" and "逾期" in t.entry.opinion and t.case.result_reason
    assert t.case.supplement is None and t.case.ended_at == just_after
    assert t.events == ("cases.case.terminated",)
    # During review the overdue case's pause closes too.
    review = perform(CASES["supplement@review"], SupplementOverdue(), SYSTEM, just_after).case
    assert review.open_pause is None and review.pauses[-1].ended_at == just_after


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (RequestSupplement((), DEADLINE), "CASE_SUPPLEMENT_ITEMS_REQUIRED"),
        (RequestSupplement((SupplementItem("营业执照", " "),), DEADLINE), "CASE_SUPPLEMENT_ITEM_INVALID"),
        (
            RequestSupplement(
                (SupplementItem("营业执照", "模糊"), SupplementItem("营业执照", "过期")), DEADLINE
            ),
            "CASE_SUPPLEMENT_ITEM_INVALID",
        ),
        (RequestSupplement(SUPPLEMENT.items, NOW.date()), "CASE_SUPPLEMENT_DEADLINE_INVALID"),
        (RequestSupplement(SUPPLEMENT.items, dt.date(2027, 1, 1)), "CASE_SUPPLEMENT_DEADLINE_INVALID"),
        (Accept(" "), "CASE_NUMBER_REQUIRED"),
        (Accept("9" * 65), "CASE_NUMBER_INVALID"),
        (NotAccept("x" * 2001), "CASE_TEXT_TOO_LONG"),
    ],
)
def test_bad_arguments_change_nothing(command: Command, code: str) -> None:
    error = refused(CASES["submitted"], command, CLERK, code)
    assert error.kind is ErrorKind.INVALID


@pytest.mark.parametrize("code", [0, 1, 4, 6, 7])
def test_terminate_takes_only_abnormal_result_codes(code: int) -> None:
    refused(CASES["accepted"], Terminate(code, "原因"), SUPERVISOR, "CASE_RESULT_CODE_INVALID")


@pytest.mark.parametrize("code", [2, 3, 5])
def test_terminate_from_every_open_state(code: int) -> None:
    for fixture, case in CASES.items():
        if case.state.value not in OPEN:
            continue
        refused(case, Terminate(code, ""), SUPERVISOR, "REASON_REQUIRED")
        t = perform(case, Terminate(code, "重复申报"), SUPERVISOR, NOW)
        assert t.case.state is CaseState.TERMINATED, fixture
        assert t.case.result_code == code and t.case.result_reason == "重复申报"
        assert t.case.open_pause is None and t.case.supplement is None and t.case.resume_state is None


def test_deny_needs_a_reason() -> None:
    case = CASES["under_review@last"]
    refused(case, Conclude(Decision.DENIED, ""), APPROVER, "REASON_REQUIRED")
    t = perform(case, Conclude(Decision.DENIED, "不符合许可条件"), APPROVER, NOW)
    assert t.case.result_code is ResultCode.DENIED and t.entry.outcome == "denied"


def test_the_old_case_value_is_immutable() -> None:
    with pytest.raises(FrozenInstanceError):
        CASES["draft"].state = CaseState.SUBMITTED  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# Who the applicant is
# --------------------------------------------------------------------------------------------


def test_enterprise_case_belongs_to_the_legal_person_not_the_agent() -> None:
    company = new(Applicant(ApplicantKind.LEGAL_PERSON, ACME, "某某食品有限公司"))
    agent = Actor.agent(ACME, "person-agent", frozenset({"cases.apply", "cases.view"}))
    representative = Actor.agent(ACME, "person-rep")  # no authorisation: unrestricted
    submitted = perform(company, Submit(), agent, NOW)
    assert submitted.case.state is CaseState.SUBMITTED
    assert submitted.entry.actor.agent_subject == "person-agent"
    assert perform(submitted.case, Withdraw(), representative, NOW).case.state is CaseState.WITHDRAWN
    refused(
        company, Submit(), Actor.agent(ACME, "person-viewer", frozenset({"cases.view"})), "CASE_SCOPE_MISSING"
    )
    refused(company, Submit(), Actor.agent("legal-other", "person-agent", None), "CASE_NOT_YOURS")
    refused(company, Submit(), Actor.person("person-agent"), "CASE_NOT_YOURS")  # not acting for it
    refused(company, Submit(), Actor.person(ACME), "CASE_NOT_YOURS")  # same id, wrong kind
    refused(new(), Submit(), Actor.agent(ALICE, "person-agent"), "CASE_NOT_YOURS")


def test_actor_from_caller_identity() -> None:
    person = Actor.from_caller(common_pb2.CallerIdentity(subject=ALICE, kind=common_pb2.CALLER_KIND_PERSON))
    assert person == Actor.person(ALICE)
    agent = Actor.from_caller(
        common_pb2.CallerIdentity(
            subject=ACME,
            kind=common_pb2.CALLER_KIND_LEGAL_PERSON,
            actor_subject="person-agent",
            scopes=["cases.view"],
        )
    )
    assert agent.applicant_kind is ApplicantKind.LEGAL_PERSON and agent.scopes == frozenset({"cases.view"})
    clerk = Actor.from_caller(
        common_pb2.CallerIdentity(
            subject="s1",
            kind=common_pb2.CALLER_KIND_STAFF,
            roles=["window_clerk", "reviewer"],
            site_code=SITE,
            department_code=DEPT,
        )
    )
    assert clerk.kind is ActorKind.STAFF and clerk.roles == {"window_clerk", "reviewer"}
    assert (
        Actor.from_caller(
            common_pb2.CallerIdentity(subject="cases-timer", kind=common_pb2.CALLER_KIND_SERVICE)
        ).kind
        is ActorKind.SYSTEM
    )
    for kind in (
        common_pb2.CALLER_KIND_ANONYMOUS,
        common_pb2.CALLER_KIND_ADMIN,
        common_pb2.CALLER_KIND_UNSPECIFIED,
    ):
        with pytest.raises(DomainError) as caught:
            Actor.from_caller(common_pb2.CallerIdentity(subject="x", kind=kind))
        assert caught.value.code == "CASE_WRONG_ACTOR"


def test_staff_with_several_roles_may_act_in_each() -> None:
    both = staff("window_clerk", SITE, DEPT, "reviewer")
    accepted = perform(CASES["submitted"], Accept("N-1"), both, NOW).case
    assert (
        perform(accepted, CompleteStep(StepOutcome.PASS), both, NOW).case.current_step.code == "second_review"
    )


# --------------------------------------------------------------------------------------------
# Other process shapes
# --------------------------------------------------------------------------------------------


def test_instant_matter_is_accepted_and_decided_at_the_window() -> None:
    """即办件: one step, 受理并决定, by the window clerk of any department of the site."""
    case = new(steps=(Step("accept_decide", "受理并决定", "window_clerk"),), promised=None, legal=None)
    clerk = staff("window_clerk", SITE, "420502-ZWFW")  # the service centre's comprehensive window
    case = perform(case, Submit(), OWNER, NOW).case
    accepted = perform(case, Accept("N-2"), clerk, NOW)
    assert accepted.entry.step_code == "" and accepted.case.current_step.code == "accept_decide"
    refused(accepted.case, CompleteStep(StepOutcome.PASS), clerk, "CASE_AT_LAST_STEP")
    refused(accepted.case, Conclude(Decision.APPROVED), REVIEWER, "CASE_WRONG_ROLE")
    done = perform(accepted.case, Conclude(Decision.APPROVED), clerk, NOW)
    assert done.case.state is CaseState.CONCLUDED_APPROVED


def test_chain_without_a_window_step_starts_review_at_step_zero() -> None:
    steps = (Step("review", "审核", "reviewer"), Step("decide", "决定", "approver"))
    case = walk(new(steps=steps), SUBMIT, ACCEPT)
    assert case.step_index == 0 and case.current_step.role == "reviewer"
    refused(case, CompleteStep(StepOutcome.PASS), CLERK, "CASE_WRONG_ROLE")
    assert perform(case, CompleteStep(StepOutcome.PASS), REVIEWER, NOW).case.current_step.code == "decide"


@pytest.mark.parametrize(
    "steps",
    [
        (),
        (Step("a", "受理", "window_clerk"), Step("b", "审核", "supervisor")),
        (Step("a", "受理", "window_clerk"), Step("a", "审核", "reviewer")),
        (Step("", "受理", "window_clerk"),),
    ],
)
def test_new_case_refuses_a_bad_process(steps: tuple[Step, ...]) -> None:
    with pytest.raises(DomainError) as caught:
        new(steps=steps)
    assert caught.value.code == "CASE_PROCESS_INVALID" and caught.value.fields


def test_new_case_refuses_a_zero_limit() -> None:
    with pytest.raises(DomainError) as caught:
        new(promised=TimeLimit(0))
    assert caught.value.code == "CASE_PROCESS_INVALID"


def test_step_and_limit_from_protos() -> None:
    from govhall.protos.catalogue.v1 import catalogue_pb2

    step = Step.from_proto(
        catalogue_pb2.ProcessStep(code="review", name="审核", role="reviewer", time_limit_days=3)
    )
    assert step == Step("review", "审核", "reviewer", 3)
    assert TimeLimit.from_proto(common_pb2.TimeLimit(value=0)) is None
    assert TimeLimit.from_proto(common_pb2.TimeLimit(value=20)) == TimeLimit(20, LimitUnit.WORKING_DAY)
    natural = common_pb2.TimeLimit(value=30, unit=common_pb2.TIME_LIMIT_UNIT_NATURAL_DAY)
    assert TimeLimit.from_proto(natural) == TimeLimit(30, LimitUnit.NATURAL_DAY)


def test_naive_times_are_refused() -> None:
    with pytest.raises(TypeError):
        perform(CASES["draft"], Submit(), OWNER, dt.datetime(2025, 9, 22, 9))


def test_every_state_and_action_has_chinese_names_and_a_tab() -> None:
    for state in CaseState:
        assert CJK.search(state.zh) and state in vocabulary.APPLICANT_TAB
    for action in Action:
        assert CJK.search(action.zh) and action in rules.RULES
    for code in ResultCode:
        assert CJK.search(code.zh)
