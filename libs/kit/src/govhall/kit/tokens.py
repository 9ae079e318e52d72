"""Access tokens: the claims a caller's identity travels in, and their verification.

The identity service signs short-lived access tokens, EdDSA (Ed25519) JWTs with a `kid` header,
and publishes its public keys as a JWKS. The gateway verifies a token against those keys,
refuses it if its session or agent authorisation has been revoked, and turns it into the
common.v1.CallerIdentity it passes on to services. The claim mapping lives here, once, so the
signer and the verifier cannot drift apart.

Only EdDSA is accepted: the algorithm comes from the key, never from the token (so `none`, or
HS256 "signed" with the public key, are refused). A token never appears in a message or a log.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from prometheus_client import Counter

from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.kv import KeyValueStore, StoreUnavailable
from govhall.protos.common.v1 import common_pb2

log = logging.getLogger(__name__)

ALGORITHM = "EdDSA"
DEFAULT_ISSUER = "govhall-identity"
DEFAULT_AUDIENCE = "govhall"

# A JWT longer than this is not one of ours; refuse it before parsing.
MAX_TOKEN_LENGTH = 8192
# Verified tokens a verifier remembers: the EdDSA check was most of a verification's CPU, and a
# signed-in user sends the same token for its whole lifetime (minutes). 10,000 tokens of ~0.5 KB.
VERIFIED_TOKENS_HELD = 10_000

REVOCATION_CHECK_FAILURES = Counter(
    "govhall_token_revocation_check_failures_total",
    "Token revocation checks that could not reach the key-value store (the token was accepted)",
)

_KIND_TO_CLAIM: dict[int, str] = {
    common_pb2.CALLER_KIND_PERSON: "person",
    common_pb2.CALLER_KIND_LEGAL_PERSON: "legal_person",
    common_pb2.CALLER_KIND_STAFF: "staff",
}
_CLAIM_TO_KIND: dict[str, int] = {claim: kind for kind, claim in _KIND_TO_CLAIM.items()}


def token_invalid() -> DomainError:
    return DomainError(
        code="TOKEN_INVALID",
        message="the access token is not valid; please sign in again",
        message_zh="登录凭证无效，请重新登录",
        kind=ErrorKind.UNAUTHENTICATED,
    )


def token_expired() -> DomainError:
    return DomainError(
        code="TOKEN_EXPIRED",
        message="the access token has expired; please sign in again",
        message_zh="登录已过期，请重新登录",
        kind=ErrorKind.UNAUTHENTICATED,
    )


def token_revoked() -> DomainError:
    return DomainError(
        code="TOKEN_REVOKED",
        message="the session or authorisation of this access token has ended; please sign in again",
        message_zh="登录已失效，请重新登录",
        kind=ErrorKind.UNAUTHENTICATED,
    )


def identity_unavailable() -> DomainError:
    return DomainError(
        code="IDENTITY_UNAVAILABLE",
        message="the identity service's signing keys cannot be fetched; try again shortly",
        message_zh="身份认证服务暂时不可用，请稍后再试",
        kind=ErrorKind.UNAVAILABLE,
    )


# ------------------------------------------------------------------------------------ claims


def claims_for(
    caller: common_pb2.CallerIdentity,
    *,
    issuer: str,
    audience: str,
    ttl_seconds: int,
    now: float | None = None,
) -> dict[str, Any]:
    """The JWT claims of an access token for ``caller`` (a person, legal person or staff member).

    Empty optional claims are left out to keep tokens short; `caller_from_claims` reads them
    back as the proto defaults. Raises ValueError for a caller kind that gets no access token
    or an empty subject.
    """
    kind = _KIND_TO_CLAIM.get(caller.kind)
    if kind is None:
        raise ValueError(f"no access token for a caller of kind {common_pb2.CallerKind.Name(caller.kind)}")
    if not caller.subject:
        raise ValueError("an access token needs a subject")
    if ttl_seconds < 1:
        raise ValueError(f"ttl_seconds must be positive, got {ttl_seconds}")
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {"iss": issuer, "aud": audience, "sub": caller.subject, "knd": kind}
    optional: dict[str, Any] = {
        "sid": caller.session_id,
        "name": caller.name,
        "roles": list(caller.roles),
        "site": caller.site_code,
        "dept": caller.department_code,
        "act": caller.actor_subject,
        "agt": caller.authorisation_id,
        "scp": list(caller.scopes),
        "lvl": caller.real_name_level,
    }
    claims.update({name: value for name, value in optional.items() if value})
    claims.update(iat=issued, exp=issued + ttl_seconds, jti=uuid.uuid4().hex)
    return claims


def _text(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name, "")
    if not isinstance(value, str):
        raise token_invalid()
    return value


def _texts(claims: Mapping[str, Any], name: str) -> list[str]:
    value = claims.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise token_invalid()
    return value


def caller_from_claims(claims: Mapping[str, Any]) -> common_pb2.CallerIdentity:
    """The caller an access token's (verified) claims name: the inverse of `claims_for`.

    Raises DomainError TOKEN_INVALID if a claim is missing or of the wrong type.
    """
    knd = claims.get("knd")
    kind = _CLAIM_TO_KIND.get(knd) if isinstance(knd, str) else None
    subject = _text(claims, "sub")
    level = claims.get("lvl", 0)
    if (
        kind is None
        or not subject
        or isinstance(level, bool)
        or not isinstance(level, int)
        or not 0 <= level < 2**31
    ):
        raise token_invalid()
    return common_pb2.CallerIdentity(
        subject=subject,
        kind=kind,  # type: ignore[arg-type]
        roles=_texts(claims, "roles"),
        site_code=_text(claims, "site"),
        department_code=_text(claims, "dept"),
        name=_text(claims, "name"),
        actor_subject=_text(claims, "act"),
        authorisation_id=_text(claims, "agt"),
        scopes=_texts(claims, "scp"),
        real_name_level=level,
        session_id=_text(claims, "sid"),
    )


# ------------------------------------------------------------------------------------ keys


def _parse_jwks(jwks: Mapping[str, Any]) -> dict[str, jwt.PyJWK]:
    """The Ed25519 signing keys of a JWKS by kid; other keys are skipped."""
    entries = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(entries, list):
        raise ValueError("JWKS has no 'keys' list")
    keys: dict[str, jwt.PyJWK] = {}
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid:
            continue
        if (
            entry.get("kty") != "OKP"
            or entry.get("crv") != "Ed25519"
            or entry.get("alg", ALGORITHM) != ALGORITHM
            or entry.get("use", "sig") != "sig"
        ):
            continue
        if "d" in entry:
            log.error("JWKS key %s carries a private part; ignoring it", kid)
            continue
        try:
            keys[kid] = jwt.PyJWK(dict(entry), algorithm=ALGORITHM)
        except (jwt.PyJWTError, ValueError, TypeError):
            log.warning("JWKS key %s is malformed; ignoring it", kid)
    return keys


class JwksCache:
    """The identity service's public keys, fetched on demand and cached.

    Keys are refetched when the cache is older than ``ttl_seconds`` or a token names an
    unknown kid (a key rotation), but at most once per ``min_refresh_seconds``, so tokens with
    made-up kids cannot hammer the identity service; one fetch runs at a time. When a fetch
    fails the keys already held stay in use.
    """

    def __init__(
        self,
        fetch: Callable[[], Awaitable[Mapping[str, Any]]],
        ttl_seconds: float = 300.0,
        min_refresh_seconds: float = 10.0,
        *,
        fetch_timeout_seconds: float = 5.0,
    ) -> None:
        self._fetch = fetch
        self._ttl = ttl_seconds
        self._min_refresh = min_refresh_seconds
        self._fetch_timeout = fetch_timeout_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None  # monotonic time of the last successful fetch
        self._attempted_at: float | None = None  # ... of the last attempt, successful or not
        self._last_failed = False
        self._completed = 0  # fetches finished, successful or not
        self._lock = asyncio.Lock()

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def _stale(self, now: float) -> bool:
        return self._fetched_at is None or now - self._fetched_at >= self._ttl

    def _may_fetch(self, now: float) -> bool:
        return self._attempted_at is None or now - self._attempted_at >= self._min_refresh

    async def key(self, kid: str) -> jwt.PyJWK:
        """The key with ``kid``. Raises DomainError TOKEN_INVALID for a kid the identity service
        does not publish, IDENTITY_UNAVAILABLE if the keys cannot be fetched and none is held
        for ``kid``."""
        now = time.monotonic()
        found = self._keys.get(kid)
        if found is not None and not self._stale(now):
            return found
        # A fetch in flight is always waited for (a cold cache must not refuse the requests
        # that arrive while the first fetch runs); a new one starts only if allowed.
        if self._may_fetch(now) or self._lock.locked():
            completed = self._completed
            async with self._lock:
                # Callers that waited for a fetch in flight use its result rather than fetch again.
                if self._completed == completed and self._may_fetch(time.monotonic()):
                    await self._refresh()
        found = self._keys.get(kid)
        if found is not None:
            return found
        if self._last_failed:
            raise identity_unavailable()
        raise token_invalid()

    async def _refresh(self) -> None:
        self._attempted_at = time.monotonic()
        try:
            async with asyncio.timeout(self._fetch_timeout):
                jwks = await self._fetch()
            keys = _parse_jwks(jwks)
        except Exception:
            self._completed += 1
            self._last_failed = True
            log.warning(
                "could not fetch the identity service's JWKS; keeping %d cached key(s)",
                len(self._keys),
                exc_info=True,
            )
            return
        self._completed += 1
        self._last_failed = False
        self._keys = keys
        self._fetched_at = time.monotonic()
        if not keys:
            log.warning("the identity service's JWKS holds no Ed25519 signing key")


# ------------------------------------------------------------------------------------ revocation


class RevocationList:
    """Revoked sessions and agent authorisations, in the shared key-value store.

    An entry is kept ``hold_seconds``, as long as an access token issued before the revocation
    can still be accepted (its lifetime plus the verifier's leeway); after that the token has
    expired anyway. The identity service writes (and so sets the hold); the gateway and every
    service behind it only read (`check`), and make their lists without one.

    Why every service reads this list rather than ask identity: it is the one place a revocation
    is published, so the gateway and the services cannot disagree; a lookup is one key-value read
    (Redis, or the SQLite file in all-in-one mode), where an identity RPC per call would make
    identity a dependency of every request and, with a cache to spare it, let a revoked token
    through for the cache's lifetime. Identity itself needs no list: it reads its sessions table.
    """

    def __init__(self, kv: KeyValueStore, hold_seconds: int | None = None) -> None:
        if hold_seconds is not None and hold_seconds < 1:
            raise ValueError(f"hold_seconds must be positive, got {hold_seconds}")
        self._kv = kv
        self._hold = hold_seconds

    def _writable_hold(self) -> int:
        if self._hold is None:
            raise RuntimeError("this revocation list reads only: give hold_seconds to revoke")
        return self._hold

    @staticmethod
    def _session_key(session_id: str) -> str:
        return f"rv:s:{session_id}"

    @staticmethod
    def _authorisation_key(authorisation_id: str) -> str:
        return f"rv:a:{authorisation_id}"

    async def revoke_sessions(self, session_ids: Iterable[str]) -> None:
        """Refuse every access token of these sessions from now on. Raises StoreUnavailable if
        the store is down (the caller must not report the sessions as ended)."""
        hold = self._writable_hold()
        for session_id in session_ids:
            if session_id:
                await self._kv.set(self._session_key(session_id), "1", hold)

    async def revoke_authorisation(self, authorisation_id: str) -> None:
        """Refuse every access token acting under this agent authorisation from now on."""
        if not authorisation_id:
            raise ValueError("authorisation_id is empty")
        await self._kv.set(self._authorisation_key(authorisation_id), "1", self._writable_hold())

    async def check(self, caller: common_pb2.CallerIdentity) -> None:
        """The session check every service makes on every call: raises TOKEN_REVOKED if the
        caller's session or agent authorisation has been revoked (see `is_revoked`)."""
        if await self.is_revoked(caller):
            raise token_revoked()

    async def is_revoked(self, caller: common_pb2.CallerIdentity) -> bool:
        keys = []
        if caller.session_id:
            keys.append(self._session_key(caller.session_id))
        if caller.authorisation_id:
            keys.append(self._authorisation_key(caller.authorisation_id))
        if not keys:
            return False
        try:
            values = await self._kv.get_many(keys)
        except StoreUnavailable:
            # Fail open: refusing every signed-in user while the store is down would be worse.
            # Access tokens live only minutes, and the identity service re-checks the session
            # itself when a token is refreshed, so a revoked session still ends soon.
            REVOCATION_CHECK_FAILURES.inc()
            log.warning("revocation list unavailable; accepting the token unchecked")
            return False
        return any(value is not None for value in values)


# ------------------------------------------------------------------------------------ verifier


class TokenVerifier:
    """Checks an access token and returns the caller it names.

    Every failure is a DomainError of kind UNAUTHENTICATED: TOKEN_INVALID (malformed, bad
    signature, an algorithm other than EdDSA, wrong issuer or audience, unknown or missing kid),
    TOKEN_EXPIRED or TOKEN_REVOKED; or IDENTITY_UNAVAILABLE (kind UNAVAILABLE) when the keys
    cannot be fetched.

    A token that passed is remembered until it expires (at most VERIFIED_TOKENS_HELD of them),
    with the key that verified it: the same text again skips the signature and claims checks
    while that key is still the JWKS's, its expiry is checked on every call and the revocation
    list read on every call, as for a token never seen.
    """

    def __init__(
        self,
        jwks: JwksCache,
        revocations: RevocationList | None = None,
        *,
        issuer: str = DEFAULT_ISSUER,
        audience: str = DEFAULT_AUDIENCE,
        leeway_seconds: int = 30,
    ) -> None:
        self._jwks = jwks
        self._revocations = revocations
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_seconds
        self._verified: dict[str, _Verified] = {}

    async def verify(self, token: str) -> common_pb2.CallerIdentity:
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            raise token_invalid()
        caller = await self._recall(token)
        if caller is None:
            caller = await self._check(token)
        if self._revocations is not None:
            await self._revocations.check(caller)
        return caller

    async def _recall(self, token: str) -> common_pb2.CallerIdentity | None:
        """The caller of a token verified before, if that verification still holds: the same text
        under the same key (one the JWKS still lists) gives the same answer, except for time, so
        only the expiry is checked again. None: verify it in full."""
        hit = self._verified.get(token)
        if hit is None:
            return None
        if hit.expires_at <= time.time() - self._leeway:  # as jwt.decode's check of "exp"
            del self._verified[token]
            raise token_expired()
        if await self._jwks.key(hit.kid) is not hit.key:  # a key refetched or retired: check again
            del self._verified[token]
            return None
        caller = common_pb2.CallerIdentity()
        caller.CopyFrom(hit.caller)  # the caller handed out is the request's own to change
        return caller

    async def _check(self, token: str) -> common_pb2.CallerIdentity:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise token_invalid() from None
        kid = header.get("kid")
        if header.get("alg") != ALGORITHM or not isinstance(kid, str) or not kid:
            raise token_invalid()
        key = await self._jwks.key(kid)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                audience=self._audience,
                leeway=self._leeway,
                options={"require": ["iss", "aud", "sub", "iat", "exp"]},
            )
        except jwt.ExpiredSignatureError:
            raise token_expired() from None
        except jwt.InvalidTokenError as exc:
            # The exception names the failed check, never the token.
            log.debug("access token refused (kid %s): %s", kid, type(exc).__name__)
            raise token_invalid() from None
        caller = caller_from_claims(claims)
        if len(self._verified) >= VERIFIED_TOKENS_HELD:
            self._verified.clear()  # rare (that many live sign-ins per replica); simpler than LRU
        held = common_pb2.CallerIdentity()
        held.CopyFrom(caller)
        self._verified[token] = _Verified(kid, key, claims["exp"], held)
        return caller


@dataclass(frozen=True)
class _Verified:
    """A token whose signature and claims passed (`TokenVerifier._recall`)."""

    kid: str
    key: jwt.PyJWK
    expires_at: int | float
    caller: common_pb2.CallerIdentity
