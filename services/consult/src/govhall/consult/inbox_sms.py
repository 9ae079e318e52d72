"""Texting the messages that need action (受理, 补正, 办结; appointment reminders later).

The consumer records an `sms_outbox` row in its transaction; this sender, a task of its own,
sends after the commit, so a slow or failing SMS gateway never holds a consumer's transaction
or makes it redeliver. For each row it:

1. claims it (a conditional UPDATE setting `claimed_until`), so two replicas never both send;
2. asks identity for the owner's mobile (`GetNotifyMobile`) - read when sending, kept nowhere,
   never logged;
3. sends it and marks the row done.

A crash between 2-3's send and its mark leaves the row claimed: once the claim lapses it is sent
again, so a crash re-sends a text at most once more. A row identity cannot answer for stays
pending and is tried again after the claim lapses, up to MAX_ATTEMPTS; an owner without a
mobile (or whose account is gone) is marked done unsent.

The development sender appends JSON lines to the same file identity's development adapter
writes (var/dev-sms.jsonl), so `make run`, `make up` and the e2e tests read one file.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import grpc
import sqlalchemy as sa
from prometheus_client import Counter

from govhall.consult import access
from govhall.consult.inbox_tables import sms_outbox
from govhall.kit.db import Database
from govhall.kit.grpcclient import call_options
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2 as id_pb
from govhall.protos.identity.v1 import identity_pb2_grpc

log = logging.getLogger(__name__)

KINDS = {"person": common_pb2.CALLER_KIND_PERSON, "legal_person": common_pb2.CALLER_KIND_LEGAL_PERSON}
MAX_ATTEMPTS = 10
PURPOSE = "notify"
SMS_DONE = Counter(
    "govhall_consult_sms_total", "Inbox SMS done, by outcome (sent, no_mobile, failed)", ["outcome"]
)

s = sms_outbox.c


class SmsSender(Protocol):
    async def send(self, mobile: str, purpose: str, code: str, text: str) -> None: ...


class DevSmsSender:
    """The development SMS gateway: one JSON line per text, in identity's format (code empty)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = asyncio.Lock()

    async def send(self, mobile: str, purpose: str, code: str, text: str) -> None:
        line = json.dumps(
            {"mobile": mobile, "purpose": purpose, "code": code, "text": text, "sent_at": _now().isoformat()},
            ensure_ascii=False,
        )
        async with self._lock:
            await asyncio.to_thread(_append, self.path, line + "\n")


def _append(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(line)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class SmsRelay:
    db: Database
    identity: identity_pb2_grpc.IdentityServiceStub
    sender: SmsSender
    claim_seconds: float = 60.0

    async def send_pending(self, limit: int = 50) -> int:
        """Send what is pending now; returns how many rows were done (sent or not)."""
        now = _now()
        claimable = sa.and_(s.done_at.is_(None), sa.or_(s.claimed_until.is_(None), s.claimed_until < now))
        async with self.db.reader() as uow:
            rows = list(
                await uow.conn.execute(
                    sa.select(sms_outbox).where(claimable).order_by(s.created_at).limit(limit)
                )
            )
        done = 0
        for row in rows:
            if await self._claim(row.message_id, claimable):
                done += await self._send(row)
        return done

    async def _claim(self, message_id: str, claimable: sa.ColumnElement[bool]) -> bool:
        until = _now() + dt.timedelta(seconds=self.claim_seconds)
        async with self.db.uow() as uow:
            result = await uow.conn.execute(
                sa.update(sms_outbox)
                .where(s.message_id == message_id, claimable)
                .values(claimed_until=until, attempts=s.attempts + 1)
            )
            await uow.commit()
        return bool(result.rowcount)

    async def _send(self, row: sa.Row) -> int:  # type: ignore[type-arg]
        request = id_pb.GetNotifyMobileRequest(
            kind=KINDS.get(row.owner_kind, common_pb2.CALLER_KIND_UNSPECIFIED), subject=row.owner_subject
        )
        try:
            mobile = (
                await self.identity.GetNotifyMobile(request, **call_options(access.SERVICE_CALLER))
            ).mobile
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.NOT_FOUND:
                mobile = ""
            else:
                # Tried again once the claim lapses; the owner, not the number, is named.
                log.warning("no mobile for message %s yet: identity said %s", row.message_id, err.code().name)
                if row.attempts + 1 >= MAX_ATTEMPTS:
                    await self._done(row.message_id, "failed")
                    return 1
                return 0
        if mobile:
            await self.sender.send(mobile, PURPOSE, "", row.text)
        await self._done(row.message_id, "sent" if mobile else "no_mobile")
        return 1

    async def _done(self, message_id: str, outcome: str) -> None:
        async with self.db.uow() as uow:
            await uow.conn.execute(
                sa.update(sms_outbox)
                .where(s.message_id == message_id)
                .values(outcome=outcome, done_at=_now())
            )
            await uow.commit()
        SMS_DONE.labels(outcome).inc()

    async def run(self, wake: asyncio.Event, interval: float) -> None:
        """Send whenever a consumer wakes it, and every interval (claims that lapsed, retries)."""
        while True:
            wake.clear()
            try:
                await self.send_pending()
            except Exception:  # the task must outlive a database or identity outage
                log.exception("the inbox SMS sender failed a round; it tries again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=interval)
