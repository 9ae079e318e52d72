"""Every request's rate limit (per client, on /api/) and its time in the request histogram.

Pure ASGI: as `@app.middleware("http")` (Starlette's BaseHTTPMiddleware) this ran each request's
app in a task of its own and passed the response through a memory stream, which py-spy showed
at about a seventh of the gateway's CPU on GET /api/v1/me.
"""

from __future__ import annotations

import time

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


class MeasureAndLimit:
    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

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
        route = scope.get("route")
        HTTP_SECONDS.labels(getattr(route, "path", "unmatched"), scope["method"], str(status)).observe(
            time.perf_counter() - start
        )
