"""Secrets at rest: field encryption, blind indexes, password and code hashing.

ID numbers and mobile numbers are stored encrypted (AES-256-GCM, a fresh 96-bit nonce per
value) and found again through a blind index: an HMAC-SHA256 of the normalised value under a
second key derived from the same data key, so the database never holds either in the clear
and equality lookups still use an index. Passwords are hashed with argon2id, off the event
loop. SMS codes and refresh tokens are short-lived random values: a keyed HMAC is enough.
"""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from govhall.kit.fieldcipher import FieldCipher, load_data_key

# Field encryption moved to the kit (cases encrypts personal numbers in forms the same way);
# re-exported here for identity's modules.
__all__ = ["FieldCipher", "Passwords", "load_data_key"]


class Passwords:
    """argon2id in a worker thread: a hash takes tens of milliseconds and must not stall the loop."""

    def __init__(self, time_cost: int, memory_kib: int, parallelism: int, max_concurrent: int = 4) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
        # Each hash holds memory_kib: bound how many run at once, whatever the thread pool's size.
        self._slots = asyncio.Semaphore(max_concurrent)
        # Checked against when the account does not exist, so both paths take as long.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        def check() -> bool:
            try:
                return self._hasher.verify(stored or self._dummy, password) and stored is not None
            except (VerificationError, InvalidHashError):
                return False

        async with self._slots:
            return await asyncio.to_thread(check)
