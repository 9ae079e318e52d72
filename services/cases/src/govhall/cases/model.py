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
3. **State** (``CASE_NOT_IN_STATE``), see the table in ``rules.RULES``. Withdrawal is only before
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

This module holds the transitions and the events they name; the rest of the domain sits beside it:
vocabulary.py (states, result codes, actions, roles, their Chinese labels), values.py (Actor, Case
and what it carries, HistoryEntry, Transition, new_case), commands.py (one command per action),
rules.py (rules 1 to 5) and checks.py (rules 6 to 8).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Final

from govhall.cases.checks import (
    check_at_last_step,
    check_deadline_not_passed,
    check_deadline_passed,
    check_first_supplement,
    check_not_at_last_step,
    check_planned,
    check_previous_step,
    check_procedure,
    check_supplement_deadline,
    check_termination_code,
    clean_case_number,
    supplement_items,
    text,
)
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
from govhall.cases.rules import authorise
from govhall.cases.values import INTAKE, Actor, Case, Pause, PauseKind, SupplementNotice, Transition, move
from govhall.cases.vocabulary import Action, CaseState, ResultCode, check_time
from govhall.contracts import cases as contract

# The subjects a transition names (published through the outbox), from the one registry of
# cases' events: the contract says which message each carries.
EVENT_PREFIX: Final = contract.EVENT_PREFIX
SUBMITTED: Final = contract.SUBMITTED.subject
WITHDRAWN: Final = contract.WITHDRAWN.subject
SUPPLEMENT_REQUESTED: Final = contract.SUPPLEMENT_REQUESTED.subject
RESUBMITTED: Final = contract.RESUBMITTED.subject
ACCEPTED: Final = contract.ACCEPTED.subject
NOT_ACCEPTED: Final = contract.NOT_ACCEPTED.subject
STEP_COMPLETED: Final = contract.STEP_COMPLETED.subject
STEP_RETURNED: Final = contract.STEP_RETURNED.subject
SPECIAL_PROCEDURE_STARTED: Final = contract.SPECIAL_PROCEDURE_STARTED.subject
SPECIAL_PROCEDURE_ENDED: Final = contract.SPECIAL_PROCEDURE_ENDED.subject
CONCLUDED_EVENT: Final = contract.CONCLUDED.subject
TERMINATED: Final = contract.TERMINATED.subject
EVALUATED: Final = contract.EVALUATED.subject


# --------------------------------------------------------------------------------------------
# The transitions
# --------------------------------------------------------------------------------------------


def perform(case: Case, command: Command, actor: Actor, now: dt.datetime) -> Transition:
    """Apply ``command`` by ``actor`` at ``now`` (aware). Raises DomainError and changes nothing
    when it is not allowed."""
    check_time(now)
    action = command.action
    authorise(case, action, actor)
    match command:
        case Submit(application_number=number):
            return move(
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
            return move(
                case,
                actor,
                now,
                action,
                CaseState.WITHDRAWN,
                (WITHDRAWN,),
                opinion=text(reason, "reason", "撤回原因", required=False),
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
            number = clean_case_number(number)
            step = case.steps[0] if case.review_start == 1 else None
            return move(
                case,
                actor,
                now,
                action,
                CaseState.ACCEPTED,
                (ACCEPTED,),
                opinion=text(opinion, "opinion", "受理意见", required=False),
                step=step,
                details=(("case_number", number),),
                case_number=number,
                accepted_at=now,
                step_index=case.review_start,
            )
        case NotAccept(reason=reason):
            return move(
                case,
                actor,
                now,
                action,
                CaseState.NOT_ACCEPTED,
                (NOT_ACCEPTED,),
                opinion=text(reason, "reason", "不予受理理由", required=True),
                result_code=ResultCode.NOT_ACCEPTED,
                ended_at=now,
            )
        case CompleteStep():
            return _complete_step(case, command, actor, now)
        case StartSpecialProcedure():
            return _start_special(case, command, actor, now)
        case EndSpecialProcedure(result=result):
            result = text(result, "result", "特别程序结果", required=True, code="RESULT_REQUIRED")
            pause = case.open_pause
            assert pause is not None and pause.kind is PauseKind.SPECIAL_PROCEDURE
            closed = replace(pause, ended_at=now, result=result)
            return move(
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
            return move(
                case,
                actor,
                now,
                action,
                CaseState.EVALUATED,
                (EVALUATED,),
                details=(("level", level),) if level else (),
                evaluated_at=now,
            )
        case EvaluationPeriodEnded():
            # Moves like an evaluation (cases.case.evaluated, action evaluation_period_ended) but
            # with no level: no rating is invented for it.
            return move(case, actor, now, action, CaseState.EVALUATED, (EVALUATED,), evaluated_at=now)
    raise TypeError(f"unknown command {command!r}")  # pragma: no cover


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
    check_first_supplement(case, phase)
    items = supplement_items(cmd.items)
    check_supplement_deadline(cmd.deadline, now)
    opinion = text(cmd.opinion, "opinion", "补正说明", required=False)
    notice = SupplementNotice(items, cmd.deadline, now, phase, cmd.baseline)
    pauses = (*case.pauses, Pause(PauseKind.SUPPLEMENT, now, reason=opinion)) if accepted else case.pauses
    details = (
        ("deadline", cmd.deadline.isoformat()),
        *((f"item:{item.target}", item.problem) for item in items),
    )
    return move(
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
    check_deadline_not_passed(notice, now)
    return move(
        case,
        actor,
        now,
        Action.RESUBMIT,
        _resume_state(case),
        (RESUBMITTED,),
        opinion=text(note, "note", "补正说明", required=False),
        step=case.current_step if case.accepted_at is not None else None,
        supplement=None,
        pauses=_close_pause(case, now),
        resume_state=None,
    )


def _supplement_overdue(case: Case, actor: Actor, now: dt.datetime) -> Transition:
    notice = _open_notice(case)
    check_deadline_passed(notice, now)
    return move(
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
        check_not_at_last_step(case)
        opinion = text(cmd.opinion, "opinion", "办理意见", required=False)
        target = case.step_index + 1
        events: tuple[str, ...] = (STEP_COMPLETED,)
    elif cmd.outcome is StepOutcome.RETURN:
        check_previous_step(case)
        opinion = text(cmd.opinion, "opinion", "退回理由", required=True)
        target = case.step_index - 1
        events = (STEP_RETURNED,)
    else:  # pragma: no cover - the enum has two members
        raise TypeError(f"unknown outcome {cmd.outcome!r}")
    return move(
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
    check_procedure(cmd.procedure)
    reason = text(cmd.reason, "reason", "特别程序理由", required=True)
    planned = cmd.planned
    check_planned(planned)
    pause = Pause(PauseKind.SPECIAL_PROCEDURE, now, reason=reason, procedure=cmd.procedure, planned=planned)
    return move(
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
    check_at_last_step(case)
    if cmd.decision is Decision.APPROVED:
        to, code = CaseState.CONCLUDED_APPROVED, ResultCode.ISSUED
        opinion = text(cmd.opinion, "opinion", "审批意见", required=False)
    else:
        to, code = CaseState.CONCLUDED_DENIED, ResultCode.DENIED
        opinion = text(cmd.opinion, "opinion", "不予许可理由", required=True)
    return move(
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
    check_termination_code(cmd.result_code)
    reason = text(cmd.reason, "reason", "异常办结原因", required=True)
    return move(
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
