"""The cases service's domain: a case (办件) and its state machine. No I/O here.

A :class:`Case` is an immutable value. :func:`perform` takes a case, a command, the actor and the
time and returns a :class:`Transition`: the new case, the one history entry to append, and the
names of the events to publish (through the outbox). A refused command raises
:class:`~govhall.kit.errors.DomainError` with a stable code and changes nothing: the old case
value is untouched by construction.

States (``CaseState``)::

    draft 待提交 ─submit→ submitted 待预审 ─accept→ accepted 已受理 ─complete_step(pass)→ under_review 审批中
                           │  ├─not_accept→ not_accepted 不予受理            (step k+1 … the last step)
                           │  ├─withdraw→ withdrawn 已撤回                  ─conclude→ concluded_approved / concluded_denied
                           │  └─request_supplement→ supplement_requested 待补正  ─(system) evaluate→ evaluated 已评价
                           │        ├─resubmit→ back to where it came from
                           │        └─(system) supplement_overdue→ terminated 异常办结, result 5 退件
    accepted / under_review ⇄ special_procedure 特别程序 (start/end; the clock pauses)
    accepted / under_review → supplement_requested (补正 during review; the clock pauses)
    any open state (submitted … special_procedure) ─terminate (supervisor)→ terminated, result 2 作废 / 3 删除 / 5 退件

Rules (the checks run in this order, and the first that fails decides the error):

1. **Who kind** (``CASE_WRONG_ACTOR``): submit, withdraw and resubmit are the applicant's;
   supplement_overdue and evaluate are the system's (a timer job; the consult service's
   evaluation event); everything else is staff's.
2. **Whose case**: an applicant must be the case's own applicant — the same natural person, or an
   agent acting for the same legal person (``CASE_NOT_YOURS``) — and an agent's authorisation
   must include the ``cases.apply`` scope (``CASE_SCOPE_MISSING``). Staff must belong to the
   case's site (``CASE_WRONG_SITE``). Checked before the state so that an outsider learns nothing.
3. **State** (``CASE_NOT_IN_STATE``), see the table in :data:`RULES`. Withdrawal is only before
   acceptance (the issue's rule), so a supplement requested during review cannot be answered by
   withdrawing.
4. **Role** (``CASE_WRONG_ROLE``): accept, not_accept and a supplement before acceptance are the
   window clerk's (综合窗口); review actions (complete_step, special procedures, a supplement
   during review, conclude) belong to the role the matter's *current step* names; terminate is the
   supervisor's. site_admin handles no case.
5. **Department** (``CASE_WRONG_DEPARTMENT``): a step whose role is reviewer or approver is done
   inside the implementing department (the case's ``department_code``); the window clerk and the
   supervisor act for the whole site (无差别综合受理, 电子监察).
6. **Position in the process**: complete_step(pass) at the last step is refused
   (``CASE_AT_LAST_STEP``: conclude instead); conclude before the last step is refused
   (``CASE_NOT_AT_LAST_STEP``); complete_step(return) at the first review step is refused
   (``CASE_NO_PREVIOUS_STEP``).
7. **Arguments** (``REASON_REQUIRED``, ``CASE_SUPPLEMENT_ITEMS_REQUIRED`` …, kind INVALID).
8. **Timing**: resubmitting after the deadline (``CASE_SUPPLEMENT_DEADLINE_PASSED``),
   supplement_overdue before it (``CASE_SUPPLEMENT_NOT_OVERDUE``).

The process: ``steps`` is the matter's :class:`ProcessStep` chain copied when the case is
created (a later guide edit does not move running cases). When the first step's role is
window_clerk and more steps follow (受理 → 审核 → 决定), the first step *is* acceptance:
accepting completes it and review starts at step 1. Otherwise (即办件's single 受理并决定 step, or
a chain that starts with a reviewer) review starts at step 0. ``accepted`` means accepted and no
review action taken yet; the first complete_step moves the case to ``under_review``. Both are
"in review": the current step's role may pass, return, open a special procedure, request a
supplement, and at the last step conclude.

Return rule: complete_step(return) moves the case back one step (to ``under_review`` at k−1).
Acceptance cannot be undone, so at the first review step there is nothing to return to: to send
the case back to the applicant, request a supplement.

一次性告知: a supplement notice lists every missing or wrong material at once; the window may
send one before acceptance, and each review step one during review (a second request in the
same phase is refused with ``CASE_SUPPLEMENT_ALREADY_REQUESTED``). The applicant resubmits on or
before the deadline (a date, China Standard Time); the day after it, the system ends the case as
退件 (result code 5).

The clock (see clock.py) runs from the acceptance date; a supplement during review and a special
procedure record a :class:`Pause`. Times are timezone-aware datetimes (UTC in storage); dates
derived from them are taken in China Standard Time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import IntEnum, StrEnum
from typing import ClassVar, Final
from zoneinfo import ZoneInfo

from govhall.kit.errors import DomainError, ErrorKind, FieldError, invalid_fields
from govhall.protos.common.v1 import common_pb2

CHINA: Final = ZoneInfo("Asia/Shanghai")

# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------


class CaseState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"
    UNDER_REVIEW = "under_review"
    SPECIAL_PROCEDURE = "special_procedure"
    CONCLUDED_APPROVED = "concluded_approved"
    CONCLUDED_DENIED = "concluded_denied"
    TERMINATED = "terminated"
    WITHDRAWN = "withdrawn"
    EVALUATED = "evaluated"

    @property
    def zh(self) -> str:
        return STATE_ZH[self]


STATE_ZH: Final[dict[CaseState, str]] = {
    CaseState.DRAFT: "待提交",
    CaseState.SUBMITTED: "待预审",
    CaseState.SUPPLEMENT_REQUESTED: "待补正",
    CaseState.ACCEPTED: "已受理",
    CaseState.NOT_ACCEPTED: "不予受理",
    CaseState.UNDER_REVIEW: "审批中",
    CaseState.SPECIAL_PROCEDURE: "特别程序",
    CaseState.CONCLUDED_APPROVED: "办结（准予）",
    CaseState.CONCLUDED_DENIED: "办结（不予）",
    CaseState.TERMINATED: "异常办结",
    CaseState.WITHDRAWN: "已撤回",
    CaseState.EVALUATED: "已评价",
}

#: Submitted and not yet ended: a supervisor may terminate these.
OPEN_STATES: Final = frozenset(
    {
        CaseState.SUBMITTED,
        CaseState.SUPPLEMENT_REQUESTED,
        CaseState.ACCEPTED,
        CaseState.UNDER_REVIEW,
        CaseState.SPECIAL_PROCEDURE,
    }
)
#: Accepted and at a review step, not paused.
IN_REVIEW: Final = frozenset({CaseState.ACCEPTED, CaseState.UNDER_REVIEW})
CONCLUDED: Final = frozenset({CaseState.CONCLUDED_APPROVED, CaseState.CONCLUDED_DENIED})
FINAL_STATES: Final = frozenset(
    {
        CaseState.NOT_ACCEPTED,
        CaseState.CONCLUDED_APPROVED,
        CaseState.CONCLUDED_DENIED,
        CaseState.TERMINATED,
        CaseState.WITHDRAWN,
        CaseState.EVALUATED,
    }
)

#: The applicant's "my cases" tabs (待提交, 待补正, 审批中, 待评价, 已办结, 其他).
APPLICANT_TAB: Final[dict[CaseState, str]] = {
    CaseState.DRAFT: "待提交",
    CaseState.SUPPLEMENT_REQUESTED: "待补正",
    CaseState.SUBMITTED: "审批中",
    CaseState.ACCEPTED: "审批中",
    CaseState.UNDER_REVIEW: "审批中",
    CaseState.SPECIAL_PROCEDURE: "审批中",
    CaseState.CONCLUDED_APPROVED: "待评价",
    CaseState.CONCLUDED_DENIED: "待评价",
    CaseState.EVALUATED: "已办结",
    CaseState.NOT_ACCEPTED: "其他",
    CaseState.TERMINATED: "其他",
    CaseState.WITHDRAWN: "其他",
}


class ResultCode(IntEnum):
    """Result codes of the e-supervision exchange (DOMAIN.md); a reason is required for 1–5."""

    ISSUED = 0  # 出证办结
    DENIED = 1  # 不予许可
    VOIDED = 2  # 作废
    DELETED = 3  # 删除
    FORWARDED = 4  # 转报 (not produced by this state machine)
    RETURNED = 5  # 退件 (supplement overdue or given up)
    NOT_ACCEPTED = 6  # 不予受理

    @property
    def zh(self) -> str:
        return RESULT_ZH[self]


RESULT_ZH: Final[dict[ResultCode, str]] = {
    ResultCode.ISSUED: "出证办结",
    ResultCode.DENIED: "不予许可",
    ResultCode.VOIDED: "作废",
    ResultCode.DELETED: "删除",
    ResultCode.FORWARDED: "转报",
    ResultCode.RETURNED: "退件",
    ResultCode.NOT_ACCEPTED: "不予受理",
}
#: What a supervisor may end a case with (异常办结).
TERMINATION_CODES: Final = frozenset({ResultCode.VOIDED, ResultCode.DELETED, ResultCode.RETURNED})


class Action(StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    REQUEST_SUPPLEMENT = "request_supplement"
    RESUBMIT = "resubmit"
    SUPPLEMENT_OVERDUE = "supplement_overdue"
    ACCEPT = "accept"
    NOT_ACCEPT = "not_accept"
    COMPLETE_STEP = "complete_step"
    START_SPECIAL_PROCEDURE = "start_special_procedure"
    END_SPECIAL_PROCEDURE = "end_special_procedure"
    CONCLUDE = "conclude"
    TERMINATE = "terminate"
    EVALUATE = "evaluate"

    @property
    def zh(self) -> str:
        return ACTION_ZH[self]


ACTION_ZH: Final[dict[Action, str]] = {
    Action.SUBMIT: "提交申请",
    Action.WITHDRAW: "撤回申请",
    Action.REQUEST_SUPPLEMENT: "补正告知",
    Action.RESUBMIT: "补正提交",
    Action.SUPPLEMENT_OVERDUE: "补正逾期退件",
    Action.ACCEPT: "受理",
    Action.NOT_ACCEPT: "不予受理",
    Action.COMPLETE_STEP: "办理环节",
    Action.START_SPECIAL_PROCEDURE: "启动特别程序",
    Action.END_SPECIAL_PROCEDURE: "结束特别程序",
    Action.CONCLUDE: "办结",
    Action.TERMINATE: "异常办结",
    Action.EVALUATE: "评价",
}

WINDOW_CLERK: Final = "window_clerk"
REVIEWER: Final = "reviewer"
APPROVER: Final = "approver"
SUPERVISOR: Final = "supervisor"
SITE_ADMIN: Final = "site_admin"
STEP_ROLES: Final = (WINDOW_CLERK, REVIEWER, APPROVER)
ROLE_ZH: Final = {
    WINDOW_CLERK: "窗口受理人员",
    REVIEWER: "审核人员",
    APPROVER: "审批人员",
    SUPERVISOR: "监察人员",
    SITE_ADMIN: "站点管理员",
}
#: Steps with these roles are done inside the case's department.
DEPARTMENT_BOUND_ROLES: Final = frozenset({REVIEWER, APPROVER})
#: The scope an agent's authorisation needs to act on a legal person's cases (identity's SCOPES).
APPLY_SCOPE: Final = "cases.apply"

#: 《行政许可法》 art. 45 (听证、招标、拍卖、检验、检测、检疫、鉴定和专家评审), plus on-site checks.
SPECIAL_PROCEDURES: Final = {
    "hearing": "听证",
    "tendering": "招标",
    "auction": "拍卖",
    "testing": "检验",
    "inspection": "检测",
    "quarantine": "检疫",
    "appraisal": "鉴定",
    "expert_review": "专家评审",
    "site_check": "现场核查",
    "other": "其他",
}

EVENT_PREFIX: Final = "cases.case."
SUBMITTED: Final = EVENT_PREFIX + "submitted"
WITHDRAWN: Final = EVENT_PREFIX + "withdrawn"
SUPPLEMENT_REQUESTED: Final = EVENT_PREFIX + "supplement_requested"
RESUBMITTED: Final = EVENT_PREFIX + "resubmitted"
ACCEPTED: Final = EVENT_PREFIX + "accepted"
NOT_ACCEPTED: Final = EVENT_PREFIX + "not_accepted"
STEP_COMPLETED: Final = EVENT_PREFIX + "step_completed"
STEP_RETURNED: Final = EVENT_PREFIX + "step_returned"
SPECIAL_PROCEDURE_STARTED: Final = EVENT_PREFIX + "special_procedure_started"
SPECIAL_PROCEDURE_ENDED: Final = EVENT_PREFIX + "special_procedure_ended"
CONCLUDED_EVENT: Final = EVENT_PREFIX + "concluded"
TERMINATED: Final = EVENT_PREFIX + "terminated"
EVALUATED: Final = EVENT_PREFIX + "evaluated"

MAX_TEXT: Final = 2_000
MAX_CASE_NUMBER: Final = 64
MAX_SUPPLEMENT_ITEMS: Final = 100
MAX_DEADLINE_DAYS: Final = 365
MAX_PLANNED_DAYS: Final = 365


def local_date(ts: dt.datetime) -> dt.date:
    """The China Standard Time date of an aware datetime."""
    return ts.astimezone(CHINA).date()


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


class ActorKind(StrEnum):
    APPLICANT = "applicant"
    STAFF = "staff"
    SYSTEM = "system"


class ApplicantKind(StrEnum):
    PERSON = "person"  # 自然人
    LEGAL_PERSON = "legal_person"  # 法人, through its representative or an authorised agent


@dataclass(frozen=True)
class Actor:
    """Who performs a transition.

    An applicant's ``subject`` is the natural person, or the legal person an agent acts for (then
    ``agent_subject`` is the agent and ``scopes`` what their authorisation allows; ``None`` means
    unrestricted). Staff carry their roles, site and department; the system names itself.
    """

    kind: ActorKind
    subject: str
    name: str = ""
    applicant_kind: ApplicantKind | None = None
    agent_subject: str = ""
    scopes: frozenset[str] | None = None
    roles: frozenset[str] = frozenset()
    site_code: str = ""
    department_code: str = ""

    @classmethod
    def person(cls, subject: str, name: str = "") -> Actor:
        return cls(ActorKind.APPLICANT, subject, name, ApplicantKind.PERSON)

    @classmethod
    def agent(
        cls, legal_person: str, agent_subject: str, scopes: frozenset[str] | None = None, name: str = ""
    ) -> Actor:
        return cls(ActorKind.APPLICANT, legal_person, name, ApplicantKind.LEGAL_PERSON, agent_subject, scopes)

    @classmethod
    def staff(
        cls,
        subject: str,
        roles: frozenset[str] | set[str],
        site_code: str,
        department_code: str,
        name: str = "",
    ) -> Actor:
        return cls(
            ActorKind.STAFF,
            subject,
            name,
            roles=frozenset(roles),
            site_code=site_code,
            department_code=department_code,
        )

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(ActorKind.SYSTEM, name, name)

    @classmethod
    def from_caller(cls, caller: common_pb2.CallerIdentity) -> Actor:
        """The actor a gRPC caller identity stands for; anonymous callers and platform admins
        handle no case (``CASE_WRONG_ACTOR``)."""
        if caller.kind == common_pb2.CALLER_KIND_PERSON:
            return cls.person(caller.subject, caller.name)
        if caller.kind == common_pb2.CALLER_KIND_LEGAL_PERSON:
            return cls.agent(caller.subject, caller.actor_subject, frozenset(caller.scopes), caller.name)
        if caller.kind == common_pb2.CALLER_KIND_STAFF:
            return cls.staff(
                caller.subject, set(caller.roles), caller.site_code, caller.department_code, caller.name
            )
        if caller.kind == common_pb2.CALLER_KIND_SERVICE:
            return cls.system(caller.subject)
        raise DomainError(
            "CASE_WRONG_ACTOR",
            "anonymous callers and platform administrators cannot act on cases",
            "请以申请人或工作人员身份登录后办理",
            ErrorKind.FORBIDDEN,
        )


@dataclass(frozen=True)
class Applicant:
    kind: ApplicantKind
    subject: str
    name: str = ""


@dataclass(frozen=True)
class Step:
    """One step of the matter's process (the catalogue's ProcessStep), copied onto the case."""

    code: str
    name: str
    role: str
    time_limit_days: int = 0

    @classmethod
    def from_proto(cls, step: object) -> Step:
        """From a ``catalogue.v1.ProcessStep`` (or anything with the same attributes)."""
        return cls(
            str(getattr(step, "code", "")),
            str(getattr(step, "name", "")),
            str(getattr(step, "role", "")),
            int(getattr(step, "time_limit_days", 0)),
        )


class LimitUnit(StrEnum):
    WORKING_DAY = "working_day"
    NATURAL_DAY = "natural_day"


@dataclass(frozen=True)
class TimeLimit:
    value: int
    unit: LimitUnit = LimitUnit.WORKING_DAY

    @classmethod
    def from_proto(cls, limit: common_pb2.TimeLimit) -> TimeLimit | None:
        """None when the value is 0 (no limit set); an unspecified unit means working days."""
        if not limit.value:
            return None
        unit = (
            LimitUnit.NATURAL_DAY
            if limit.unit == common_pb2.TIME_LIMIT_UNIT_NATURAL_DAY
            else LimitUnit.WORKING_DAY
        )
        return cls(int(limit.value), unit)


class PauseKind(StrEnum):
    SUPPLEMENT = "supplement"
    SPECIAL_PROCEDURE = "special_procedure"


@dataclass(frozen=True)
class Pause:
    """A stretch with the clock stopped. The days from ``started_at``'s date through
    ``ended_at``'s date (China Standard Time, both ends included) do not count; while open
    (``ended_at`` None) the pause runs through the day the clock is read."""

    kind: PauseKind
    started_at: dt.datetime
    ended_at: dt.datetime | None = None
    reason: str = ""
    procedure: str = ""  # a SPECIAL_PROCEDURES key
    planned: TimeLimit | None = None
    result: str = ""

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


@dataclass(frozen=True)
class SupplementItem:
    """One thing to change: a material (its code) or a form field (its path, "agent.name"),
    exactly one of the two; what is wrong; and the name the notice prints (the material's name,
    the field's title)."""

    material: str
    problem: str
    field: str = ""
    name: str = ""

    @property
    def target(self) -> str:
        return self.material or self.field


@dataclass(frozen=True)
class SupplementNotice:
    """The open 补正告知: everything to fix at once, and the last day to resubmit."""

    items: tuple[SupplementItem, ...]
    deadline: dt.date
    requested_at: dt.datetime
    phase: str  # "intake" before acceptance, else the step's code
    # The named form fields' values when the notice was sent (JSON text by path): resubmitting
    # needs each of them changed.
    baseline: tuple[tuple[str, str], ...] = ()


INTAKE: Final = "intake"


@dataclass(frozen=True)
class Case:
    id: str
    site_code: str
    department_code: str
    matter_code: str
    matter_name: str
    applicant: Applicant
    steps: tuple[Step, ...]
    promised_limit: TimeLimit | None
    legal_limit: TimeLimit | None
    created_at: dt.datetime
    updated_at: dt.datetime
    state: CaseState = CaseState.DRAFT
    revision: int = 0
    step_index: int = 0
    case_number: str = ""
    application_number: str = ""  # 申报号, from submission
    submitted_at: dt.datetime | None = None
    accepted_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    evaluated_at: dt.datetime | None = None
    result_code: ResultCode | None = None
    result_reason: str = ""
    supplement: SupplementNotice | None = None
    supplement_phases: tuple[str, ...] = ()
    pauses: tuple[Pause, ...] = ()
    # While awaiting a supplement or in a special procedure: the state to go back to.
    resume_state: CaseState | None = None

    @property
    def review_start(self) -> int:
        """The first review step: 1 when step 0 is the window's acceptance and more follow."""
        return 1 if len(self.steps) > 1 and self.steps[0].role == WINDOW_CLERK else 0

    @property
    def current_step(self) -> Step:
        return self.steps[self.step_index]

    @property
    def at_last_step(self) -> bool:
        return self.step_index == len(self.steps) - 1

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def open_pause(self) -> Pause | None:
        return self.pauses[-1] if self.pauses and self.pauses[-1].is_open else None

    @property
    def applicant_tab(self) -> str:
        return APPLICANT_TAB[self.state]


@dataclass(frozen=True)
class HistoryEntry:
    """One append-only row of the case's flow: what happened, who did it, when, and why."""

    seq: int
    action: Action
    from_state: CaseState
    to_state: CaseState
    actor: Actor
    at: dt.datetime
    opinion: str = ""
    outcome: str = ""  # pass / return / approved / denied
    step_code: str = ""
    step_name: str = ""
    result_code: ResultCode | None = None
    details: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Transition:
    case: Case
    entry: HistoryEntry
    events: tuple[str, ...]


def new_case(
    *,
    case_id: str,
    site_code: str,
    department_code: str,
    matter_code: str,
    matter_name: str,
    applicant: Applicant,
    steps: tuple[Step, ...] | list[Step],
    promised_limit: TimeLimit | None,
    legal_limit: TimeLimit | None,
    now: dt.datetime,
) -> Case:
    """A draft (待提交) with the matter's process and limits copied onto it."""
    _check_time(now)
    chain = tuple(steps)
    problems: list[FieldError] = []
    if not chain:
        problems.append(FieldError("steps", "the matter has no process steps", "事项未配置办理环节"))
    codes = [s.code for s in chain]
    for i, s in enumerate(chain):
        if s.role not in STEP_ROLES:
            problems.append(
                FieldError(
                    f"steps[{i}].role",
                    f"role must be one of {', '.join(STEP_ROLES)}",
                    "办理环节的角色应为窗口受理人员、审核人员或审批人员",
                )
            )
        if not s.code or codes.count(s.code) > 1:
            problems.append(
                FieldError(
                    f"steps[{i}].code", "step codes must be present and unique", "环节编码不能为空且不能重复"
                )
            )
    for name, limit in (("promised_limit", promised_limit), ("legal_limit", legal_limit)):
        if limit is not None and limit.value < 1:
            problems.append(FieldError(name, "a time limit must be at least one day", "办结时限至少为1天"))
    if problems:
        raise invalid_fields("CASE_PROCESS_INVALID", problems)
    return Case(
        case_id,
        site_code,
        department_code,
        matter_code,
        matter_name,
        applicant,
        chain,
        promised_limit,
        legal_limit,
        now,
        now,
    )


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------


class StepOutcome(StrEnum):
    PASS = "pass"  # 通过
    RETURN = "return"  # 退回


class Decision(StrEnum):
    APPROVED = "approved"  # 准予
    DENIED = "denied"  # 不予


@dataclass(frozen=True)
class Submit:
    application_number: str = ""  # 申报号 the service issued for this submission
    action: ClassVar[Action] = Action.SUBMIT


@dataclass(frozen=True)
class Withdraw:
    reason: str = ""
    action: ClassVar[Action] = Action.WITHDRAW


@dataclass(frozen=True)
class RequestSupplement:
    items: tuple[SupplementItem, ...]
    deadline: dt.date
    opinion: str = ""
    baseline: tuple[tuple[str, str], ...] = ()  # see SupplementNotice.baseline
    action: ClassVar[Action] = Action.REQUEST_SUPPLEMENT


@dataclass(frozen=True)
class Resubmit:
    note: str = ""
    action: ClassVar[Action] = Action.RESUBMIT


@dataclass(frozen=True)
class SupplementOverdue:
    action: ClassVar[Action] = Action.SUPPLEMENT_OVERDUE


@dataclass(frozen=True)
class Accept:
    case_number: str
    opinion: str = ""
    action: ClassVar[Action] = Action.ACCEPT


@dataclass(frozen=True)
class NotAccept:
    reason: str
    action: ClassVar[Action] = Action.NOT_ACCEPT


@dataclass(frozen=True)
class CompleteStep:
    outcome: StepOutcome
    opinion: str = ""
    action: ClassVar[Action] = Action.COMPLETE_STEP


@dataclass(frozen=True)
class StartSpecialProcedure:
    procedure: str  # a SPECIAL_PROCEDURES key
    reason: str
    planned: TimeLimit
    action: ClassVar[Action] = Action.START_SPECIAL_PROCEDURE


@dataclass(frozen=True)
class EndSpecialProcedure:
    result: str
    action: ClassVar[Action] = Action.END_SPECIAL_PROCEDURE


@dataclass(frozen=True)
class Conclude:
    decision: Decision
    opinion: str = ""
    action: ClassVar[Action] = Action.CONCLUDE


@dataclass(frozen=True)
class Terminate:
    result_code: int
    reason: str
    action: ClassVar[Action] = Action.TERMINATE


@dataclass(frozen=True)
class Evaluate:
    level: str = ""  # the evaluation's level as consult reports it (非常满意 … 非常不满意)
    action: ClassVar[Action] = Action.EVALUATE


Command = (
    Submit
    | Withdraw
    | RequestSupplement
    | Resubmit
    | SupplementOverdue
    | Accept
    | NotAccept
    | CompleteStep
    | StartSpecialProcedure
    | EndSpecialProcedure
    | Conclude
    | Terminate
    | Evaluate
)


# --------------------------------------------------------------------------------------------
# Who may do what, from which state
# --------------------------------------------------------------------------------------------

#: The role the case's current step names.
STEP_ROLE: Final = "<current step>"


@dataclass(frozen=True)
class Rule:
    """Who may perform an action and from where. ``role`` is a staff role, :data:`STEP_ROLE`,
    or None (no role: applicants and the system). ``intake_role`` overrides it before acceptance."""

    kinds: frozenset[ActorKind]
    states: frozenset[CaseState]
    role: str | None = None
    intake_role: str | None = None


_APPLICANT = frozenset({ActorKind.APPLICANT})
_STAFF = frozenset({ActorKind.STAFF})
_SYSTEM = frozenset({ActorKind.SYSTEM})

RULES: Final[dict[Action, Rule]] = {
    Action.SUBMIT: Rule(_APPLICANT, frozenset({CaseState.DRAFT})),
    Action.WITHDRAW: Rule(_APPLICANT, frozenset({CaseState.SUBMITTED, CaseState.SUPPLEMENT_REQUESTED})),
    Action.RESUBMIT: Rule(_APPLICANT, frozenset({CaseState.SUPPLEMENT_REQUESTED})),
    Action.REQUEST_SUPPLEMENT: Rule(
        _STAFF, frozenset({CaseState.SUBMITTED} | IN_REVIEW), STEP_ROLE, WINDOW_CLERK
    ),
    Action.SUPPLEMENT_OVERDUE: Rule(_SYSTEM, frozenset({CaseState.SUPPLEMENT_REQUESTED})),
    Action.ACCEPT: Rule(_STAFF, frozenset({CaseState.SUBMITTED}), WINDOW_CLERK),
    Action.NOT_ACCEPT: Rule(_STAFF, frozenset({CaseState.SUBMITTED}), WINDOW_CLERK),
    Action.COMPLETE_STEP: Rule(_STAFF, IN_REVIEW, STEP_ROLE),
    Action.START_SPECIAL_PROCEDURE: Rule(_STAFF, IN_REVIEW, STEP_ROLE),
    Action.END_SPECIAL_PROCEDURE: Rule(_STAFF, frozenset({CaseState.SPECIAL_PROCEDURE}), STEP_ROLE),
    Action.CONCLUDE: Rule(_STAFF, IN_REVIEW, STEP_ROLE),
    Action.TERMINATE: Rule(_STAFF, OPEN_STATES, SUPERVISOR),
    Action.EVALUATE: Rule(_SYSTEM, CONCLUDED),
}


def _error(
    code: str, kind: ErrorKind, message: str, message_zh: str, field: str | None = None
) -> DomainError:
    fields = [FieldError(field, message, message_zh)] if field else []
    return DomainError(code, message, message_zh, kind, fields)


def _authorise(case: Case, action: Action, actor: Actor) -> None:
    rule = RULES[action]
    if actor.kind not in rule.kinds:
        who = "/".join(sorted(k.value for k in rule.kinds))
        who_zh = {"applicant": "申请人", "staff": "工作人员", "system": "系统"}[next(iter(rule.kinds)).value]
        raise _error(
            "CASE_WRONG_ACTOR",
            ErrorKind.FORBIDDEN,
            f"only the {who} may {action.value} a case",
            f"只有{who_zh}可以{action.zh}",
        )
    if actor.kind is ActorKind.APPLICANT:
        if actor.applicant_kind is not case.applicant.kind or actor.subject != case.applicant.subject:
            raise _error("CASE_NOT_YOURS", ErrorKind.FORBIDDEN, "this is not your case", "这不是您的办件")
        if actor.scopes is not None and APPLY_SCOPE not in actor.scopes:
            raise _error(
                "CASE_SCOPE_MISSING",
                ErrorKind.FORBIDDEN,
                f"your authorisation for this legal person does not include {APPLY_SCOPE}",
                "您的经办人授权不包含“申报办件”，请联系法定代表人授权",
            )
    if actor.kind is ActorKind.STAFF and actor.site_code != case.site_code:
        raise _error(
            "CASE_WRONG_SITE",
            ErrorKind.FORBIDDEN,
            f"the case belongs to site {case.site_code}, not to yours ({actor.site_code or 'none'})",
            "该办件不属于您所在的站点，无权办理",
        )
    if case.state not in rule.states or (
        action is Action.WITHDRAW and case.accepted_at is not None  # only before acceptance
    ):
        raise _error(
            "CASE_NOT_IN_STATE",
            ErrorKind.WRONG_STATE,
            f"cannot {action.value} a case that is {case.state.value}",
            f"办件当前状态为“{case.state.zh}”，不能{action.zh}",
        )
    role = rule.intake_role if rule.intake_role and case.accepted_at is None else rule.role
    if role == STEP_ROLE:
        role = case.current_step.role
    if role is None:
        return
    if role not in actor.roles:
        raise _error(
            "CASE_WRONG_ROLE",
            ErrorKind.FORBIDDEN,
            f"{action.value} here needs the {role} role",
            f"{action.zh}需要{ROLE_ZH.get(role, role)}角色",
        )
    if role in DEPARTMENT_BOUND_ROLES and actor.department_code != case.department_code:
        raise _error(
            "CASE_WRONG_DEPARTMENT",
            ErrorKind.FORBIDDEN,
            f"the step is handled by department {case.department_code}, not by yours",
            "该环节由办件的实施部门办理，您所在部门无权办理",
        )


# --------------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------------


def _check_time(now: dt.datetime) -> None:
    if not isinstance(now, dt.datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise TypeError("now must be a timezone-aware datetime")


def _text(value: str, field: str, label_zh: str, *, required: bool, code: str = "REASON_REQUIRED") -> str:
    text = (value or "").strip()
    if required and not text:
        raise _error(code, ErrorKind.INVALID, f"{field} is required", f"请填写{label_zh}", field)
    if len(text) > MAX_TEXT:
        raise _error(
            "CASE_TEXT_TOO_LONG",
            ErrorKind.INVALID,
            f"{field} must be at most {MAX_TEXT} characters",
            f"{label_zh}不能超过{MAX_TEXT}个字",
            field,
        )
    return text


def _supplement_items(items: tuple[SupplementItem, ...]) -> tuple[SupplementItem, ...]:
    if not items:
        raise _error(
            "CASE_SUPPLEMENT_ITEMS_REQUIRED",
            ErrorKind.INVALID,
            "a supplement notice lists every missing or wrong material at once; it cannot be empty",
            "补正告知应一次性列明需要补正的全部材料及问题",
            "items",
        )
    if len(items) > MAX_SUPPLEMENT_ITEMS:
        raise _error(
            "CASE_SUPPLEMENT_ITEMS_TOO_MANY",
            ErrorKind.INVALID,
            f"at most {MAX_SUPPLEMENT_ITEMS} items",
            f"补正事项不能超过{MAX_SUPPLEMENT_ITEMS}项",
            "items",
        )
    clean: list[SupplementItem] = []
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(items):
        material = (item.material or "").strip()
        form_field = (item.field or "").strip()
        problem = (item.problem or "").strip()
        if (
            bool(material) == bool(form_field)
            or not problem
            or len(material) > 200
            or len(form_field) > 200
            or len(problem) > MAX_TEXT
        ):
            raise _error(
                "CASE_SUPPLEMENT_ITEM_INVALID",
                ErrorKind.INVALID,
                "each item names one material or one form field and says what is missing or wrong",
                "每项补正内容应写明一项材料或一个表单字段，以及需补正的问题",
                f"items[{i}]",
            )
        key = ("material", material) if material else ("field", form_field)
        if key in seen:
            raise _error(
                "CASE_SUPPLEMENT_ITEM_INVALID",
                ErrorKind.INVALID,
                f"{key[0]} {key[1]!r} is listed twice: put all its problems in one item",
                f"“{item.name or key[1]}”重复列出，请合并为一项",
                f"items[{i}]",
            )
        seen.add(key)
        clean.append(SupplementItem(material, problem, form_field, (item.name or "").strip()))
    return tuple(clean)


# --------------------------------------------------------------------------------------------
# The transitions
# --------------------------------------------------------------------------------------------


def perform(case: Case, command: Command, actor: Actor, now: dt.datetime) -> Transition:
    """Apply ``command`` by ``actor`` at ``now`` (aware). Raises DomainError and changes nothing
    when it is not allowed."""
    _check_time(now)
    action = command.action
    _authorise(case, action, actor)
    match command:
        case Submit(application_number=number):
            return _move(
                case,
                actor,
                now,
                action,
                CaseState.SUBMITTED,
                (SUBMITTED,),
                submitted_at=now,
                application_number=number or case.application_number,
            )
        case Withdraw(reason=reason):
            return _move(
                case,
                actor,
                now,
                action,
                CaseState.WITHDRAWN,
                (WITHDRAWN,),
                opinion=_text(reason, "reason", "撤回原因", required=False),
                ended_at=now,
                supplement=None,
                resume_state=None,
            )
        case RequestSupplement():
            return _request_supplement(case, command, actor, now)
        case Resubmit(note=note):
            return _resubmit(case, note, actor, now)
        case SupplementOverdue():
            return _supplement_overdue(case, actor, now)
        case Accept(case_number=number, opinion=opinion):
            number = _text(number, "case_number", "办件编号", required=True, code="CASE_NUMBER_REQUIRED")
            if len(number) > MAX_CASE_NUMBER:
                raise _error(
                    "CASE_NUMBER_INVALID",
                    ErrorKind.INVALID,
                    f"a case number has at most {MAX_CASE_NUMBER} characters",
                    "办件编号过长",
                    "case_number",
                )
            step = case.steps[0] if case.review_start == 1 else None
            return _move(
                case,
                actor,
                now,
                action,
                CaseState.ACCEPTED,
                (ACCEPTED,),
                opinion=_text(opinion, "opinion", "受理意见", required=False),
                step=step,
                details=(("case_number", number),),
                case_number=number,
                accepted_at=now,
                step_index=case.review_start,
            )
        case NotAccept(reason=reason):
            return _move(
                case,
                actor,
                now,
                action,
                CaseState.NOT_ACCEPTED,
                (NOT_ACCEPTED,),
                opinion=_text(reason, "reason", "不予受理理由", required=True),
                result_code=ResultCode.NOT_ACCEPTED,
                ended_at=now,
            )
        case CompleteStep():
            return _complete_step(case, command, actor, now)
        case StartSpecialProcedure():
            return _start_special(case, command, actor, now)
        case EndSpecialProcedure(result=result):
            result = _text(result, "result", "特别程序结果", required=True, code="RESULT_REQUIRED")
            pause = case.open_pause
            assert pause is not None and pause.kind is PauseKind.SPECIAL_PROCEDURE
            closed = replace(pause, ended_at=now, result=result)
            return _move(
                case,
                actor,
                now,
                action,
                _resume_state(case),
                (SPECIAL_PROCEDURE_ENDED,),
                opinion=result,
                step=case.current_step,
                details=(("procedure", pause.procedure),),
                pauses=(*case.pauses[:-1], closed),
                resume_state=None,
            )
        case Conclude():
            return _conclude(case, command, actor, now)
        case Terminate():
            return _terminate(case, command, actor, now)
        case Evaluate(level=level):
            return _move(
                case,
                actor,
                now,
                action,
                CaseState.EVALUATED,
                (EVALUATED,),
                details=(("level", level),) if level else (),
                evaluated_at=now,
            )
    raise TypeError(f"unknown command {command!r}")  # pragma: no cover


def _move(
    case: Case,
    actor: Actor,
    now: dt.datetime,
    action: Action,
    to: CaseState,
    events: tuple[str, ...],
    *,
    opinion: str = "",
    outcome: str = "",
    step: Step | None = None,
    result_code: ResultCode | None = None,
    details: tuple[tuple[str, str], ...] = (),
    **changes: object,
) -> Transition:
    revision = case.revision + 1
    if result_code is not None:
        changes["result_code"] = result_code
        changes["result_reason"] = opinion
    new = replace(case, state=to, revision=revision, updated_at=now, **changes)  # type: ignore[arg-type]
    entry = HistoryEntry(
        seq=revision,
        action=action,
        from_state=case.state,
        to_state=to,
        actor=actor,
        at=now,
        opinion=opinion,
        outcome=outcome,
        step_code=step.code if step else "",
        step_name=step.name if step else "",
        result_code=result_code,
        details=details,
    )
    return Transition(new, entry, events)


def _resume_state(case: Case) -> CaseState:
    state = case.resume_state
    assert state is not None, "a paused case remembers the state it left"
    return state


def _close_pause(case: Case, now: dt.datetime) -> tuple[Pause, ...]:
    pause = case.open_pause
    if pause is None:
        return case.pauses
    return (*case.pauses[:-1], replace(pause, ended_at=now))


def _request_supplement(case: Case, cmd: RequestSupplement, actor: Actor, now: dt.datetime) -> Transition:
    accepted = case.accepted_at is not None
    phase = case.current_step.code if accepted else INTAKE
    if phase in case.supplement_phases:
        raise _error(
            "CASE_SUPPLEMENT_ALREADY_REQUESTED",
            ErrorKind.WRONG_STATE,
            "a supplement was already requested at this stage: the notice must list everything at once",
            "本环节已发出过补正告知，补正内容应一次性告知，不能再次要求补正",
        )
    items = _supplement_items(cmd.items)
    today = local_date(now)
    if not isinstance(cmd.deadline, dt.date) or isinstance(cmd.deadline, dt.datetime):
        raise TypeError("deadline must be a date")
    if not today < cmd.deadline <= today + dt.timedelta(days=MAX_DEADLINE_DAYS):
        raise _error(
            "CASE_SUPPLEMENT_DEADLINE_INVALID",
            ErrorKind.INVALID,
            f"the deadline must be after today and within {MAX_DEADLINE_DAYS} days",
            f"补正期限应晚于今天且不超过{MAX_DEADLINE_DAYS}天",
            "deadline",
        )
    opinion = _text(cmd.opinion, "opinion", "补正说明", required=False)
    notice = SupplementNotice(items, cmd.deadline, now, phase, cmd.baseline)
    pauses = (*case.pauses, Pause(PauseKind.SUPPLEMENT, now, reason=opinion)) if accepted else case.pauses
    details = (
        ("deadline", cmd.deadline.isoformat()),
        *((f"item:{item.target}", item.problem) for item in items),
    )
    return _move(
        case,
        actor,
        now,
        Action.REQUEST_SUPPLEMENT,
        CaseState.SUPPLEMENT_REQUESTED,
        (SUPPLEMENT_REQUESTED,),
        opinion=opinion,
        step=case.current_step if accepted else None,
        details=details,
        supplement=notice,
        supplement_phases=(*case.supplement_phases, phase),
        pauses=pauses,
        resume_state=case.state,
    )


def _open_notice(case: Case) -> SupplementNotice:
    notice = case.supplement
    assert notice is not None, "a case awaiting a supplement has its notice"
    return notice


def _resubmit(case: Case, note: str, actor: Actor, now: dt.datetime) -> Transition:
    notice = _open_notice(case)
    if local_date(now) > notice.deadline:
        raise _error(
            "CASE_SUPPLEMENT_DEADLINE_PASSED",
            ErrorKind.WRONG_STATE,
            f"the supplement deadline ({notice.deadline.isoformat()}) has passed",
            f"补正期限（{notice.deadline.isoformat()}）已过，不能再提交补正材料",
        )
    return _move(
        case,
        actor,
        now,
        Action.RESUBMIT,
        _resume_state(case),
        (RESUBMITTED,),
        opinion=_text(note, "note", "补正说明", required=False),
        step=case.current_step if case.accepted_at is not None else None,
        supplement=None,
        pauses=_close_pause(case, now),
        resume_state=None,
    )


def _supplement_overdue(case: Case, actor: Actor, now: dt.datetime) -> Transition:
    notice = _open_notice(case)
    if local_date(now) <= notice.deadline:
        raise _error(
            "CASE_SUPPLEMENT_NOT_OVERDUE",
            ErrorKind.WRONG_STATE,
            f"the supplement deadline ({notice.deadline.isoformat()}) has not passed",
            f"补正期限（{notice.deadline.isoformat()}）未届满",
        )
    return _move(
        case,
        actor,
        now,
        Action.SUPPLEMENT_OVERDUE,
        CaseState.TERMINATED,
        (TERMINATED,),
        opinion=f"逾期未补正（补正期限 {notice.deadline.isoformat()}），作退件处理",
        result_code=ResultCode.RETURNED,
        ended_at=now,
        supplement=None,
        pauses=_close_pause(case, now),
        resume_state=None,
    )


def _complete_step(case: Case, cmd: CompleteStep, actor: Actor, now: dt.datetime) -> Transition:
    step = case.current_step
    if cmd.outcome is StepOutcome.PASS:
        if case.at_last_step:
            raise _error(
                "CASE_AT_LAST_STEP",
                ErrorKind.WRONG_STATE,
                "this is the last step: conclude the case (approve or deny) instead",
                "当前为最后一个环节，请作出办结决定（准予或不予）",
            )
        opinion = _text(cmd.opinion, "opinion", "办理意见", required=False)
        target = case.step_index + 1
        events: tuple[str, ...] = (STEP_COMPLETED,)
    elif cmd.outcome is StepOutcome.RETURN:
        if case.step_index <= case.review_start:
            raise _error(
                "CASE_NO_PREVIOUS_STEP",
                ErrorKind.WRONG_STATE,
                "this is the first review step: nothing to return to (request a supplement to send it to the applicant)",
                "当前为第一个审查环节，无法退回上一环节；如需申请人补充材料，请发出补正告知",
            )
        opinion = _text(cmd.opinion, "opinion", "退回理由", required=True)
        target = case.step_index - 1
        events = (STEP_RETURNED,)
    else:  # pragma: no cover - the enum has two members
        raise TypeError(f"unknown outcome {cmd.outcome!r}")
    return _move(
        case,
        actor,
        now,
        Action.COMPLETE_STEP,
        CaseState.UNDER_REVIEW,
        events,
        opinion=opinion,
        outcome=cmd.outcome.value,
        step=step,
        details=(("next_step", case.steps[target].code),),
        step_index=target,
    )


def _start_special(case: Case, cmd: StartSpecialProcedure, actor: Actor, now: dt.datetime) -> Transition:
    if cmd.procedure not in SPECIAL_PROCEDURES:
        raise _error(
            "CASE_SPECIAL_PROCEDURE_INVALID",
            ErrorKind.INVALID,
            f"procedure must be one of {', '.join(SPECIAL_PROCEDURES)}",
            "特别程序类型无效",
            "procedure",
        )
    reason = _text(cmd.reason, "reason", "特别程序理由", required=True)
    planned = cmd.planned
    if not isinstance(planned, TimeLimit) or not 1 <= planned.value <= MAX_PLANNED_DAYS:
        raise _error(
            "CASE_PLANNED_LENGTH_INVALID",
            ErrorKind.INVALID,
            f"the planned length must be 1-{MAX_PLANNED_DAYS} days",
            f"特别程序时限应为1至{MAX_PLANNED_DAYS}天",
            "planned",
        )
    pause = Pause(PauseKind.SPECIAL_PROCEDURE, now, reason=reason, procedure=cmd.procedure, planned=planned)
    return _move(
        case,
        actor,
        now,
        Action.START_SPECIAL_PROCEDURE,
        CaseState.SPECIAL_PROCEDURE,
        (SPECIAL_PROCEDURE_STARTED,),
        opinion=reason,
        step=case.current_step,
        details=(
            ("procedure", cmd.procedure),
            ("planned", f"{planned.value} {planned.unit.value}"),
        ),
        pauses=(*case.pauses, pause),
        resume_state=case.state,
    )


def _conclude(case: Case, cmd: Conclude, actor: Actor, now: dt.datetime) -> Transition:
    if not case.at_last_step:
        raise _error(
            "CASE_NOT_AT_LAST_STEP",
            ErrorKind.WRONG_STATE,
            f"the case is at step {case.current_step.code}, not at the last one ({case.steps[-1].code})",
            f"办件当前处于“{case.current_step.name}”环节，尚未到达最后的决定环节",
        )
    if cmd.decision is Decision.APPROVED:
        to, code = CaseState.CONCLUDED_APPROVED, ResultCode.ISSUED
        opinion = _text(cmd.opinion, "opinion", "审批意见", required=False)
    else:
        to, code = CaseState.CONCLUDED_DENIED, ResultCode.DENIED
        opinion = _text(cmd.opinion, "opinion", "不予许可理由", required=True)
    return _move(
        case,
        actor,
        now,
        Action.CONCLUDE,
        to,
        (CONCLUDED_EVENT,),
        opinion=opinion,
        outcome=cmd.decision.value,
        step=case.current_step,
        result_code=code,
        ended_at=now,
    )


def _terminate(case: Case, cmd: Terminate, actor: Actor, now: dt.datetime) -> Transition:
    if cmd.result_code not in TERMINATION_CODES:
        raise _error(
            "CASE_RESULT_CODE_INVALID",
            ErrorKind.INVALID,
            "abnormal termination takes result code 2 (voided), 3 (deleted) or 5 (returned)",
            "异常办结的结果应为作废（2）、删除（3）或退件（5）",
            "result_code",
        )
    reason = _text(cmd.reason, "reason", "异常办结原因", required=True)
    return _move(
        case,
        actor,
        now,
        Action.TERMINATE,
        CaseState.TERMINATED,
        (TERMINATED,),
        opinion=reason,
        result_code=ResultCode(cmd.result_code),
        step=case.current_step if case.accepted_at is not None else None,
        ended_at=now,
        supplement=None,
        pauses=_close_pause(case, now),
        resume_state=None,
    )
