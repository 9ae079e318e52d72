"""What the partner endpoint does with one request: who sent it (the client certificate), is the
envelope theirs and for us, have we seen it, then the handler of its kind and a signed receipt.

The order matters. The certificate and the signature are checked before anything is looked up,
so nobody learns which message ids exist. A message id seen before returns the stored receipt,
byte for byte, before the clock or the handler are consulted: a resend after an outage must get
the first answer, not a new one. Handlers run outside the transaction (a call to the catalogue
or to cases is slow work) and must be idempotent by what they receive: two copies racing may
both run one, and only the first's receipt is kept. The received envelope, its receipt and the
audit entry are written in one transaction; the receipt goes out only after it commits.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
import sqlalchemy as sa
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

from govhall.crossprovince import audit
from govhall.crossprovince.envelope import (
    EnvelopeInvalid,
    parse_rfc3339,
    sha256_hex,
    sign_receipt,
    verify_envelope,
)
from govhall.crossprovince.partners import Partner, Partners
from govhall.crossprovince.store import received_messages
from govhall.kit.db import Database
from govhall.protos.crossprovince.v1 import partner_pb2 as pb

log = logging.getLogger(__name__)

# (sender province, message id, body bytes) -> (status, reason_code, reason, reply body bytes)
Handler = Callable[[str, str, bytes], Awaitable[tuple["pb.ReceiptStatus.ValueType", str, str, bytes]]]

KINDS = tuple(pb.DESCRIPTOR.services_by_name["PartnerService"].methods_by_name)


class Refused(Exception):
    """A request refused without a receipt (not ours to keep): a gRPC status and a reason code."""

    def __init__(self, status: grpc.StatusCode, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Own:
    """This province: its code and the key its receipts are signed with."""

    code: str
    signing_key: Ed25519PrivateKey
    key_id: str


def _common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def peer_partner(partners: Partners, pem: bytes | None, now: datetime | None = None) -> Partner:
    """The partner whose client certificate this is: its CN a partner's code, issued by THAT
    partner's CA (the handshake accepted any partner's CA), in date, not revoked."""
    denied = grpc.StatusCode.PERMISSION_DENIED
    if not pem:
        raise Refused(grpc.StatusCode.UNAUTHENTICATED, "NO_CLIENT_CERTIFICATE", "no client certificate")
    cert = x509.load_pem_x509_certificate(pem)
    code = _common_name(cert)
    partner = partners.get(code)
    if partner is None:
        raise Refused(denied, "UNKNOWN_PARTNER", f"no partner province {code!r}")
    try:
        cert.verify_directly_issued_by(partner.ca)
    except (ValueError, TypeError, InvalidSignature):
        raise Refused(denied, "WRONG_CA", f"the certificate is not issued by {code}'s CA") from None
    now = now or datetime.now(UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise Refused(denied, "CERTIFICATE_EXPIRED", "the certificate is not in date")
    if cert.serial_number in partner.revoked_serials:
        raise Refused(denied, "CERTIFICATE_REVOKED", "the certificate is revoked")
    return partner


class Endpoint:
    def __init__(
        self,
        db: Database,
        own: Own,
        partners: Partners,
        handlers: Mapping[str, Handler],
        *,
        max_skew: timedelta = timedelta(minutes=10),
        max_age: timedelta = timedelta(days=30),
    ) -> None:
        self.db, self.own, self.partners, self.handlers = db, own, partners, dict(handlers)
        self.max_skew, self.max_age = max_skew, max_age

    def check(self, kind: str, env: pb.Envelope, partner: Partner) -> str:
        """The envelope is the sender's own, for us, of this RPC, signed; its request hash."""
        if env.sender != partner.code:
            raise Refused(
                grpc.StatusCode.PERMISSION_DENIED,
                "SENDER_MISMATCH",
                "sender is not the certificate's province",
            )
        if env.receiver != self.own.code:
            raise Refused(
                grpc.StatusCode.INVALID_ARGUMENT, "WRONG_RECEIVER", f"receiver is not {self.own.code}"
            )
        if env.kind != kind:
            raise Refused(grpc.StatusCode.INVALID_ARGUMENT, "KIND_MISMATCH", f"kind is not {kind}")
        try:
            return verify_envelope(env, partner.signing_keys)
        except EnvelopeInvalid as err:
            status = (
                grpc.StatusCode.INVALID_ARGUMENT
                if err.code == "MALFORMED"
                else grpc.StatusCode.UNAUTHENTICATED
            )
            raise Refused(status, err.code, str(err)) from None

    def check_time(self, env: pb.Envelope) -> None:
        """A new message's time: not in the future beyond the skew (a wrong clock), not older
        than max_age (a resend after a long outage is fine; a stale replay under a new id not)."""
        sent = parse_rfc3339(env.sent_at)
        now = datetime.now(UTC)
        if sent - now > self.max_skew or now - sent > self.max_age:
            raise Refused(grpc.StatusCode.INVALID_ARGUMENT, "CLOCK_SKEW", "sent_at is too far from our clock")

    async def _first_receipt(self, sender: str, message_id: str, request_hash: str) -> pb.Receipt | None:
        async with self.db.reader() as uow:
            row = (
                await uow.conn.execute(
                    sa.select(received_messages.c.request_sha256, received_messages.c.receipt).where(
                        received_messages.c.sender == sender, received_messages.c.message_id == message_id
                    )
                )
            ).one_or_none()
        if row is None:
            return None
        if row.request_sha256 != request_hash:
            raise Refused(
                grpc.StatusCode.ALREADY_EXISTS,
                "MESSAGE_ID_REUSED",
                "this message id was received with other content",
            )
        return pb.Receipt.FromString(row.receipt)

    async def receive(self, kind: str, env: pb.Envelope, peer_pem: bytes | None) -> pb.Receipt:
        partner = peer_partner(self.partners, peer_pem)
        request_hash = self.check(kind, env, partner)
        first = await self._first_receipt(env.sender, env.message_id, request_hash)
        if first is not None:
            return first
        self.check_time(env)
        handler = self.handlers.get(kind)
        if handler is None:
            status, code, reason, body = (
                pb.RECEIPT_STATUS_REJECTED,
                "NOT_SUPPORTED",
                f"{kind} is not yet supported",
                b"",
            )
        else:
            status, code, reason, body = await handler(env.sender, env.message_id, env.body)
        receipt = sign_receipt(
            self.own.signing_key,
            self.own.key_id,
            env=env,
            request_hash=request_hash,
            receiver=self.own.code,
            status=status,
            reason_code=code,
            reason=reason,
            body=body,
        )
        raw = receipt.SerializeToString(deterministic=True)
        try:
            async with self.db.uow() as uow:
                await uow.conn.execute(
                    sa.insert(received_messages).values(
                        sender=env.sender,
                        message_id=env.message_id,
                        kind=kind,
                        sent_at=env.sent_at,
                        request_sha256=request_hash,
                        envelope=env.SerializeToString(deterministic=True),
                        receipt=raw,
                        received_at=datetime.now(UTC),
                    )
                )
                entry = audit.Entry(
                    "received",
                    env.sender,
                    kind,
                    env.message_id,
                    request_hash,
                    sha256_hex(raw),
                    pb.ReceiptStatus.Name(status),
                )
                await audit.append(uow, entry)
                await uow.commit()
        except sa.exc.IntegrityError:
            # The same message, racing in on another connection, was kept first: its receipt.
            first = await self._first_receipt(env.sender, env.message_id, request_hash)
            if first is None:
                raise
            return first
        return receipt
