"""Secrets at rest: field encryption, blind indexes, password and code hashing.

ID numbers and mobile numbers are stored encrypted (AES-256-GCM, a fresh 96-bit nonce per
value) and found again through a blind index: an HMAC-SHA256 of the normalised value under a
second key derived from the same data key, so the database never holds either in the clear
and equality lookups still use an index. Passwords are hashed with argon2id, off the event
loop. SMS codes and refresh tokens are short-lived random values: a keyed HMAC is enough.
"""

from __future__ import annotations

import asyncio
import base64
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import ARGON2_VERSION

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
        self._dummy = dummy_hash(self._hasher)

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


def dummy_hash(hasher: PasswordHasher) -> str:
    """An argon2id hash in ``hasher``'s encoding and cost whose password nobody knows: random salt,
    random digest. Verifying against it runs argon2id with the same parameters as a real account's
    hash (the cost is in the encoded parameters, not in how the digest was made), so a login for an
    unknown account takes as long as one with a wrong password; it used to be made by hashing a
    random password at every identity start, a whole argon2id hash (64 MiB, ~0.5 s on a loaded
    machine) on the event loop before the service could serve."""

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode("ascii").rstrip("=")

    return (
        f"$argon2id$v={ARGON2_VERSION}$m={hasher.memory_cost},t={hasher.time_cost},p={hasher.parallelism}"
        f"${b64(secrets.token_bytes(hasher.salt_len))}${b64(secrets.token_bytes(hasher.hash_len))}"
    )
