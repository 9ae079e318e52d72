"""Caller assertions: how a service knows who is calling it, without believing the network.

The caller (common.v1.CallerIdentity) travels inside a CallerAssertion that names its issuer (the
principal that signed: the gateway for a user, a service for itself, `ops` for an operator's
tool), its audience (the one service it is for) and a lifetime of a minute, signed with the
issuer's Ed25519 key (`trustkeys`). The receiving service checks, before any servicer runs:

- the signature, against the issuer's keys in the trust bundle (reloaded when the file changes,
  so keys rotate without a restart);
- the audience is itself (an assertion for catalogue is refused by cases: no replay across
  services) and the lifetime has not passed (no replay beyond a minute);
- what the issuer may assert and call there (`CallerPolicy`, each service's callers.json): only
  the gateway and `ops` speak for users and administrators, a service speaks only as itself or
  for the user it is serving, and only to the methods listed for it.

A refusal is UNAUTHENTICATED (no proof, or a bad one) or PERMISSION_DENIED (good proof, not
allowed); it is logged without the assertion and counted in govhall_caller_refusals_total.

    python -m govhall.kit.trust init DIR              keys for every principal that has none
    python -m govhall.kit.trust rotate DIR PRINCIPAL  a new key for one principal
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from google.protobuf.message import DecodeError
from prometheus_client import Counter

from govhall.kit import trustkeys
from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.labels import enum_name
from govhall.kit.settings import PlatformSettings
from govhall.protos.common.v1 import common_pb2

log = logging.getLogger(__name__)
AUDIT = logging.getLogger("govhall.audit")

ASSERTION_KEY = "x-govhall-assertion-bin"
SIGNATURE_KEY = "x-govhall-signature-bin"
#: How long an assertion is good for; a signer reuses one for half of that.
LIFETIME_SECONDS = 60
#: Longer-lived assertions are refused whoever signed them.
MAX_LIFETIME_SECONDS = 300
#: Clock difference tolerated between hosts.
LEEWAY_SECONDS = 30
#: How often a signer or verifier looks whether its key file or bundle changed.
RELOAD_SECONDS = 5.0
_MAX_ASSERTION_BYTES = 16 * 1024

REFUSALS = Counter(
    "govhall_caller_refusals_total",
    "Calls refused because the caller's assertion was missing, forged, expired, misaddressed "
    "or not allowed (an alert should watch this: inside the platform it should stay at zero)",
    ["service", "reason"],
)
ADMIN_CALLS = Counter(
    "govhall_admin_calls_total", "Calls made as a platform administrator, by issuer", ["service", "issuer"]
)

_KIND_NAMES = {
    value: name
    for value in common_pb2.CallerKind.values()
    if (name := enum_name(common_pb2.CallerKind.DESCRIPTOR, value)) is not None
}
_KINDS = {name: value for value, name in _KIND_NAMES.items()}


def audit(service: str, action: str, caller: common_pb2.CallerIdentity, via: str) -> None:
    """The audit trail of what administrators do: who (the admin token at the gateway, or an
    operator's login for the tools), through what (an issuer, or a command-line tool working on
    the service's database), what; counted by issuer so an alert can watch for the unexpected."""
    ADMIN_CALLS.labels(service, via).inc()
    AUDIT.warning("admin %s/%s by %s (%s) via %s", service, action, caller.subject, caller.name, via)


def _refused(reason: str, message: str, message_zh: str, kind: ErrorKind) -> DomainError:
    return DomainError(f"CALLER_{reason}", message, message_zh, kind)


def _unauthenticated(reason: str, message: str) -> DomainError:
    return _refused(reason, message, "调用方身份无法验证，请求被拒绝", ErrorKind.UNAUTHENTICATED)


def _now() -> float:
    return time.time()


# ------------------------------------------------------------------------------------ files


class _Watched:
    """A file read again when it changes (mtime or size), looked at no more than every
    RELOAD_SECONDS. A change that cannot be read keeps the last good content."""

    def __init__(self, path: Path, read: Any) -> None:
        self.path = path
        self._read = read
        try:
            self._stamp = self._stat()  # before reading: a change in between is read next time
        except FileNotFoundError:
            read(path)  # says what is missing and how to make it
            raise
        self.value = read(path)
        self._checked = time.monotonic()

    def _stat(self) -> tuple[int, int]:
        st = os.stat(self.path)
        return st.st_mtime_ns, st.st_size

    def current(self, force: bool = False) -> Any:
        now = time.monotonic()
        if force or now - self._checked >= RELOAD_SECONDS:
            self._checked = now
            try:
                stamp = self._stat()
                if stamp != self._stamp:
                    self.value = self._read(self.path)
                    self._stamp = stamp
                    log.info("reloaded %s", self.path.name)
            except (OSError, trustkeys.TrustFileError):
                log.warning("could not reload %s; keeping the keys already loaded", self.path.name)
        return self.value


@dataclass(frozen=True)
class TrustFiles:
    """Where one principal's private keys and the platform's public keys are."""

    bundle: Path
    key: Path

    @classmethod
    def in_directory(cls, directory: Path, principal: str) -> TrustFiles:
        return cls(directory / trustkeys.BUNDLE_FILE, directory / f"{principal}.key")


# ------------------------------------------------------------------------------------ signing


class Signer:
    """Signs assertions as one principal, with its active key (`trustkeys.active_key`)."""

    def __init__(self, key_file: Path, expected_principal: str | None = None) -> None:
        self._keys = _Watched(key_file, trustkeys.read_key_file)
        self.principal: str = self._keys.value[0]
        if expected_principal is not None and self.principal != expected_principal:
            raise trustkeys.TrustFileError(
                f"{key_file} holds the key of {self.principal!r}, not of {expected_principal!r}"
            )
        self._cache: dict[tuple[str, bytes], tuple[float, tuple[tuple[str, bytes], ...]]] = {}

    @classmethod
    def from_settings(cls, platform: PlatformSettings, principal: str) -> Signer:
        """``principal``'s signer, from the key file the platform settings name for it."""
        return cls(platform.trust_files(principal)[1], principal)

    def sign(
        self, audience: str, caller: common_pb2.CallerIdentity, now: float | None = None
    ) -> tuple[bytes, bytes]:
        """A fresh assertion for ``audience``: (its bytes, their signature)."""
        at = int(_now() if now is None else now)
        _, keys = self._keys.current()
        key = trustkeys.active_key(keys, at)
        body = common_pb2.CallerAssertion(
            issuer=self.principal,
            audience=audience,
            key_id=key.kid,
            issued_at=at,
            expires_at=at + LIFETIME_SECONDS,
            caller=caller,
            assertion_id=secrets.token_hex(8),
        ).SerializeToString()
        return body, key.private.sign(body)

    def metadata(self, audience: str, caller: common_pb2.CallerIdentity) -> tuple[tuple[str, bytes], ...]:
        """The metadata entries proving ``caller`` to ``audience``; reused for half their lifetime
        (signing costs more than a dictionary lookup, and the gateway sends many per second)."""
        cache_key = (audience, caller.SerializeToString(deterministic=True))
        now = _now()
        hit = self._cache.get(cache_key)
        if hit is not None and now < hit[0]:
            return hit[1]
        body, signature = self.sign(audience, caller, now)
        entries = ((ASSERTION_KEY, body), (SIGNATURE_KEY, signature))
        if len(self._cache) >= 4096:
            self._cache.clear()
        self._cache[cache_key] = (now + LIFETIME_SECONDS / 2, entries)
        return entries


# ------------------------------------------------------------------------------------ policy


@dataclass(frozen=True)
class Grant:
    kinds: frozenset[int]
    methods: frozenset[str] | None  # None: every method


class CallerPolicy:
    """What each principal may assert to one service, and which of its methods it may call.

    Read from a service's callers.json: ``{"gateway": {"kinds": ["anonymous", "person", ...]},
    "cases": {"kinds": ["service"], "methods": ["GetMatter", ...]}}`` (no "methods": all of them).
    A principal asserting kind "service" can only be itself (the subject is the issuer).
    """

    def __init__(self, grants: Mapping[str, Grant]) -> None:
        self._grants = dict(grants)

    @classmethod
    def from_mapping(cls, content: Mapping[str, Any]) -> CallerPolicy:
        grants = {}
        for principal, grant in content.items():
            if principal.startswith("_"):
                continue  # a comment
            unknown = [k for k in grant["kinds"] if k not in _KINDS]
            if unknown:
                raise ValueError(f"caller kinds {unknown} for {principal} are not CallerKind names")
            methods = grant.get("methods")
            grants[principal] = Grant(
                frozenset(_KINDS[k] for k in grant["kinds"]), None if methods is None else frozenset(methods)
            )
        return cls(grants)

    @classmethod
    def from_file(cls, path: Path) -> CallerPolicy:
        return cls.from_mapping(json.loads(path.read_text(encoding="utf-8")))

    def check(self, issuer: str, caller: common_pb2.CallerIdentity, method: str) -> None:
        grant = self._grants.get(issuer)
        if grant is None or caller.kind not in grant.kinds:
            kind = _KIND_NAMES.get(caller.kind, "unspecified")
            raise _refused(
                "NOT_PERMITTED",
                f"{issuer} may not call this service as a caller of kind {kind}",
                "调用方无权以该身份调用本服务",
                ErrorKind.FORBIDDEN,
            )
        if caller.kind == common_pb2.CALLER_KIND_SERVICE and caller.subject != issuer:
            raise _unauthenticated("INVALID", f"{issuer} asserted to be another service")
        if grant.methods is not None and method not in grant.methods:
            raise _refused(
                "NOT_PERMITTED",
                f"{issuer} may not call {method}",
                "调用方无权调用该接口",
                ErrorKind.FORBIDDEN,
            )


# ------------------------------------------------------------------------------------ verifying


@dataclass(frozen=True)
class Verified:
    body: bytes
    issuer: str
    caller: common_pb2.CallerIdentity
    expires_at: int


class Verifier:
    """Checks the assertions addressed to one service (its ``audience``)."""

    def __init__(self, audience: str, bundle_file: Path, policy: CallerPolicy) -> None:
        self.audience = audience
        self._bundle = _Watched(bundle_file, trustkeys.read_bundle)
        self._bundle_seen: object = self._bundle.value
        self._policy = policy
        # Verified assertions by signature: a signer reuses an assertion for half a minute, so
        # most calls are a lookup here rather than an Ed25519 check.
        self._cache: dict[bytes, Verified] = {}

    def verify(
        self, metadata: Iterable[tuple[str, str | bytes]] | None, method: str
    ) -> common_pb2.CallerIdentity:
        """The caller the metadata proves, allowed to call ``method``; raises DomainError."""
        try:
            verified = self._verified(metadata)
            self._policy.check(verified.issuer, verified.caller, method)
        except DomainError as err:
            reason = err.code.removeprefix("CALLER_").lower()
            REFUSALS.labels(self.audience, reason).inc()
            log.warning("refused a call to %s/%s: %s (%s)", self.audience, method, err.code, err.message)
            raise
        if verified.caller.kind == common_pb2.CALLER_KIND_ADMIN:
            audit(self.audience, method, verified.caller, verified.issuer)
        return verified.caller

    def _verified(self, metadata: Iterable[tuple[str, str | bytes]] | None) -> Verified:
        body, signature = _entries(metadata)
        if body is None or signature is None:
            raise _unauthenticated("UNSIGNED", "the call carries no signed caller assertion")
        now = _now()
        bundle = self._bundle.current()
        if bundle is not self._bundle_seen:  # keys changed: what they verified may no longer hold
            self._cache.clear()
            self._bundle_seen = bundle
        hit = self._cache.get(signature)
        if hit is not None and hit.body == body:
            if now > hit.expires_at + LEEWAY_SECONDS:
                raise _unauthenticated("EXPIRED", "the caller assertion has expired")
            return hit
        if len(body) > _MAX_ASSERTION_BYTES:
            raise _unauthenticated("INVALID", "the caller assertion is too large")
        try:
            assertion = common_pb2.CallerAssertion.FromString(body)
        except DecodeError:
            raise _unauthenticated("INVALID", "the caller assertion cannot be read") from None
        key = bundle.get(assertion.issuer, {}).get(assertion.key_id)
        if key is None:  # perhaps a key published a moment ago
            key = self._bundle.current(force=True).get(assertion.issuer, {}).get(assertion.key_id)
        if key is None:
            raise _unauthenticated("INVALID", "the caller assertion is signed by an unknown key")
        try:
            key.verify(signature, body)
        except InvalidSignature:
            raise _unauthenticated("INVALID", "the caller assertion's signature does not match") from None
        if assertion.audience != self.audience:
            raise _unauthenticated("MISADDRESSED", "the caller assertion is addressed to another service")
        if (
            assertion.expires_at - assertion.issued_at > MAX_LIFETIME_SECONDS
            or assertion.issued_at > now + LEEWAY_SECONDS
        ):
            raise _unauthenticated("INVALID", "the caller assertion's lifetime is not acceptable")
        if now > assertion.expires_at + LEEWAY_SECONDS:
            raise _unauthenticated("EXPIRED", "the caller assertion has expired")
        verified = Verified(body, assertion.issuer, assertion.caller, assertion.expires_at)
        if len(self._cache) >= 10_000:
            self._cache.clear()
        self._cache[signature] = verified
        return verified


def _entries(metadata: Iterable[tuple[str, str | bytes]] | None) -> tuple[bytes | None, bytes | None]:
    body = signature = None
    for key, value in metadata or ():
        if isinstance(value, bytes):
            if key == ASSERTION_KEY:
                body = value
            elif key == SIGNATURE_KEY:
                signature = value
    return body, signature


# ------------------------------------------------------------------------------------ command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m govhall.kit.trust", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="keys for every principal that has none (existing ones kept)")
    init.add_argument("directory", type=Path)
    init.add_argument("principals", nargs="*", default=list(trustkeys.PRINCIPALS))
    rotate = commands.add_parser("rotate", help="a new key for one principal")
    rotate.add_argument("directory", type=Path)
    rotate.add_argument("principal", choices=trustkeys.PRINCIPALS)
    args = parser.parse_args(argv)
    try:
        if args.command == "init":
            created = trustkeys.init(args.directory, args.principals)
            print(f"{args.directory}: new keys for {', '.join(created) or 'nobody (all had keys)'}")
        else:
            key = trustkeys.rotate(args.directory, args.principal)
            print(
                f"{args.principal}: new key {key.kid}; publish {trustkeys.BUNDLE_FILE} first, then "
                f"{args.principal}.key; it signs from {trustkeys.ACTIVATION_DELAY} s after its creation"
            )
    except trustkeys.TrustFileError as exc:
        print(f"govhall.kit.trust: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
