"""好差评: an applicant rates their concluded case, once (GB/T 39734/39735-2020).

Who: the case's applicant as consult's copy of cases has it (`case_copies`) — the natural
person, or for an enterprise's case the enterprise, including an agent acting for it (the
caller is then kind legal_person with the agent in actor_subject). When: the copy says the case
concluded (准予 or 不予) and it has no evaluation yet; a case the copy lacks has not concluded as
far as consult knows. One per case (一事一评) is the UNIQUE case id: of two submissions at once,
one is stored and the other is refused. 不满意 and 非常不满意 open a rectification for the
handling department in the same transaction (`rectifications.open_for`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from govhall.consult import access, metrics, rectifications
from govhall.consult.case_copies import CONCLUDED
from govhall.consult.evaluation_tables import case_copies, evaluations
from govhall.contracts import consult as contract
from govhall.kit.db import Database
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.kit.events import make_event
from govhall.kit.ids import new_id
from govhall.kit.workdays import WorkingCalendar
from govhall.protos.common.v1 import common_pb2
from govhall.protos.consult.v1 import evaluations_pb2 as pb
from govhall.protos.consult.v1 import events_pb2

LEVEL_NAMES = {1: "非常满意", 2: "满意", 3: "基本满意", 4: "不满意", 5: "非常不满意"}
# 不满意, 非常不满意: a bad review (差评) the department must rectify.
BAD_LEVELS = (4, 5)
CHANNELS = ("pc", "app", "mini_program", "hall", "phone", "sms")
MAX_TEXT, MAX_INDICATORS, MAX_INDICATOR_NAME = 500, 10, 32
PB_KIND = {"person": common_pb2.CALLER_KIND_PERSON, "legal_person": common_pb2.CALLER_KIND_LEGAL_PERSON}


def _checked(request: pb.SubmitEvaluationRequest) -> tuple[str, list[dict[str, Any]]]:
    if not request.case_id or len(request.case_id) > 64:
        raise invalid("CASE_ID_INVALID", "case_id is required", "请指定办件", "case_id")
    if request.level not in LEVEL_NAMES:
        raise invalid(
            "EVALUATION_LEVEL_INVALID",
            "level must be 1 (very satisfied) to 5 (very dissatisfied)",
            "评价等级应为1（非常满意）至5（非常不满意）",
            "level",
        )
    if len(request.text) > MAX_TEXT:
        raise invalid(
            "EVALUATION_TEXT_TOO_LONG",
            f"text must be at most {MAX_TEXT} characters",
            f"评价内容不能超过{MAX_TEXT}字",
            "text",
        )
    channel = request.channel or "pc"
    if channel not in CHANNELS:
        raise invalid(
            "EVALUATION_CHANNEL_INVALID",
            f"channel must be one of {', '.join(CHANNELS)}",
            "评价渠道不正确",
            "channel",
        )
    if len(request.indicators) > MAX_INDICATORS:
        raise invalid(
            "EVALUATION_INDICATORS_TOO_MANY",
            f"at most {MAX_INDICATORS} indicator scores",
            f"指标评分最多{MAX_INDICATORS}项",
            "indicators",
        )
    scores = []
    for item in request.indicators:
        if not item.indicator or len(item.indicator) > MAX_INDICATOR_NAME or not 1 <= item.score <= 5:
            raise invalid(
                "EVALUATION_INDICATOR_INVALID",
                f"each indicator needs a name of at most {MAX_INDICATOR_NAME} characters and a score 1-5",
                f"每项指标应有名称（不超过{MAX_INDICATOR_NAME}字）和1至5的评分",
                "indicators",
            )
        scores.append({"indicator": item.indicator, "score": item.score})
    return channel, scores


def _not_concluded() -> DomainError:
    return DomainError(
        "CASE_NOT_CONCLUDED",
        "the case has not concluded (or its evaluation period has ended); it cannot be rated",
        "该办件尚未办结（或评价期已过），不能评价",
        ErrorKind.WRONG_STATE,
    )


def _already() -> DomainError:
    return DomainError(
        "CASE_ALREADY_EVALUATED",
        "this case has been rated already (one evaluation per case)",
        "该办件已评价（一事一评）",
        ErrorKind.CONFLICT,
    )


def evaluation_view(row: Any, rectification_id: str = "") -> pb.Evaluation:
    """What staff and the rater see: never who rated."""
    out = pb.Evaluation(
        evaluation_id=row.evaluation_id,
        case_id=row.case_id,
        case_number=row.case_number,
        site_code=row.site_code,
        department_code=row.department_code,
        matter_code=row.matter_code,
        matter_name=row.matter_name,
        level=row.level,
        level_name=LEVEL_NAMES[row.level],
        indicators=[pb.IndicatorScore(**i) for i in json.loads(row.indicators)],
        text=row.text,
        channel=row.channel,
        status=row.status,
        rectification_id=rectification_id,
    )
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.UTC)
    out.created_at.FromDatetime(created)
    return out


@dataclass
class Evaluations:
    db: Database
    calendar: WorkingCalendar
    rectification_days: int

    async def submit(self, request: pb.SubmitEvaluationRequest) -> pb.Evaluation:
        who = access.owner()
        channel, scores = _checked(request)
        c = case_copies.c
        async with self.db.uow() as uow:
            case = (
                await uow.conn.execute(sa.select(case_copies).where(c.case_id == request.case_id))
            ).first()
            # Someone else's case is told apart from no case only to its applicant.
            if case is not None and (case.applicant_kind, case.applicant_subject) != (who.kind, who.subject):
                raise DomainError(
                    "CASE_NOT_YOURS",
                    "only the case's applicant may rate it",
                    "只有办件的申请人可以评价",
                    ErrorKind.FORBIDDEN,
                )
            if case is None:
                raise _not_concluded()
            # Rated already, whatever the copy's state: cases moves a rated case on (待评价 → 已办结),
            # and once that event reaches the copy a second rating must still say why it is refused.
            e = evaluations.c
            if (await uow.conn.execute(sa.select(e.evaluation_id).where(e.case_id == case.case_id))).first():
                raise _already()
            if case.state not in CONCLUDED:
                raise _not_concluded()
            now = dt.datetime.now(dt.UTC)
            row = {
                "evaluation_id": new_id(),
                "case_id": case.case_id,
                "case_number": case.case_number,
                "site_code": case.site_code,
                "department_code": case.department_code,
                "matter_code": case.matter_code,
                "matter_name": case.matter_name,
                "rater_kind": who.kind,
                "rater_subject": who.subject,
                "level": request.level,
                "indicators": json.dumps(scores, ensure_ascii=False),
                "text": request.text,
                "channel": channel,
                "status": "valid",
                "created_at": now,
            }
            try:
                # A savepoint: a concurrent submission that committed first breaks the UNIQUE
                # case id here, and that is the refusal, not a 500.
                async with uow.conn.begin_nested():
                    await uow.conn.execute(sa.insert(evaluations).values(**row))
            except sa.exc.IntegrityError:
                raise _already() from None
            uow.emit(
                make_event(
                    contract.EVALUATION_SUBMITTED,
                    events_pb2.EvaluationChanged(
                        evaluation_id=row["evaluation_id"],
                        case_id=case.case_id,
                        case_number=case.case_number,
                        site_code=case.site_code,
                        department_code=case.department_code,
                        matter_code=case.matter_code,
                        level=request.level,
                        channel=channel,
                        rater=events_pb2.Owner(kind=PB_KIND[who.kind], subject=who.subject),
                        revision=1,
                    ),
                    site_code=case.site_code,
                )
            )
            rectification_id = ""
            if request.level in BAD_LEVELS:
                rectification_id = await rectifications.open_for(
                    uow, row, self.calendar, self.rectification_days, now
                )
            await uow.commit()
        metrics.evaluated(request.level)
        return evaluation_view(_Row(row), rectification_id)


class _Row:
    """A dict read as a row (the view reads attributes)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
