"""What keeps one slow or dead service from holding up the others: deadlines that travel with
a request, and a circuit breaker per upstream.

**Deadlines.** The server middleware records when the RPC it is serving must end
(`serving_until`); every call a channel makes while serving it gets at most the time left
(`remaining_seconds`), whatever timeout its call site asked for. A request that reaches cases
with 2 s left cannot have cases wait 5 s for identity: it would answer a caller who has gone.
A call with no time left is not made at all (DEADLINE_EXCEEDED at once).

**Circuit breaker.** After `failures` calls in a row that found the upstream unreachable
(UNAVAILABLE), the channel stops trying for `open_seconds`: calls fail at once with UNAVAILABLE
(a 503 at the gateway) instead of each waiting for a connection. Then one call is let through;
if it reaches the service, the circuit closes. Only UNAVAILABLE counts: a slow answer is the
deadline's business, and an application error is an answer.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator
from typing import Any

import grpc
from prometheus_client import Gauge

CIRCUIT_OPEN = Gauge(
    "govhall_grpc_client_circuit_open",
    "1 while calls to this upstream fail fast because it was found unreachable",
    ["audience"],
)

_until: contextvars.ContextVar[float | None] = contextvars.ContextVar("govhall_serving_until", default=None)


@contextlib.contextmanager
def serving_until(deadline: float) -> Iterator[None]:
    """While serving an RPC that must end by ``deadline`` (time.monotonic())."""
    token = _until.set(deadline)
    try:
        yield
    finally:
        _until.reset(token)


def remaining_seconds() -> float | None:
    """The time left to the RPC being served, or None outside one."""
    until = _until.get()
    return None if until is None else until - time.monotonic()


def bounded_timeout(timeout: float | None) -> float | None:
    """``timeout`` cut to the time left; raises DEADLINE_EXCEEDED when none is left."""
    left = remaining_seconds()
    if left is None:
        return timeout
    if left <= 0.001:
        raise grpc.aio.AioRpcError(
            grpc.StatusCode.DEADLINE_EXCEEDED,
            grpc.aio.Metadata(),
            grpc.aio.Metadata(),
            details="no time left for this call",
        )
    return left if timeout is None else min(timeout, left)


class CircuitBreaker(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """One per channel (one upstream); see the module's docstring."""

    def __init__(self, audience: str, *, failures: int = 5, open_seconds: float = 5.0) -> None:
        self._audience = audience
        self._threshold = failures
        self._open_seconds = open_seconds
        self._failures = 0
        self._open_until = 0.0

    @property
    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    async def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        method = client_call_details.method
        if not (method.decode() if isinstance(method, bytes) else method).startswith("/govhall."):
            return await continuation(client_call_details, request)  # health checks say for themselves
        if self.is_open:
            raise grpc.aio.AioRpcError(
                grpc.StatusCode.UNAVAILABLE,
                grpc.aio.Metadata(),
                grpc.aio.Metadata(),
                details=f"{self._audience} is unreachable; not trying again for a few seconds",
            )
        call = await continuation(client_call_details, request)
        code = await call.code()
        if code == grpc.StatusCode.UNAVAILABLE:
            self._failures += 1
            if self._failures >= self._threshold:
                self._open_until = time.monotonic() + self._open_seconds
                CIRCUIT_OPEN.labels(self._audience).set(1)
        else:
            if self._failures >= self._threshold:
                CIRCUIT_OPEN.labels(self._audience).set(0)
            self._failures = 0
        return call
