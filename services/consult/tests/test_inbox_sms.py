"""Texts for the messages that need action (受理, 补正, 办结): sent after the consumer's commit
by the sender, to the mobile identity gives at sending time (consult keeps none), into the
development SMS file; a text is sent once, an owner without a mobile gets none, and an identity
outage delays a text without losing it."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from govhall.consult.inbox_sms import SmsRelay
from govhall.consult.inbox_tables import messages, sms_outbox
from govhall.kit.testing import wait_until
from govhall.protos.common.v1 import common_pb2 as C

from .inbox_support import MOBILE, InboxWorld, case_event, inbox_world_fixture  # noqa: F401 - the fixture


async def outbox(w: InboxWorld) -> list[sa.Row]:  # type: ignore[type-arg]
    async with w.host.db.reader() as uow:
        return list(await uow.conn.execute(sa.select(sms_outbox).order_by(sms_outbox.c.created_at)))


async def test_action_messages_are_texted_once_to_the_mobile_identity_gives(
    inbox_world: InboxWorld, caplog: pytest.LogCaptureFixture
) -> None:
    w = inbox_world
    caplog.set_level(logging.DEBUG)
    w.identity.mobiles[(C.CALLER_KIND_PERSON, "person-1")] = MOBILE
    accepted = case_event("cases.case.accepted", notice_title="受理通知书")
    await w.bus.publish(case_event("cases.case.submitted"))  # needs no action: no text
    await w.bus.publish(accepted)
    await w.bus.publish(accepted)
    await w.bus.publish(case_event("cases.case.concluded", notice_title="准予许可决定书"))

    texts = await wait_until(lambda: w.texts() if len(w.texts()) >= 2 else [], what="two texts")
    assert [t["mobile"] for t in texts] == [MOBILE, MOBILE]
    assert "已受理" in texts[0]["text"] and "420502-2026-000001" in texts[0]["text"]
    assert "已办结" in texts[1]["text"] and "准予许可决定书" in texts[1]["text"]
    assert {t["purpose"] for t in texts} == {"notify"} and {t["code"] for t in texts} == {""}
    # Identity was asked by consult itself, for the owner; consult's tables hold no mobile.
    assert {(kind, subject, who) for kind, subject, who in w.identity.asked} == {
        (C.CALLER_KIND_PERSON, "person-1", "consult")
    }
    rows = await wait_until(lambda: _all_done(w), what="the outbox rows marked done")
    assert [r.outcome for r in rows] == ["sent", "sent"]
    async with w.host.db.reader() as uow:
        stored = [str(v) for row in await uow.conn.execute(sa.select(messages)) for v in row]
        stored += [str(v) for row in await uow.conn.execute(sa.select(sms_outbox)) for v in row]
    assert not [v for v in stored if MOBILE in v]
    # Nothing more goes out: each text once.
    relay = SmsRelay(w.host.db, None, None)  # type: ignore[arg-type]  # nothing pending: neither is used
    assert await relay.send_pending() == 0
    assert len(w.texts()) == 2
    assert MOBILE not in caplog.text  # never logged


async def _all_done(w: InboxWorld) -> list[sa.Row]:  # type: ignore[type-arg]
    rows = await outbox(w)
    return rows if rows and all(r.done_at is not None for r in rows) else []


async def test_no_mobile_no_text_and_an_identity_outage_only_delays(inbox_world: InboxWorld) -> None:
    w = inbox_world
    # A legal person whose representative has no mobile on file: done, nothing sent.
    await w.bus.publish(case_event("cases.case.accepted", applicant="lp-1", kind="legal_person"))
    rows = await wait_until(lambda: _all_done(w), what="the text settled")
    assert [r.outcome for r in rows] == ["no_mobile"] and w.texts() == []

    # Identity away: the text waits (claimed, tried again when the claim lapses), then goes.
    w.identity.down = True
    w.identity.mobiles[(C.CALLER_KIND_PERSON, "person-1")] = MOBILE
    await w.bus.publish(case_event("cases.case.supplement_requested", supplement_deadline="2026-12-20"))
    await wait_until(lambda: len(w.identity.asked) >= 2, what="identity asked while away")
    assert w.texts() == []
    w.identity.down = False
    async with w.host.db.uow() as uow:  # the claim lapses now (its 60 s are not waited out)
        await uow.conn.execute(sa.update(sms_outbox).values(claimed_until=None))
        await uow.commit()
    texts = await wait_until(lambda: w.texts(), what="the text after identity is back")
    assert len(texts) == 1 and "2026-12-20" in texts[0]["text"] and texts[0]["mobile"] == MOBILE
    rows = await wait_until(lambda: _all_done(w), what="the text marked sent")
    assert [r.outcome for r in rows] == ["no_mobile", "sent"]
    assert rows[1].attempts >= 2
