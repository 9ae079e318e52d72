"""The issuers' status lists: the spec's bit order and encoding, growth past the minimum size,
and concurrent flips of one issuer's list losing none (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from govhall.kit.races import concurrently, outcomes
from govhall.licences import status
from govhall.protos.licences.v1 import verification_pb2 as pb
from govhall.protos.licences.v1 import verification_pb2_grpc

from .conftest import ANONYMOUS, ISSUER_CODE, World


def test_bits_are_most_significant_first_and_grow_by_blocks() -> None:
    bits = status.with_bit(status.empty(), 0, True)
    assert bits[0] == 0x80 and len(bits) == status.MIN_BITS // 8 and status.get_bit(bits, 0)
    bits = status.with_bit(bits, 9, True)
    assert bits[1] == 0x40 and not status.get_bit(bits, 8)
    grown = status.with_bit(bits, status.MIN_BITS + 3, True)
    assert len(grown) == 2 * status.MIN_BITS // 8 and status.get_bit(grown, status.MIN_BITS + 3)
    assert status.with_bit(grown, 0, False)[0] == 0 and status.get_bit(grown, 9)
    assert not status.get_bit(bits, 10 * status.MIN_BITS)  # beyond the end: not set
    encoded = status.encode(grown)
    assert "=" not in encoded and status.decode(encoded) == grown
    assert len(encoded) < 1000  # mostly zeros: GZIP keeps a 16 KiB list small to serve


@pytest.mark.integration
async def test_concurrent_flips_of_one_list_lose_none(world: World) -> None:
    async def flip(i: int) -> None:
        async with world.db.uow() as uow:
            await status.set_bit(uow, ISSUER_CODE, "revocation", i * 3, True)
            await uow.commit()

    done, failed = outcomes(await concurrently(8, flip))
    assert failed == [] and len(done) == 8
    stub = world.stub(verification_pb2_grpc.VerificationServiceStub)
    listed = await world.call(
        stub,
        "GetStatusList",
        pb.GetStatusListRequest(issuer_code=ISSUER_CODE, purpose="revocation"),
        ANONYMOUS,
    )
    bits = status.decode(listed.encoded_list)
    assert [i for i in range(30) if status.get_bit(bits, i)] == [0, 3, 6, 9, 12, 15, 18, 21]
    assert listed.revision == 8
    bad = await world.fails(
        stub, "GetStatusList", pb.GetStatusListRequest(issuer_code=ISSUER_CODE, purpose="x"), ANONYMOUS
    )
    assert [f.field for f in bad.fields] == ["purpose"]
