"""The partner endpoint between two province instances: a verified round trip, the certificates
and signatures it refuses, and a message sent twice answered once."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import grpc
import pytest
import sqlalchemy as sa

from govhall.crossprovince import audit, devca
from govhall.crossprovince.client import PartnerClient
from govhall.crossprovince.endpoint import Endpoint, Own
from govhall.crossprovince.envelope import request_sha256
from govhall.crossprovince.partners import load_partners
from govhall.crossprovince.server import PartnerServer
from govhall.crossprovince.store import audit_head
from govhall.kit.races import concurrently, outcomes
from govhall.protos.crossprovince.v1 import partner_pb2 as pb

from .world import GROUP, HB, HL, JL, LN, MATTER, World, expired_client


def _list(w: World, sender: str = JL, receiver: str = LN, group: str = GROUP) -> pb.Envelope:
    return w.envelope(sender, receiver, "ListMatters", pb.ListMattersRequest(group=group).SerializeToString())


async def test_list_matters_round_trip_with_a_verified_receipt(world: World) -> None:
    w = world
    env = _list(w)
    client = w.client(JL, LN)
    receipt = await client.send(env)  # send verifies the receipt's signature and request hash
    await client.close()
    assert receipt.status == pb.RECEIPT_STATUS_ACCEPTED
    assert receipt.receiver == LN and receipt.request_sha256 == request_sha256(env)
    listed = pb.MatterList.FromString(receipt.body)
    assert listed.province == LN
    # The matter missing from the catalogue and the one offered to another group are left out.
    assert [m.matter_code for m in listed.matters] == [MATTER]
    matter = listed.matters[0]
    assert matter.name == "食品经营许可" and matter.department_name == "西陵区市场监督管理局"
    assert list(matter.modes) == ["异地代收代办"] and list(matter.groups) == [GROUP]
    assert json.loads(matter.guide_json)["name"] == "食品经营许可"
    assert await w.rows(LN) == (1, 1)
    verdict = await audit.verify(w.hosts[LN].db)
    assert verdict.intact and verdict.entries == 1
    # The other way round: 吉林 offers nothing yet, and says so in a receipt of its own.
    back = w.client(LN, JL)
    receipt = await back.send(_list(w, LN, JL))
    await back.close()
    assert receipt.receiver == JL and list(pb.MatterList.FromString(receipt.body).matters) == []


async def test_the_same_message_twice_gets_the_first_receipt_and_changes_nothing(world: World) -> None:
    w = world
    env = _list(w)
    client = w.client(JL, LN)
    first = await client.send(env)
    again = await client.send(env)
    assert again.SerializeToString(deterministic=True) == first.SerializeToString(deterministic=True)
    assert await w.rows(LN) == (1, 1)
    # The same id with other content is refused, not answered with the first receipt.
    other = w.envelope(
        JL, LN, "ListMatters", pb.ListMattersRequest(group="").SerializeToString(), message_id=env.message_id
    )
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await client.send(other)
    await client.close()
    assert info.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert await w.rows(LN) == (1, 1)


async def test_a_business_refusal_is_kept_and_rejected_in_a_receipt(world: World) -> None:
    # A status query for a handover 辽宁 never received: verified, kept, audited, and refused.
    w = world
    client = w.client(JL, LN)
    env = w.envelope(
        JL, LN, "GetHandoverStatus", pb.HandoverStatusQuery(handover_id="h-1").SerializeToString()
    )
    receipt = await client.send(env)
    await client.close()
    assert receipt.status == pb.RECEIPT_STATUS_REJECTED and receipt.reason_code == "HANDOVER_NOT_FOUND"
    assert await w.rows(LN) == (1, 1)


async def _refused(w: World, cert: devca.Issued, env: pb.Envelope | None = None) -> grpc.aio.AioRpcError:
    client = w.client(JL, LN, cert)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await client.send(env or _list(w), timeout=10)
    finally:
        await client.close()
    assert await w.rows(LN) == (0, 0), "a refused request leaves nothing behind"
    return info.value


async def test_an_unknown_third_provinces_certificate_is_refused(world: World) -> None:
    # 河北 130000: its own CA, which 辽宁 does not trust: the handshake fails.
    stranger = devca.province_kit(HB)
    err = await _refused(world, stranger.client)
    assert err.code() == grpc.StatusCode.UNAVAILABLE


async def test_an_expired_certificate_is_refused(world: World) -> None:
    err = await _refused(world, expired_client(world.kits[JL]))
    assert err.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.PERMISSION_DENIED)


async def test_a_revoked_certificate_is_refused(world: World) -> None:
    err = await _refused(world, world.revoked_client)
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED and "CERTIFICATE_REVOKED" in (err.details() or "")


async def test_a_certificate_from_another_partners_ca_is_refused(world: World) -> None:
    # CN 220000, but issued by 黑龙江's CA (which 辽宁 trusts for 230000 only).
    forged = devca.issue(world.kits[HL].ca, JL, server=False)
    err = await _refused(world, forged)
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED and "WRONG_CA" in (err.details() or "")


async def test_a_tampered_signature_is_refused(world: World) -> None:
    w = world
    env = _list(w)
    env.body = pb.ListMattersRequest(group="京津冀通办").SerializeToString()  # after signing
    err = await _refused(w, w.kits[JL].client, env)
    assert err.code() == grpc.StatusCode.UNAUTHENTICATED and "BAD_SIGNATURE" in (err.details() or "")
    env = _list(w)
    env.signature = bytes([env.signature[0] ^ 1]) + env.signature[1:]
    err = await _refused(w, w.kits[JL].client, env)
    assert err.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_a_partner_cannot_send_in_another_partners_name(world: World) -> None:
    # 吉林's certificate, an envelope 黑龙江 signed: the sender must be the certificate's province.
    w = world
    err = await _refused(w, w.kits[JL].client, _list(w, sender=HL))
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED and "SENDER_MISMATCH" in (err.details() or "")


async def test_copies_of_one_message_racing_in_are_kept_once(world: World) -> None:
    # A sender retrying before its first attempt returned: every copy gets the one receipt kept.
    w = world
    env = _list(w)
    client = w.client(JL, LN)
    done, failed = outcomes(await concurrently(4, lambda _i: client.send(env)))
    await client.close()
    assert failed == []
    assert len({r.SerializeToString(deterministic=True) for r in done}) == 1
    assert await w.rows(LN) == (1, 1)


async def test_a_failure_behind_the_endpoint_keeps_nothing_and_the_resend_is_answered(world: World) -> None:
    w = world
    calls: list[str] = []

    async def flaky(_sender: str, message_id: str, _body: bytes) -> tuple[int, str, str, bytes]:
        calls.append(message_id)
        if len(calls) == 1:
            raise RuntimeError("connection to the catalogue at 10.0.0.5 refused")
        return pb.RECEIPT_STATUS_ACCEPTED, "", "", b""

    kit = w.kits[LN]
    partners = load_partners(w.dir / LN / "partners.json", LN)
    endpoint = Endpoint(w.hosts[LN].db, Own(LN, kit.signing, kit.key_id), partners, {"ListMatters": flaky})  # type: ignore[dict-item]
    server = PartnerServer(endpoint, "127.0.0.1", 0, kit.server.cert_pem, kit.server.key_pem)
    port = await server.start()
    own = w.kits[JL].client
    client = PartnerClient(
        replace(w.partner(LN, JL), endpoint=f"127.0.0.1:{port}"), own.cert_pem, own.key_pem
    )
    try:
        env = _list(w)
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await client.send(env)
        # Retryable, and nothing of our insides in the answer.
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "10.0.0.5" not in (info.value.details() or "")
        assert await w.rows(LN) == (0, 0)
        receipt = await client.send(env)
        assert receipt.status == pb.RECEIPT_STATUS_ACCEPTED and calls == [env.message_id] * 2
        assert await w.rows(LN) == (1, 1)
    finally:
        await client.close()
        await server.stop()


async def test_no_receipt_is_given_when_the_audit_entry_cannot_be_written(world: World) -> None:
    w = world
    async with w.hosts[LN].db.uow() as uow:
        await uow.conn.execute(sa.delete(audit_head))  # the log cannot be appended to
        await uow.commit()
    client = w.client(JL, LN)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await client.send(_list(w))
    finally:
        await client.close()
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    assert await w.rows(LN) == (0, 0)


async def test_the_client_trusts_only_the_partners_own_ca(world: World) -> None:
    # 辽宁 believes it calls 黑龙江, but the endpoint there is 吉林's, whose certificate 吉林's CA
    # issued (吉林 would accept 辽宁's client certificate): the client refuses the handshake.
    w = world
    own = w.kits[LN].client
    elsewhere = replace(w.partner(HL, LN), endpoint=w.partner(JL, LN).endpoint)
    client = PartnerClient(elsewhere, own.cert_pem, own.key_pem)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await client.send(_list(w, LN, HL), timeout=10)
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE
        assert await w.rows(JL) == (0, 0)
        # The same client certificate to 吉林 as 吉林: answered.
        right = PartnerClient(w.partner(JL, LN), own.cert_pem, own.key_pem)
        assert (await right.send(_list(w, LN, JL))).receiver == JL
        await right.close()
    finally:
        await client.close()


async def test_an_envelope_for_another_rpc_province_or_time_is_refused(world: World) -> None:
    w = world
    client = w.client(JL, LN)
    ahead = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    cases = [
        # A Handover envelope replayed into ListMatters: the kind names the RPC it was signed for.
        (
            "ListMatters",
            w.envelope(JL, LN, "Handover", b""),
            grpc.StatusCode.INVALID_ARGUMENT,
            "KIND_MISMATCH",
        ),
        ("ListMatters", _list(w, JL, HL), grpc.StatusCode.INVALID_ARGUMENT, "WRONG_RECEIVER"),
        (
            "ListMatters",
            w.envelope(JL, LN, "ListMatters", b"", sent_at=ahead),
            grpc.StatusCode.INVALID_ARGUMENT,
            "CLOCK_SKEW",
        ),
    ]
    try:
        for rpc, env, status, code in cases:
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await getattr(client.stub, rpc)(env, timeout=10)
            assert info.value.code() == status and code in (info.value.details() or ""), code
    finally:
        await client.close()
    assert await w.rows(LN) == (0, 0)
