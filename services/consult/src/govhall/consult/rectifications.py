"""The rectification of a bad review (不满意, 非常不满意): the handling department verifies and
rectifies within a deadline (working days on the kit calendar, a setting), then records a
callback (回访) to the applicant; it may instead appeal a mistaken review to a supervisor of the
site's subtree (in consult's copy of the site tree, `sites`), who upholds it (back to rectifying)
or voids the evaluation (left out of the statistics from then on).

    open ─rectify→ rectified ─call_back→ called_back
    open ─appeal→ appealed ─uphold→ open
                           └void→ voided

Two staff acting at once: a conditional UPDATE on the revision, so one wins and the other gets
409. Staff never see who rated (`evaluations.evaluation_view` has no rater).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from govhall.consult import access, sites
from govhall.consult.evaluation_tables import evaluations, rectifications
from govhall.contracts import consult as contract
from govhall.kit.caller import current_caller
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.kit.events import make_event
from govhall.kit.ids import new_id
from govhall.kit.workdays import WorkingCalendar
from govhall.protos.common.v1 import common_pb2
from govhall.protos.consult.v1 import evaluations_pb2 as pb
from govhall.protos.consult.v1 import events_pb2

CHINA = ZoneInfo("Asia/Shanghai")
MAX_TEXT = 1000
DEPARTMENT_ROLES = {"window_clerk", "reviewer", "approver", "supervisor"}
STATES = ("open", "rectified", "called_back", "appealed", "voided")
PB_KIND = {"person": common_pb2.CALLER_KIND_PERSON, "legal_person": common_pb2.CALLER_KIND_LEGAL_PERSON}


def china_day(moment: dt.datetime) -> dt.date:
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(CHINA).date()


def _event(name: str, row: Any, ev: Any, from_state: str, level: str = "") -> Any:
    return make_event(
        contract.rectification(name),
        events_pb2.RectificationChanged(
            rectification_id=row["rectification_id"],
            evaluation_id=row["evaluation_id"],
            case_id=ev.case_id,
            case_number=ev.case_number,
            site_code=row["site_code"],
            department_code=row["department_code"],
            from_state=from_state,
            state=row["state"],
            action=name,
            applicant=events_pb2.Owner(kind=PB_KIND[ev.rater_kind], subject=ev.rater_subject),
            revision=row["revision"],
            level=level,
            due=row["due"],
        ),
        site_code=row["site_code"],
    )


async def open_for(
    uow: UnitOfWork,
    evaluation: dict[str, Any],
    calendar: WorkingCalendar,
    days: int,
    now: dt.datetime,
) -> str:
    """Open the rectification of a bad review, inside the evaluation's transaction."""
    due = calendar.add_working_days(china_day(now), days).date
    row = {
        "rectification_id": new_id(),
        "evaluation_id": evaluation["evaluation_id"],
        "site_code": evaluation["site_code"],
        "department_code": evaluation["department_code"],
        "state": "open",
        "due": due.isoformat(),
        "rectification": "",
        "callback": "",
        "appeal_reason": "",
        "decision": "",
        "decision_reason": "",
        "overdue_level": "none",
        "revision": 1,
        "rectified_at": None,
        "called_back_at": None,
        "created_at": now,
        "updated_at": now,
    }
    await uow.conn.execute(sa.insert(rectifications).values(**row))
    uow.emit(_event("opened", row, SimpleNamespace(**evaluation), ""))
    return str(row["rectification_id"])


def view(row: Any, evaluation: pb.Evaluation) -> pb.Rectification:
    out = pb.Rectification(
        rectification_id=row.rectification_id,
        evaluation=evaluation,
        state=row.state,
        due=row.due,
        rectification=row.rectification,
        callback=row.callback,
        appeal_reason=row.appeal_reason,
        decision=row.decision,
        decision_reason=row.decision_reason,
        overdue_level=row.overdue_level,
        revision=row.revision,
    )
    for field, value in (("created_at", row.created_at), ("updated_at", row.updated_at)):
        getattr(out, field).FromDatetime(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
    return out


def staff() -> common_pb2.CallerIdentity:
    caller = current_caller()
    if caller.kind != common_pb2.CALLER_KIND_STAFF or not caller.site_code:
        raise DomainError(
            "STAFF_ONLY", "only staff handle rectifications", "仅工作人员可处理整改", ErrorKind.FORBIDDEN
        )
    return caller


async def supervises(uow: UnitOfWork, caller: common_pb2.CallerIdentity, row: Any) -> bool:
    """A supervisor of the row's site or of a site above it (in the site copy)."""
    return "supervisor" in caller.roles and await sites.within(uow, caller.site_code, row.site_code)


async def may_see(uow: UnitOfWork, caller: common_pb2.CallerIdentity, row: Any) -> bool:
    """The handling department's staff, or a supervisor of the site's subtree."""
    if (
        caller.site_code == row.site_code
        and caller.department_code == row.department_code
        and bool(DEPARTMENT_ROLES.intersection(caller.roles))
    ):
        return True
    # Only then the site copy (which may have to ask the catalogue about the row's site).
    return await supervises(uow, caller, row)


def text(value: str, field: str, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise invalid(f"{field.upper()}_REQUIRED", f"{field} is required", "请填写内容", field)
    if len(value) > MAX_TEXT:
        raise invalid(
            f"{field.upper()}_TOO_LONG",
            f"{field} must be at most {MAX_TEXT} characters",
            f"内容不能超过{MAX_TEXT}字",
            field,
        )
    return value


@dataclass
class Moves:
    """Staff's moves on one rectification, each a conditional UPDATE on the revision."""

    db: Database

    async def move(
        self,
        rectification_id: str,
        expected: int,
        allowed: tuple[str, ...],
        action: str,
        changes: dict[str, Any],
        *,
        supervisor: bool = False,
        void: bool = False,
    ) -> None:
        caller = staff()
        r = rectifications.c
        async with self.db.uow() as uow:
            row = (
                await uow.conn.execute(
                    sa.select(rectifications).where(r.rectification_id == rectification_id)
                )
            ).first()
            if row is None or not await may_see(uow, caller, row):
                raise not_found()
            if supervisor and not await supervises(uow, caller, row):
                raise DomainError(
                    "SUPERVISOR_ONLY",
                    "only a supervisor of the site decides an appeal",
                    "仅本级或上级监督人员可裁定申诉",
                    ErrorKind.FORBIDDEN,
                )
            if expected and expected != row.revision:
                raise changed()
            if row.state not in allowed:
                raise DomainError(
                    "RECTIFICATION_NOT_IN_STATE",
                    f"the rectification is {row.state}; {action} needs {' or '.join(allowed)}",
                    "整改当前状态不能进行此操作",
                    ErrorKind.WRONG_STATE,
                )
            revision = expected or row.revision
            now = dt.datetime.now(dt.UTC)
            values = {**changes, "revision": revision + 1, "updated_at": now}
            done = await uow.conn.execute(
                sa.update(rectifications)
                .where(r.rectification_id == rectification_id, r.revision == revision, r.state == row.state)
                .values(**values)
            )
            if done.rowcount != 1:
                raise changed()
            if void:
                await uow.conn.execute(
                    sa.update(evaluations)
                    .where(evaluations.c.evaluation_id == row.evaluation_id)
                    .values(status="voided")
                )
            ev = (
                await uow.conn.execute(
                    sa.select(evaluations).where(evaluations.c.evaluation_id == row.evaluation_id)
                )
            ).one()
            new = {**row._asdict(), **values}
            uow.emit(_event(action, new, ev, row.state))
            await uow.commit()


def changed() -> DomainError:
    return DomainError(
        "RECTIFICATION_CHANGED",
        "someone changed this rectification meanwhile; reload it and try again",
        "该整改已被他人处理，请刷新后重试",
        ErrorKind.CONFLICT,
    )


def not_found() -> DomainError:
    return DomainError(
        "RECTIFICATION_NOT_FOUND", "no such rectification of yours", "没有此整改事项", ErrorKind.NOT_FOUND
    )


def state_filter(value: str) -> str:
    if value and value not in STATES:
        raise invalid("STATE_INVALID", f"state must be one of {', '.join(STATES)}", "状态不正确", "state")
    return value


def page_of(value: common_pb2.PageRequest) -> tuple[int, int]:
    return access.paging(value)
