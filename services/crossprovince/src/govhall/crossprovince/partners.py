"""The partner provinces and the matters offered to them, read once at start from two JSON files.

partners.json::

    {"partners": [{"code": "220000", "name": "吉林省", "endpoint": "jl.example.gov.cn:50059",
                   "ca_file": "220000/ca.pem",
                   "signing_keys": {"220000-1": "<base64 of the raw 32-byte Ed25519 public key>"},
                   "groups": ["东三省通办"], "revoked_serials": ["<hex serial>", ...]}]}

offered-matters.json::

    {"matters": [{"matter_code": "...", "site_code": "210000", "modes": ["异地代收代办"],
                  "groups": ["东三省通办"]}]}

A relative ca_file is read beside the partners file. A matter with groups is offered to the
partners in one of them; one without groups to every partner. Any mistake stops the start with
a message naming the file and the entry: a half-read partner list would refuse a partner
silently.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from govhall.crossprovince.envelope import PROVINCE


class ConfigError(ValueError):
    """A partners or offered-matters file that cannot be used (the message says where)."""


@dataclass(frozen=True)
class Partner:
    code: str
    name: str
    endpoint: str
    ca: x509.Certificate
    ca_pem: bytes
    signing_keys: dict[str, Ed25519PublicKey]
    groups: frozenset[str] = frozenset()
    revoked_serials: frozenset[int] = frozenset()


@dataclass(frozen=True)
class OfferedMatter:
    matter_code: str
    site_code: str
    modes: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    def offered_to(self, partner: Partner) -> bool:
        return not self.groups or bool(partner.groups & set(self.groups))


@dataclass
class Partners:
    by_code: dict[str, Partner] = field(default_factory=dict)

    def get(self, code: str) -> Partner | None:
        return self.by_code.get(code)

    def ca_bundle(self) -> bytes:
        """Every partner's CA, for the TLS handshake; which CA may vouch for which province is
        checked after it (`endpoint.peer_partner`)."""
        return b"".join(p.ca_pem for p in self.by_code.values())


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ConfigError(f"{what} {path}: cannot be read as JSON ({err})") from None


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}: must be a list of non-empty strings")
    return list(value)


def public_key(text: str, where: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise ConfigError(f"{where}: not the base64 of a 32-byte Ed25519 public key") from None


def load_partners(path: Path, own_code: str) -> Partners:
    data = _read_json(path, "partners file")
    entries = data.get("partners") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"partners file {path}: needs a list under 'partners'")
    partners = Partners()
    for i, entry in enumerate(entries):
        where = f"partners file {path}, partner {i}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: must be an object")
        code = entry.get("code")
        if not isinstance(code, str) or not PROVINCE.match(code):
            raise ConfigError(f"{where}: code must be a 6-digit province code")
        where = f"partners file {path}, partner {code}"
        if code == own_code:
            raise ConfigError(f"{where}: is this province itself")
        if code in partners.by_code:
            raise ConfigError(f"{where}: listed twice")
        for key in ("name", "endpoint", "ca_file"):
            if not isinstance(entry.get(key), str) or not entry[key]:
                raise ConfigError(f"{where}: {key} is required")
        ca_path = Path(entry["ca_file"])
        if not ca_path.is_absolute():
            ca_path = path.parent / ca_path
        try:
            ca_pem = ca_path.read_bytes()
            ca = x509.load_pem_x509_certificate(ca_pem)
        except (OSError, ValueError) as err:
            raise ConfigError(f"{where}: ca_file {ca_path} is not a PEM certificate ({err})") from None
        keys = entry.get("signing_keys")
        if not isinstance(keys, dict) or not keys:
            raise ConfigError(f"{where}: signing_keys needs at least one key id and public key")
        signing = {str(k): public_key(v, f"{where}, signing key {k}") for k, v in keys.items()}
        revoked = set()
        for serial in _strings(entry.get("revoked_serials", []), f"{where}: revoked_serials"):
            try:
                revoked.add(int(serial, 16))
            except ValueError:
                raise ConfigError(f"{where}: revoked serial {serial!r} is not hexadecimal") from None
        partners.by_code[code] = Partner(
            code=code,
            name=entry["name"],
            endpoint=entry["endpoint"],
            ca=ca,
            ca_pem=ca_pem if ca_pem.endswith(b"\n") else ca_pem + b"\n",
            signing_keys=signing,
            groups=frozenset(_strings(entry.get("groups", []), f"{where}: groups")),
            revoked_serials=frozenset(revoked),
        )
    return partners


def load_offered(path: Path) -> list[OfferedMatter]:
    data = _read_json(path, "offered-matters file")
    entries = data.get("matters") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"offered-matters file {path}: needs a list under 'matters'")
    matters = []
    seen = set()
    for i, entry in enumerate(entries):
        where = f"offered-matters file {path}, matter {i}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: must be an object")
        code, site = entry.get("matter_code"), entry.get("site_code")
        if not isinstance(code, str) or not code:
            raise ConfigError(f"{where}: matter_code is required")
        if not isinstance(site, str) or not PROVINCE.match(site):
            raise ConfigError(f"{where} ({code}): site_code must be a 6-digit site code")
        if code in seen:
            raise ConfigError(f"{where} ({code}): listed twice")
        seen.add(code)
        matters.append(
            OfferedMatter(
                matter_code=code,
                site_code=site,
                modes=tuple(_strings(entry.get("modes", []), f"{where} ({code}): modes")),
                groups=tuple(_strings(entry.get("groups", []), f"{where} ({code}): groups")),
            )
        )
    return matters
