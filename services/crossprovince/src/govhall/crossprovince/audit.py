"""The audit log: every message sent and received, each entry chained to the one before by hash.

entry_hash = sha256(prev_hash "\n" canonical entry), the canonical entry being its fields one per
line. An append locks the head row (kit.dialect.locked) in the caller's transaction, so two
appends on PostgreSQL take turns and the second chains to the first; the entry commits or rolls
back with what it records (a receipt given, a message sent). `verify` walks the chain from the
genesis and names the first entry whose hash, link or sequence does not hold.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from govhall.crossprovince.envelope import now_rfc3339
from govhall.crossprovince.store import audit_head, audit_log
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.dialect import locked

GENESIS = "0" * 64
TAG = "govhall-crossprovince-audit-v1"
FIELDS = (
    "seq",
    "at",
    "direction",
    "peer",
    "kind",
    "message_id",
    "request_sha256",
    "receipt_sha256",
    "status",
)


@dataclass(frozen=True)
class Entry:
    direction: str  # sent | received
    peer: str  # the other province
    kind: str
    message_id: str
    request_sha256: str
    receipt_sha256: str
    status: str  # ACCEPTED | REJECTED | REFUSED ...


def entry_hash(prev_hash: str, row: dict[str, Any]) -> str:
    canonical = "\n".join([TAG, *(str(row[f]) for f in FIELDS)])
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


async def append(uow: UnitOfWork, entry: Entry) -> int:
    """Add ``entry`` after the head, in ``uow``'s transaction; its seq."""
    conn = uow.conn
    head = (await conn.execute(locked(conn, sa.select(audit_head).where(audit_head.c.id == 1)))).one()
    row: dict[str, Any] = {
        "seq": head.seq + 1,
        "at": now_rfc3339(),
        "direction": entry.direction,
        "peer": entry.peer,
        "kind": entry.kind,
        "message_id": entry.message_id,
        "request_sha256": entry.request_sha256,
        "receipt_sha256": entry.receipt_sha256,
        "status": entry.status,
        "prev_hash": head.entry_hash,
    }
    row["entry_hash"] = entry_hash(head.entry_hash, row)
    await conn.execute(sa.insert(audit_log).values(**row))
    await conn.execute(
        sa.update(audit_head).where(audit_head.c.id == 1).values(seq=row["seq"], entry_hash=row["entry_hash"])
    )
    return int(row["seq"])


@dataclass(frozen=True)
class Verdict:
    entries: int
    broken_seq: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_seq is None


async def verify(db: Database, batch: int = 1000) -> Verdict:
    """Walk the chain in seq order, a batch at a time; the first broken entry, if any. The head
    row must name the last entry: a deleted tail shows there."""
    prev, expected, count = GENESIS, 1, 0
    async with db.reader() as uow:
        while True:
            rows = (
                await uow.conn.execute(
                    sa.select(audit_log)
                    .where(audit_log.c.seq >= expected)
                    .order_by(audit_log.c.seq)
                    .limit(batch)
                )
            ).all()
            for r in rows:
                row = r._asdict()
                if row["seq"] != expected:
                    return Verdict(count, expected, f"entry {expected} is missing (next is {row['seq']})")
                if row["prev_hash"] != prev:
                    return Verdict(count, row["seq"], "its prev_hash is not the hash of the entry before")
                if entry_hash(prev, row) != row["entry_hash"]:
                    return Verdict(count, row["seq"], "its content does not match its hash")
                prev, expected, count = row["entry_hash"], expected + 1, count + 1
            if len(rows) < batch:
                break
        head = (await uow.conn.execute(sa.select(audit_head).where(audit_head.c.id == 1))).one()
    if head.seq != count or head.entry_hash != prev:
        return Verdict(count, count + 1, f"the head names entry {head.seq}, the chain ends at {count}")
    return Verdict(count)
