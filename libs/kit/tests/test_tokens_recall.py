"""A verifier remembers the tokens that passed: what it may skip for them (the signature and
claims checks), and what it still checks on every call (expiry, the key, the revocation list)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from govhall.kit import tokens
from govhall.kit.errors import DomainError
from govhall.kit.kv import MemoryStore
from govhall.kit.tokens import (
    ALGORITHM,
    DEFAULT_AUDIENCE,
    DEFAULT_ISSUER,
    JwksCache,
    RevocationList,
    TokenVerifier,
    claims_for,
)
from govhall.protos.common.v1 import common_pb2

PERSON = common_pb2.CallerIdentity(
    subject="p-1", kind=common_pb2.CALLER_KIND_PERSON, name="张三", real_name_level=3, session_id="s-1"
)


class Keys:
    """Identity's signing keys and its JWKS."""

    def __init__(self) -> None:
        self.keys = {"k1": Ed25519PrivateKey.generate()}

    async def jwks(self) -> Mapping[str, Any]:
        return {
            "keys": [
                {**OKPAlgorithm.to_jwk(k.public_key(), as_dict=True), "kid": kid, "alg": ALGORITHM}
                for kid, k in self.keys.items()
            ]
        }

    def sign(self, caller: common_pb2.CallerIdentity = PERSON, ttl: int = 300, **claims: Any) -> str:
        body = claims_for(caller, issuer=DEFAULT_ISSUER, audience=DEFAULT_AUDIENCE, ttl_seconds=ttl)
        body.update(claims)
        return jwt.encode(body, self.keys["k1"], algorithm=ALGORITHM, headers={"kid": "k1"})


class Decodes:
    """jwt.decode, counted: how many full checks the verifier made."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = jwt.decode

        def decode(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(tokens.jwt, "decode", decode)


class Later:
    """tokens' clock moved forward by ``ahead`` seconds (wall time only)."""

    def __init__(self, ahead: float) -> None:
        self.ahead = ahead

    def time(self) -> float:
        return time.time() + self.ahead

    def monotonic(self) -> float:
        return time.monotonic()


@pytest.fixture
def keys() -> Keys:
    return Keys()


@pytest.fixture
def revocations() -> RevocationList:
    return RevocationList(MemoryStore(f"test-{uuid.uuid4().hex[:12]}"), hold_seconds=900)


@pytest.fixture
def verifier(keys: Keys, revocations: RevocationList) -> TokenVerifier:
    return TokenVerifier(JwksCache(keys.jwks), revocations, leeway_seconds=5)


async def _code(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(DomainError) as raised:
        await verifier.verify(token)
    return raised.value.code


async def test_a_token_seen_before_is_not_checked_in_full_again(
    keys: Keys, verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    decodes = Decodes(monkeypatch)
    token = keys.sign()
    first = await verifier.verify(token)
    first.name = "changed by one request"
    callers = [await verifier.verify(token) for _ in range(5)]
    assert decodes.count == 1
    assert all(c == PERSON for c in callers)  # each request gets its own copy, unchanged
    # Another token of the same person is checked in full.
    await verifier.verify(keys.sign())
    assert decodes.count == 2


async def test_a_remembered_token_is_still_refused_once_revoked(
    keys: Keys, verifier: TokenVerifier, revocations: RevocationList
) -> None:
    token = keys.sign()
    assert await verifier.verify(token) == PERSON
    await revocations.revoke_sessions(["s-1"])
    assert await _code(verifier, token) == "TOKEN_REVOKED"
    assert await _code(verifier, token) == "TOKEN_REVOKED"


async def test_a_remembered_token_expires(
    keys: Keys, verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = keys.sign(ttl=60)
    assert await verifier.verify(token) == PERSON
    monkeypatch.setattr(tokens, "time", Later(60 + 4))  # within the leeway (5 s)
    assert await verifier.verify(token) == PERSON
    monkeypatch.setattr(tokens, "time", Later(60 + 6))
    assert await _code(verifier, token) == "TOKEN_EXPIRED"
    monkeypatch.setattr(tokens, "time", Later(0))
    # Forgotten when it expired: checked in full (and refused) from then on, by jwt's own clock.
    expired = keys.sign(iat=int(time.time()) - 100, exp=int(time.time()) - 6)
    assert await _code(verifier, expired) == "TOKEN_EXPIRED"


async def test_a_remembered_token_of_a_retired_key_is_refused(keys: Keys) -> None:
    # A JWKS refetched on every call: the key of a remembered token is looked up each time.
    verifier = TokenVerifier(JwksCache(keys.jwks, ttl_seconds=0.0, min_refresh_seconds=0.0))
    token = keys.sign()
    assert await verifier.verify(token) == PERSON
    assert await verifier.verify(token) == PERSON
    keys.keys = {"k2": Ed25519PrivateKey.generate()}  # k1 retired
    assert await _code(verifier, token) == "TOKEN_INVALID"


async def test_a_changed_token_is_not_taken_for_a_remembered_one(keys: Keys, verifier: TokenVerifier) -> None:
    token = keys.sign()
    assert await verifier.verify(token) == PERSON
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "p-someone-else"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert await _code(verifier, f"{header}.{forged_payload}.{signature}") == "TOKEN_INVALID"
    assert await _code(verifier, f"{token} ") == "TOKEN_INVALID"


async def test_the_tokens_held_are_bounded(
    keys: Keys, verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens, "VERIFIED_TOKENS_HELD", 3)
    decodes = Decodes(monkeypatch)
    held = [keys.sign() for _ in range(3)]
    for token in held:
        await verifier.verify(token)
    await verifier.verify(keys.sign())  # the fourth: the three are forgotten
    await verifier.verify(held[0])
    assert decodes.count == 5
    assert len(verifier._verified) <= 3
