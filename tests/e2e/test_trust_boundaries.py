"""Trust inside the platform: what reaches a service's port without the gateway in front.

Each service runs as its own process here, on PostgreSQL, NATS, Redis and Elasticsearch. A
process that can reach a service's gRPC port but holds no key of the platform's gets nowhere:
the old unsigned caller header, an assertion signed with its own key, a real assertion for
another service, an expired one — all refused with UNAUTHENTICATED, for reads and writes alike,
and logged by the service. A real service key only opens what that service is listed for.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import pytest

from govhall.kit import trustkeys
from govhall.kit.grpcclient import channel, domain_error
from govhall.kit.testing import signer, wait_until_sync
from govhall.kit.trust import ASSERTION_KEY, LEEWAY_SECONDS, LIFETIME_SECONDS, SIGNATURE_KEY, Signer
from govhall.protos.cases.v1 import cases_pb2, cases_pb2_grpc
from govhall.protos.catalogue.v1 import catalogue_pb2, catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.identity.v1 import identity_pb2, identity_pb2_grpc
from govhall.protos.search.v1 import search_pb2, search_pb2_grpc

ADMIN = C.CallerIdentity(kind=C.CALLER_KIND_ADMIN, subject="attacker", name="platform admin")
PERSON = C.CallerIdentity(kind=C.CALLER_KIND_PERSON, subject="someone-else", real_name_level=3)

Call = Callable[[grpc.aio.Channel, Any], Awaitable[Any]]

# A read and a write on every service, each something an attacker would want.
CALLS: dict[str, list[tuple[str, Call]]] = {
    "catalogue": [
        (
            "GetMatter",
            lambda ch, md: catalogue_pb2_grpc.CatalogueServiceStub(ch).GetMatter(
                catalogue_pb2.GetMatterRequest(site_code="420000", code="420000-X-0001"),
                metadata=md,
                timeout=10,
            ),
        ),
        (
            "WithdrawMatter",
            lambda ch, md: catalogue_pb2_grpc.CatalogueServiceStub(ch).WithdrawMatter(
                catalogue_pb2.ChangeMatterStatusRequest(site_code="420000", code="420000-X-0001"),
                metadata=md,
                timeout=10,
            ),
        ),
    ],
    "identity": [
        (
            "ListAddresses",
            lambda ch, md: identity_pb2_grpc.IdentityServiceStub(ch).ListAddresses(
                identity_pb2.ListAddressesRequest(owner_id="someone-else"), metadata=md, timeout=10
            ),
        ),
        (
            "CreateStaff",
            lambda ch, md: identity_pb2_grpc.IdentityServiceStub(ch).CreateStaff(
                identity_pb2.CreateStaffRequest(
                    username="mole",
                    name="内鬼",
                    mobile="13912345678",
                    password="Mole-password-2026",
                    site_code="420000",
                    department_code="420000-ZWFW",
                    roles=["site_admin"],
                ),
                metadata=md,
                timeout=10,
            ),
        ),
    ],
    "search": [
        (
            "Search",
            lambda ch, md: search_pb2_grpc.SearchServiceStub(ch).Search(
                search_pb2.SearchRequest(site_code="420000", query="营业执照"), metadata=md, timeout=10
            ),
        ),
        (
            "Reindex",
            lambda ch, md: _last(
                search_pb2_grpc.SearchServiceStub(ch).Reindex(
                    search_pb2.ReindexRequest(), metadata=md, timeout=10
                )
            ),
        ),
    ],
    "cases": [
        (
            "ListMyCases",
            lambda ch, md: cases_pb2_grpc.CasesServiceStub(ch).ListMyCases(
                cases_pb2.ListMyCasesRequest(), metadata=md, timeout=10
            ),
        ),
        (
            "SweepClock",
            lambda ch, md: cases_pb2_grpc.CasesServiceStub(ch).SweepClock(
                cases_pb2.SweepClockRequest(), metadata=md, timeout=10
            ),
        ),
    ],
}


async def _last(stream: Any) -> Any:
    last = None
    async for item in stream:
        last = item
    return last


def address(e2e: Any, service: str) -> str:
    return e2e.env[f"GOVHALL_{service.upper()}_GRPC_ADDRESS"]


async def refusal(e2e: Any, service: str, call: Call, metadata: Any) -> tuple[grpc.StatusCode, str]:
    ch = channel(address(e2e, service))
    try:
        await call(ch, metadata)
    except grpc.aio.AioRpcError as err:
        return err.code(), domain_error(err).code
    finally:
        await ch.close()
    return grpc.StatusCode.OK, ""


def signed(
    by: Signer, audience: str, caller: C.CallerIdentity, now: float | None = None
) -> list[tuple[str, bytes]]:
    body, signature = by.sign(audience, caller, now)
    return [(ASSERTION_KEY, body), (SIGNATURE_KEY, signature)]


@pytest.fixture(scope="module")
def attacker(tmp_path_factory: pytest.TempPathFactory) -> Signer:
    """Keys made by someone who can reach the ports, not the platform's: "gateway" by name only."""
    keys: Path = tmp_path_factory.mktemp("attacker")
    trustkeys.init(keys, ["gateway"])
    return Signer(keys / "gateway.key", "gateway")


SERVICE_CALLS = [(service, name, call) for service, calls in CALLS.items() for name, call in calls]


@pytest.mark.parametrize(
    ("service", "method", "call"), SERVICE_CALLS, ids=[f"{s}.{m}" for s, m, _ in SERVICE_CALLS]
)
async def test_a_forged_caller_is_refused_on_every_port(
    e2e: Any, attacker: Signer, service: str, method: str, call: Call
) -> None:
    caller = ADMIN if method != "ListMyCases" else PERSON
    # The header services used to believe.
    old_header = [("x-govhall-caller-bin", caller.SerializeToString())]
    assert await refusal(e2e, service, call, old_header) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "CALLER_UNSIGNED",
    )
    # A well-formed assertion under a key the platform never published.
    forged = signed(attacker, service, caller)
    assert await refusal(e2e, service, call, forged) == (grpc.StatusCode.UNAUTHENTICATED, "CALLER_INVALID")
    # A real assertion the gateway signed for another service, replayed here.
    other = "cases" if service != "cases" else "catalogue"
    replayed = signed(signer("gateway"), other, caller)
    assert await refusal(e2e, service, call, replayed) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "CALLER_MISADDRESSED",
    )
    # A real assertion for this service, replayed after its lifetime.
    stale = signed(
        signer("gateway"), service, caller, now=time.time() - LIFETIME_SECONDS - LEEWAY_SECONDS - 5
    )
    assert await refusal(e2e, service, call, stale) == (grpc.StatusCode.UNAUTHENTICATED, "CALLER_EXPIRED")
    log = e2e.log_dir / f"{service}.log"
    wait_until_sync(
        lambda: f"refused a call to {service}/{method}: CALLER_EXPIRED" in log.read_text(errors="replace"),
        30,
        what=f"{service} to log the refusals",
    )


async def test_a_service_key_opens_only_what_that_service_is_listed_for(e2e: Any) -> None:
    """Search's own key reads the catalogue's sites, but not a person's mailing addresses (with
    their mobiles) at identity, and cannot withdraw a matter or pose as cases."""
    search = signer("search")
    itself = C.CallerIdentity(kind=C.CALLER_KIND_SERVICE, subject="search")
    get_site = lambda ch, md: catalogue_pb2_grpc.CatalogueServiceStub(ch).GetSite(  # noqa: E731
        catalogue_pb2.GetSiteRequest(code="420000"), metadata=md, timeout=10
    )
    assert (await refusal(e2e, "catalogue", get_site, signed(search, "catalogue", itself)))[
        1
    ] != "CALLER_NOT_PERMITTED"
    addresses = CALLS["identity"][0][1]
    assert await refusal(e2e, "identity", addresses, signed(search, "identity", itself)) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "CALLER_NOT_PERMITTED",
    )
    withdraw = CALLS["catalogue"][1][1]
    assert await refusal(e2e, "catalogue", withdraw, signed(search, "catalogue", itself)) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "CALLER_NOT_PERMITTED",
    )
    posing = C.CallerIdentity(kind=C.CALLER_KIND_SERVICE, subject="cases")
    assert await refusal(e2e, "identity", addresses, signed(search, "identity", posing)) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "CALLER_NOT_PERMITTED",
    )
    # Cases, which mails notices, may read them: the call gets past the door (the owner has none).
    cases = C.CallerIdentity(kind=C.CALLER_KIND_SERVICE, subject="cases")
    code, _ = await refusal(e2e, "identity", addresses, signed(signer("cases"), "identity", cases))
    assert code == grpc.StatusCode.OK
