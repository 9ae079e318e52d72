"""Consult's copy of cases, kept from `cases.case.*` (every subject a CaseChanged with its
revision and applicant, `govhall.contracts.cases`): who may rate a case, whether it has
concluded, and where its evaluation is filed. Consult never calls cases to learn this.

A durable consumer (`consult-cases`), idempotent over the kit's inbox and applying one case's
changes in revision order (`newer_only`): a redelivered "accepted" cannot undo "concluded".
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from govhall.consult.evaluation_tables import case_copies
from govhall.contracts import cases as cases_contract
from govhall.kit.db import UnitOfWork
from govhall.kit.dialect import locked, upsert
from govhall.kit.events import Delivery, decode
from govhall.kit.eventstore import idempotent
from govhall.kit.ordering import newer_only
from govhall.kit.service import ServiceContext
from govhall.protos.cases.v1 import cases_pb2

DURABLE = "consult-cases"
CONCLUDED = ("concluded_approved", "concluded_denied")


def state_name(state: int) -> str:
    """cases' state as its model spells it (CASE_STATE_CONCLUDED_APPROVED -> concluded_approved)."""
    return cases_pb2.CaseState.Name(state).removeprefix("CASE_STATE_").lower()  # type: ignore[arg-type]


def _changed(delivery: Delivery) -> cases_pb2.CaseChanged | None:
    message = decode(delivery, cases_contract.REGISTRY, DURABLE)
    return message if isinstance(message, cases_pb2.CaseChanged) else None


def _revision(delivery: Delivery) -> int:
    message = _changed(delivery)
    return message.revision if message is not None else 0


async def _stored_revision(uow: UnitOfWork, delivery: Delivery) -> int | None:
    message = _changed(delivery)
    if message is None:
        return None
    c = case_copies.c
    query = sa.select(c.revision).where(c.case_id == message.case_id)
    return (await uow.conn.execute(locked(uow, query))).scalar_one_or_none()


async def apply(uow: UnitOfWork, delivery: Delivery) -> None:
    message = _changed(delivery)
    if message is None or not message.case_id:
        return
    state = state_name(message.state)
    concluded_at = None
    if state in CONCLUDED or state == "evaluated":
        concluded_at = message.meta.occurred_at.ToDatetime(dt.UTC)
    values = {
        "case_id": message.case_id,
        "case_number": message.case_number,
        "site_code": message.site_code,
        "department_code": message.department_code,
        "matter_code": message.matter_code,
        "matter_name": message.matter_name,
        "applicant_kind": message.applicant.kind,
        "applicant_subject": message.applicant.subject,
        "state": state,
        "concluded_at": concluded_at,
        "revision": message.revision,
    }
    update = {k: v for k, v in values.items() if k != "case_id"}
    if state == "evaluated":
        # The conclusion time stays the one "concluded" brought (evaluated comes later).
        update.pop("concluded_at")
    # Insert the first one heard; otherwise move forward only (two first deliveries of one case
    # at once find no row to lock in newer_only, so the revision is checked in the UPDATE too).
    await uow.conn.execute(upsert(uow, case_copies, values, key=["case_id"], update={}))
    c = case_copies.c
    await uow.conn.execute(
        sa.update(case_copies)
        .where(c.case_id == message.case_id, c.revision < message.revision)
        .values(**update)
    )


async def subscribe(ctx: ServiceContext, durable: str = DURABLE) -> None:
    handler = newer_only(durable, _revision, _stored_revision, apply)
    await ctx.bus.subscribe(
        durable, cases_contract.REGISTRY.every_subject, idempotent(ctx.db.uow, durable, handler)
    )
