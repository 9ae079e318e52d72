"""gRPC client side: channels that prove who is calling, within the time the request has left,
and fail fast while their service is unreachable (`resilience`).

A channel to a govhall service is made for that service (its audience) with the calling
principal's `Signer`: every call on it carries an assertion, signed for that one service, of
the caller named with `caller_metadata` (or the channel's default caller: the principal itself
for a service, anonymous for the gateway). A channel without a signer can only reach health.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Sequence
from typing import Any

import grpc

from govhall.kit import tracing
from govhall.kit.caller import ANONYMOUS, caller_metadata, caller_to_sign
from govhall.kit.errors import DomainError
from govhall.kit.resilience import CircuitBreaker, bounded_timeout
from govhall.kit.trust import Signer
from govhall.protos.common.v1 import common_pb2

_OPTIONS = [
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.enable_retries", 1),
]


class _Signing:
    def __init__(
        self,
        signer_for: Callable[[common_pb2.CallerIdentity], Signer],
        audience: str,
        default_caller: common_pb2.CallerIdentity,
    ) -> None:
        self._signer_for = signer_for
        self._audience = audience
        self._default = default_caller

    def _signed(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        method = details.method.decode() if isinstance(details.method, bytes) else details.method
        if not method.startswith("/govhall."):
            return details  # health, reflection
        caller, rest = caller_to_sign(details.metadata, self._default)
        # The calling span's trace context too, so the service's span is its child.
        metadata = grpc.aio.Metadata(
            *rest, *self._signer_for(caller).metadata(self._audience, caller), *tracing.grpc_metadata()
        )
        # No longer than the RPC this call serves has left (resilience.bounded_timeout).
        return grpc.aio.ClientCallDetails(
            details.method,
            bounded_timeout(details.timeout),
            metadata,
            details.credentials,
            details.wait_for_ready,
        )


# One class per kind of call: a channel files an interceptor under the first kind it is an
# instance of, so one class deriving from both would leave streaming calls unsigned.
class _SigningUnary(_Signing, grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    async def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return await continuation(self._signed(client_call_details), request)


class _SigningStream(_Signing, grpc.aio.UnaryStreamClientInterceptor):  # type: ignore[misc]
    async def intercept_unary_stream(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return await continuation(self._signed(client_call_details), request)


class _SigningUpload(_Signing, grpc.aio.StreamUnaryClientInterceptor):  # type: ignore[misc]
    # Client streaming (a drive upload in chunks): signed once, for the whole stream.
    async def intercept_stream_unary(
        self, continuation: Any, client_call_details: Any, request_iterator: Any
    ) -> Any:
        return await continuation(self._signed(client_call_details), request_iterator)


def channel(
    address: str,
    *,
    signer: Signer | None = None,
    audience: str = "",
    default_caller: common_pb2.CallerIdentity | None = None,
    options: Sequence[tuple[str, Any]] = (),
) -> grpc.aio.Channel:
    """A channel to the service ``audience`` at ``address``, signing as ``signer``'s principal;
    ``options`` add to (or override) the channel arguments every channel has."""
    if signer is None:
        return grpc.aio.insecure_channel(address, options=[*_OPTIONS, *options])
    if default_caller is None:
        default_caller = (
            ANONYMOUS
            if signer.principal in ("gateway", "ops")
            else common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_SERVICE, subject=signer.principal)
        )
    return signing_channel(address, audience, lambda _caller: signer, default_caller, options)


def signing_channel(
    address: str,
    audience: str,
    signer_for: Callable[[common_pb2.CallerIdentity], Signer],
    default_caller: common_pb2.CallerIdentity = ANONYMOUS,
    options: Sequence[tuple[str, Any]] = (),
) -> grpc.aio.Channel:
    """A channel whose calls are each signed by the signer ``signer_for`` picks for its caller
    (`channel` always picks the same one; a test may pick the principal that makes such a call)."""
    if not audience:
        raise ValueError("a signed channel needs the service it is for (audience)")
    signing = (signer_for, audience, default_caller)
    # The breaker first: an open circuit fails a call before anything is signed.
    return grpc.aio.insecure_channel(
        address,
        options=[*_OPTIONS, *options],
        interceptors=[
            CircuitBreaker(audience),
            _SigningUnary(*signing),
            _SigningStream(*signing),
            _SigningUpload(*signing),
        ],
    )


def operator_signer() -> Signer:
    """The operators' key (principal `ops`), from the platform settings: GOVHALL_TRUST_KEY_FILE,
    or ops.key in the trust directory. Only those who run the platform hold it."""
    from govhall.kit.settings import PlatformSettings

    return Signer.from_settings(PlatformSettings(), "ops")


def operator_caller(tool: str) -> common_pb2.CallerIdentity:
    """A platform administrator working through ``tool``, named by their login for the audit
    lines each service writes for an administrator's calls."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_ADMIN, subject=f"ops:{user}", name=tool)


def call_options(caller: common_pb2.CallerIdentity, timeout: float = 5.0) -> dict[str, Any]:
    """Keyword arguments for a stub call: its deadline and on whose behalf it is made."""
    return {"timeout": timeout, "metadata": caller_metadata(caller)}


def domain_error(err: grpc.aio.AioRpcError) -> DomainError:
    """The DomainError a service raised, rebuilt from the status and trailing metadata."""
    return DomainError.from_metadata(err.code(), err.trailing_metadata(), err.details())


async def wait_serving(ch: grpc.aio.Channel, wait_seconds: float) -> None:
    """Return once the service behind ``ch`` reports SERVING on grpc.health.v1 (operators' tools,
    such as the demo loaders, run while it may still be starting); TimeoutError after the bound."""
    import asyncio

    from grpc_health.v1 import health_pb2, health_pb2_grpc

    health = health_pb2_grpc.HealthStub(ch)
    async with asyncio.timeout(wait_seconds):
        while True:
            try:
                reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=5)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass  # not serving yet: ask again, within the bound
            await asyncio.sleep(0.2)
