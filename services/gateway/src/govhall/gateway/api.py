"""The gateway's REST API: portals call this; it maps each route onto a gRPC call.

Public reads are anonymous. Account routes need an access token from identity; the catalogue
admin routes take a staff token (the catalogue checks the staff member administers the site)
or the static platform-administrator token. The routes live with their upstream: accounts.py
(identity), catalogue.py and search.py; this module builds the app and its operations routes.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import ConfigDict, Field
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

from govhall.gateway import auth, guards, openapi, problems, query
from govhall.gateway.accounts import identity_routes
from govhall.gateway.appointments import appointments_routes
from govhall.gateway.cacheevents import CacheEvents
from govhall.gateway.cases import cases_routes
from govhall.gateway.catalogue import catalogue_routes
from govhall.gateway.catalogue_admin import catalogue_admin_routes
from govhall.gateway.catalogue_files import catalogue_file_routes
from govhall.gateway.consult import consult_routes
from govhall.gateway.handovers import handovers_routes
from govhall.gateway.licences import licences_routes
from govhall.gateway.metering import MeasureAndLimit
from govhall.gateway.portal import portal_routes
from govhall.gateway.protojson import Out
from govhall.gateway.ratelimit import RateLimiter
from govhall.gateway.responsecache import ResponseCache
from govhall.gateway.search import search_routes
from govhall.gateway.search_ask import ask_routes
from govhall.gateway.search_lexicon import lexicon_routes
from govhall.gateway.settings import GatewaySettings
from govhall.gateway.upstreams import Upstreams
from govhall.kit.bus import EventBus
from govhall.kit.errors import DomainError
from govhall.kit.kv import create_kv
from govhall.kit.settings import PlatformSettings
from govhall.kit.trust import Signer

# Trace context an internet client sends: never believed. The gateway is where a trace starts;
# a client's traceparent would let it pick the trace id (and join someone else's trace) and
# turn sampling on or off for its own requests.
log = logging.getLogger(__name__)
UNTRUSTED_TRACE_HEADERS = frozenset({b"traceparent", b"tracestate", b"baggage"})


class GatewayApp(FastAPI):
    """FastAPI whose request span (opened in FastAPI.__call__, before any middleware) never
    continues a trace the client names."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = scope.get("headers") or []
            if any(name.lower() in UNTRUSTED_TRACE_HEADERS for name, _ in headers):
                scope = {
                    **scope,
                    "headers": [h for h in headers if h[0].lower() not in UNTRUSTED_TRACE_HEADERS],
                }
        await super().__call__(scope, receive, send)


def gateway_signer(var_dir: Path | None) -> Signer:
    platform = PlatformSettings() if var_dir is None else PlatformSettings(var_dir=var_dir)
    return Signer.from_settings(platform, "gateway")


# How long GET /.well-known/jwks.json reuses identity's answer.
JWKS_REUSE_SECONDS = 10.0


def create_app(
    settings: GatewaySettings,
    redis_url: str | None = None,
    var_dir: Path | None = None,
    *,
    redis_username: str | None = None,
    redis_password: str | None = None,
    signer: Signer | None = None,
    bus: EventBus | None = None,
    own_bus: bool = False,
) -> FastAPI:
    """The gateway's app. It signs the callers it passes on with ``signer``, by default the
    gateway's key from the platform settings (GOVHALL_TRUST_KEY_FILE, or the trust directory
    under ``var_dir``). On ``bus`` (started by the app when ``own_bus``) it hears the events that
    make cached public answers stale (cacheevents.py)."""
    # Rate limits and the revoked sessions identity writes: Redis, or without it the file under
    # var_dir that identity writes (all-in-one), or the process's own memory.
    kv = create_kv(
        redis_url, settings.kv_namespace, var_dir=var_dir, username=redis_username, password=redis_password
    )
    # Counted in Redis when the replicas share one; else in this process (all-in-one is one process).
    limiter = RateLimiter(kv if redis_url else None, settings.rate_limit_per_minute)
    # Public answers: in Redis when there is one (the replicas share it), else in this process.
    cache = ResponseCache(settings.response_cache_seconds, kv if redis_url else None)
    upstreams: Upstreams | None = None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        nonlocal upstreams
        upstreams = Upstreams(settings, signer or gateway_signer(var_dir))
        # Its own bus connects in the background: NATS away must not keep the gateway from
        # serving (its cache keeps the short lifetime until the events are heard).
        hearing = None
        if bus is not None and own_bus:
            hearing = asyncio.create_task(_hear_changes(cache, bus, own_bus, settings), name="cache-events")
        elif bus is not None:
            await _hear_changes(cache, bus, own_bus, settings)
        app.state.authenticator = auth.Authenticator(settings, kv, upstreams.jwks)
        watch = (
            asyncio.create_task(upstreams.watch(settings.upstream_check_seconds))
            if settings.upstream_check_seconds > 0
            else None
        )
        yield
        if watch is not None:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
        await upstreams.close()
        await kv.close()
        if hearing is not None:
            hearing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await hearing
        if bus is not None and own_bus:
            await bus.close()

    app = GatewayApp(
        title="govhall gateway",
        summary="政务服务网 API: matters, service guides and search for the provincial portal and its sub-sites",
        version="0.1.0",
        lifespan=lifespan,
        dependencies=[Depends(query.refuse_unknown_query_parameters)],
        # FastAPI's own server span per request (named `POST /api/v1/cases/{case_id}/submit`, the
        # route's template) is the root of a request's trace, once observability.setup has
        # installed a tracer provider; the gRPC calls made under it carry its context
        # (kit.tracing). Metrics stay Prometheus's, and no request's text goes to an OpenTelemetry
        # log: our logs are redacted, its would not be.
        telemetry={"metrics": False, "logs": False, "auto_configure": False},
    )
    app.add_exception_handler(RequestValidationError, problems.on_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(DomainError, problems.on_domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, problems.on_http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, problems.on_unexpected)

    def up() -> Upstreams:
        assert upstreams is not None, "gateway not started"
        return upstreams

    # Routes that cap their own bodies (uploads), filled once every router is included.
    own_limit_routes: list[APIRoute] = []

    def own_limit(scope: Scope) -> bool:
        return any(route.matches(scope)[0] == Match.FULL for route in own_limit_routes)

    # Innermost first: body limits, then rate limits and timing, then the client's address.
    app.add_middleware(guards.RequestLimits, settings=settings, own_limit=own_limit)

    # An admin write may change what a public answer said: forget the cached ones (responsecache.py).
    app.add_middleware(MeasureAndLimit, limiter=limiter, after_admin_write=cache.new_epoch)  # type: ignore[arg-type]

    app.include_router(identity_routes(up))

    published_jwks: tuple[float, dict[str, Any]] | None = None  # (monotonic time fetched, document)

    @app.get(
        "/.well-known/jwks.json",
        tags=["auth"],
        summary="The public keys that verify access tokens (RFC 7517)",
        operation_id="getJwks",
    )
    async def jwks(response: Response) -> JwksOut:
        # Public and outside the /api rate limit: answer from a short cache, so a flood of
        # requests costs identity one call per JWKS_REUSE_SECONDS (less than identity waits
        # before a new key signs, so a rotation still shows in time).
        nonlocal published_jwks
        now = time.monotonic()
        if published_jwks is None or now - published_jwks[0] >= JWKS_REUSE_SECONDS:
            published_jwks = (now, await up().jwks())
        response.headers["Cache-Control"] = "public, max-age=300"
        return JwksOut.model_validate(published_jwks[1])

    # Operations ---------------------------------------------------------------------------

    @app.get("/healthz", tags=["operations"], summary="The process is alive")
    async def healthz() -> StatusOut:
        return StatusOut(status="ok")

    # Readiness is the gateway's own: with one service down the gateway still serves every other
    # route (and a 503 for that service's), so taking it out of rotation would take the whole
    # portal down with one service. The upstreams are reported apart.
    @app.get(
        "/readyz",
        tags=["operations"],
        summary="The gateway can serve: its key-value store answers and its signing key is loaded",
        responses={503: {"description": "Not ready: the checks say which", "model": ReportOut}},
    )
    async def readyz(response: Response) -> ReportOut:
        checks = {"key_value_store": await kv.ready(), "signing_key": up().signing_key_ready()}
        return _report(response, checks, "ready", "not ready")

    @app.get(
        "/healthz/upstreams",
        tags=["operations"],
        summary="Whether each upstream service is serving (200 only when all are)",
        responses={503: {"description": "Some are not: the checks say which", "model": ReportOut}},
    )
    async def upstreams_health(response: Response) -> ReportOut:
        return _report(response, await up().health(), "serving", "degraded")

    app.include_router(catalogue_routes(up, cache))
    app.include_router(catalogue_admin_routes(up))
    app.include_router(catalogue_file_routes(up))
    app.include_router(search_routes(up, cache))
    app.include_router(ask_routes(up))
    app.include_router(lexicon_routes(up))
    app.include_router(cases_routes(up, settings.case_upload_max_bytes))
    app.include_router(handovers_routes(up, settings.case_upload_max_bytes))
    app.include_router(consult_routes(up, settings.letter_attachment_max_bytes))
    app.include_router(appointments_routes(up))
    app.include_router(licences_routes(up, settings.drive_file_max_bytes))
    own_limit_routes.extend(r for r in _api_routes(app.routes) if getattr(r, "own_body_limit", False))
    # Prometheus scrapes metrics_port (observability.setup), not the API: /metrics is not public.
    app.add_middleware(guards.client_address, settings=settings)  # type: ignore[arg-type]
    openapi.document_errors(app)
    # The reference portal: its pages at / and its files under /portal/, after every API route.
    app.router.routes.extend(portal_routes())
    return app


class StatusOut(Out):
    status: str


class ReportOut(Out):
    status: str = Field(description="ready | not ready, serving | degraded")
    checks: dict[str, bool] = Field(description="each check and whether it passed")


class JwksOut(Out):
    """A JSON Web Key Set (RFC 7517) as identity publishes it."""

    model_config = ConfigDict(extra="allow")
    keys: list[dict[str, Any]]


async def _hear_changes(
    cache: ResponseCache, bus: EventBus, own_bus: bool, settings: GatewaySettings
) -> None:
    """Listen for the events that make cached answers stale; without them the gateway still
    serves, its cache keeping answers for the short lifetime only (cacheevents.py)."""
    if own_bus:
        try:
            await bus.start()
        except Exception:
            log.error(
                "response cache: NATS refused or is away; answers kept for the short lifetime", exc_info=True
            )
            return
    events = CacheEvents(cache, bus, settings.response_cache_seconds, settings.response_cache_event_seconds)
    await events.listen()


def _report(response: Response, checks: dict[str, bool], ok: str, not_ok: str) -> ReportOut:
    """An operations report: 200 when every check passed, else 503; the checks say which failed."""
    passed = all(checks.values())
    response.status_code = 200 if passed else 503
    return ReportOut(status=ok if passed else not_ok, checks=checks)


def _api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, inside included routers too (FastAPI keeps an included router whole)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None) or getattr(route, "router", None)
        if inner is not None and inner is not route:
            yield from _api_routes(getattr(inner, "routes", ()))


def server_config(app: FastAPI, settings: GatewaySettings, log_level: str) -> uvicorn.Config:
    """How uvicorn serves the gateway, the same in its own process and in all-in-one mode."""
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=log_level.lower(),
        # Leave logging to ours: uvicorn's own handlers would bypass the redaction of ID and
        # mobile numbers (an access-log line carries the query string).
        log_config=None,
        # uvicorn would believe X-Forwarded-For from 127.0.0.1 (FORWARDED_ALLOW_IPS): the
        # gateway's trusted_proxies decide instead (guards.client_address).
        proxy_headers=False,
    )
