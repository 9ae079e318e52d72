"""Verification (核验): anyone with the code learns valid / revoked / suspended / expired with the
holder masked; the issuing department's staff revoke, suspend and reinstate with a reason under a
revision check, and verification sees it at once on the writing replica and within the cache's
bound on another; unknown codes are one 404."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from govhall.kit.bus import InProcessBus
from govhall.kit.testing import wait_until
from govhall.licences import app as licences_app
from govhall.licences.settings import LicencesSettings
from govhall.protos.licences.v1 import verification_pb2 as pb
from govhall.protos.licences.v1 import verification_pb2_grpc

from .conftest import ANONYMOUS, DEPT, ISSUER_CODE, World, person, staff
from .verification_support import a_licence, licence_row, published

pytestmark = pytest.mark.integration

APPROVER = staff(["approver"])


def verification(world: World, address: str = "") -> verification_pb2_grpc.VerificationServiceStub:
    if address:
        return World(world.catalogue, address, world.db, world.bus).stub(
            verification_pb2_grpc.VerificationServiceStub
        )
    return world.stub(verification_pb2_grpc.VerificationServiceStub)


async def verify(world: World, code: str, address: str = "") -> pb.VerifyResponse:
    reply: pb.VerifyResponse = await world.call(
        verification(world, address), "Verify", pb.VerifyRequest(code=code), ANONYMOUS
    )
    return reply


async def change(world: World, method: str, licence: Any, reason: str = "", **kw: Any) -> Any:
    request = pb.ChangeLicenceStatusRequest(
        licence_id=licence.id, reason=reason or "以欺骗手段取得许可", revision=kw.get("revision", 0)
    )
    return await world.call(verification(world), method, request, kw.get("caller", APPROVER))


async def test_verify_answers_valid_with_the_holder_masked(world: World) -> None:
    await world.licence_type()
    licence = await a_licence(world)

    got = await verify(world, licence.verify_code)

    assert got.status == "valid" and got.type_name == "食品经营许可证" and got.level == "A"
    assert (got.holder_name, got.holder_code) == ("张**", "4205**********1234")
    assert (got.issuer_name, got.issuer_code) == ("西陵区市场监督管理局", ISSUER_CODE)
    assert (got.issued_on, got.valid_until, got.number) == ("2026-01-05", "2031-01-04", licence.number)
    assert got.identifier == licence.identifier


async def test_unknown_and_malformed_codes_are_the_same_404(world: World) -> None:
    await world.licence_type()
    await a_licence(world)
    for code in ("A" * 22, "x", "", "bad code!", "' OR 1=1 --"):
        err = await world.fails(verification(world), "Verify", pb.VerifyRequest(code=code), ANONYMOUS)
        assert (err.code, err.kind.http_status) == ("LICENCE_NOT_FOUND", 404)


async def test_revoke_is_verified_revoked_with_its_event(world: World) -> None:
    await world.licence_type()
    licence = await a_licence(world)
    other = await a_licence(world)
    assert (await verify(world, licence.verify_code)).status == "valid"  # now cached

    done = await change(world, "RevokeLicence", licence, revision=licence.revision)

    assert (done.state, done.revision) == ("revoked", licence.revision + 1)
    assert (await verify(world, licence.verify_code)).status == "revoked"
    assert (await verify(world, other.verify_code)).status == "valid"
    row = await licence_row(world, licence.id)
    assert (row.state, row.state_reason) == ("revoked", "以欺骗手段取得许可")
    [event] = await published(world, "revoked")
    assert (event.licence_id, event.from_state, event.state) == (licence.id, "valid", "revoked")
    assert event.reason == "以欺骗手段取得许可" and event.notice.recipient_subject == "person-1"
    again = await world.fails(verification(world), "ReinstateLicence", _req(licence, 0), APPROVER)
    assert (again.code, again.kind.http_status) == ("LICENCE_STATE", 409)


def _req(licence: Any, revision: int, reason: str = "整改完成") -> pb.ChangeLicenceStatusRequest:
    return pb.ChangeLicenceStatusRequest(licence_id=licence.id, reason=reason, revision=revision)


async def test_suspend_then_reinstate_then_revoke(world: World) -> None:
    await world.licence_type()
    licence = await a_licence(world)
    stub = verification(world)

    await world.call(stub, "SuspendLicence", _req(licence, 1, "停业整顿"), staff(["supervisor"]))
    assert (await verify(world, licence.verify_code)).status == "suspended"
    back = await world.call(stub, "ReinstateLicence", _req(licence, 2), staff(["site_admin"]))
    assert back.state == "valid" and (await verify(world, licence.verify_code)).status == "valid"
    await world.call(stub, "SuspendLicence", _req(licence, 3, "停业整顿"), APPROVER)
    await world.call(stub, "RevokeLicence", _req(licence, 4, "吊销"), APPROVER)
    # Revoking a suspended licence clears its suspension: the answer is revoked, for good.
    assert (await verify(world, licence.verify_code)).status == "revoked"
    names = [
        (e.from_state, e.state)
        for n in ("suspended", "reinstated", "revoked")
        for e in await published(world, n)
    ]
    assert names == [
        ("valid", "suspended"),
        ("valid", "suspended"),
        ("suspended", "valid"),
        ("suspended", "revoked"),
    ]


async def test_only_the_issuing_departments_deciding_staff_with_a_reason_and_the_revision(
    world: World,
) -> None:
    await world.licence_type()
    licence = await a_licence(world)
    stub = verification(world)

    elsewhere = await world.fails(
        stub, "RevokeLicence", _req(licence, 1), staff(["approver"], dept="420502-WJW")
    )
    assert (elsewhere.code, elsewhere.kind.http_status) == ("LICENCE_NOT_FOUND", 404)
    holder = await world.fails(stub, "RevokeLicence", _req(licence, 1), person())
    assert holder.kind.http_status == 403
    clerk = await world.fails(stub, "RevokeLicence", _req(licence, 1), staff(["receiver"], dept=DEPT))
    assert (clerk.code, clerk.kind.http_status) == ("ROLE_REQUIRED", 403)
    no_reason = await world.fails(stub, "RevokeLicence", _req(licence, 1, reason="  "), APPROVER)
    assert (no_reason.code, [f.field for f in no_reason.fields]) == ("REASON_REQUIRED", ["reason"])
    stale = await world.fails(stub, "RevokeLicence", _req(licence, 7), APPROVER)
    assert (stale.code, stale.kind.http_status) == ("REVISION_MISMATCH", 409)
    bad_id = await world.fails(
        stub, "RevokeLicence", pb.ChangeLicenceStatusRequest(licence_id="x y", reason="r"), APPROVER
    )
    assert [f.field for f in bad_id.fields] == ["licence_id"]
    assert (await licence_row(world, licence.id)).state == "valid" and await published(world, "revoked") == []
    assert (await verify(world, licence.verify_code)).status == "valid"


async def test_expired_from_the_dates_and_announced_once(world: World) -> None:
    from govhall.licences.verification import ExpirySweep

    await world.licence_type()
    old = await a_licence(world, valid_until=dt.date(2020, 1, 1))
    current = await a_licence(world)

    assert (await verify(world, old.verify_code)).status == "expired"
    assert (await verify(world, current.verify_code)).status == "valid"
    sweep = ExpirySweep(world.db)
    assert await sweep.sweep() == 1 and await sweep.sweep() == 0
    [event] = await published(world, "expired")
    assert event.licence_id == old.id and (await licence_row(world, old.id)).state == "valid"


async def test_another_replica_sees_a_revocation_within_its_cache_bound(
    world: World, start_service: Any, platform: Any, db_url: str, tmp_path: Path
) -> None:
    await world.licence_type()
    licence = await a_licence(world)
    replica = await start_service(
        licences_app.SPEC,
        LicencesSettings(database_url=db_url, status_cache_seconds=1.0, expiry_sweep_seconds=0),
        platform,
        InProcessBus(),  # its own: a durable subscribes once per bus
    )
    assert (await verify(world, licence.verify_code, replica.address)).status == "valid"  # cached there

    await change(world, "RevokeLicence", licence)

    async def revoked_there() -> bool:
        return (await verify(world, licence.verify_code, replica.address)).status == "revoked"

    await wait_until(revoked_there, timeout=5, what="the other replica to verify the revocation")


async def test_racing_revocations_and_sweeps_change_and_announce_once(world: World) -> None:
    from govhall.kit.races import concurrently, outcomes
    from govhall.licences.verification import ExpirySweep

    await world.licence_type()
    licence = await a_licence(world)
    old = await a_licence(world, valid_until=dt.date(2020, 1, 1))

    done, refused = outcomes(
        await concurrently(4, lambda i: change(world, "RevokeLicence", licence, revision=1))
    )
    assert len(done) == 1 and {getattr(e, "code", "") for e in refused} <= {
        "REVISION_MISMATCH",
        "LICENCE_STATE",
    }
    assert len(refused) == 3 and len(await published(world, "revoked")) == 1
    assert (await verify(world, licence.verify_code)).status == "revoked"

    sweep = ExpirySweep(world.db)
    swept, _failed = outcomes(await concurrently(3, lambda i: sweep.sweep()))
    assert sum(swept) <= 1 and await sweep.sweep() in (0, 1 - sum(swept))
    [expired] = await published(world, "expired")
    assert expired.licence_id == old.id
