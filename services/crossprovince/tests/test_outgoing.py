"""The sender on its own, with a partner it controls: a message is signed once (every resend the
same bytes), nothing goes out while its "sent" audit entry cannot be written, retries back off
to their bound, a receipt is stored, audited and handed on once, and a key enqueues once.
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import sqlalchemy as sa

from govhall.crossprovince import audit, devca
from govhall.crossprovince.app import SPEC
from govhall.crossprovince.endpoint import Own
from govhall.crossprovince.envelope import request_sha256, sign_receipt
from govhall.crossprovince.outgoing import Outgoing, Sender
from govhall.crossprovince.store import audit_head, audit_log, outgoing
from govhall.kit import migrations
from govhall.kit.db import Database
from govhall.protos.crossprovince.v1 import partner_pb2 as pb

A, B = "210000", "220000"


class Down(grpc.aio.AioRpcError):
    def __init__(self) -> None:
        super().__init__(grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata(), "down")


class Partner:
    """B's endpoint as the sender sees it: down for the first ``down`` calls, then receipting."""

    def __init__(self, down: int = 0) -> None:
        self.kit = devca.province_kit(B)
        self.down, self.seen = down, []  # type: ignore[var-annotated]

    async def send(self, env: pb.Envelope, timeout: float = 30.0) -> pb.Receipt:
        self.seen.append(env.SerializeToString(deterministic=True))
        if len(self.seen) <= self.down:
            raise Down()
        return sign_receipt(
            self.kit.signing,
            self.kit.key_id,
            env=env,
            request_hash=request_sha256(env),
            receiver=B,
            status=pb.RECEIPT_STATUS_ACCEPTED,
            reason_code="",
            reason="",
            body=b"accepted",
        )


async def _world(db_url: str, partner: Partner) -> tuple[Database, Outgoing, Sender, list[Any]]:
    await migrations.upgrade(db_url, SPEC.migrations)
    db = Database(db_url)
    kit = devca.province_kit(A)
    queue = Outgoing(db, Own(A, kit.signing, kit.key_id))
    handed: list[Any] = []

    async def on_receipt(kind: str, subject: str, message_id: str, receipt: pb.Receipt) -> None:
        handed.append((kind, subject, message_id, receipt.body))

    sender = Sender(
        db,
        queue,
        {B: partner},
        on_receipt,
        retry_initial_seconds=0.001,
        retry_max_seconds=0.002,  # type: ignore[dict-item]
    )
    return db, queue, sender, handed


async def _due_now(db: Database) -> None:
    """Skip the backoff wait (the test drives the passes itself)."""
    async with db.uow() as uow:
        await uow.conn.execute(
            sa.update(outgoing).values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await uow.commit()


async def _audit(db: Database) -> list[tuple[str, str]]:
    async with db.reader() as uow:
        rows = (await uow.conn.execute(sa.select(audit_log).order_by(audit_log.c.seq))).all()
    return [(r.direction, r.status) for r in rows]


async def test_signed_once_sent_until_receipted_and_handed_on_once(db_url: str) -> None:
    partner = Partner(down=2)
    db, queue, sender, handed = await _world(db_url, partner)
    first = await queue.enqueue("Handover:h1", B, "Handover", "h1", b"body")
    assert await queue.enqueue("Handover:h1", B, "Handover", "h1", b"other") == first
    for _ in range(3):
        await sender.pass_once()
        await _due_now(db)
    assert len(partner.seen) == 3 and len(set(partner.seen)) == 1, "every resend is the same bytes"
    assert handed == [("Handover", "h1", first, b"accepted")]
    [row] = await _rows(db)
    assert row.attempts == 3 and row.receipted_at is not None and row.handed_at is not None
    assert pb.Receipt.FromString(row.receipt).message_id == first
    # Receipted and handed on: nothing more is sent.
    await sender.pass_once()
    assert len(partner.seen) == 3 and len(handed) == 1
    assert await _audit(db) == [("sent", "SENT"), ("sent", "RECEIPTED_ACCEPTED")]
    assert (await audit.verify(db)).intact
    assert (await sender.backlog()).unreceipted == 0


async def test_nothing_is_sent_while_the_audit_cannot_be_written(db_url: str) -> None:
    partner = Partner()
    db, queue, sender, handed = await _world(db_url, partner)
    await queue.enqueue("Handover:h1", B, "Handover", "h1", b"body")
    async with db.uow() as uow:  # the audit's head row gone: no entry can be appended
        await uow.conn.execute(sa.delete(audit_head))
        await uow.commit()
    await sender.pass_once()
    assert partner.seen == [] and handed == []
    [row] = await _rows(db)
    assert not row.sent_audited and row.attempts == 1 and "NoResultFound" in row.last_error
    async with db.uow() as uow:
        await uow.conn.execute(sa.insert(audit_head).values(id=1, seq=0, entry_hash=audit.GENESIS))
        await uow.commit()
    await _due_now(db)
    await sender.pass_once()
    assert len(partner.seen) == 1 and len(handed) == 1


async def test_the_backoff_doubles_to_its_bound(db_url: str) -> None:
    partner = Partner(down=100)
    db, queue, sender, _ = await _world(db_url, partner)
    sender.initial, sender.max = 10.0, 40.0
    await queue.enqueue("ReportStatus:c1:1", B, "ReportStatus", "h1", b"body")
    waits = []
    for _ in range(4):
        before = datetime.now(UTC)
        await sender.pass_once()
        [row] = await _rows(db)
        due = row.next_attempt_at if row.next_attempt_at.tzinfo else row.next_attempt_at.replace(tzinfo=UTC)
        waits.append(round((due - before).total_seconds() / 10) * 10)
        await _due_now(db)
    assert waits == [10, 20, 40, 40]
    assert (await sender.backlog()).unreceipted == 1


async def _rows(db: Database) -> list[Any]:
    async with db.reader() as uow:
        return list((await uow.conn.execute(sa.select(outgoing))).all())


async def test_a_restart_sends_what_was_kept_with_its_first_signature(db_url: str) -> None:
    # Before the restart: signed and kept, the partner down.
    down = Partner(down=100)
    db, queue, sender, _ = await _world(db_url, down)
    first = await queue.enqueue("Supplement:h1:1", B, "Supplement", "h1", b"body")
    await sender.pass_once()
    await db.close()
    # After it: a new process over the same database sends the same bytes, once.
    back = Partner()
    db, queue, sender, handed = await _world(db_url, back)
    await _due_now(db)
    await sender.pass_once()
    await sender.pass_once()
    assert back.seen == down.seen and pb.Envelope.FromString(back.seen[0]).message_id == first
    assert [h[2] for h in handed] == [first]
    assert await _audit(db) == [("sent", "SENT"), ("sent", "RECEIPTED_ACCEPTED")]
