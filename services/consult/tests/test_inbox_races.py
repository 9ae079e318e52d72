"""One event, one message: redelivered, or delivered to two replicas at the same instant
(PostgreSQL, kit.races.concurrently), the inbox has one message and one text for it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from govhall.consult import inbox_events
from govhall.consult.inbox_tables import messages, sms_outbox
from govhall.contracts import cases as cases_contract
from govhall.kit.events import Delivery
from govhall.kit.races import concurrently, outcomes
from govhall.kit.testing import database_with_kit_tables

from .inbox_support import case_event


def delivery(subject: str = "cases.case.accepted") -> Delivery:
    event = case_event(subject)
    return Delivery(event.subject, event.payload, event.event_id)


async def counts(db: Any) -> tuple[int, int]:
    async with db.reader() as uow:
        made = (await uow.conn.execute(sa.select(sa.func.count()).select_from(messages))).scalar_one()
        texts = (await uow.conn.execute(sa.select(sa.func.count()).select_from(sms_outbox))).scalar_one()
    return int(made), int(texts)


async def test_deliveries_racing_make_one_message_and_one_text(pg_database: Any) -> None:
    async with pg_database.engine.begin() as conn:
        await conn.run_sync(lambda c: messages.metadata.create_all(c, tables=[messages, sms_outbox]))
    handle = inbox_events.handler(pg_database, inbox_events.CASES_DURABLE, cases_contract.REGISTRY)
    same = delivery()

    results = await concurrently(6, lambda _: handle(same))
    done, failed = outcomes(results)
    # The losers either saw the kit's inbox row or lost the insert race (the bus redelivers
    # those, and then they see it): never a second message.
    assert len(done) >= 1
    assert all("IntegrityError" in type(e).__name__ or "unique" in str(e).lower() for e in failed), failed
    assert await counts(pg_database) == (1, 1)
    await handle(same)  # the redelivery of a loser
    assert await counts(pg_database) == (1, 1)


async def test_the_message_key_holds_without_the_kits_inbox(db_url: str) -> None:
    """Even applied again past the kit's inbox (its rows pruned after the dedupe window), an
    event makes one message and one text: the (owner, source event) key, not the inbox, is what
    holds (SQLite, and PostgreSQL with the applications racing)."""
    db = await database_with_kit_tables(db_url, messages, sms_outbox)
    try:
        apply = inbox_events.applier(inbox_events.CASES_DURABLE, cases_contract.REGISTRY)
        same = delivery("cases.case.concluded")

        async def once(_: int) -> None:
            async with db.uow() as uow:
                await apply(uow, same)
                await uow.commit()

        done, failed = outcomes(await concurrently(4, once))
        assert (len(done), failed) == (4, [])
        await once(0)
        assert await counts(db) == (1, 1)
    finally:
        await db.close()
