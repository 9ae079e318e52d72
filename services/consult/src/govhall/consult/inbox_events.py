"""The inbox's consumers: every event that concerns a user becomes one message in their inbox.

Four durables, each idempotent over the kit's inbox (a redelivered event is applied once):
`consult-inbox-cases` hears `cases.case.>`, `consult-inbox-consult` hears consult's own
`consult.>`, `consult-inbox-appointments` hears `appointments.booking.>` and
`consult-inbox-licences` hears `licences.licence.>` (whose events carry the notice to render, so
the inbox never calls appointments or licences back). A subject without a template (a
step completed, a clock warning) and an event that concerns nobody (an anonymous letter) make
no message. The message row is keyed by (owner, source event id) UNIQUE, so two deliveries of
one event racing past the kit's inbox check still make one message (the loser's insert does nothing; its inbox row then conflicts and the bus
redelivers it, as a duplicate). No `newer_only`: each event is a message of its own, not a newer
state of one row, so an older event arriving late still tells the user what happened.

A message whose template has an SMS text also gets an `sms_outbox` row in the same transaction;
the sender (inbox_sms) texts it after the commit, never inside the consumer's transaction.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa

from govhall.consult import inbox_templates
from govhall.consult.inbox_tables import messages, sms_outbox
from govhall.contracts import appointments as appointments_contract
from govhall.contracts import cases as cases_contract
from govhall.contracts import consult as consult_contract
from govhall.contracts import licences as licences_contract
from govhall.contracts.registry import Registry
from govhall.kit.bus import Handler
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.dialect import upsert
from govhall.kit.events import Delivery, decode
from govhall.kit.eventstore import idempotent
from govhall.kit.ids import new_id
from govhall.kit.service import ServiceContext

CASES_DURABLE = "consult-inbox-cases"
CONSULT_DURABLE = "consult-inbox-consult"
APPOINTMENTS_DURABLE = "consult-inbox-appointments"
LICENCES_DURABLE = "consult-inbox-licences"
# (durable, subject filter, registry): what each consumer hears and decodes with. The filters
# are in consult's row of deploy/local/nats.sh and the chart's README.
CONSUMERS: tuple[tuple[str, str, Registry], ...] = (
    (CASES_DURABLE, cases_contract.EVENT_PREFIX + ">", cases_contract.REGISTRY),
    (CONSULT_DURABLE, consult_contract.REGISTRY.every_subject, consult_contract.REGISTRY),
    (APPOINTMENTS_DURABLE, appointments_contract.BOOKING_PREFIX + ">", appointments_contract.REGISTRY),
    (LICENCES_DURABLE, licences_contract.LICENCE_PREFIX + ">", licences_contract.REGISTRY),
)


def applier(durable: str, registry: Registry) -> Callable[[UnitOfWork, Delivery], Awaitable[None]]:
    async def apply(uow: UnitOfWork, delivery: Delivery) -> None:
        message = decode(delivery, registry, durable)  # None: skipped and counted
        if message is None:
            return
        template = inbox_templates.templates().get(delivery.subject)
        owner = inbox_templates.owner_of(message)
        if template is None or owner is None:
            return
        rendered = inbox_templates.render(template, inbox_templates.fields_of(message))
        meta = getattr(message, "meta", None)
        occurred = (
            meta.occurred_at.ToDatetime(dt.UTC) if meta is not None and meta.HasField("occurred_at") else None
        )
        message_id = new_id()
        inserted = await uow.conn.execute(
            upsert(
                uow,
                messages,
                {
                    "id": message_id,
                    "owner_kind": owner.kind,
                    "owner_subject": owner.subject,
                    "source_event_id": delivery.event_id,
                    "subject": delivery.subject,
                    "title": rendered.title,
                    "body": rendered.body,
                    "link_kind": rendered.link_kind,
                    "link_id": rendered.link_id,
                    "created_at": occurred or dt.datetime.now(dt.UTC),
                    "read_at": None,
                    "deleted": False,
                },
                key=["owner_kind", "owner_subject", "source_event_id"],
                update={},
            )
        )
        if inserted.rowcount and rendered.sms:
            await uow.conn.execute(
                sa.insert(sms_outbox).values(
                    message_id=message_id,
                    owner_kind=owner.kind,
                    owner_subject=owner.subject,
                    text=rendered.sms,
                    created_at=dt.datetime.now(dt.UTC),
                    attempts=0,
                )
            )

    return apply


def handler(db: Database, durable: str, registry: Registry, wake: asyncio.Event | None = None) -> Handler:
    """The durable's handler: idempotent over the kit's inbox; wakes the SMS sender after a commit."""
    handle = idempotent(db.uow, durable, applier(durable, registry))

    async def run(delivery: Delivery) -> None:
        await handle(delivery)
        if wake is not None:
            wake.set()

    return run


async def subscribe(ctx: ServiceContext[Any], wake: asyncio.Event | None = None) -> None:
    for durable, subject, registry in CONSUMERS:
        await ctx.bus.subscribe(durable, subject, handler(ctx.db, durable, registry, wake))
