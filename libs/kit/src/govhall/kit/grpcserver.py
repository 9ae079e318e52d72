"""gRPC server bootstrap: health, reflection, and one interceptor for the cross-cutting parts.

Every RPC goes through `_Middleware`: the caller, proven by a signed assertion addressed to this
service (`trust.Verifier`: an unsigned, forged, expired, misaddressed or disallowed caller is
refused before any servicer sees it), the session check when the service makes one (a revoked
session is refused too), a deadline
when the caller set none, a tracing span, Prometheus metrics, a log line, and the error mapping
(DomainError -> status with its code and messages in trailing metadata; anything else ->
INTERNAL with a generic message, the stack trace logged here and never sent).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import grpc
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from opentelemetry import trace
from prometheus_client import Counter, Histogram

from govhall.kit import tracing
from govhall.kit.caller import ANONYMOUS, current_caller, reset_caller, set_caller
from govhall.kit.errors import INTERNAL_ERROR, DomainError, ErrorKind, FieldError, clip
from govhall.kit.resilience import serving_until
from govhall.kit.trust import Verifier
from govhall.protos.common.v1 import common_pb2

log = logging.getLogger(__name__)
tracer = trace.get_tracer("govhall.kit.grpc")

RPC_SECONDS = Histogram(
    "govhall_grpc_server_handling_seconds",
    "RPC handling time",
    ["service", "method", "code"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RPC_TOTAL = Counter("govhall_grpc_server_handled_total", "RPCs handled", ["service", "method", "code"])


@functools.cache
def _rpc_metrics(service: str, method: str, code: str) -> tuple[Any, Any]:
    """The labelled series of one method and outcome, looked up once (`labels` takes a lock and
    builds the key on every call); a service has a bounded set of methods and codes."""
    return RPC_SECONDS.labels(service, method, code), RPC_TOTAL.labels(service, method, code)


ReadinessCheck = Callable[[], Awaitable[bool]]
# Raises a DomainError (TOKEN_REVOKED) for a caller whose session has ended: see ServiceHost.
SessionCheck = Callable[[common_pb2.CallerIdentity], Awaitable[None]]

LIVENESS = "liveness"


class _Middleware(grpc.aio.ServerInterceptor):
    def __init__(
        self,
        verifier: Verifier,
        default_deadline: float,
        session_check: SessionCheck | None = None,
        stream_deadline: float | None = None,
    ) -> None:
        self._verifier = verifier
        self._deadline = default_deadline
        # A client stream (an upload in chunks) lasts as long as its bytes take to arrive: it has
        # a bound of its own, not the unary one (a 64 MiB upload over a slow link takes minutes).
        self._stream_deadline = stream_deadline if stream_deadline is not None else default_deadline
        self._session_check = session_check
        # The wrapped handler of each method, made on its first call: grpc asks the interceptor on
        # every RPC, and building the closures and handler anew was per-call work for nothing
        # (issue 20, GET /me). Keyed by the method; the servicer's handler is kept to make sure
        # it is still the one wrapped.
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    async def _admit(self, request: Any, context: grpc.aio.ServicerContext, method: str) -> None:
        """What every RPC must pass before its servicer runs."""
        set_caller(self._verifier.verify(context.invocation_metadata(), method))
        if request is not None:  # a client stream's messages are checked one by one as they come
            reject_nul_text(request)
        if self._session_check is not None:
            await self._session_check(current_caller())

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or not details.method.startswith("/govhall."):
            return handler  # health, reflection: as they are
        held = self._wrapped.get(details.method)
        if held is not None and held[0] is handler:
            return held[1]
        wrapped = self._wrap_handler(details.method, handler)
        self._wrapped[details.method] = (handler, wrapped)
        return wrapped

    def _wrap_handler(self, full_method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        service, _, method = full_method.lstrip("/").rpartition("/")
        if handler.unary_unary:
            inner = handler.unary_unary
            return grpc.unary_unary_rpc_method_handler(
                self._wrap(service, method, inner),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream:
            stream_inner = handler.unary_stream
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(service, method, stream_inner),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_unary:
            # Client streaming (a drive upload in chunks): the caller is verified before the
            # first message is read, every message is checked like a unary request.
            upload_inner = handler.stream_unary
            return grpc.stream_unary_rpc_method_handler(
                self._wrap_client_stream(service, method, upload_inner),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler

    def _budget(self, context: grpc.aio.ServicerContext, *, streaming: bool = False) -> float:
        bound = self._stream_deadline if streaming else self._deadline
        remaining = context.time_remaining()
        return bound if remaining is None else min(remaining, bound)

    @contextlib.asynccontextmanager
    async def _rpc(
        self, service: str, method: str, context: grpc.aio.ServicerContext, *, streaming: bool = False
    ) -> AsyncIterator[None]:
        """One RPC's cross-cutting parts, the same for unary and streaming methods."""
        token = set_caller(ANONYMOUS)  # until _admit has verified who is calling
        start = time.perf_counter()
        code = grpc.StatusCode.OK
        try:
            # The calls this RPC makes get no more than the time it has (resilience).
            with (
                tracer.start_as_current_span(
                    f"{service}/{method}",
                    context=tracing.extract(context.invocation_metadata()),
                    kind=trace.SpanKind.SERVER,
                ),
                serving_until(time.monotonic() + self._budget(context, streaming=streaming)),
            ):
                yield
        except DomainError as err:
            code = err.kind.grpc_status
            await _abort(context, err)
        except TimeoutError:
            code = grpc.StatusCode.DEADLINE_EXCEEDED
            await _abort(context, _DEADLINE_ERROR)
        except asyncio.CancelledError:
            code = grpc.StatusCode.CANCELLED
            raise
        except grpc.aio.AbortError:
            code = context.code() or grpc.StatusCode.UNKNOWN  # type: ignore[assignment]
            raise
        except Exception:
            code = grpc.StatusCode.INTERNAL
            log.exception("unhandled error in %s/%s", service, method)
            await _abort(context, INTERNAL_ERROR)
        finally:
            reset_caller(token)
            elapsed = time.perf_counter() - start
            seconds, total = _rpc_metrics(service, method, code.name)
            seconds.observe(elapsed)
            total.inc()
            log.debug("%s/%s %s %.1fms", service, method, code.name, elapsed * 1000)

    def _wrap(self, service: str, method: str, inner: Callable[..., Any]) -> Callable[..., Any]:
        async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
            async with self._rpc(service, method, context):
                await self._admit(request, context, method)
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for runs the servicer in a
                # task of its own, one more task per RPC for the same bound.
                async with asyncio.timeout(self._budget(context)):
                    return await inner(request, context)

        return call

    def _wrap_stream(self, service: str, method: str, inner: Callable[..., Any]) -> Callable[..., Any]:
        async def call(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            async with self._rpc(service, method, context, streaming=True):
                await self._admit(request, context, method)
                async for item in inner(request, context):
                    yield item

        return call

    def _wrap_client_stream(self, service: str, method: str, inner: Callable[..., Any]) -> Callable[..., Any]:
        async def call(requests: AsyncIterator[Any], context: grpc.aio.ServicerContext) -> Any:
            async with self._rpc(service, method, context, streaming=True):
                await self._admit(None, context, method)

                async def checked() -> AsyncIterator[Any]:
                    async for message in requests:
                        reject_nul_text(message)
                        yield message

                async with asyncio.timeout(self._budget(context, streaming=True)):
                    return await inner(checked(), context)

        return call


def _nul_field(message: Message, prefix: str = "") -> str | None:
    """The path of the first string field holding a NUL character, if any."""
    for descriptor, value in message.ListFields():
        name = prefix + descriptor.name
        if descriptor.type == FieldDescriptor.TYPE_STRING:
            values = value if descriptor.is_repeated else [value]
            if any("\x00" in v for v in values):
                return name
        elif descriptor.type == FieldDescriptor.TYPE_MESSAGE:
            if descriptor.message_type is not None and descriptor.message_type.GetOptions().map_entry:
                items = [v for pair in value.items() for v in pair if isinstance(v, str)]
                if any("\x00" in v for v in items):
                    return name
                children = [v for v in value.values() if isinstance(v, Message)]
            else:
                children = list(value) if descriptor.is_repeated else [value]
            for child in children:
                found = _nul_field(child, f"{name}.")
                if found:
                    return found
    return None


def reject_nul_text(request: Any) -> None:
    """Refuse text with NUL characters at the door of every service: PostgreSQL cannot store them,
    so they would otherwise surface as an internal error deep inside a transaction."""
    if not isinstance(request, Message):
        return
    field = _nul_field(request)
    if field:
        raise DomainError(
            "TEXT_INVALID",
            f"{field} contains a NUL character",
            "输入内容含有非法字符",
            ErrorKind.INVALID,
            [FieldError(field, "contains a NUL character", "含有非法字符")],
        )


_DEADLINE_ERROR = DomainError(
    "DEADLINE_EXCEEDED", "the request took too long", "请求处理超时，请稍后再试", ErrorKind.TIMEOUT
)


async def _abort(context: grpc.aio.ServicerContext, err: DomainError) -> None:
    context.set_trailing_metadata(err.to_metadata())
    # The status message is a trailer too (grpc-message): as bounded as the error's metadata.
    await context.abort(err.kind.grpc_status, clip(err.message, 500))


class GrpcServer:
    """A started gRPC server with health (checked against the service's own dependencies)."""

    def __init__(
        self,
        address: str,
        registrations: Sequence[tuple[Callable[[Any, grpc.aio.Server], None], Any, str]],
        readiness: Sequence[ReadinessCheck] = (),
        *,
        verifier: Verifier,
        default_deadline: float = 10.0,
        health_interval: float = 2.0,
        session_check: SessionCheck | None = None,
        stream_deadline: float | None = None,
        reuse_port: bool = False,
    ) -> None:
        self._server = grpc.aio.server(
            interceptors=[_Middleware(verifier, default_deadline, session_check, stream_deadline)],
            options=[
                ("grpc.max_receive_message_length", 16 * 1024 * 1024),
                # gRPC sets SO_REUSEPORT by default: a second server on a port already taken (another
                # service given the same address, a port chosen free a moment before) would bind
                # too and take half its calls ("Method not found!"). Refused at bind instead,
                # except between the workers of one service (kit/workers.py), which share it.
                ("grpc.so_reuseport", 1 if reuse_port else 0),
            ],
        )
        self._health = health.aio.HealthServicer() if hasattr(health, "aio") else health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        names = [reflection.SERVICE_NAME, health.SERVICE_NAME]
        for add, servicer, full_name in registrations:
            add(servicer, self._server)
            names.append(full_name)
        self._service_names = [n for n in names if n.startswith("govhall.")]
        reflection.enable_server_reflection(names, self._server)
        self.port = self._server.add_insecure_port(address)
        if self.port == 0:
            raise RuntimeError(f"could not bind gRPC to {address}")
        self.address = f"{address.rsplit(':', 1)[0]}:{self.port}"
        self._readiness = list(readiness)
        self._interval = health_interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._server.start()
        # Liveness: the process answers. Readiness ("" and each service name): its dependencies do.
        await _maybe_await(self._health.set(LIVENESS, health_pb2.HealthCheckResponse.SERVING))
        await self._check_health()
        self._task = asyncio.create_task(self._health_loop(), name="grpc-health")

    async def _check_health(self) -> None:
        ok = True
        for check in self._readiness:
            try:
                ok = ok and await check()
            except Exception:
                log.warning("readiness check failed", exc_info=True)
                ok = False
        status = health_pb2.HealthCheckResponse.SERVING if ok else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ["", *self._service_names]:
            await _maybe_await(self._health.set(name, status))

    async def _health_loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self._check_health()

    async def stop(self, grace: float = 2.0) -> None:
        if self._task:
            self._task.cancel()
        await self._server.stop(grace)

    async def wait(self) -> None:
        await self._server.wait_for_termination()


async def _maybe_await(value: Any) -> None:
    if asyncio.iscoroutine(value):
        await value
