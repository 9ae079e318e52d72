"""The keys that sign access tokens, and signing.

Keys are Ed25519 (JWT alg EdDSA), kept in identity's database with the private half
encrypted under the data key. A new key is published in the JWKS at once but only
signs once it is `activation_seconds` old, longer than verifiers wait between JWKS fetches, so
no verifier meets a token whose key it cannot have fetched yet. Each replica re-reads the keys
every KEY_CACHE_SECONDS, and an old key keeps verifying until every token it may still have
signed has expired.
"""

from __future__ import annotations

import base64
import time
from datetime import timedelta

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from govhall.identity import sessionstore, store
from govhall.identity.crypto import FieldCipher
from govhall.kit.db import Database
from govhall.kit.ids import new_id
from govhall.kit.tokens import ALGORITHM, claims_for
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2 as pb

KEY_CACHE_SECONDS = 60.0
_CONTEXT = "signing_key"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Signer:
    def __init__(
        self,
        db: Database,
        cipher: FieldCipher,
        *,
        issuer: str,
        audience: str,
        access_seconds: int,
        activation_seconds: float,
    ) -> None:
        self._db = db
        self._cipher = cipher
        self.issuer = issuer
        self.audience = audience
        self.access_seconds = access_seconds
        self.activation_seconds = activation_seconds
        self._current: tuple[str, Ed25519PrivateKey] | None = None
        self._jwks = pb.Jwks()
        self._loaded_at = 0.0
        self._reload_after = KEY_CACHE_SECONDS

    async def _create_key(self) -> None:
        private = Ed25519PrivateKey.generate()
        raw = private.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        async with self._db.uow() as uow:
            await sessionstore.insert_signing_key(
                uow, new_id(), self._cipher.encrypt(_b64(raw), _CONTEXT), _b64(public), store.now()
            )
            await uow.commit()

    async def _load(self) -> None:
        now = store.now()
        hold = timedelta(seconds=self.access_seconds + KEY_CACHE_SECONDS + self.activation_seconds)
        async with self._db.reader() as uow:
            rows = await sessionstore.verifying_keys(uow, now - hold)
        if not rows:
            await self._create_key()
            return await self._load()
        # The newest key old enough to have been fetched by every verifier; on a fresh
        # installation, the only key there is.
        active = now - timedelta(seconds=self.activation_seconds)
        signing = next((r for r in rows if store.as_utc(r.created_at) <= active), rows[-1])
        raw = base64.urlsafe_b64decode(self._cipher.decrypt(signing.private_enc, _CONTEXT) + "==")
        self._current = (signing.kid, Ed25519PrivateKey.from_private_bytes(raw))
        # A newer key waiting for activation: re-read the moment it may sign.
        pending = [r for r in rows if store.as_utc(r.created_at) > store.as_utc(signing.created_at)]
        waits = [(store.as_utc(r.created_at) - active).total_seconds() for r in pending]
        self._reload_after = min([KEY_CACHE_SECONDS, *waits])
        self._jwks = pb.Jwks(
            keys=[
                pb.Jwk(kty="OKP", crv="Ed25519", x=r.public_x, kid=r.kid, alg=ALGORITHM, use="sig")
                for r in rows
            ]
        )
        self._loaded_at = time.monotonic()

    async def _fresh(self) -> None:
        if self._current is None or time.monotonic() - self._loaded_at > self._reload_after:
            await self._load()

    async def rotate(self) -> pb.Jwks:
        await self._create_key()
        await self._load()
        return self._jwks

    async def jwks(self) -> pb.Jwks:
        await self._fresh()
        return self._jwks

    async def sign(self, caller: common_pb2.CallerIdentity, ttl_seconds: int | None = None) -> str:
        """An access token for caller, valid access_seconds or, if shorter, ttl_seconds."""
        await self._fresh()
        assert self._current is not None
        kid, key = self._current
        ttl = self.access_seconds if ttl_seconds is None else max(1, min(ttl_seconds, self.access_seconds))
        claims = claims_for(caller, issuer=self.issuer, audience=self.audience, ttl_seconds=ttl)
        return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid})
