"""GetHolderIdentity: who a licence is issued to (verified name, ID number or credit code), for
the licences service alone, and never written to a log."""

from __future__ import annotations

import logging

import grpc
import pytest

from govhall.kit.caller import caller_metadata
from govhall.kit.grpcclient import domain_error
from govhall.kit.testing import signed_channel
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2 as pb
from govhall.protos.identity.v1 import identity_pb2_grpc

from .conftest import ADMIN, SERVICE, Identity
from .test_legal_persons import enterprise

LICENCES = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_SERVICE, subject="licences")
CONSULT = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_SERVICE, subject="consult")
PERSON, LEGAL_PERSON = common_pb2.CALLER_KIND_PERSON, common_pb2.CALLER_KIND_LEGAL_PERSON


def ask(kind: common_pb2.CallerKind.ValueType, subject: str) -> pb.GetHolderIdentityRequest:
    return pb.GetHolderIdentityRequest(kind=kind, subject=subject)


async def test_licences_reads_a_verified_persons_name_and_number_and_a_legal_persons_code(
    identity: Identity, caplog: pytest.LogCaptureFixture
) -> None:
    _, id_number, rep = await identity.verified_person("周法人")
    me = await identity.call("GetMe", pb.GetMeRequest(), rep.access_token)
    code, lp = await enterprise(identity, rep.access_token, "宜昌三峡食品有限公司")
    # What identity logs while answering (every logger, down to SQL drivers' debug lines).
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    found = await identity.call("GetHolderIdentity", ask(PERSON, me.id), LICENCES)
    assert (found.name, found.id_type, found.id_number) == (
        "周法人",
        pb.HOLDER_ID_TYPE_RESIDENT_ID,
        id_number,
    )
    assert found.real_name_level == pb.REAL_NAME_LEVEL_REAL_NAME

    found = await identity.call("GetHolderIdentity", ask(LEGAL_PERSON, lp.id), LICENCES)
    assert (found.name, found.id_type, found.id_number) == (
        "宜昌三峡食品有限公司",
        pb.HOLDER_ID_TYPE_CREDIT_CODE,
        code,
    )
    assert "GetHolderIdentity" in caplog.text  # the server's access line was captured
    assert id_number not in caplog.text and code not in caplog.text


async def test_an_unverified_person_has_no_name_nor_number(identity: Identity) -> None:
    mobile, account = await identity.register()
    found = await identity.call("GetHolderIdentity", ask(PERSON, account.id), LICENCES)
    assert (found.name, found.id_type, found.id_number) == ("", pb.HOLDER_ID_TYPE_UNSPECIFIED, "")
    assert found.real_name_level == pb.REAL_NAME_LEVEL_UNVERIFIED
    assert mobile not in str(found)


async def test_an_unknown_or_mismatched_holder_is_refused(identity: Identity) -> None:
    _, _, tokens = await identity.verified_person()
    me = await identity.call("GetMe", pb.GetMeRequest(), tokens.access_token)
    # The kind must match the account: a person's id asked as a legal person is not found.
    await identity.fails(
        "ACCOUNT_NOT_FOUND", identity.call("GetHolderIdentity", ask(LEGAL_PERSON, me.id), LICENCES)
    )
    await identity.fails(
        "ACCOUNT_NOT_FOUND", identity.call("GetHolderIdentity", ask(PERSON, "nobody"), LICENCES)
    )
    await identity.fails(
        "KIND_INVALID",
        identity.call("GetHolderIdentity", ask(common_pb2.CALLER_KIND_STAFF, me.id), LICENCES),
    )
    await identity.fails("SUBJECT_REQUIRED", identity.call("GetHolderIdentity", ask(PERSON, ""), LICENCES))


async def test_nobody_but_licences_reads_a_holders_number(identity: Identity) -> None:
    _, _, tokens = await identity.verified_person()
    me = await identity.call("GetMe", pb.GetMeRequest(), tokens.access_token)
    # The person themselves and the admin token through the gateway: the method checks the service.
    await identity.fails(
        "FORBIDDEN", identity.call("GetHolderIdentity", ask(PERSON, me.id), tokens.access_token)
    )
    await identity.fails("FORBIDDEN", identity.call("GetHolderIdentity", ask(PERSON, me.id), ADMIN))
    # Other services, even those callers.json lets call identity's other methods.
    for other in (SERVICE, CONSULT):
        await identity.fails(
            "CALLER_NOT_PERMITTED", identity.call("GetHolderIdentity", ask(PERSON, me.id), other)
        )
    # The gateway's key claiming to speak as licences: the gateway may not assert a service.
    channel = signed_channel(identity.host.address, "identity", "gateway")
    stub = identity_pb2_grpc.IdentityServiceStub(channel)

    async def as_gateway() -> pb.HolderIdentity:
        try:
            return await stub.GetHolderIdentity(ask(PERSON, me.id), metadata=caller_metadata(LICENCES))
        except grpc.aio.AioRpcError as err:
            raise domain_error(err) from None

    try:
        await identity.fails("CALLER_NOT_PERMITTED", as_gateway())
    finally:
        await channel.close()
