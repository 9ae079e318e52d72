"""One event, one message: redelivered, or delivered to two replicas at the same instant
(PostgreSQL, kit.races.concurrently), the inbox has one message and one text for it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from govhall.consult import inbox_events
from govhall.consult.inbox_sms import SmsRelay
from govhall.consult.inbox_tables import messages, sms_outbox
from govhall.contracts import cases as cases_contract
from govhall.kit.events import Delivery
from govhall.kit.races import concurrently, outcomes
from govhall.kit.testing import database_with_kit_tables
from govhall.protos.identity.v1 import identity_pb2 as id_pb

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


class _Identity:
    async def GetNotifyMobile(self, request: Any, **_: Any) -> Any:
        return id_pb.GetNotifyMobileResponse(mobile="13912345678")


class _Phone:
    def __init__(self) -> None:
        self.texts: list[str] = []

    async def send(self, mobile: str, purpose: str, code: str, text: str) -> None:
        self.texts.append(text)


async def test_senders_racing_text_once_and_a_crash_resends_at_most_once(db_url: str) -> None:
    """Replicas' senders claim a text before sending it, so it goes once; a sender that died
    after sending but before marking it done leaves it claimed, and it goes once more when the
    claim lapses - never more."""
    db = await database_with_kit_tables(db_url, messages, sms_outbox)
    try:
        handle = inbox_events.handler(db, inbox_events.CASES_DURABLE, cases_contract.REGISTRY)
        await handle(delivery())
        phone = _Phone()
        relays = [SmsRelay(db, _Identity(), phone) for _ in range(4)]  # type: ignore[arg-type]
        done, failed = outcomes(await concurrently(4, lambda i: relays[i].send_pending()))
        assert failed == [] and sum(done) == 1 and len(phone.texts) == 1

        # As if the sender died between sending and marking: done again cleared, claim lapsed.
        async with db.uow() as uow:
            await uow.conn.execute(
                sa.update(sms_outbox).values(done_at=None, outcome=None, claimed_until=None)
            )
            await uow.commit()
        assert await relays[0].send_pending() == 1 and len(phone.texts) == 2
        assert await relays[1].send_pending() == 0 and len(phone.texts) == 2
    finally:
        await db.close()
