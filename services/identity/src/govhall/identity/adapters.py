"""The outside parties identity depends on, as small ports with development implementations.

A deployment replaces these with the provincial real-name registry (公安人口库), its SMS
gateway, a face-check (活体检测) provider and the CA's certificate service. Nothing here can
have a real peer on a development machine, so each port has a development implementation
that behaves plausibly and deterministically:

- DevSmsSender "delivers" messages by appending JSON lines to a file (the developer's phone).
- DevRealNameRegistry accepts any name with a well-formed ID number (GB 11643 check digit).
- DevStrongAuthenticator accepts the evidence b"dev-pass" for both face and CA checks.
- DevCertificateVerifier accepts a certificate b"DEV-CERT:<credit code>" whose signature is
  SHA-256(certificate + challenge): enough to exercise the login path end to end.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from govhall.kit.validators import is_valid_id_number


class SmsSender(Protocol):
    async def send(self, mobile: str, purpose: str, code: str, text: str) -> None: ...


class RealNameRegistry(Protocol):
    async def matches(self, name: str, id_number: str) -> bool: ...


class StrongAuthenticator(Protocol):
    async def verify(self, method: str, id_number: str, evidence: bytes) -> bool: ...


class CertificateVerifier(Protocol):
    async def verify(
        self, credit_code: str, certificate: bytes, challenge: bytes, signature: bytes
    ) -> bool: ...


class DevSmsSender:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = asyncio.Lock()

    async def send(self, mobile: str, purpose: str, code: str, text: str) -> None:
        line = json.dumps(
            {
                "mobile": mobile,
                "purpose": purpose,
                "code": code,
                "text": text,
                "sent_at": datetime.now(UTC).isoformat(),
            },
            ensure_ascii=False,
        )
        async with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(_append, self.path, line + "\n")


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(line)


def latest_dev_code(path: Path, mobile: str, purpose: str | None = None) -> str | None:
    """The last code the development sender "sent" to a number (for tests and newcomers).

    Consult's notifications go to the same file with no code: they are not codes and are passed
    over."""
    if not path.exists():
        return None
    found = None
    for line in path.read_text(encoding="utf-8").splitlines():
        message = json.loads(line)
        if not message.get("code"):
            continue
        if message["mobile"] == mobile and (purpose is None or message["purpose"] == purpose):
            found = message["code"]
    return found


class DevRealNameRegistry:
    async def matches(self, name: str, id_number: str) -> bool:
        return bool(name) and is_valid_id_number(id_number)


class DevStrongAuthenticator:
    async def verify(self, method: str, id_number: str, evidence: bytes) -> bool:
        return hmac.compare_digest(evidence, b"dev-pass")


class DevCertificateVerifier:
    async def verify(self, credit_code: str, certificate: bytes, challenge: bytes, signature: bytes) -> bool:
        if certificate != f"DEV-CERT:{credit_code}".encode() or len(challenge) < 16:
            return False
        return hmac.compare_digest(signature, hashlib.sha256(certificate + challenge).digest())


@dataclass
class Adapters:
    sms: SmsSender
    registry: RealNameRegistry
    strong: StrongAuthenticator
    certificates: CertificateVerifier


def development_adapters(sms_file: Path) -> Adapters:
    return Adapters(
        DevSmsSender(sms_file), DevRealNameRegistry(), DevStrongAuthenticator(), DevCertificateVerifier()
    )
