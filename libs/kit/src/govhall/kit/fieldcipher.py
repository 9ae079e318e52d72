"""Personal numbers at rest: field encryption and blind indexes under a service's data key.

ID numbers and mobile numbers are stored encrypted (AES-256-GCM, a fresh 96-bit nonce per value,
the field's name bound as associated data so values cannot be swapped between fields) and, where
a service must find them again, through a blind index: an HMAC-SHA256 of the normalised value
under a second key derived from the same data key. Identity keeps accounts this way, cases the
personal numbers inside application forms; each service has its own data key (``owner``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)

_VERSION = "v1"


def _derive(key: bytes, owner: str, purpose: bytes) -> bytes:
    info = b"govhall-" + owner.encode() + b"/" + purpose
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=info).derive(key)


class FieldCipher:
    """Encrypts fields under keys derived from ``data_key`` for ``owner`` (the service name: the
    derivation is part of what was stored, so it never changes for a service)."""

    def __init__(self, data_key: bytes, owner: str = "identity") -> None:
        if len(data_key) != 32:
            raise ValueError(f"the {owner} data key must be 32 bytes (base64 of 32 random bytes)")
        self._aead = AESGCM(_derive(data_key, owner, b"fields"))
        self._index_key = _derive(data_key, owner, b"blind-index")
        self._secret_key = _derive(data_key, owner, b"short-secrets")

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


def load_data_key(configured: str, var_dir: Path, owner: str = "identity") -> bytes:
    """The configured key, or (all-in-one mode) one generated once into var/<owner>-data.key."""
    setting = f"GOVHALL_{owner.upper()}_DATA_KEY"
    if configured:
        key = base64.b64decode(configured)
        if len(key) != 32:
            raise ValueError(f"{setting} must be base64 of exactly 32 bytes")
        return key
    path = var_dir / f"{owner}-data.key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64encode(secrets.token_bytes(32)))
        path.chmod(0o600)
        log.warning("no %s: generated %s (fine for all-in-one, not for a deployment)", setting, path)
    return base64.b64decode(path.read_bytes())
