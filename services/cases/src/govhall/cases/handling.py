"""The staff side: work queues (待办列表) and the handling commands (受理, 补正, 审核, 决定 …).

Who may do what is the state machine's business (model.perform); this module builds the
command from the request, issues the case number on acceptance, and records the transition.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, TypeVar

import sqlalchemy as sa

from govhall.cases import (
    commands,
    model,
    notices,
    personal,
    store,
    supplements,
    tables,
    values,
    views,
    vocabulary,
)
from govhall.cases.applying import paging
from govhall.cases.values import Actor, ActorKind, TimeLimit
from govhall.cases.vocabulary import CaseState
from govhall.cases.workflow import Deps, actor_for, check_revision, full_view, not_found, perform, record
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.common.v1 import common_pb2

#: Without a deadline in the request, a supplement notice gives the applicant this many working days.
DEFAULT_SUPPLEMENT_DAYS = 5


def _staff(actor: Actor) -> Actor:
    if actor.kind is not ActorKind.STAFF:
        raise DomainError(
            "CASE_WRONG_ACTOR", "only staff handle cases", "仅工作人员可以办理", ErrorKind.FORBIDDEN
        )
    return actor


def _date(value: str, field: str, label_zh: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise invalid(
            "DATE_INVALID", f"{field} must be YYYY-MM-DD", f"{label_zh}格式应为YYYY-MM-DD", field
        ) from None


E = TypeVar("E", bound=StrEnum)


def _choice(kind: type[E], value: str, field: str, message_zh: str) -> E:
    """One of a command's named options (pass/return, approved/denied)."""
    try:
        return kind(value.strip().lower())
    except ValueError:
        names = " or ".join(k.value for k in kind)
        raise invalid(
            f"{field.split('.')[-1].upper()}_INVALID", f"{field} is {names}", message_zh, field
        ) from None


def _role_for(case: values.Case, action: vocabulary.Action) -> str:
    """The role the staff member acts in, for the flow."""
    if action is vocabulary.Action.TERMINATE:
        return vocabulary.SUPERVISOR
    if case.state is CaseState.SUBMITTED:
        return vocabulary.WINDOW_CLERK
    if case.state in (*vocabulary.IN_REVIEW, CaseState.SPECIAL_PROCEDURE):
        return case.current_step.role
    return ""


async def handle(deps: Deps, req: pb.HandleCaseRequest) -> pb.Case:
    actor = await actor_for(deps)
    now = deps.now()
    today = views.today_in_china(now)
    which = req.WhichOneof("command")
    if which is None:
        raise invalid("COMMAND_REQUIRED", "say what to do", "请选择办理操作", "command")
    async with deps.db.uow() as uow:
        rec = await store.load(uow, req.case_id, for_update=True) if req.case_id else None
        # Applicants learn nothing about cases that are not theirs; staff of another site are
        # refused by the state machine (CASE_WRONG_SITE) like any other wrong actor.
        if (
            rec is None
            or rec.case.state is CaseState.DRAFT
            or (actor.kind is ActorKind.APPLICANT and rec.case.applicant.subject != actor.subject)
        ):
            raise not_found(req.case_id)
        check_revision(rec, req.expected_revision)
        command: commands.Command
        match which:
            case "accept":
                # Authorise before spending a number (the number's counter row is locked until commit).
                model.perform(rec.case, commands.Accept("-", req.accept.opinion), actor, now)
                number = await store.next_case_number(uow, rec.site_code, today)
                command = commands.Accept(number, req.accept.opinion)
            case "not_accept":
                command = commands.NotAccept(req.not_accept.reason)
            case "request_supplement":
                r = req.request_supplement
                deadline = (
                    _date(r.deadline, "request_supplement.deadline", "补正期限")
                    if r.deadline.strip()
                    else deps.calendar.add_working_days(today, DEFAULT_SUPPLEMENT_DAYS).date
                )
                items = supplements.check_items(
                    views.matter_of(rec),
                    [values.SupplementItem(i.material, i.problem, i.field) for i in r.items],
                )
                command = commands.RequestSupplement(
                    items,
                    deadline,
                    r.opinion,
                    supplements.baseline(
                        items, personal.comparable(rec.application.form_json, rec.application.sealed)
                    ),
                )
            case "complete_step":
                outcome = _choice(
                    commands.StepOutcome,
                    req.complete_step.outcome,
                    "complete_step.outcome",
                    "办理结果应为通过或退回",
                )
                command = commands.CompleteStep(outcome, req.complete_step.opinion)
            case "start_special_procedure":
                r2 = req.start_special_procedure
                planned = TimeLimit.from_proto(r2.planned)
                if planned is None:
                    raise invalid(
                        "PLANNED_REQUIRED",
                        "a special procedure needs its planned length",
                        "请填写特别程序的时限",
                        "start_special_procedure.planned",
                    )
                command = commands.StartSpecialProcedure(r2.procedure, r2.reason, planned)
            case "end_special_procedure":
                command = commands.EndSpecialProcedure(req.end_special_procedure.result)
            case "conclude":
                decision = _choice(
                    commands.Decision, req.conclude.decision, "conclude.decision", "办结结论应为准予或不予"
                )
                command = commands.Conclude(decision, req.conclude.opinion)
            case "terminate":
                command = commands.Terminate(req.terminate.result_code, req.terminate.reason)
            case _:  # pragma: no cover - the oneof has no other members
                raise invalid("COMMAND_REQUIRED", "say what to do", "请选择办理操作", "command")
        role = _role_for(rec.case, command.action)
        transition = perform(rec, command, actor, now)
        rec = await record(deps, uow, rec, transition, now=now, step_role=role)
        await uow.commit()
    # The notice is rendered and stored now, with the case row and the number counter free.
    await notices.finish(deps, rec.case.id)
    async with deps.db.reader() as uow:
        return await full_view(deps, uow, rec, now)


def _queue_roles(actor: Actor, wanted: str) -> list[str]:
    roles = [r for r in vocabulary.STEP_ROLES if r in actor.roles]
    if wanted:
        if wanted not in roles:
            raise invalid("ROLE_INVALID", f"you do not have the role {wanted}", "您没有该岗位角色", "role")
        roles = [wanted]
    return roles


def queue_filter(actor: Actor, roles: list[str]) -> list[Any]:
    """The cases the actor's roles can act on now: the window's for the whole site; review steps
    inside the actor's department."""
    c = tables.cases.c
    window = [c.current_role == vocabulary.WINDOW_CLERK] if vocabulary.WINDOW_CLERK in roles else []
    bound = [r for r in roles if r in vocabulary.DEPARTMENT_BOUND_ROLES]
    review = [sa.and_(c.current_role.in_(bound), c.department_code == actor.department_code)] if bound else []
    return [c.site_code == actor.site_code, sa.or_(*window, *review) if window or review else sa.false()]


async def queue(deps: Deps, req: pb.ListQueueRequest) -> pb.ListQueueResponse:
    actor = _staff(await actor_for(deps))
    roles = _queue_roles(actor, req.role.strip())
    number, size = paging(req.page)
    c = tables.cases.c
    base = queue_filter(actor, roles)
    where = list(base)
    # Filters the tally below can answer the total of (by state and level) and those it cannot.
    state = views.PB_STATE[req.state].value if req.state else None
    level = views.PB_LEVEL[req.level].value if req.level else None
    narrowed = []
    if req.department_code:
        narrowed.append(c.department_code == req.department_code)
    if req.matter_code:
        narrowed.append(c.matter_code == req.matter_code)
    if req.query.strip():
        q = req.query.strip()
        narrowed.append(sa.or_(c.case_number == q, c.application_number == q, c.applicant_name == q))
    where += narrowed
    if state:
        where.append(c.state == state)
    if level:
        where.append(c.warning_level == level)
    order = [c.due_date.is_(None), c.due_date, c.submitted_at, c.id]
    now = deps.now()
    async with deps.db.reader() as uow:
        # One pass counts the queue by state and level together: the profile showed the queue
        # waiting on three counts (total, by state, by level), each reading every queued row.
        tallied = await store.tally(uow, [c.state, c.warning_level], base)
        if narrowed:
            rows, total = await store.page_of(uow, where, order, number, size)
        else:
            rows = await store.page_rows(uow, where, order, number, size)
            total = sum(
                n
                for (s, lv), n in tallied.items()
                if (state is None or s == state) and (level is None or lv == level)
            )
    by_state: dict[str, int] = {}
    by_level: dict[str, int] = {}
    for (s, lv), n in tallied.items():
        by_state[s] = by_state.get(s, 0) + n
        by_level[lv] = by_level.get(lv, 0) + n
    counts = [pb.QueueCount(key=s, label=CaseState(s).zh, count=n) for s, n in sorted(by_state.items())]
    counts += [
        pb.QueueCount(key=level, label=views.WarningLevel(level).zh, count=by_level.get(level, 0))
        for level in ("yellow", "red")
    ]
    return pb.ListQueueResponse(
        cases=[views.summary_message(r, now=now, calendar=deps.calendar) for r in rows],
        page=common_pb2.PageInfo(page=number, page_size=size, total=total),
        counts=counts,
    )
