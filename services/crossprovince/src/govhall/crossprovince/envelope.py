"""Envelopes and receipts: their canonical bytes, signing and verifying (partner.proto's comments
are the specification; a partner on another code base builds the same bytes from them).

What is signed is a few header fields and the hash of the body bytes exactly as they travel,
never a re-serialisation of a parsed message, so both sides always hash the same bytes. A field
holding a newline could make two different headers give the same lines: such a field is refused
before anything is hashed.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from govhall.protos.crossprovince.v1 import partner_pb2 as pb

ENVELOPE_TAG = "govhall-crossprovince-v1"
RECEIPT_TAG = "govhall-crossprovince-receipt-v1"
PROVINCE = re.compile(r"^\d{6}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
_TOKEN = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class EnvelopeInvalid(ValueError):
    """An envelope or receipt that is malformed or whose signature does not verify; code names
    which check failed (BAD_SIGNATURE, UNKNOWN_KEY, MALFORMED, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


def uuid7() -> str:
    """A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits; ids sort by time."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & (2**48 - 1)) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 62) & 0xFFF) << 64  # rand_a, 12 bits
    value |= 0b10 << 62  # variant
    value |= rand & (2**62 - 1)  # rand_b
    return str(uuid.UUID(int=value))


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_rfc3339(value: str) -> datetime:
    """A UTC time as the envelopes write it; ValueError for anything else."""
    if not value.endswith("Z"):
        raise ValueError("not UTC")
    parsed = datetime.fromisoformat(value[:-1] + "+00:00")
    return parsed


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _lines(*fields: str) -> bytes:
    for f in fields:
        if "\n" in f or "\r" in f:
            raise EnvelopeInvalid("MALFORMED", "a header field holds a line break")
    return "\n".join(fields).encode("utf-8")


def envelope_bytes(env: pb.Envelope) -> bytes:
    return _lines(
        ENVELOPE_TAG,
        env.message_id,
        env.sender,
        env.receiver,
        env.sent_at,
        env.kind,
        env.key_id,
        sha256_hex(env.body),
    )


def request_sha256(env: pb.Envelope) -> str:
    """Receipt.request_sha256 of this envelope: the hash of its canonical bytes."""
    return sha256_hex(envelope_bytes(env))


def receipt_bytes(r: pb.Receipt) -> bytes:
    return _lines(
        RECEIPT_TAG,
        r.message_id,
        r.request_sha256,
        r.receiver,
        r.received_at,
        str(int(r.status)),
        r.reason_code,
        r.key_id,
        sha256_hex(r.body),
    )


def seal(
    key: Ed25519PrivateKey,
    key_id: str,
    *,
    sender: str,
    receiver: str,
    kind: str,
    body: bytes,
    message_id: str | None = None,
    sent_at: str | None = None,
) -> pb.Envelope:
    """A new signed envelope (a fresh UUIDv7 unless one is given: a resend reuses its bytes)."""
    env = pb.Envelope(
        message_id=message_id or uuid7(),
        sender=sender,
        receiver=receiver,
        sent_at=sent_at or now_rfc3339(),
        kind=kind,
        key_id=key_id,
        body=body,
    )
    check_header(env)
    env.signature = key.sign(envelope_bytes(env))
    return env


def check_header(env: pb.Envelope) -> None:
    """The header's shapes: a UUIDv7, two province codes, an RFC 3339 UTC time, plain tokens."""
    if not _UUID.match(env.message_id):
        raise EnvelopeInvalid("MALFORMED", "message_id is not a UUIDv7")
    if not PROVINCE.match(env.sender) or not PROVINCE.match(env.receiver):
        raise EnvelopeInvalid("MALFORMED", "sender and receiver must be 6-digit province codes")
    if not _TOKEN.match(env.kind) or not _TOKEN.match(env.key_id):
        raise EnvelopeInvalid("MALFORMED", "kind and key_id must be plain tokens")
    try:
        parse_rfc3339(env.sent_at)
    except ValueError:
        raise EnvelopeInvalid("MALFORMED", "sent_at is not an RFC 3339 UTC time") from None


def verify_envelope(env: pb.Envelope, keys: dict[str, Ed25519PublicKey]) -> str:
    """Check the shapes and the signature by one of ``keys`` (the sender's, by key id); the
    request hash. EnvelopeInvalid otherwise."""
    check_header(env)
    key = keys.get(env.key_id)
    if key is None:
        raise EnvelopeInvalid("UNKNOWN_KEY", f"the sender has no signing key {env.key_id!r}")
    canonical = envelope_bytes(env)
    try:
        key.verify(env.signature, canonical)
    except InvalidSignature:
        raise EnvelopeInvalid("BAD_SIGNATURE", "the envelope's signature does not verify") from None
    return sha256_hex(canonical)


def sign_receipt(
    key: Ed25519PrivateKey,
    key_id: str,
    *,
    env: pb.Envelope,
    request_hash: str,
    receiver: str,
    status: pb.ReceiptStatus.ValueType,
    reason_code: str = "",
    reason: str = "",
    body: bytes = b"",
) -> pb.Receipt:
    receipt = pb.Receipt(
        message_id=env.message_id,
        request_sha256=request_hash,
        receiver=receiver,
        received_at=now_rfc3339(),
        status=status,
        reason_code=reason_code,
        reason=reason,
        key_id=key_id,
        body=body,
    )
    receipt.signature = key.sign(receipt_bytes(receipt))
    return receipt


def verify_receipt(receipt: pb.Receipt, env: pb.Envelope, keys: dict[str, Ed25519PublicKey]) -> None:
    """The receipt is for ``env`` (its message id and request hash), from its receiver, signed
    by one of the receiver's ``keys``. EnvelopeInvalid otherwise."""
    if receipt.message_id != env.message_id:
        raise EnvelopeInvalid("WRONG_RECEIPT", "the receipt is for another message")
    if receipt.request_sha256 != request_sha256(env):
        raise EnvelopeInvalid("WRONG_RECEIPT", "the receipt holds another request's hash")
    if receipt.receiver != env.receiver:
        raise EnvelopeInvalid("WRONG_RECEIPT", "the receipt is signed by another province")
    key = keys.get(receipt.key_id)
    if key is None:
        raise EnvelopeInvalid("UNKNOWN_KEY", f"the receiver has no signing key {receipt.key_id!r}")
    try:
        key.verify(receipt.signature, receipt_bytes(receipt))
    except InvalidSignature:
        raise EnvelopeInvalid("BAD_SIGNATURE", "the receipt's signature does not verify") from None
