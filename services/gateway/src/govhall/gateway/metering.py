"""Every request's rate limit (per client, on /api/), its time in the request histogram, and what
follows a successful admin write (the response cache forgets its answers).

Pure ASGI: as `@app.middleware("http")` (Starlette's BaseHTTPMiddleware) this ran each request's
app in a task of its own and passed the response through a memory stream, which py-spy showed
at about a seventh of the gateway's CPU on GET /api/v1/me.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from prometheus_client import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govhall.gateway import problems
from govhall.gateway.ratelimit import RateLimiter
from govhall.kit.errors import DomainError, ErrorKind

HTTP_SECONDS = Histogram(
    "govhall_gateway_request_seconds",
    "Gateway request time",
    ["route", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

RATE_LIMITED = DomainError(
    "RATE_LIMITED", "too many requests; slow down", "请求过于频繁，请稍后再试", ErrorKind.TOO_MANY
)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ADMIN = "/api/v1/admin/"


class MeasureAndLimit:
    def __init__(
        self,
        app: ASGIApp,
        limiter: RateLimiter,
        after_admin_write: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.after_admin_write = after_admin_write

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        path: str = scope["path"]
        if path.startswith("/api/"):
            client = scope.get("client")
            if not await self.limiter.allow(client[0] if client else "unknown"):
                response = problems.problem(RATE_LIMITED, path)
                response.headers["Retry-After"] = "60"
                await response(scope, receive, send)
                return
        status = 500  # if the app never starts a response

        async def send_seen(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, send_seen)
        if (
            self.after_admin_write is not None
            and status < 300
            and scope["method"] not in SAFE_METHODS
            and path.startswith(ADMIN)
        ):
            await self.after_admin_write()
        route = scope.get("route")
        HTTP_SECONDS.labels(getattr(route, "path", "unmatched"), scope["method"], str(status)).observe(
            time.perf_counter() - start
        )
