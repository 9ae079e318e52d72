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
import hashlib
import hmac
import logging
import secrets
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)

_VERSION = "v1"


def _derive(key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=b"govhall-identity/" + purpose).derive(key)


class FieldCipher:
    def __init__(self, data_key: bytes) -> None:
        if len(data_key) != 32:
            raise ValueError("the identity data key must be 32 bytes (base64 of 32 random bytes)")
        self._aead = AESGCM(_derive(data_key, b"fields"))
        self._index_key = _derive(data_key, b"blind-index")
        self._secret_key = _derive(data_key, b"short-secrets")

    def encrypt(self, value: str, context: str) -> str:
        """Encrypt; `context` (e.g. "id_number") is bound as associated data so values can't be swapped."""
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, value.encode(), context.encode())
        return f"{_VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored: str, context: str) -> str:
        version, _, body = stored.partition(".")
        if version != _VERSION:
            raise ValueError(f"unknown ciphertext version {version!r}")
        raw = base64.urlsafe_b64decode(body)
        return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()

    def blind_index(self, value: str, context: str) -> str:
        return hmac.new(self._index_key, f"{context}:{value}".encode(), hashlib.sha256).hexdigest()

    def hash_secret(self, value: str) -> str:
        """Keyed hash of an SMS code or refresh token: useless to whoever reads the table alone."""
        return hmac.new(self._secret_key, value.encode(), hashlib.sha256).hexdigest()


def load_data_key(configured: str, var_dir: Path) -> bytes:
    """The configured key, or (all-in-one mode) one generated once into var/identity-data.key."""
    if configured:
        key = base64.b64decode(configured)
        if len(key) != 32:
            raise ValueError("GOVHALL_IDENTITY_DATA_KEY must be base64 of exactly 32 bytes")
        return key
    path = var_dir / "identity-data.key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64encode(secrets.token_bytes(32)))
        path.chmod(0o600)
        log.warning(
            "no GOVHALL_IDENTITY_DATA_KEY: generated %s (fine for all-in-one, not for a deployment)", path
        )
    return base64.b64decode(path.read_bytes())


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
