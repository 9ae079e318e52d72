"""`python -m govhall.crossprovince ping --partner CODE`: is the partner there, and do we trust
each other? Sends it a signed ListMatters over mutual TLS as this instance (its settings: the
GOVHALL_CROSSPROVINCE_* variables, or --env FILE) and prints the receipt once its signature and
request hash verify, with the matters the partner offers us.

Both ends are in the audit logs: the partner logs the message it received; we log the message
before it leaves (if that entry cannot be written, nothing is sent) and then the receipt, in the
one format every sender uses (`outgoing.sent_entry` / `outgoing.receipted_entry`).
"""

from __future__ import annotations

import grpc
import sqlalchemy as sa

from govhall.crossprovince import audit
from govhall.crossprovince.app import SPEC
from govhall.crossprovince.client import PartnerClient
from govhall.crossprovince.devca import load_signing_key
from govhall.crossprovince.envelope import EnvelopeInvalid, request_sha256, seal
from govhall.crossprovince.outgoing import receipted_entry, sent_entry
from govhall.crossprovince.partners import ConfigError, load_partners
from govhall.crossprovince.settings import CrossprovinceSettings
from govhall.kit.db import Database
from govhall.kit.settings import PlatformSettings
from govhall.protos.crossprovince.v1 import partner_pb2 as pb

KIND = "ListMatters"


async def _log(db: Database, entry: audit.Entry) -> None:
    async with db.uow() as uow:
        await audit.append(uow, entry)
        await uow.commit()


async def ping(partner_code: str, group: str = "", timeout: float = 10.0) -> int:  # noqa: ASYNC109 - the gRPC deadline
    """0 with a verified receipt (whatever its status), 1 when none came, 2 when this instance
    cannot send (settings, files, its database)."""
    s = CrossprovinceSettings()
    needed = {
        "CLIENT_CERT_FILE": s.client_cert_file,
        "CLIENT_KEY_FILE": s.client_key_file,
        "SIGNING_KEY_FILE": s.signing_key_file,
        "PARTNERS_FILE": s.partners_file,
        "SIGNING_KEY_ID": s.signing_key_id,
    }
    unset = [f"GOVHALL_CROSSPROVINCE_{name}" for name, value in needed.items() if not value]
    if unset:
        print(f"cannot send: set {', '.join(unset)} (or give --env, e.g. var/crossprovince.env)")
        return 2
    assert s.client_cert_file and s.client_key_file and s.signing_key_file and s.partners_file
    try:
        partners = load_partners(s.partners_file, s.province_code)
        key = load_signing_key(s.signing_key_file)
        cert_pem, key_pem = s.client_cert_file.read_bytes(), s.client_key_file.read_bytes()
    except (ConfigError, OSError, ValueError) as err:
        print(f"cannot send: {err}")
        return 2
    partner = partners.get(partner_code)
    if partner is None:
        print(
            f"{partner_code} is not a partner of {s.province_code} (partners: {', '.join(partners.by_code)})"
        )
        return 2
    body = pb.ListMattersRequest(group=group).SerializeToString()
    env = seal(key, s.signing_key_id, sender=s.province_code, receiver=partner_code, kind=KIND, body=body)
    request_hash = request_sha256(env)
    db = Database(s.resolved_database_url(PlatformSettings(), SPEC.name))
    try:
        try:
            await _log(db, sent_entry(partner_code, KIND, env.message_id, request_hash))
        except sa.exc.DBAPIError as err:
            print(f"nothing sent: the audit log cannot be written ({type(err.orig).__name__})")
            return 2
        client = PartnerClient(partner, cert_pem, key_pem)
        try:
            receipt = await client.send(env, timeout=timeout)
        except grpc.aio.AioRpcError as err:
            print(f"no receipt from {partner_code} at {partner.endpoint}: {err.code().name} {err.details()}")
            return 1
        except EnvelopeInvalid as err:
            print(f"{partner_code} answered with a receipt that does not verify: {err}")
            return 1
        finally:
            await client.close()
        status = pb.ReceiptStatus.Name(receipt.status)
        await _log(db, receipted_entry(partner_code, KIND, env.message_id, request_hash, receipt))
    finally:
        await db.close()
    print(f"receipt from {partner_code} ({partner.name}) at {partner.endpoint}: {status}")
    print(
        f"  message {receipt.message_id}, {s.province_code} -> {receipt.receiver}, received {receipt.received_at}"
    )
    print(f"  request sha256 {receipt.request_sha256} (ours: {request_hash})")
    print(f"  signature verified with {receipt.key_id}")
    if receipt.reason_code:
        print(f"  reason {receipt.reason_code}: {receipt.reason}")
    if receipt.status == pb.RECEIPT_STATUS_ACCEPTED:
        listed = pb.MatterList.FromString(receipt.body)
        print(f"  {len(listed.matters)} matters offered to {s.province_code}:")
        for m in listed.matters:
            print(f"    {m.matter_code} {m.name} ({m.department_name}; {', '.join(m.modes)})")
    return 0
