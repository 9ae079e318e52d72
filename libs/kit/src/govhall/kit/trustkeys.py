"""The signing keys of the platform's principals, on disk: what `govhall.kit.trust` signs and
verifies caller assertions with.

Every principal (each service, the gateway, and `ops` for operators' tools) has Ed25519 keys:

- ``<principal>.key``: its private keys, ``{"principal": "cases", "keys": [{"kid", "private",
  "created"}]}`` (base64 of the 32-byte seed). Only that principal's processes may read it
  (mode 0600 here; a Secret mounted into that service's pods alone in the chart).
- ``bundle.json``: the public keys of every principal, ``{"principals": {"cases": [{"kid",
  "public", "created"}]}}``. Not secret: every service reads it to check who is calling.

`init` makes both for every principal that has none (existing keys are kept); `rotate` gives one
principal a new key next to its current one (a signer moves to a key only once it is
`ACTIVATION_DELAY` old, so every verifier has reloaded the bundle by then) and drops the keys
before the current one.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

#: Who can hold a key: the services, the gateway, and the operators' tools.
PRINCIPALS = (
    "gateway",
    "identity",
    "catalogue",
    "cases",
    "search",
    "consult",
    "appointments",
    "licences",
    "crossprovince",
    "ops",
)
BUNDLE_FILE = "bundle.json"
#: A new key signs only once it is this old: verifiers reload the bundle within seconds, and a
#: Secret or ConfigMap update reaches every pod within about a minute.
ACTIVATION_DELAY = 120


class TrustFileError(Exception):
    """A key file or bundle that is missing, unreadable or malformed (a deployment error)."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: Ed25519PrivateKey
    created: int

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _public_b64(key: Ed25519PublicKey) -> str:
    return _b64(key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TrustFileError(
            f"{path} does not exist: create the platform's keys with `python -m govhall.kit.trust init DIR`"
        ) from None
    except (OSError, ValueError) as exc:
        raise TrustFileError(f"{path} cannot be read: {type(exc).__name__}") from None


def _write_json(path: Path, content: Any, *, private: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(content, out, indent=1)
        out.write("\n")
    tmp.replace(path)  # atomic: a reader sees the old file or the new one, never half of one


def new_key(principal: str, now: float | None = None) -> SigningKey:
    created = int(time.time() if now is None else now)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(created))
    return SigningKey(f"{principal}-{stamp}-{secrets.token_hex(3)}", Ed25519PrivateKey.generate(), created)


def read_key_file(path: Path) -> tuple[str, list[SigningKey]]:
    """The principal a key file belongs to and its keys, oldest first."""
    content = _read_json(path)
    try:
        principal = content["principal"]
        keys = [
            SigningKey(
                str(k["kid"]),
                Ed25519PrivateKey.from_private_bytes(base64.b64decode(k["private"], validate=True)),
                int(k["created"]),
            )
            for k in content["keys"]
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise TrustFileError(f"{path} is not a govhall key file: {type(exc).__name__}") from None
    if not isinstance(principal, str) or not keys:
        raise TrustFileError(f"{path} names no principal or holds no key")
    return principal, sorted(keys, key=lambda k: k.created)


def write_key_file(path: Path, principal: str, keys: Iterable[SigningKey]) -> None:
    entries = [
        {"kid": k.kid, "private": _b64(k.private.private_bytes_raw()), "created": k.created} for k in keys
    ]
    _write_json(path, {"principal": principal, "keys": entries}, private=True)


def read_bundle(path: Path) -> dict[str, dict[str, Ed25519PublicKey]]:
    """The public keys of every principal: principal -> kid -> key."""
    content = _read_json(path)
    out: dict[str, dict[str, Ed25519PublicKey]] = {}
    try:
        for principal, entries in content["principals"].items():
            out[principal] = {
                str(e["kid"]): Ed25519PublicKey.from_public_bytes(
                    base64.b64decode(e["public"], validate=True)
                )
                for e in entries
            }
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise TrustFileError(f"{path} is not a govhall trust bundle: {type(exc).__name__}") from None
    return out


def _bundle_entries(keys: Iterable[SigningKey]) -> list[dict[str, Any]]:
    return [{"kid": k.kid, "public": _public_b64(k.public), "created": k.created} for k in keys]


def _read_bundle_raw(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"principals": {}}
    content = _read_json(path)
    if not isinstance(content, Mapping) or not isinstance(content.get("principals"), Mapping):
        raise TrustFileError(f"{path} is not a govhall trust bundle")
    return {"principals": dict(content["principals"])}


def init(directory: Path, principals: Iterable[str] = PRINCIPALS) -> list[str]:
    """Give every principal without a key file one key; the principals that got one."""
    bundle_path = directory / BUNDLE_FILE
    bundle = _read_bundle_raw(bundle_path)
    created = []
    for principal in principals:
        key_path = directory / f"{principal}.key"
        if key_path.exists():
            _, keys = read_key_file(key_path)
        else:
            keys = [new_key(principal)]
            write_key_file(key_path, principal, keys)
            created.append(principal)
        if principal not in bundle["principals"] or principal in created:
            bundle["principals"][principal] = _bundle_entries(keys)
    _write_json(bundle_path, bundle, private=False)
    return created


def rotate(directory: Path, principal: str, now: float | None = None) -> SigningKey:
    """Add a new key for ``principal`` (to its key file and the bundle) and drop every key older
    than the one it signs with now: that key stays until the new one takes over."""
    key_path = directory / f"{principal}.key"
    _, keys = read_key_file(key_path)
    at = time.time() if now is None else now
    current = active_key(keys, at)
    kept = [k for k in keys if k.created >= current.created]
    fresh = new_key(principal, at)
    kept.append(fresh)
    bundle_path = directory / BUNDLE_FILE
    bundle = _read_bundle_raw(bundle_path)
    # The bundle first: a verifier must know a key before any signer can use it.
    bundle["principals"][principal] = _bundle_entries(kept)
    _write_json(bundle_path, bundle, private=False)
    write_key_file(key_path, principal, kept)
    return fresh


def active_key(keys: list[SigningKey], now: float) -> SigningKey:
    """The key to sign with: the newest that is at least ACTIVATION_DELAY old, or the oldest when
    none is (a fresh installation, whose keys every verifier loaded at start)."""
    settled = [k for k in keys if now - k.created >= ACTIVATION_DELAY]
    return max(settled, key=lambda k: k.created) if settled else min(keys, key=lambda k: k.created)
