"""Deadlines that travel with a request, and the circuit breaker (govhall.kit.resilience)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import grpc
import pytest
from prometheus_client import REGISTRY

from govhall.kit import resilience
from govhall.kit.grpcclient import call_options, channel
from govhall.kit.ports import free_port
from govhall.kit.resilience import CircuitBreaker, bounded_timeout, serving_until
from govhall.kit.testing import signer, wait_until
from govhall.protos.common.v1 import common_pb2 as C

PING = "/govhall.test.v1.Echo/Ping"


async def start_echo(port: int, delay: float = 0.0) -> grpc.aio.Server:
    async def ping(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        await asyncio.sleep(delay)
        return request

    server = grpc.aio.server()
    handler = grpc.unary_unary_rpc_method_handler(ping, lambda b: b, lambda b: b)
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("govhall.test.v1.Echo", {"Ping": handler}),)
    )
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    return server


def ping(ch: grpc.aio.Channel) -> grpc.aio.UnaryUnaryMultiCallable:
    return ch.unary_unary(PING, request_serializer=lambda b: b, response_deserializer=lambda b: b)


def test_a_call_gets_no_more_than_the_time_its_request_has_left() -> None:
    assert bounded_timeout(5.0) == 5.0  # serving nothing: the call site's own timeout
    with serving_until(time.monotonic() + 0.5):
        left = bounded_timeout(5.0)
        assert left is not None and 0 < left <= 0.5
        assert bounded_timeout(0.1) == 0.1
    with serving_until(time.monotonic() - 0.01), pytest.raises(grpc.aio.AioRpcError) as err:
        bounded_timeout(5.0)
    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert resilience.remaining_seconds() is None


@pytest.fixture
async def slow_echo() -> AsyncIterator[str]:
    port = free_port()
    server = await start_echo(port, delay=3.0)
    yield f"127.0.0.1:{port}"
    await server.stop(0)


async def test_a_service_call_made_while_serving_inherits_the_deadline(slow_echo: str) -> None:
    """Asked with a 5 s timeout, a call made while serving an RPC with 0.3 s left gives up with
    that RPC: without the budget it would wait the echo's 3 s and succeed."""
    ch = channel(slow_echo, signer=signer("cases"), audience="identity")
    try:
        options = call_options(C.CallerIdentity(kind=C.CALLER_KIND_SERVICE, subject="cases"), timeout=5.0)
        with serving_until(time.monotonic() + 0.3), pytest.raises(grpc.aio.AioRpcError) as err:
            await ping(ch)(b"hello", **options)
        assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    finally:
        await ch.close()


async def test_the_breaker_fails_fast_while_an_upstream_is_unreachable_and_closes_when_it_is_back() -> None:
    port = free_port()  # nothing listens yet
    breaker = CircuitBreaker("echo", failures=3, open_seconds=0.5)
    ch = grpc.aio.insecure_channel(f"127.0.0.1:{port}", interceptors=[breaker])
    server = None
    try:
        for _ in range(3):
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await ping(ch)(b"x", timeout=2)
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        assert breaker.is_open
        assert REGISTRY.get_sample_value("govhall_grpc_client_circuit_open", {"audience": "echo"}) == 1
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await ping(ch)(b"x", timeout=2)
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "not trying again" in (err.value.details() or "")
        server = await start_echo(port)
        await wait_until(lambda: not breaker.is_open, 10, what="the circuit to half-open")

        async def answers() -> bool:
            try:
                return await ping(ch)(b"back", timeout=2) == b"back"
            except grpc.aio.AioRpcError:
                return False  # the channel's reconnect back-off: try again

        await wait_until(answers, 30, what="the echo to answer through the breaker")
        assert REGISTRY.get_sample_value("govhall_grpc_client_circuit_open", {"audience": "echo"}) == 0
    finally:
        await ch.close()
        if server is not None:
            await server.stop(0)


async def test_an_application_error_is_an_answer_not_an_outage() -> None:
    port = free_port()

    async def refuse(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        await context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")
        return b""

    server = grpc.aio.server()
    handler = grpc.unary_unary_rpc_method_handler(refuse, lambda b: b, lambda b: b)
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("govhall.test.v1.Echo", {"Ping": handler}),)
    )
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    breaker = CircuitBreaker("refuser", failures=2, open_seconds=30)
    ch = grpc.aio.insecure_channel(f"127.0.0.1:{port}", interceptors=[breaker])
    try:
        for _ in range(4):
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await ping(ch)(b"x", timeout=5)
            assert err.value.code() == grpc.StatusCode.NOT_FOUND
        assert not breaker.is_open
    finally:
        await ch.close()
        await server.stop(0)
