"""The cases service's values: who acts (:class:`Actor`), the :class:`Case` and what it carries
(the process steps, time limits, pauses, the open supplement notice), its history entries and
the :class:`Transition` model.perform returns. No I/O here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from govhall.cases.vocabulary import (
    APPLICANT_TAB,
    OPEN_STATES,
    STEP_ROLES,
    WINDOW_CLERK,
    Action,
    CaseState,
    ResultCode,
    check_time,
)
from govhall.kit.errors import DomainError, ErrorKind, FieldError, invalid_fields
from govhall.protos.common.v1 import common_pb2


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


def move(
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
    """The case after ``action`` moved it to ``to`` (``changes`` are further fields to set), and
    the history entry that records the move."""
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
    check_time(now)
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
