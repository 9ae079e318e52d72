"""Access tokens: claims round trip, verification against the JWKS, revocation, key rotation."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm
from prometheus_client import REGISTRY

from govhall.kit import tokens
from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.kv import MemoryStore
from govhall.kit.tokens import (
    ALGORITHM,
    DEFAULT_AUDIENCE,
    DEFAULT_ISSUER,
    JwksCache,
    RevocationList,
    TokenVerifier,
    caller_from_claims,
    claims_for,
)
from govhall.protos.common.v1 import common_pb2

PERSON = common_pb2.CallerIdentity(
    subject="p-1",
    kind=common_pb2.CALLER_KIND_PERSON,
    name="张三",
    real_name_level=3,
    session_id="s-1",
)
STAFF = common_pb2.CallerIdentity(
    subject="st-9",
    kind=common_pb2.CALLER_KIND_STAFF,
    roles=["case_officer", "reviewer"],
    site_code="420100",
    department_code="420100-SCJG",
    name="李四",
    session_id="s-2",
)
AGENT = common_pb2.CallerIdentity(
    subject="lp-91420100MA4KXXXX0X",
    kind=common_pb2.CALLER_KIND_LEGAL_PERSON,
    name="武汉某某科技有限公司",
    actor_subject="p-7",
    authorisation_id="auth-5",
    scopes=["cases:submit", "licences:read"],
    real_name_level=2,
    session_id="s-3",
)


class Identity:
    """The identity service's side: signing keys by kid, and its JWKS endpoint (counting fetches)."""

    def __init__(self) -> None:
        self.keys: dict[str, Ed25519PrivateKey] = {}
        self.fetches = 0
        self.down = False
        self.add_key("k1")

    def add_key(self, kid: str) -> Ed25519PrivateKey:
        self.keys[kid] = Ed25519PrivateKey.generate()
        return self.keys[kid]

    async def jwks(self) -> Mapping[str, Any]:
        self.fetches += 1
        if self.down:
            raise ConnectionError("identity is down")
        keys = []
        for kid, private in self.keys.items():
            jwk = OKPAlgorithm.to_jwk(private.public_key(), as_dict=True)
            keys.append({**jwk, "kid": kid, "alg": ALGORITHM, "use": "sig"})
        return {"keys": keys}

    def sign(
        self, caller: common_pb2.CallerIdentity, kid: str = "k1", *, ttl: int = 300, **overrides: Any
    ) -> str:
        claims = claims_for(caller, issuer=DEFAULT_ISSUER, audience=DEFAULT_AUDIENCE, ttl_seconds=ttl)
        claims.update(overrides)
        return jwt.encode(claims, self.keys[kid], algorithm=ALGORITHM, headers={"kid": kid})


@pytest.fixture
def identity() -> Identity:
    return Identity()


@pytest.fixture
def revocations() -> RevocationList:
    return RevocationList(MemoryStore(f"test-{uuid.uuid4().hex[:12]}"), hold_seconds=900)


@pytest.fixture
def verifier(identity: Identity, revocations: RevocationList) -> TokenVerifier:
    return TokenVerifier(JwksCache(identity.jwks, min_refresh_seconds=10.0), revocations)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def _refused(verifier: TokenVerifier, token: str, code: str) -> DomainError:
    with pytest.raises(DomainError) as raised:
        await verifier.verify(token)
    error = raised.value
    assert error.code == code
    assert error.kind is ErrorKind.UNAUTHENTICATED
    assert error.message_zh
    if token:
        assert token not in str(error) and token not in error.message
    return error


# ------------------------------------------------------------------------------------ claims


@pytest.mark.parametrize("caller", [PERSON, STAFF, AGENT], ids=["person", "staff", "agent"])
def test_claims_round_trip(caller: common_pb2.CallerIdentity) -> None:
    claims = claims_for(caller, issuer="iss", audience="aud", ttl_seconds=600, now=1_700_000_000.7)
    assert caller_from_claims(claims) == caller
    assert claims["iat"] == 1_700_000_000 and claims["exp"] == 1_700_000_600
    assert claims["iss"] == "iss" and claims["aud"] == "aud"
    assert len(claims["jti"]) == 32


def test_claims_are_short() -> None:
    claims = claims_for(PERSON, issuer="iss", audience="aud", ttl_seconds=600)
    assert set(claims) == {"iss", "aud", "sub", "knd", "sid", "name", "lvl", "iat", "exp", "jti"}
    assert claims["knd"] == "person" and claims["lvl"] == 3
    staff = claims_for(STAFF, issuer="iss", audience="aud", ttl_seconds=600)
    assert staff["knd"] == "staff" and staff["roles"] == ["case_officer", "reviewer"]
    assert staff["site"] == "420100" and staff["dept"] == "420100-SCJG"
    assert not {"act", "agt", "scp", "lvl"} & set(staff)
    agent = claims_for(AGENT, issuer="iss", audience="aud", ttl_seconds=600)
    assert agent["knd"] == "legal_person" and agent["act"] == "p-7" and agent["agt"] == "auth-5"
    assert agent["scp"] == ["cases:submit", "licences:read"]


def test_claims_for_refuses_callers_without_tokens() -> None:
    for kind in (
        common_pb2.CALLER_KIND_ANONYMOUS,
        common_pb2.CALLER_KIND_ADMIN,
        common_pb2.CALLER_KIND_SERVICE,
    ):
        with pytest.raises(ValueError):
            claims_for(
                common_pb2.CallerIdentity(subject="x", kind=kind), issuer="i", audience="a", ttl_seconds=60
            )
    with pytest.raises(ValueError):
        claims_for(
            common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_PERSON),
            issuer="i",
            audience="a",
            ttl_seconds=60,
        )


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "x"},
        {"sub": "x", "knd": "admin"},
        {"sub": "", "knd": "person"},
        {"sub": "x", "knd": "person", "roles": "a"},
        {"sub": "x", "knd": "person", "lvl": 2**40},
    ],
)
def test_caller_from_bad_claims(claims: dict[str, Any]) -> None:
    with pytest.raises(DomainError) as raised:
        caller_from_claims(claims)
    assert raised.value.code == "TOKEN_INVALID"


# ------------------------------------------------------------------------------------ verification


@pytest.mark.parametrize("caller", [PERSON, STAFF, AGENT], ids=["person", "staff", "agent"])
async def test_verify_round_trip(
    identity: Identity, verifier: TokenVerifier, caller: common_pb2.CallerIdentity
) -> None:
    assert await verifier.verify(identity.sign(caller)) == caller


async def test_tampered_payload_is_refused(identity: Identity, verifier: TokenVerifier) -> None:
    header, payload, signature = identity.sign(PERSON).split(".")
    claims = json.loads(_unb64(payload))
    claims["sub"] = "p-someone-else"
    forged = ".".join([header, _b64(json.dumps(claims).encode()), signature])
    await _refused(verifier, forged, "TOKEN_INVALID")


async def test_tampered_signature_is_refused(identity: Identity, verifier: TokenVerifier) -> None:
    header, payload, signature = identity.sign(PERSON).split(".")
    raw = bytearray(_unb64(signature))
    raw[0] ^= 0x01
    await _refused(verifier, ".".join([header, payload, _b64(bytes(raw))]), "TOKEN_INVALID")
    await _refused(verifier, f"{header}.{payload}.", "TOKEN_INVALID")


async def test_token_signed_by_another_key_with_the_same_kid_is_refused(verifier: TokenVerifier) -> None:
    impostor = Identity()  # its own "k1"
    await _refused(verifier, impostor.sign(PERSON, "k1"), "TOKEN_INVALID")


async def test_alg_none_is_refused(identity: Identity, verifier: TokenVerifier) -> None:
    claims = claims_for(PERSON, issuer=DEFAULT_ISSUER, audience=DEFAULT_AUDIENCE, ttl_seconds=300)
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": "k1"}).encode())
    token = f"{header}.{_b64(json.dumps(claims).encode())}."
    await _refused(verifier, token, "TOKEN_INVALID")
    header = _b64(json.dumps({"alg": "None", "typ": "JWT", "kid": "k1"}).encode())
    await _refused(verifier, f"{header}.{_b64(json.dumps(claims).encode())}.", "TOKEN_INVALID")


async def test_hs256_with_the_public_key_is_refused(identity: Identity, verifier: TokenVerifier) -> None:
    claims = claims_for(PERSON, issuer=DEFAULT_ISSUER, audience=DEFAULT_AUDIENCE, ttl_seconds=300)
    public = identity.keys["k1"].public_key()
    for secret in (
        public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
        public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
    ):
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
        signing_input = f"{header}.{_b64(json.dumps(claims).encode())}"
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        await _refused(verifier, f"{signing_input}.{_b64(mac)}", "TOKEN_INVALID")


async def test_expired_token_is_refused(identity: Identity, verifier: TokenVerifier) -> None:
    now = int(time.time())
    await _refused(verifier, identity.sign(PERSON, iat=now - 400, exp=now - 31), "TOKEN_EXPIRED")
    # Within the leeway it still passes.
    assert await verifier.verify(identity.sign(PERSON, iat=now - 400, exp=now - 5)) == PERSON


async def test_token_from_the_future_is_refused(identity: Identity, verifier: TokenVerifier) -> None:
    now = int(time.time())
    await _refused(verifier, identity.sign(PERSON, iat=now + 3600, exp=now + 7200), "TOKEN_INVALID")


async def test_wrong_audience_or_issuer_is_refused(identity: Identity, verifier: TokenVerifier) -> None:
    await _refused(verifier, identity.sign(PERSON, aud="another-platform"), "TOKEN_INVALID")
    await _refused(verifier, identity.sign(PERSON, iss="someone-else"), "TOKEN_INVALID")


async def test_missing_claims_or_kid_are_refused(identity: Identity, verifier: TokenVerifier) -> None:
    claims = claims_for(PERSON, issuer=DEFAULT_ISSUER, audience=DEFAULT_AUDIENCE, ttl_seconds=300)
    no_kid = jwt.encode(claims, identity.keys["k1"], algorithm=ALGORITHM)
    await _refused(verifier, no_kid, "TOKEN_INVALID")
    del claims["exp"]
    no_exp = jwt.encode(claims, identity.keys["k1"], algorithm=ALGORITHM, headers={"kid": "k1"})
    await _refused(verifier, no_exp, "TOKEN_INVALID")


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "x" * 10_000, "eyJhbGciOiJFZERTQSJ9.e30."])
async def test_garbage_is_refused(verifier: TokenVerifier, garbage: str) -> None:
    await _refused(verifier, garbage, "TOKEN_INVALID")


class Clock:
    """The cache's monotonic clock, moved by the test: a loaded machine can take longer than any
    refetch interval between two calls, and the test is about the interval, not the machine."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return time.time()


async def test_unknown_kid_is_refused_and_refetches_are_bounded(
    identity: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    monkeypatch.setattr(tokens, "time", clock)
    verifier = TokenVerifier(JwksCache(identity.jwks, min_refresh_seconds=0.3))
    assert await verifier.verify(identity.sign(PERSON)) == PERSON
    assert identity.fetches == 1
    stranger = Identity()
    stranger.keys["nope"] = stranger.keys.pop("k1")
    forged = stranger.sign(PERSON, "nope")
    # Within min_refresh_seconds of the first fetch an unknown kid fetches nothing.
    for _ in range(5):
        await _refused(verifier, forged, "TOKEN_INVALID")
    assert identity.fetches == 1
    clock.now += 0.35
    # Later: one refetch for the unknown kid, concurrent or not, then none until the interval ends.
    await asyncio.gather(*(_refused(verifier, forged, "TOKEN_INVALID") for _ in range(10)))
    for _ in range(10):
        await _refused(verifier, forged, "TOKEN_INVALID")
    assert identity.fetches == 2
    assert await verifier.verify(identity.sign(PERSON)) == PERSON
    assert identity.fetches == 2


async def test_key_rotation_is_picked_up(identity: Identity) -> None:
    verifier = TokenVerifier(JwksCache(identity.jwks, min_refresh_seconds=0.0))
    assert await verifier.verify(identity.sign(PERSON, "k1")) == PERSON
    identity.add_key("k2")
    assert await verifier.verify(identity.sign(STAFF, "k2")) == STAFF
    assert identity.fetches == 2
    # k1 retired: once the JWKS no longer lists it, its tokens are refused.
    del identity.keys["k1"]
    old = Identity()
    old.keys["k1"] = Ed25519PrivateKey.generate()
    await _refused(verifier, old.sign(PERSON, "k1"), "TOKEN_INVALID")


async def test_keys_are_refetched_after_their_ttl(identity: Identity) -> None:
    cache = JwksCache(identity.jwks, ttl_seconds=0.0, min_refresh_seconds=0.0)
    await cache.key("k1")
    await cache.key("k1")
    assert identity.fetches == 2


async def test_one_fetch_in_flight_at_a_time(identity: Identity) -> None:
    async def slow_jwks() -> Mapping[str, Any]:
        await asyncio.sleep(0.05)
        return await identity.jwks()

    cache = JwksCache(slow_jwks, min_refresh_seconds=0.0)
    keys = await asyncio.gather(*(cache.key("k1") for _ in range(10)))
    assert identity.fetches == 1
    assert all(key is keys[0] for key in keys)


async def test_a_cold_cache_serves_every_caller_waiting_on_the_first_fetch(identity: Identity) -> None:
    """With the usual refetch bound, requests arriving during the first fetch wait for it
    instead of being refused (a gateway just started, or just after a key rotation)."""

    async def slow_jwks() -> Mapping[str, Any]:
        await asyncio.sleep(0.05)
        return await identity.jwks()

    verifier = TokenVerifier(JwksCache(slow_jwks, min_refresh_seconds=10.0))
    token = identity.sign(PERSON)
    callers = await asyncio.gather(*(verifier.verify(token) for _ in range(8)))
    assert [c.subject for c in callers] == [PERSON.subject] * 8
    assert identity.fetches == 1


async def test_identity_down(identity: Identity) -> None:
    cache = JwksCache(identity.jwks, ttl_seconds=0.0, min_refresh_seconds=0.0)
    identity.down = True
    with pytest.raises(DomainError) as raised:
        await cache.key("k1")
    assert raised.value.code == "IDENTITY_UNAVAILABLE"
    assert raised.value.kind is ErrorKind.UNAVAILABLE
    identity.down = False
    key = await cache.key("k1")
    # Down again: the cached key stays in use although it is older than the ttl.
    identity.down = True
    assert await cache.key("k1") is key


async def test_malformed_jwks_entries_are_skipped() -> None:
    good = Ed25519PrivateKey.generate()
    jwk = OKPAlgorithm.to_jwk(good.public_key(), as_dict=True)

    async def fetch() -> Mapping[str, Any]:
        return {
            "keys": [
                {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac", "alg": "HS256"},
                {**jwk, "kid": "wrong-alg", "alg": "RS256"},
                {**jwk, "kid": "enc", "use": "enc"},
                {**jwk, "kid": "broken", "x": "!!"},
                {**jwk},
                {**jwk, "kid": "good"},
            ]
        }

    cache = JwksCache(fetch)
    await cache.key("good")
    assert cache.kids == ("good",)


# ------------------------------------------------------------------------------------ revocation


async def test_revoked_session_is_refused(
    identity: Identity, verifier: TokenVerifier, revocations: RevocationList
) -> None:
    token = identity.sign(PERSON)
    assert await verifier.verify(token) == PERSON
    await revocations.revoke_sessions(["s-1", "s-other"])
    await _refused(verifier, token, "TOKEN_REVOKED")
    assert await verifier.verify(identity.sign(STAFF)) == STAFF


async def test_revoked_authorisation_is_refused(
    identity: Identity, verifier: TokenVerifier, revocations: RevocationList
) -> None:
    token = identity.sign(AGENT)
    assert await verifier.verify(token) == AGENT
    await revocations.revoke_authorisation("auth-5")
    await _refused(verifier, token, "TOKEN_REVOKED")
    # The agent's other sessions without the authorisation are unaffected.
    assert await verifier.verify(identity.sign(PERSON)) == PERSON


async def test_revocation_check_fails_open(identity: Identity) -> None:
    from govhall.kit.kv import RedisStore

    # A Redis nobody listens on: the check cannot be made and the token is accepted.
    store = RedisStore("redis://127.0.0.1:1/0", "down")
    verifier = TokenVerifier(JwksCache(identity.jwks), RevocationList(store, hold_seconds=900))
    before = REGISTRY.get_sample_value("govhall_token_revocation_check_failures_total") or 0.0
    try:
        assert await verifier.verify(identity.sign(PERSON)) == PERSON
    finally:
        await store.close()
    assert REGISTRY.get_sample_value("govhall_token_revocation_check_failures_total") == before + 1


async def test_a_reading_list_sees_what_the_writer_revoked_and_cannot_revoke(
    revocations: RevocationList,
) -> None:
    reader = RevocationList(revocations._kv)  # the gateway's view of identity's list
    await revocations.revoke_sessions(["s-9"])
    caller = common_pb2.CallerIdentity(subject="p", kind=common_pb2.CALLER_KIND_PERSON, session_id="s-9")
    assert await reader.is_revoked(caller)
    with pytest.raises(RuntimeError):
        await reader.revoke_sessions(["s-10"])
    with pytest.raises(RuntimeError):
        await reader.revoke_authorisation("a-1")
