"""The end of a concluded case's evaluation period (待评价 -> 已办结).

Consult publishes `consult.evaluation.submitted` when the applicant rates a case; cases
consumes it (durable `cases-evaluations`, idempotent over the kit's inbox) and moves the case to
evaluated with the level. A case nobody rated within the evaluation period (working days after
its conclusion, a setting) is moved by the clock sweep with the distinct action
`evaluation_period_ended` and no level: no rating is invented for it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable

import sqlalchemy as sa

from govhall.cases import commands, store, tables, vocabulary
from govhall.cases.records import aware
from govhall.cases.values import Actor
from govhall.cases.workflow import Deps, perform, record
from govhall.contracts import consult as consult_contract
from govhall.kit.db import UnitOfWork
from govhall.kit.events import Delivery, decode
from govhall.kit.eventstore import idempotent
from govhall.kit.service import ServiceContext
from govhall.protos.consult.v1 import events_pb2 as consult_pb

log = logging.getLogger(__name__)

CONSULT = Actor.system("consult-evaluation")
SWEEPER = Actor.system("clock-sweep")
LEVEL_NAMES = {1: "非常满意", 2: "满意", 3: "基本满意", 4: "不满意", 5: "非常不满意"}
CONCLUDED = [s.value for s in vocabulary.CONCLUDED]


def make_handler(deps: Deps, consumer: str) -> Callable[[UnitOfWork, Delivery], Awaitable[None]]:
    async def apply(uow: UnitOfWork, delivery: Delivery) -> None:
        message = decode(delivery, consult_contract.REGISTRY, consumer)
        if not isinstance(message, consult_pb.EvaluationChanged):
            return
        rec = await store.load(uow, message.case_id, for_update=True)
        if rec is None or rec.case.state not in vocabulary.CONCLUDED:
            # Unknown here, or its period ended first: the evaluation changes nothing in cases.
            log.info(
                "evaluation %s of case %s: case not awaiting one", message.evaluation_id, message.case_id
            )
            return
        now = deps.now()
        transition = perform(rec, commands.Evaluate(level=LEVEL_NAMES.get(message.level, "")), CONSULT, now)
        await record(deps, uow, rec, transition, now=now)

    return apply


async def subscribe(ctx: ServiceContext, deps: Deps, consumer: str) -> None:
    await ctx.bus.subscribe(
        consumer,
        consult_contract.EVALUATION_SUBMITTED.subject,
        idempotent(ctx.db.uow, consumer, make_handler(deps, consumer)),
    )


def period_ended(deps: Deps, concluded: dt.datetime, today: dt.date) -> bool:
    """The period is the N working days after the day of conclusion (China time)."""
    last = deps.calendar.add_working_days(
        vocabulary.local_date(concluded), deps.settings.evaluation_period_days
    )
    return today > last.date


async def end_periods(deps: Deps, today: dt.date, now: dt.datetime) -> int:
    """Move every concluded case whose evaluation period has passed; returns how many. Each in
    its own transaction; one evaluated meanwhile is left alone (its state is checked again)."""
    c = tables.cases.c
    # Working days are never fewer than calendar days: a coarse bound the calendar then refines.
    bound = dt.datetime.combine(
        today - dt.timedelta(days=deps.settings.evaluation_period_days), dt.time(), vocabulary.CHINA
    )
    async with deps.db.reader() as uow:
        rows = list(
            await uow.conn.execute(
                sa.select(c.id, c.ended_at).where(c.state.in_(CONCLUDED), c.ended_at < bound).order_by(c.id)
            )
        )
    moved = 0
    for row in rows:
        if row.ended_at is None or not period_ended(deps, aware(row.ended_at) or row.ended_at, today):
            continue
        async with deps.db.uow() as uow:
            rec = await store.load(uow, row.id, for_update=True)
            if rec is None or rec.case.state not in vocabulary.CONCLUDED:
                continue
            transition = perform(rec, commands.EvaluationPeriodEnded(), SWEEPER, now)
            await record(deps, uow, rec, transition, now=now)
            await uow.commit()
            moved += 1
    return moved
