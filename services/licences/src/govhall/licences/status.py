"""Status lists: one bitstring per issuer and purpose, in the W3C Bitstring Status List style.

Why a bitstring and not just the licence's `state` column: a verifier (the public verify route,
or anyone who fetched the list) answers "is licence i of issuer X revoked?" from one bit, and a
published list tells nothing about which licence a verifier asked about (herd privacy: the list
is at least `MIN_BITS` long, as the W3C recommendation says, so it reveals little about how many
licences an issuer has). Two purposes, as in the recommendation: `revocation` (permanent) and
`suspension` (reversible), so reinstating clears one bit and never touches the revocation list.

Where the bits live: in licences' database (`status_lists`), written in the same transaction as
the licence's state and its event, so the bit, the row and the event never disagree. A write is
a read-modify-write of the issuer's row under its `revision` (a conditional UPDATE, retried on
a lost race), so two departments' staff flipping bits of one issuer at once lose neither flip,
on PostgreSQL and SQLite alike, without dialect-specific locks.

Serving and caching: verification reads the two bitstrings of the licence's issuer through
`StatusCache`, which keeps each list `cache_seconds` (a setting). The replica that writes a bit
drops its copies on commit, so its own answers change at once; every other replica sees the
change within `cache_seconds` (2 s by default): "revocation visible within seconds" is that bound.
A batch re-signing job (MOSIP's design) is not needed: lists are served from the database by the
service itself and are not signed; the published form is GZIP + base64url as the spec encodes it.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import time
from collections.abc import Callable

import sqlalchemy as sa

from govhall.kit.db import Database, UnitOfWork
from govhall.kit.dialect import upsert
from govhall.licences.status_tables import status_lists

PURPOSES = ("revocation", "suspension")
# 16 KiB of bits (131,072 licences per issuer) before a list grows: the spec's minimum for privacy.
MIN_BITS = 131_072
_RETRIES = 20


def empty(bits: int = MIN_BITS) -> bytes:
    return bytes((max(bits, MIN_BITS) + 7) // 8)


def get_bit(bits: bytes, index: int) -> bool:
    """Bit `index`, most significant bit of byte 0 first (the spec's order); beyond the end: 0."""
    byte = index // 8
    return byte < len(bits) and bool(bits[byte] & (0x80 >> (index % 8)))


def with_bit(bits: bytes, index: int, value: bool) -> bytes:
    """`bits` with bit `index` set or cleared, grown (by whole MIN_BITS blocks) to hold it."""
    need = index // 8 + 1
    out = bytearray(bits)
    if need > len(out):
        blocks = -(-need // (MIN_BITS // 8))
        out.extend(bytes(blocks * (MIN_BITS // 8) - len(out)))
    mask = 0x80 >> (index % 8)
    out[index // 8] = out[index // 8] | mask if value else out[index // 8] & ~mask
    return bytes(out)


def encode(bits: bytes) -> str:
    """The spec's encodedList: GZIP, then base64url without padding."""
    return base64.urlsafe_b64encode(gzip.compress(bits, mtime=0)).rstrip(b"=").decode()


def decode(encoded: str) -> bytes:
    return gzip.decompress(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))


async def set_bit(uow: UnitOfWork, issuer_code: str, purpose: str, index: int, value: bool) -> None:
    """Sets or clears one bit of an issuer's list inside the caller's transaction."""
    now = dt.datetime.now(dt.UTC)
    for _ in range(_RETRIES):
        row = (
            await uow.conn.execute(
                sa.select(status_lists.c.bits, status_lists.c.revision).where(
                    status_lists.c.issuer_code == issuer_code, status_lists.c.purpose == purpose
                )
            )
        ).first()
        if row is None:
            if not value:
                return  # nothing set: nothing to clear
            # ON CONFLICT DO NOTHING: a concurrent first write of this list may win the primary
            # key; then this inserts nothing and the next pass flips the bit in the winner's row.
            inserted = await uow.conn.execute(
                upsert(
                    uow,
                    status_lists,
                    {
                        "issuer_code": issuer_code,
                        "purpose": purpose,
                        "bits": with_bit(empty(), index, True),
                        "revision": 1,
                        "updated_at": now,
                    },
                    key=["issuer_code", "purpose"],
                    update={},
                )
            )
            if inserted.rowcount == 1:
                return
            continue
        if get_bit(row.bits, index) == value:
            return
        changed = await uow.conn.execute(
            status_lists.update()
            .where(
                status_lists.c.issuer_code == issuer_code,
                status_lists.c.purpose == purpose,
                status_lists.c.revision == row.revision,
            )
            .values(bits=with_bit(row.bits, index, value), revision=row.revision + 1, updated_at=now)
        )
        if changed.rowcount == 1:
            return
    raise RuntimeError(f"status list {issuer_code}/{purpose} kept changing")


class StatusCache:
    """Each issuer's lists as last read, for `cache_seconds`; the writer's replica drops them on
    commit (`Database.on_commit`)."""

    def __init__(
        self, db: Database, cache_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.db = db
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._lists: dict[tuple[str, str], tuple[float, bytes, int]] = {}
        db.on_commit(self._lists.clear)

    async def read(self, issuer_code: str, purpose: str) -> tuple[bytes, int]:
        """(bits, revision); an issuer without a list yet has all bits 0 (revision 0)."""
        key = (issuer_code, purpose)
        hit = self._lists.get(key)
        now = self.clock()
        if hit is not None and now - hit[0] < self.cache_seconds:
            return hit[1], hit[2]
        async with self.db.reader() as uow:
            row = (
                await uow.conn.execute(
                    sa.select(status_lists.c.bits, status_lists.c.revision).where(
                        status_lists.c.issuer_code == issuer_code, status_lists.c.purpose == purpose
                    )
                )
            ).first()
        bits, revision = (bytes(row.bits), int(row.revision)) if row is not None else (empty(), 0)
        self._lists[key] = (now, bits, revision)
        return bits, revision

    async def bit(self, issuer_code: str, purpose: str, index: int) -> bool:
        bits, _ = await self.read(issuer_code, purpose)
        return get_bit(bits, index)
