"""Who may do what to a case, and from which state: rules 1 to 5 of model.py (who kind, whose
case, state, role, department), checked in that order before anything else so that an outsider
learns nothing. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from govhall.cases.values import Actor, ActorKind, Case
from govhall.cases.vocabulary import (
    APPLY_SCOPE,
    CONCLUDED,
    DEPARTMENT_BOUND_ROLES,
    IN_REVIEW,
    OPEN_STATES,
    ROLE_ZH,
    SUPERVISOR,
    WINDOW_CLERK,
    Action,
    CaseState,
)
from govhall.kit.errors import DomainError, ErrorKind, FieldError

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
    Action.EVALUATION_PERIOD_ENDED: Rule(_SYSTEM, CONCLUDED),
}


def error(code: str, kind: ErrorKind, message: str, message_zh: str, field: str | None = None) -> DomainError:
    fields = [FieldError(field, message, message_zh)] if field else []
    return DomainError(code, message, message_zh, kind, fields)


def authorise(case: Case, action: Action, actor: Actor) -> None:
    rule = RULES[action]
    if actor.kind not in rule.kinds:
        who = "/".join(sorted(k.value for k in rule.kinds))
        who_zh = {"applicant": "申请人", "staff": "工作人员", "system": "系统"}[next(iter(rule.kinds)).value]
        raise error(
            "CASE_WRONG_ACTOR",
            ErrorKind.FORBIDDEN,
            f"only the {who} may {action.value} a case",
            f"只有{who_zh}可以{action.zh}",
        )
    if actor.kind is ActorKind.APPLICANT:
        if actor.applicant_kind is not case.applicant.kind or actor.subject != case.applicant.subject:
            raise error("CASE_NOT_YOURS", ErrorKind.FORBIDDEN, "this is not your case", "这不是您的办件")
        check_may_apply(actor)
    if actor.kind is ActorKind.STAFF and actor.site_code != case.site_code:
        raise error(
            "CASE_WRONG_SITE",
            ErrorKind.FORBIDDEN,
            f"the case belongs to site {case.site_code}, not to yours ({actor.site_code or 'none'})",
            "该办件不属于您所在的站点，无权办理",
        )
    if case.state not in rule.states or (
        action is Action.WITHDRAW and case.accepted_at is not None  # only before acceptance
    ):
        raise error(
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
        raise error(
            "CASE_WRONG_ROLE",
            ErrorKind.FORBIDDEN,
            f"{action.value} here needs the {role} role",
            f"{action.zh}需要{ROLE_ZH.get(role, role)}角色",
        )
    if role in DEPARTMENT_BOUND_ROLES and actor.department_code != case.department_code:
        raise error(
            "CASE_WRONG_DEPARTMENT",
            ErrorKind.FORBIDDEN,
            f"the step is handled by department {case.department_code}, not by yours",
            "该环节由办件的实施部门办理，您所在部门无权办理",
        )


def check_may_apply(actor: Actor) -> None:
    """An agent whose authorisation only lets them follow the legal person's cases changes nothing."""
    if actor.scopes is not None and APPLY_SCOPE not in actor.scopes:
        raise error(
            "CASE_SCOPE_MISSING",
            ErrorKind.FORBIDDEN,
            f"your authorisation for this legal person does not include {APPLY_SCOPE}",
            "您的经办人授权不包含“申报办件”，请联系法定代表人授权",
        )
