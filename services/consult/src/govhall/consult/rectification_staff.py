"""Staff's side of rectifications: the queue, rectify, callback (回访), appeal, and a
supervisor's decision on an appeal (rules in `rectifications`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from govhall.consult import access, sites
from govhall.consult.evaluation_tables import evaluations, rectifications
from govhall.consult.evaluations import evaluation_view
from govhall.consult.rectifications import (
    DEPARTMENT_ROLES,
    Moves,
    may_see,
    not_found,
    staff,
    state_filter,
    text,
    view,
)
from govhall.kit.db import Database
from govhall.kit.errors import invalid
from govhall.protos.common.v1 import common_pb2
from govhall.protos.consult.v1 import evaluations_pb2 as pb

# The evaluation's columns staff may read: never the rater.
SHOWN = [c for c in evaluations.c if c.name not in ("rater_kind", "rater_subject")]


@dataclass
class RectificationStaff:
    db: Database

    async def listing(self, request: pb.ListRectificationsRequest) -> pb.ListRectificationsResponse:
        caller = staff()
        state = state_filter(request.state)
        number, size = access.paging(request.page)
        r = rectifications.c
        if "supervisor" in caller.roles:
            scope = sites.subtree(r.site_code, caller.site_code)
        elif DEPARTMENT_ROLES.intersection(caller.roles):
            scope = sa.and_(r.site_code == caller.site_code, r.department_code == caller.department_code)
        else:
            scope = sa.false()
        where = [scope] + ([r.state == state] if state else [])
        joined = rectifications.join(evaluations, evaluations.c.evaluation_id == r.evaluation_id)
        async with self.db.reader() as uow:
            total = (
                await uow.conn.execute(sa.select(sa.func.count()).select_from(rectifications).where(*where))
            ).scalar_one()
            rows = await uow.conn.execute(
                sa.select(rectifications, *[c.label("e_" + c.name) for c in SHOWN])
                .select_from(joined)
                .where(*where)
                .order_by(r.due, r.created_at, r.rectification_id)
                .limit(size)
                .offset((number - 1) * size)
            )
            items = [view(row, evaluation_view(_evaluation_of(row), row.rectification_id)) for row in rows]
        return pb.ListRectificationsResponse(
            rectifications=items, page=common_pb2.PageInfo(page=number, page_size=size, total=int(total))
        )

    async def get(self, rectification_id: str) -> pb.Rectification:
        caller = staff()
        r = rectifications.c
        joined = rectifications.join(evaluations, evaluations.c.evaluation_id == r.evaluation_id)
        async with self.db.reader() as uow:
            row = (
                await uow.conn.execute(
                    sa.select(rectifications, *[c.label("e_" + c.name) for c in SHOWN])
                    .select_from(joined)
                    .where(r.rectification_id == rectification_id)
                )
            ).first()
            if row is None or not await may_see(uow, caller, row):
                raise not_found()
        return view(row, evaluation_view(_evaluation_of(row), row.rectification_id))

    async def rectify(self, request: pb.RectifyRequest) -> pb.Rectification:
        content = text(request.content, "content")
        now = dt.datetime.now(dt.UTC)
        await Moves(self.db).move(
            request.rectification_id,
            request.revision,
            ("open",),
            "rectified",
            {"state": "rectified", "rectification": content, "rectified_at": now},
        )
        return await self.get(request.rectification_id)

    async def callback(self, request: pb.RecordCallbackRequest) -> pb.Rectification:
        content = text(request.content, "content")
        now = dt.datetime.now(dt.UTC)
        await Moves(self.db).move(
            request.rectification_id,
            request.revision,
            ("rectified",),
            "called_back",
            {"state": "called_back", "callback": content, "called_back_at": now},
        )
        return await self.get(request.rectification_id)

    async def appeal(self, request: pb.AppealRequest) -> pb.Rectification:
        reason = text(request.reason, "reason")
        await Moves(self.db).move(
            request.rectification_id,
            request.revision,
            ("open",),
            "appealed",
            {"state": "appealed", "appeal_reason": reason},
        )
        return await self.get(request.rectification_id)

    async def decide(self, request: pb.DecideAppealRequest) -> pb.Rectification:
        if request.decision not in ("uphold", "void"):
            raise invalid(
                "DECISION_INVALID", "decision must be uphold or void", "裁定结果应为维持或撤销", "decision"
            )
        reason = text(request.reason, "reason")
        uphold = request.decision == "uphold"
        await Moves(self.db).move(
            request.rectification_id,
            request.revision,
            ("appealed",),
            "upheld" if uphold else "voided",
            {
                "state": "open" if uphold else "voided",
                "decision": request.decision,
                "decision_reason": reason,
            },
            supervisor=True,
            void=not uphold,
        )
        return await self.get(request.rectification_id)


class _Evaluation:
    def __init__(self, row: object) -> None:
        for c in SHOWN:
            setattr(self, c.name, getattr(row, "e_" + c.name))


def _evaluation_of(row: object) -> _Evaluation:
    return _Evaluation(row)
