"""Messages to partners: signed once, kept, sent until the partner's receipt says it has them.

`Outgoing.enqueue` signs the body into an envelope and keeps it with a key naming what it is
about (a handover sent, a case's revision reported): the same key again enqueues nothing, so an
event delivered twice sends one message. Every resend is the same bytes with the same message
id, and the partner answers a message id it has seen with its first receipt: a crash after the
partner kept a message but before we stored its receipt costs one resend, never a double.

`Sender` delivers due messages in the order they were made. Before a message is first sent its
"sent" audit entry commits (if the audit cannot be written, nothing goes out); a valid receipt is
stored with a "receipted" entry in one transaction; then the receipt is handed to cases (a
handover's receipt is B's case number). A failure at any step leaves the row due again after a
backoff that doubles up to a bound, so a partner down for hours is tried every few minutes.
Messages unreceipted longer than `overdue_after_seconds` show in a gauge a supervisor's alert
watches (deploy/helm/govhall/templates/alerts.yaml).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import sqlalchemy as sa
from prometheus_client import Counter, Gauge

from govhall.crossprovince import audit
from govhall.crossprovince.client import PartnerClient
from govhall.crossprovince.endpoint import Own
from govhall.crossprovince.envelope import EnvelopeInvalid, request_sha256, seal, sha256_hex
from govhall.crossprovince.store import outgoing
from govhall.kit.db import Database
from govhall.protos.crossprovince.v1 import partner_pb2 as pb

log = logging.getLogger(__name__)

UNRECEIPTED_OLDEST = Gauge(
    "govhall_crossprovince_unreceipted_oldest_seconds",
    "Age of the oldest message to a partner not yet receipted (0: none waiting)",
)
UNRECEIPTED_OVERDUE = Gauge(
    "govhall_crossprovince_unreceipted_overdue",
    "Messages to partners not receipted after overdue_after_seconds",
)
ATTEMPTS = Counter(
    "govhall_crossprovince_send_attempts_total", "Sends to partners by kind and outcome", ["kind", "outcome"]
)

# What to do with a receipt once it is stored: (kind, subject id, message id, receipt).
ReceiptHandler = Callable[[str, str, str, pb.Receipt], Awaitable[None]]


@dataclass(frozen=True)
class Backlog:
    unreceipted: int
    oldest_seconds: float
    overdue: int


def sent_entry(receiver: str, kind: str, message_id: str, request_hash: str) -> audit.Entry:
    """The audit entry of a message about to leave: written before it is sent."""
    return audit.Entry("sent", receiver, kind, message_id, request_hash, "", "SENT")


def receipted_entry(
    receiver: str, kind: str, message_id: str, request_hash: str, receipt: pb.Receipt
) -> audit.Entry:
    """The audit entry of a partner's verified receipt for a message we sent: the same direction
    as the message, the receipt's hash, its status as RECEIPTED_<status>. One format for every
    sender (the sender loop, `ping`)."""
    status = "RECEIPTED_" + pb.ReceiptStatus.Name(receipt.status).removeprefix("RECEIPT_STATUS_")
    raw = receipt.SerializeToString(deterministic=True)
    return audit.Entry("sent", receiver, kind, message_id, request_hash, sha256_hex(raw), status)


class Outgoing:
    def __init__(self, db: Database, own: Own) -> None:
        self.db, self.own = db, own
        self.wake = asyncio.Event()

    async def message_id(self, key: str) -> str | None:
        async with self.db.reader() as uow:
            found = await uow.conn.scalar(sa.select(outgoing.c.message_id).where(outgoing.c.key == key))
        return str(found) if found is not None else None

    async def enqueue(self, key: str, receiver: str, kind: str, subject_id: str, body: bytes) -> str:
        """The message id kept for ``key``: a new envelope signed now, or the one already kept."""
        if (found := await self.message_id(key)) is not None:
            return found
        env = seal(
            self.own.signing_key,
            self.own.key_id,
            sender=self.own.code,
            receiver=receiver,
            kind=kind,
            body=body,
        )
        now = datetime.now(UTC)
        try:
            async with self.db.uow() as uow:
                await uow.conn.execute(
                    sa.insert(outgoing).values(
                        message_id=env.message_id,
                        key=key,
                        receiver=receiver,
                        kind=kind,
                        subject_id=subject_id,
                        request_sha256=request_sha256(env),
                        envelope=env.SerializeToString(deterministic=True),
                        created_at=now,
                        next_attempt_at=now,
                        attempts=0,
                        last_error="",
                        sent_audited=False,
                    )
                )
                await uow.commit()
        except sa.exc.IntegrityError:
            # The same key enqueued by a racing delivery: theirs is the message.
            if (found := await self.message_id(key)) is None:
                raise
            return found
        self.wake.set()
        return env.message_id


class Sender:
    def __init__(
        self,
        db: Database,
        queue: Outgoing,
        clients: Mapping[str, PartnerClient],
        on_receipt: ReceiptHandler,
        *,
        poll_seconds: float = 1.0,
        retry_initial_seconds: float = 2.0,
        retry_max_seconds: float = 300.0,
        send_timeout_seconds: float = 30.0,
        overdue_after_seconds: float = 3600.0,
    ) -> None:
        self.db, self.queue, self.clients, self.on_receipt = db, queue, clients, on_receipt
        self.poll, self.initial, self.max = poll_seconds, retry_initial_seconds, retry_max_seconds
        self.timeout, self.overdue_after = send_timeout_seconds, overdue_after_seconds

    async def run(self) -> None:
        while True:
            try:
                await self.pass_once()
            except Exception:
                log.exception("crossprovince sender pass failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.queue.wake.wait(), self.poll)
            self.queue.wake.clear()

    async def pass_once(self, limit: int = 100) -> int:
        """Deliver what is due now; how many rows were tried."""
        now = datetime.now(UTC)
        async with self.db.reader() as uow:
            rows = (
                await uow.conn.execute(
                    sa.select(outgoing)
                    .where(
                        sa.or_(outgoing.c.receipted_at.is_(None), outgoing.c.handed_at.is_(None)),
                        outgoing.c.next_attempt_at <= now,
                    )
                    .order_by(outgoing.c.created_at, outgoing.c.message_id)
                    .limit(limit)
                )
            ).all()
        for row in rows:
            await self.deliver(row)
        await self.backlog()
        return len(rows)

    async def deliver(self, row: Any) -> None:
        try:
            if row.receipted_at is None:
                receipt = await self._send(row)
                if receipt is None:
                    return
            else:
                receipt = pb.Receipt.FromString(row.receipt)
            await self.on_receipt(row.kind, row.subject_id, row.message_id, receipt)
        except Exception as err:
            log.warning("crossprovince %s %s to %s: %s", row.kind, row.message_id, row.receiver, err)
            await self._later(row, f"{type(err).__name__}: {err}")
            return
        async with self.db.uow() as uow:
            await uow.conn.execute(
                sa.update(outgoing)
                .where(outgoing.c.message_id == row.message_id)
                .values(handed_at=datetime.now(UTC), last_error="")
            )
            await uow.commit()

    async def _send(self, row: Any) -> pb.Receipt | None:
        """The partner's verified receipt, stored and audited; None when it must be tried later."""
        if not row.sent_audited:
            # The evidence first: no audit entry, no send (the exception leaves the row due).
            async with self.db.uow() as uow:
                claimed = await uow.conn.execute(
                    sa.update(outgoing)
                    .where(outgoing.c.message_id == row.message_id, outgoing.c.sent_audited.is_(False))
                    .values(sent_audited=True)
                )
                if claimed.rowcount:
                    entry = sent_entry(row.receiver, row.kind, row.message_id, row.request_sha256)
                    await audit.append(uow, entry)
                await uow.commit()
        client = self.clients.get(row.receiver)
        if client is None:
            await self._later(row, f"no partner {row.receiver} configured")
            return None
        env = pb.Envelope.FromString(row.envelope)
        try:
            receipt = await client.send(env, timeout=self.timeout)
        except (grpc.aio.AioRpcError, EnvelopeInvalid) as err:
            ATTEMPTS.labels(row.kind, "failed").inc()
            detail = (
                f"{err.code().name}: {err.details()}" if isinstance(err, grpc.aio.AioRpcError) else str(err)
            )
            await self._later(row, detail)
            return None
        ATTEMPTS.labels(row.kind, "receipted").inc()
        raw = receipt.SerializeToString(deterministic=True)
        async with self.db.uow() as uow:
            stored = await uow.conn.execute(
                sa.update(outgoing)
                .where(outgoing.c.message_id == row.message_id, outgoing.c.receipted_at.is_(None))
                .values(receipt=raw, receipted_at=datetime.now(UTC), attempts=row.attempts + 1)
            )
            if stored.rowcount:
                entry = receipted_entry(row.receiver, row.kind, row.message_id, row.request_sha256, receipt)
                await audit.append(uow, entry)
            await uow.commit()
        return receipt

    async def _later(self, row: Any, error: str) -> None:
        delay = min(self.initial * 2 ** min(row.attempts, 30), self.max)
        async with self.db.uow() as uow:
            await uow.conn.execute(
                sa.update(outgoing)
                .where(outgoing.c.message_id == row.message_id)
                .values(
                    attempts=row.attempts + 1,
                    next_attempt_at=datetime.now(UTC) + timedelta(seconds=delay),
                    last_error=error[:500],
                )
            )
            await uow.commit()

    async def backlog(self) -> Backlog:
        found = await backlog(self.db, self.overdue_after)
        UNRECEIPTED_OLDEST.set(found.oldest_seconds)
        UNRECEIPTED_OVERDUE.set(found.overdue)
        return found


async def backlog(db: Database, overdue_after_seconds: float) -> Backlog:
    """What waits for a receipt, and how much of it has waited past ``overdue_after_seconds``."""
    now = datetime.now(UTC)
    cutoff = now - timedelta(seconds=overdue_after_seconds)
    waiting = outgoing.c.receipted_at.is_(None)
    async with db.reader() as uow:
        count, oldest = (
            await uow.conn.execute(
                sa.select(sa.func.count(), sa.func.min(outgoing.c.created_at)).where(waiting)
            )
        ).one()
        overdue = await uow.conn.scalar(
            sa.select(sa.func.count()).where(waiting, outgoing.c.created_at < cutoff)
        )
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)  # SQLite hands back naive datetimes
    age = (now - oldest).total_seconds() if oldest is not None else 0.0
    return Backlog(int(count or 0), age, int(overdue or 0))
