"""The gateway's REST API: portals call this; it maps each route onto a gRPC call.

Public reads are anonymous. Account routes need an access token from identity; the catalogue
admin routes take a staff token (the catalogue checks the staff member administers the site)
or the static platform-administrator token.
"""

import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

import grpc
from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from google.protobuf.json_format import MessageToDict
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import CONTENT_TYPE_LATEST, Histogram, generate_latest
from starlette.exceptions import HTTPException

from govhall.gateway import auth, model, problems
from govhall.gateway.accounts import identity_routes
from govhall.gateway.auth import Admin
from govhall.gateway.ratelimit import RateLimiter
from govhall.gateway.settings import GatewaySettings
from govhall.kit.caller import ANONYMOUS
from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.grpcclient import call_options, channel, domain_error
from govhall.kit.kv import create_kv
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2, identity_pb2_grpc
from govhall.protos.search.v1 import search_pb2, search_pb2_grpc

T = TypeVar("T")

HTTP_SECONDS = Histogram(
    "govhall_gateway_request_seconds",
    "Gateway request time",
    ["route", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

# How long GET /.well-known/jwks.json reuses identity's answer.
JWKS_REUSE_SECONDS = 10.0

SitePath = Annotated[
    str, Path(pattern=r"^\d{6}$", description="6-digit administrative division code (GB/T 2260)")
]
MatterCodePath = Annotated[str, Path(pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{0,35}$", description="matter code")]


class Upstreams:
    """gRPC stubs for the services the gateway talks to."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.timeout = settings.rpc_timeout_seconds
        self._channels = {
            "catalogue": channel(settings.catalogue_address),
            "search": channel(settings.search_address),
            "identity": channel(settings.identity_address),
        }
        self.catalogue = catalogue_pb2_grpc.CatalogueServiceStub(self._channels["catalogue"])
        self.search = search_pb2_grpc.SearchServiceStub(self._channels["search"])
        self.identity = identity_pb2_grpc.IdentityServiceStub(self._channels["identity"])

    async def call(self, rpc: Awaitable[T]) -> T:
        try:
            return await rpc
        except grpc.aio.AioRpcError as err:
            raise domain_error(err) from None

    def opts(self, caller: common_pb2.CallerIdentity = ANONYMOUS) -> dict[str, Any]:
        return call_options(caller, self.timeout)

    async def jwks(self) -> dict[str, Any]:
        """Identity's public keys as a JWKS document (RFC 7517)."""
        reply = await self.call(self.identity.GetJwks(identity_pb2.GetJwksRequest(), **self.opts()))
        return MessageToDict(reply, preserving_proto_field_name=True)

    async def ready(self) -> dict[str, bool]:
        out = {}
        for name, ch in self._channels.items():
            try:
                reply = await health_pb2_grpc.HealthStub(ch).Check(
                    health_pb2.HealthCheckRequest(), timeout=1.0
                )
                out[name] = reply.status == health_pb2.HealthCheckResponse.SERVING
            except grpc.aio.AioRpcError:
                out[name] = False
        return out

    async def close(self) -> None:
        for ch in self._channels.values():
            await ch.close()


def create_app(settings: GatewaySettings, redis_url: str | None = None) -> FastAPI:
    # Rate limits and the revoked sessions identity writes: Redis, or the process's own store.
    kv = create_kv(redis_url, settings.kv_namespace)
    limiter = RateLimiter(kv, settings.rate_limit_per_minute)
    upstreams: Upstreams | None = None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        nonlocal upstreams
        upstreams = Upstreams(settings)
        app.state.authenticator = auth.Authenticator(settings, kv, upstreams.jwks)
        yield
        await upstreams.close()
        await kv.close()

    app = FastAPI(
        title="govhall gateway",
        summary="政务服务网 API: matters, service guides and search for the provincial portal and its sub-sites",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.add_exception_handler(RequestValidationError, problems.on_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(DomainError, problems.on_domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, problems.on_http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, problems.on_unexpected)

    def up() -> Upstreams:
        assert upstreams is not None, "gateway not started"
        return upstreams

    @app.middleware("http")
    async def measure_and_limit(request: Request, call_next: Any) -> Response:
        start = time.perf_counter()
        if request.url.path.startswith("/api/"):
            client = request.client.host if request.client else "unknown"
            if not await limiter.allow(client):
                response: Response = problems.problem(
                    DomainError(
                        "RATE_LIMITED",
                        "too many requests; slow down",
                        "请求过于频繁，请稍后再试",
                        ErrorKind.TOO_MANY,
                    ),
                    request.url.path,
                )
                response.headers["Retry-After"] = "60"
                return response
        response = await call_next(request)
        route = request.scope.get("route")
        HTTP_SECONDS.labels(
            getattr(route, "path", "unmatched"), request.method, str(response.status_code)
        ).observe(time.perf_counter() - start)
        return response

    async def call_identity(rpc: str, request: Any, caller: common_pb2.CallerIdentity | None) -> Any:
        u = up()
        return await u.call(getattr(u.identity, rpc)(request, **u.opts(caller or ANONYMOUS)))

    app.include_router(identity_routes(call_identity))

    published_jwks: tuple[float, dict[str, Any]] | None = None  # (monotonic time fetched, document)

    @app.get(
        "/.well-known/jwks.json",
        tags=["auth"],
        summary="The public keys that verify access tokens (RFC 7517)",
        operation_id="getJwks",
    )
    async def jwks() -> JSONResponse:
        # Public and outside the /api rate limit: answer from a short cache, so a flood of
        # requests costs identity one call per JWKS_REUSE_SECONDS (less than identity waits
        # before a new key signs, so a rotation still shows in time).
        nonlocal published_jwks
        now = time.monotonic()
        if published_jwks is None or now - published_jwks[0] >= JWKS_REUSE_SECONDS:
            published_jwks = (now, await up().jwks())
        return JSONResponse(published_jwks[1], headers={"Cache-Control": "public, max-age=300"})

    # Operations ---------------------------------------------------------------------------

    @app.get("/healthz", tags=["operations"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="Upstream services and the rate limiter answer")
    async def readyz() -> JSONResponse:
        checks = await up().ready()
        checks["rate_limiter"] = await limiter.ready()
        ok = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503
        )

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    # Public reads -------------------------------------------------------------------------

    @app.get(
        "/api/v1/sites/{site}", tags=["sites"], summary="A site and its ancestors", operation_id="getSite"
    )
    async def get_site(site: SitePath) -> model.SiteOut:
        u = up()
        return model.site_out(await u.call(u.catalogue.GetSite(cat.GetSiteRequest(code=site), **u.opts())))

    @app.get(
        "/api/v1/sites/{site}/matters",
        tags=["matters"],
        summary="Published matters a site offers: its own and its ancestors'",
        operation_id="listMatters",
    )
    async def list_matters(
        site: SitePath,
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
        page_size: Annotated[int, Query(ge=1, le=100)] = 20,
        audience: model.AudienceName | None = None,
        type: model.MatterTypeName | None = None,
        department: Annotated[str | None, Query(max_length=40)] = None,
        online_only: bool = False,
        own_site_only: bool = False,
        name: Annotated[str | None, Query(max_length=100, description="part of the name")] = None,
    ) -> model.MatterList:
        u = up()
        request = cat.ListMattersRequest(
            site_code=site,
            page=common_pb2.PageRequest(page=page, page_size=page_size),
            audience=model.AUDIENCES[audience][0] if audience else 0,  # type: ignore[arg-type]
            type=model.TYPES[type][0] if type else 0,  # type: ignore[arg-type]
            department_code=department or "",
            online_only=online_only,
            own_site_only=own_site_only,
            name_contains=name or "",
        )
        reply = await u.call(u.catalogue.ListMatters(request, **u.opts()))
        return model.MatterList(
            items=[model.matter_out(m) for m in reply.matters], page=model.page_out(reply.page)
        )

    @app.get(
        "/api/v1/sites/{site}/matters/{code}",
        tags=["matters"],
        summary="A matter's service guide (办事指南), as seen from a site",
        operation_id="getMatter",
    )
    async def get_matter(site: SitePath, code: MatterCodePath) -> model.MatterOut:
        u = up()
        reply = await u.call(
            u.catalogue.GetMatter(cat.GetMatterRequest(site_code=site, code=code), **u.opts())
        )
        return model.matter_out(reply)

    @app.get(
        "/api/v1/sites/{site}/search",
        tags=["search"],
        summary="Search the matters a site offers (its own and its ancestors')",
        operation_id="searchMatters",
    )
    async def search(
        site: SitePath,
        q: Annotated[str, Query(min_length=1, max_length=100, description="关键词, e.g. 营业执照")],
        page: Annotated[int, Query(ge=1, le=100)] = 1,
        page_size: Annotated[int, Query(ge=1, le=50)] = 10,
    ) -> model.SearchResult:
        u = up()
        request = search_pb2.SearchMattersRequest(
            site_code=site, query=q, page=common_pb2.PageRequest(page=page, page_size=page_size)
        )
        reply = await u.call(u.search.SearchMatters(request, **u.opts()))
        return model.SearchResult(
            query=q, items=[model.hit_out(h) for h in reply.hits], page=model.page_out(reply.page)
        )

    # Admin writes -------------------------------------------------------------------------

    @app.put(
        "/api/v1/admin/sites/{site}",
        tags=["admin"],
        summary="Create or rename a site",
        operation_id="putSite",
    )
    async def put_site(site: SitePath, body: model.SiteIn, caller: Admin) -> model.SiteOut:
        u = up()
        request = cat.UpsertSiteRequest(
            code=site,
            name=body.name,
            level=model.LEVELS[body.level],
            parent_code=body.parent_code,  # type: ignore[arg-type]
        )
        return model.site_out(await u.call(u.catalogue.UpsertSite(request, **u.opts(caller))))

    @app.put(
        "/api/v1/admin/sites/{site}/departments/{code}",
        tags=["admin"],
        summary="Create or rename a department of a site",
        operation_id="putDepartment",
    )
    async def put_department(
        site: SitePath,
        code: Annotated[str, Path(pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{0,39}$")],
        body: model.DepartmentIn,
        caller: Admin,
    ) -> model.DepartmentOut:
        u = up()
        request = cat.UpsertDepartmentRequest(code=code, site_code=site, name=body.name)
        d = await u.call(u.catalogue.UpsertDepartment(request, **u.opts(caller)))
        return model.DepartmentOut(code=d.code, site_code=d.site_code, name=d.name)

    @app.post(
        "/api/v1/admin/sites/{site}/matters",
        tags=["admin"],
        status_code=201,
        summary="Create a matter as a draft",
        operation_id="createMatter",
    )
    async def create_matter(site: SitePath, body: model.NewMatter, caller: Admin) -> model.MatterOut:
        u = up()
        request = cat.CreateMatterRequest(code=body.code, site_code=site, draft=model.draft_message(body))
        return model.matter_out(await u.call(u.catalogue.CreateMatter(request, **u.opts(caller))))

    @app.get(
        "/api/v1/admin/sites/{site}/matters/{code}",
        tags=["admin"],
        summary="A matter in any status",
        operation_id="getMatterAdmin",
    )
    async def get_matter_admin(site: SitePath, code: MatterCodePath, caller: Admin) -> model.MatterOut:
        u = up()
        request = cat.GetMatterRequest(site_code=site, code=code, include_unpublished=True)
        return model.matter_out(await u.call(u.catalogue.GetMatter(request, **u.opts(caller))))

    @app.put(
        "/api/v1/admin/sites/{site}/matters/{code}",
        tags=["admin"],
        summary="Edit a matter (a published one is re-indexed)",
        operation_id="updateMatter",
    )
    async def update_matter(
        site: SitePath, code: MatterCodePath, body: model.MatterUpdate, caller: Admin
    ) -> model.MatterOut:
        u = up()
        request = cat.UpdateMatterRequest(
            code=code,
            site_code=site,
            draft=model.draft_message(body),
            expected_revision=body.expected_revision,
        )
        return model.matter_out(await u.call(u.catalogue.UpdateMatter(request, **u.opts(caller))))

    @app.post(
        "/api/v1/admin/sites/{site}/matters/{code}/publish",
        tags=["admin"],
        summary="Publish a matter",
        operation_id="publishMatter",
    )
    async def publish_matter(site: SitePath, code: MatterCodePath, caller: Admin) -> model.MatterOut:
        u = up()
        request = cat.ChangeMatterStatusRequest(code=code, site_code=site)
        return model.matter_out(await u.call(u.catalogue.PublishMatter(request, **u.opts(caller))))

    @app.post(
        "/api/v1/admin/sites/{site}/matters/{code}/withdraw",
        tags=["admin"],
        summary="Withdraw a published matter",
        operation_id="withdrawMatter",
    )
    async def withdraw_matter(site: SitePath, code: MatterCodePath, caller: Admin) -> model.MatterOut:
        u = up()
        request = cat.ChangeMatterStatusRequest(code=code, site_code=site)
        return model.matter_out(await u.call(u.catalogue.WithdrawMatter(request, **u.opts(caller))))

    return app
