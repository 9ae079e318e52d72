"""The services the gateway calls: one registry (name → address setting → stub), one call helper.

Every call carries the caller in an assertion the gateway signs for that one service
(govhall.kit.trust). A service that is down answers its own routes with a 503 problem that names
it in public words, at once (no waiting for a connection: wait_for_ready is off and a connection
attempt gives up after CONNECT_TIMEOUT_MS); the gateway and its other routes go on serving, and
its health is reported apart from the gateway's readiness (`health`, the gauge below).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import grpc
from google.protobuf.json_format import MessageToDict
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import Gauge

from govhall.gateway.settings import GatewaySettings
from govhall.kit.caller import ANONYMOUS
from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.grpcclient import call_options, channel, domain_error
from govhall.kit.trust import Signer
from govhall.protos.appointments.v1 import (
    bookings_pb2_grpc,
    hall_admin_pb2_grpc,
    hall_desk_pb2_grpc,
    halls_pb2_grpc,
)
from govhall.protos.cases.v1 import cases_pb2_grpc
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2
from govhall.protos.consult.v1 import (
    error_reports_pb2_grpc,
    evaluations_pb2_grpc,
    favourites_pb2_grpc,
    inbox_pb2_grpc,
    letters_pb2_grpc,
)
from govhall.protos.identity.v1 import identity_pb2, identity_pb2_grpc
from govhall.protos.licences.v1 import drive_pb2_grpc, grants_pb2_grpc, licences_pb2_grpc
from govhall.protos.licences.v1 import types_pb2_grpc as licence_types_pb2_grpc
from govhall.protos.licences.v1 import verification_pb2_grpc as licence_verification_pb2_grpc
from govhall.protos.search.v1 import search_pb2_grpc

if TYPE_CHECKING:
    from govhall.protos.appointments.v1.bookings_pb2_grpc import BookingsServiceAsyncStub
    from govhall.protos.appointments.v1.hall_admin_pb2_grpc import (
        HallAdminServiceAsyncStub,
        SlotsServiceAsyncStub,
    )
    from govhall.protos.appointments.v1.hall_desk_pb2_grpc import HallDeskServiceAsyncStub
    from govhall.protos.appointments.v1.halls_pb2_grpc import HallsServiceAsyncStub
    from govhall.protos.cases.v1.cases_pb2_grpc import CasesServiceAsyncStub
    from govhall.protos.catalogue.v1.catalogue_pb2_grpc import CatalogueServiceAsyncStub
    from govhall.protos.consult.v1.error_reports_pb2_grpc import ErrorReportsServiceAsyncStub
    from govhall.protos.consult.v1.evaluations_pb2_grpc import EvaluationsServiceAsyncStub
    from govhall.protos.consult.v1.favourites_pb2_grpc import FavouritesServiceAsyncStub
    from govhall.protos.consult.v1.inbox_pb2_grpc import InboxServiceAsyncStub
    from govhall.protos.consult.v1.letters_pb2_grpc import LettersServiceAsyncStub
    from govhall.protos.identity.v1.identity_pb2_grpc import IdentityServiceAsyncStub
    from govhall.protos.licences.v1.drive_pb2_grpc import DriveServiceAsyncStub
    from govhall.protos.licences.v1.grants_pb2_grpc import LicenceGrantsServiceAsyncStub
    from govhall.protos.licences.v1.licences_pb2_grpc import LicencesServiceAsyncStub
    from govhall.protos.licences.v1.types_pb2_grpc import LicenceTypesServiceAsyncStub
    from govhall.protos.licences.v1.verification_pb2_grpc import (
        LicenceAdminServiceAsyncStub,
        VerificationServiceAsyncStub,
    )
    from govhall.protos.search.v1.search_pb2_grpc import SearchServiceAsyncStub

UPSTREAM_UP = Gauge(
    "govhall_gateway_upstream_up",
    "1 when the upstream service answered its last health check or call, 0 when it could not be reached",
    ["upstream"],
)

# A connection attempt to a host that does not answer (a pod gone, a black-holed address) gives
# up after this, so calls to it fail fast instead of waiting out their deadline; and a service
# back up is tried again within MAX_BACKOFF_MS (gRPC's defaults: 20 s and 120 s).
CONNECT_TIMEOUT_MS = 2_000
MAX_BACKOFF_MS = 5_000
CHANNEL_OPTIONS = [
    ("grpc.min_reconnect_backoff_ms", CONNECT_TIMEOUT_MS),
    ("grpc.initial_reconnect_backoff_ms", 500),
    ("grpc.max_reconnect_backoff_ms", MAX_BACKOFF_MS),
]
HEALTH_TIMEOUT_SECONDS = 1.0
# What a client is told to wait before trying a down service again.
RETRY_AFTER_SECONDS = 5

S = TypeVar("S")
Req = TypeVar("Req")
Rep = TypeVar("Rep")
T = TypeVar("T")


@dataclass(frozen=True)
class Spec(Generic[S]):
    """An upstream: its name (the audience its calls are signed for, the settings field
    ``<name>_address``), how the public may hear of it, and its stub."""

    name: str
    label: str
    label_zh: str
    stub: Callable[[grpc.aio.Channel], S]


CATALOGUE: Spec[CatalogueServiceAsyncStub] = Spec(
    "catalogue", "catalogue", "办事指南", catalogue_pb2_grpc.CatalogueServiceStub
)
SEARCH: Spec[SearchServiceAsyncStub] = Spec("search", "search", "搜索", search_pb2_grpc.SearchServiceStub)
IDENTITY: Spec[IdentityServiceAsyncStub] = Spec(
    "identity", "account", "用户账户", identity_pb2_grpc.IdentityServiceStub
)
CASES: Spec[CasesServiceAsyncStub] = Spec("cases", "case handling", "办件", cases_pb2_grpc.CasesServiceStub)


class ConsultStubs:
    """Consult serves several gRPC services (favourites, letters, evaluations, ...) on one
    address: one upstream, one stub per service (`call(lambda s: s.favourites.PutFavourite, ...)`)."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.favourites: FavouritesServiceAsyncStub = favourites_pb2_grpc.FavouritesServiceStub(channel)  # type: ignore[assignment]
        self.evaluations: EvaluationsServiceAsyncStub = evaluations_pb2_grpc.EvaluationsServiceStub(channel)  # type: ignore[assignment]
        self.error_reports: ErrorReportsServiceAsyncStub = error_reports_pb2_grpc.ErrorReportsServiceStub(
            channel
        )  # type: ignore[assignment]
        self.inbox: InboxServiceAsyncStub = inbox_pb2_grpc.InboxServiceStub(channel)  # type: ignore[assignment]
        self.letters: LettersServiceAsyncStub = letters_pb2_grpc.LettersServiceStub(channel)  # type: ignore[assignment]


CONSULT: Spec[ConsultStubs] = Spec("consult", "consultation", "咨询投诉与评价", ConsultStubs)


class AppointmentsStubs:
    """Appointments serves several gRPC services (halls, bookings, the hall desk) on one address."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.halls: HallsServiceAsyncStub = halls_pb2_grpc.HallsServiceStub(channel)  # type: ignore[assignment]
        self.bookings: BookingsServiceAsyncStub = bookings_pb2_grpc.BookingsServiceStub(channel)  # type: ignore[assignment]
        self.hall_admin: HallAdminServiceAsyncStub = hall_admin_pb2_grpc.HallAdminServiceStub(channel)  # type: ignore[assignment]
        self.slots: SlotsServiceAsyncStub = hall_admin_pb2_grpc.SlotsServiceStub(channel)  # type: ignore[assignment]
        self.desk: HallDeskServiceAsyncStub = hall_desk_pb2_grpc.HallDeskServiceStub(channel)  # type: ignore[assignment]


APPOINTMENTS: Spec[AppointmentsStubs] = Spec("appointments", "appointments", "预约", AppointmentsStubs)


class LicencesStubs:
    """Licences serves several gRPC services (types, licences, grants, the drive) on one address."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.types: LicenceTypesServiceAsyncStub = licence_types_pb2_grpc.LicenceTypesServiceStub(channel)  # type: ignore[assignment]
        verification = licence_verification_pb2_grpc
        self.verification: VerificationServiceAsyncStub = verification.VerificationServiceStub(channel)  # type: ignore[assignment]
        self.admin: LicenceAdminServiceAsyncStub = verification.LicenceAdminServiceStub(channel)  # type: ignore[assignment]
        self.drive: DriveServiceAsyncStub = drive_pb2_grpc.DriveServiceStub(channel)  # type: ignore[assignment]
        self.licences: LicencesServiceAsyncStub = licences_pb2_grpc.LicencesServiceStub(channel)  # type: ignore[assignment]
        self.grants: LicenceGrantsServiceAsyncStub = grants_pb2_grpc.LicenceGrantsServiceStub(channel)  # type: ignore[assignment]


LICENCES: Spec[LicencesStubs] = Spec("licences", "licences", "电子证照", LicencesStubs)
# The one registry: the benchmarks start, and /healthz/upstreams reports, exactly these.
REGISTRY: tuple[Spec[Any], ...] = (CATALOGUE, SEARCH, IDENTITY, CASES, CONSULT, APPOINTMENTS, LICENCES)


def address(settings: GatewaySettings, name: str) -> str:
    """The one address convention: GOVHALL_GATEWAY_<NAME>_ADDRESS (host:port)."""
    return str(getattr(settings, f"{name}_address"))


class Upstream(Generic[S]):
    """One service: its channel, its stub, and the call helper every route uses."""

    def __init__(self, spec: Spec[S], settings: GatewaySettings, signer: Signer) -> None:
        self.spec = spec
        self.timeout = settings.rpc_timeout_seconds
        self.channel = channel(
            address(settings, spec.name), signer=signer, audience=spec.name, options=CHANNEL_OPTIONS
        )
        self.stub: S = spec.stub(self.channel)

    async def call(
        self,
        rpc: Callable[[S], grpc.aio.UnaryUnaryMultiCallable[Req, Rep]],
        request: Req,
        caller: common_pb2.CallerIdentity | None = None,
    ) -> Rep:
        """``rpc(stub)(request)`` on behalf of ``caller``, with the gateway's deadline; a failure
        is the service's DomainError, or this service being unavailable."""
        method = rpc(self.stub)
        opts = call_options(caller or ANONYMOUS, self.timeout)
        return await self.guard(method(request, wait_for_ready=False, **opts))

    def stream(
        self,
        rpc: Callable[[S], grpc.aio.UnaryStreamMultiCallable[Req, Rep]],
        request: Req,
        caller: common_pb2.CallerIdentity | None = None,
        *,
        timeout: float | None = None,
    ) -> grpc.aio.UnaryStreamCall[Req, Rep]:
        """A server-streaming call; read each message through `guard`."""
        opts = call_options(caller or ANONYMOUS, self.timeout if timeout is None else timeout)
        return rpc(self.stub)(request, wait_for_ready=False, **opts)

    async def upload(
        self,
        rpc: Callable[[S], grpc.aio.StreamUnaryMultiCallable[Req, Rep]],
        requests: AsyncIterator[Req],
        caller: common_pb2.CallerIdentity | None = None,
        *,
        seconds: float | None = None,
    ) -> Rep:
        """A client-streaming call (a file in chunks), with the errors mapped as `call`'s."""
        opts = call_options(caller or ANONYMOUS, self.timeout if seconds is None else seconds)
        return await self.guard(rpc(self.stub)(requests, wait_for_ready=False, **opts))

    async def guard(self, rpc: Awaitable[T]) -> T:
        """Await one gRPC result (a unary call, a stream's next message) with the errors mapped."""
        try:
            reply = await rpc
        except grpc.aio.AioRpcError as err:
            raise self.error(err) from None
        UPSTREAM_UP.labels(self.spec.name).set(1)
        return reply

    def error(self, err: grpc.aio.AioRpcError) -> DomainError:
        mapped = domain_error(err)
        if mapped.code != "UPSTREAM_UNAVAILABLE":
            return mapped
        # Not the service's answer but no answer: say which part of the portal is down, in
        # the words the public knows it by (never its address or the transport's message).
        UPSTREAM_UP.labels(self.spec.name).set(0)
        return DomainError(
            "UPSTREAM_UNAVAILABLE",
            f"the {self.spec.label} service is unavailable; try again later",
            f"{self.spec.label_zh}服务暂不可用，请稍后再试",
            ErrorKind.UNAVAILABLE,
            retry_after_seconds=RETRY_AFTER_SECONDS,
        )

    async def serving(self) -> bool:
        try:
            reply = await health_pb2_grpc.HealthStub(self.channel).Check(
                health_pb2.HealthCheckRequest(), timeout=HEALTH_TIMEOUT_SECONDS, wait_for_ready=False
            )
            up = reply.status == health_pb2.HealthCheckResponse.SERVING
        except grpc.aio.AioRpcError:
            up = False
        UPSTREAM_UP.labels(self.spec.name).set(1 if up else 0)
        return up


class Upstreams:
    """Every upstream of the registry, by name."""

    def __init__(self, settings: GatewaySettings, signer: Signer) -> None:
        self.signer = signer
        self.catalogue = Upstream(CATALOGUE, settings, signer)
        self.search = Upstream(SEARCH, settings, signer)
        self.identity = Upstream(IDENTITY, settings, signer)
        self.cases = Upstream(CASES, settings, signer)
        self.consult = Upstream(CONSULT, settings, signer)
        self.appointments = Upstream(APPOINTMENTS, settings, signer)
        self.licences = Upstream(LICENCES, settings, signer)
        self.all: dict[str, Upstream[Any]] = {
            u.spec.name: u
            for u in (
                self.catalogue,
                self.search,
                self.identity,
                self.cases,
                self.consult,
                self.appointments,
                self.licences,
            )
        }
        assert set(self.all) == {s.name for s in REGISTRY}, "every upstream of the registry, once"

    async def jwks(self) -> dict[str, Any]:
        """Identity's public keys as a JWKS document (RFC 7517)."""
        reply: identity_pb2.Jwks = await self.identity.call(
            lambda s: s.GetJwks, identity_pb2.GetJwksRequest()
        )
        return MessageToDict(reply, preserving_proto_field_name=True)

    async def health(self) -> dict[str, bool]:
        """Whether each upstream is serving, asked of all at once (one down costs at most
        HEALTH_TIMEOUT_SECONDS, not that times the number of services)."""
        names = list(self.all)
        answers = await asyncio.gather(*(self.all[n].serving() for n in names))
        return dict(zip(names, answers, strict=True))

    async def watch(self, every: float) -> None:
        """Ask every upstream's health every ``every`` seconds, until cancelled (the gauge)."""
        while True:
            await self.health()
            await asyncio.sleep(every)

    def signing_key_ready(self) -> bool:
        """The gateway can sign an assertion now (its key file read, a key active)."""
        try:
            self.signer.sign("gateway", ANONYMOUS)
        except Exception:
            return False
        return True

    async def close(self) -> None:
        for u in self.all.values():
            await u.channel.close()
