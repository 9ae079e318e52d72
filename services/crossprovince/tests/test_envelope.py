"""Envelopes and receipts: the canonical bytes partner.proto specifies, signatures, UUIDv7 ids."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from govhall.crossprovince import devca
from govhall.crossprovince.endpoint import KINDS
from govhall.crossprovince.envelope import (
    EnvelopeInvalid,
    envelope_bytes,
    receipt_bytes,
    request_sha256,
    seal,
    sign_receipt,
    uuid7,
    verify_envelope,
    verify_receipt,
)
from govhall.crossprovince.server import PartnerServicer
from govhall.protos.crossprovince.v1 import partner_pb2 as pb

KEY = devca.signing_key()
KEYS = {"k1": KEY.public_key()}
MESSAGE_ID = "01938f4e-7c00-7abc-8def-0123456789ab"


def _sealed(**fields: object) -> pb.Envelope:
    args: dict[str, object] = {
        "sender": "220000",
        "receiver": "210000",
        "kind": "ListMatters",
        "body": b"\x0a\x01x",
    }
    args.update(fields)
    return seal(KEY, "k1", message_id=MESSAGE_ID, sent_at="2026-12-05T07:00:00.123456Z", **args)  # type: ignore[arg-type]


def test_the_canonical_bytes_are_the_protos_lines() -> None:
    env = _sealed()
    body_hash = hashlib.sha256(b"\x0a\x01x").hexdigest()
    assert (
        envelope_bytes(env)
        == (
            f"govhall-crossprovince-v1\n{MESSAGE_ID}\n220000\n210000\n2026-12-05T07:00:00.123456Z\nListMatters\nk1\n{body_hash}"
        ).encode()
    )
    assert request_sha256(env) == hashlib.sha256(envelope_bytes(env)).hexdigest()
    receipt = sign_receipt(
        KEY, "k9", env=env, request_hash=request_sha256(env), receiver="210000", status=pb.RECEIPT_STATUS_REJECTED,
        reason_code="NOT_SUPPORTED", body=b"",
    )  # fmt: skip
    assert (
        receipt_bytes(receipt)
        == (
            f"govhall-crossprovince-receipt-v1\n{MESSAGE_ID}\n{request_sha256(env)}\n210000\n{receipt.received_at}\n2\n"
            f"NOT_SUPPORTED\nk9\n{hashlib.sha256(b'').hexdigest()}"
        ).encode()
    )


def test_a_signed_envelope_verifies_and_any_change_does_not() -> None:
    env = _sealed()
    assert verify_envelope(env, KEYS) == request_sha256(env)
    for field, value in (
        ("body", b"other"),
        ("receiver", "230000"),
        ("kind", "Handover"),
        ("sent_at", "2026-12-05T07:00:01.000000Z"),
    ):
        changed = pb.Envelope()
        changed.CopyFrom(env)
        setattr(changed, field, value)
        with pytest.raises(EnvelopeInvalid) as info:
            verify_envelope(changed, KEYS)
        assert info.value.code == "BAD_SIGNATURE", field
    with pytest.raises(EnvelopeInvalid) as info:
        verify_envelope(env, {"k2": KEY.public_key()})
    assert info.value.code == "UNKNOWN_KEY"
    with pytest.raises(EnvelopeInvalid) as info:
        verify_envelope(env, {"k1": devca.signing_key().public_key()})
    assert info.value.code == "BAD_SIGNATURE"


def test_malformed_headers_are_refused_before_hashing() -> None:
    env = _sealed()
    for field, value in (
        ("message_id", str(uuid.uuid4())),  # a v4, not a v7
        ("sender", "22000"),
        ("kind", "List\nMatters"),
        ("sent_at", "2026-12-05 07:00:00"),
    ):
        changed = pb.Envelope()
        changed.CopyFrom(env)
        setattr(changed, field, value)
        with pytest.raises(EnvelopeInvalid) as info:
            verify_envelope(changed, KEYS)
        assert info.value.code == "MALFORMED", field


def test_a_receipt_is_checked_against_its_request() -> None:
    env = _sealed()
    receipt = sign_receipt(
        KEY,
        "k1",
        env=env,
        request_hash=request_sha256(env),
        receiver="210000",
        status=pb.RECEIPT_STATUS_ACCEPTED,
    )
    verify_receipt(receipt, env, KEYS)
    other = _sealed(body=b"another request")
    with pytest.raises(EnvelopeInvalid) as info:
        verify_receipt(receipt, other, KEYS)
    assert info.value.code == "WRONG_RECEIPT"
    receipt.status = pb.RECEIPT_STATUS_REJECTED  # changed after signing
    with pytest.raises(EnvelopeInvalid) as info:
        verify_receipt(receipt, env, KEYS)
    assert info.value.code == "BAD_SIGNATURE"


def test_message_ids_are_uuid7_in_time_order() -> None:
    ids = [uuid7() for _ in range(50)]
    assert all(uuid.UUID(i).version == 7 and uuid.UUID(i).variant == uuid.RFC_4122 for i in ids)
    assert len(set(ids)) == 50
    # The first 48 bits are milliseconds: ids made later never sort before earlier ones' time.
    millis = [int(i.replace("-", "")[:12], 16) for i in ids]
    assert millis == sorted(millis)


def test_the_servicer_serves_every_rpc_of_the_contract() -> None:
    assert set(KINDS) == {
        "ListMatters", "Handover", "GetHandoverStatus", "ReportStatus", "Supplement", "ReturnResult", "Acknowledge"
    }  # fmt: skip
    for kind in KINDS:
        assert kind in vars(PartnerServicer), kind
