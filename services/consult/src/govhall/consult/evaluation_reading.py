"""好差评 read back by its rater: the applicant (for an enterprise's case the enterprise, an agent
acting for it included: access.OWNER_KINDS maps both to the enterprise) sees their evaluation of
a case and what became of the rectification it opened — what was done, the callback, a
supervisor's decision — but never who did it. Anybody else, or a case not rated, is told there is
no evaluation: whether a case was rated is the rater's business.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from govhall.consult import access
from govhall.consult.evaluation_tables import evaluations, rectifications
from govhall.consult.evaluations import evaluation_view
from govhall.kit.caller import current_caller
from govhall.kit.db import Database
from govhall.kit.errors import DomainError, ErrorKind
from govhall.protos.consult.v1 import evaluations_pb2 as pb


def _not_found() -> DomainError:
    return DomainError(
        "EVALUATION_NOT_FOUND", "no evaluation of this case", "该办件没有评价", ErrorKind.NOT_FOUND
    )


def _set(stamp: Any, value: dt.datetime | None) -> None:
    if value is not None:
        stamp.FromDatetime(value if value.tzinfo else value.replace(tzinfo=dt.UTC))


@dataclass
class EvaluationReading:
    db: Database

    async def mine(self, request: pb.GetMyEvaluationRequest) -> pb.MyEvaluation:
        caller = current_caller()
        kind = access.OWNER_KINDS.get(caller.kind)
        if kind is None or not caller.subject or not request.case_id or len(request.case_id) > 64:
            raise _not_found()
        e, r = evaluations.c, rectifications.c
        async with self.db.reader() as uow:
            row = (
                await uow.conn.execute(
                    sa.select(evaluations).where(
                        e.case_id == request.case_id, e.rater_kind == kind, e.rater_subject == caller.subject
                    )
                )
            ).first()
            if row is None:
                raise _not_found()
            fix = (
                await uow.conn.execute(sa.select(rectifications).where(r.evaluation_id == row.evaluation_id))
            ).first()
        out = pb.MyEvaluation(evaluation=evaluation_view(row, fix.rectification_id if fix else ""))
        if fix is not None:
            seen = out.rectification
            seen.state, seen.due = fix.state, fix.due
            seen.rectification, seen.callback = fix.rectification, fix.callback
            seen.decision, seen.decision_reason = fix.decision, fix.decision_reason
            _set(seen.rectified_at, fix.rectified_at)
            _set(seen.called_back_at, fix.called_back_at)
        return out
