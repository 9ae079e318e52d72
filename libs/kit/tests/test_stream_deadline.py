"""A streamed RPC (a file sent in chunks) is bounded by the stream deadline, not the unary one: an
upload whose bytes take longer than a unary call may is served, and one slower than the stream
bound is cut off, both with the caller verified first."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import pytest

from govhall.kit.caller import caller_metadata
from govhall.kit.grpcserver import _Middleware
from govhall.kit.testing import free_port, signed_channel, verifier
from govhall.protos.common.v1 import common_pb2 as C

SERVICE = "govhall.test.v1.Files"
PERSON = C.CallerIdentity(kind=C.CALLER_KIND_PERSON, subject="p-1", name="张三")


async def start(default_deadline: float, stream_deadline: float) -> tuple[grpc.aio.Server, str]:
    async def ping(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        await asyncio.sleep(0.6)
        return request

    async def upload(requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> bytes:
        got = b""
        async for chunk in requests:
            got += chunk
        return got

    check = verifier("files", {"gateway": {"kinds": ["person"]}})
    server = grpc.aio.server(interceptors=[_Middleware(check, default_deadline, None, stream_deadline)])
    handlers = {
        "Ping": grpc.unary_unary_rpc_method_handler(ping, lambda b: b, lambda b: b),
        "Upload": grpc.stream_unary_rpc_method_handler(upload, lambda b: b, lambda b: b),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    port = free_port()
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    return server, f"127.0.0.1:{port}"


async def slow_chunks() -> AsyncIterator[bytes]:
    for n in range(4):
        await asyncio.sleep(0.3)  # a slow link: 1.2 s in all
        yield bytes([n])


async def call_both(address: str) -> tuple[grpc.StatusCode, grpc.StatusCode | bytes]:
    ch = signed_channel(address, "files")
    try:
        ping = ch.unary_unary(
            f"/{SERVICE}/Ping", request_serializer=lambda b: b, response_deserializer=lambda b: b
        )
        upload = ch.stream_unary(
            f"/{SERVICE}/Upload", request_serializer=lambda b: b, response_deserializer=lambda b: b
        )
        with pytest.raises(grpc.aio.AioRpcError) as unary:
            await ping(b"x", metadata=caller_metadata(PERSON), timeout=30)
        try:
            streamed: grpc.StatusCode | bytes = await upload(
                slow_chunks(), metadata=caller_metadata(PERSON), timeout=30
            )
        except grpc.aio.AioRpcError as err:
            streamed = err.code()
        return unary.value.code(), streamed
    finally:
        await ch.close()


async def test_an_upload_slower_than_a_unary_call_may_be_is_served() -> None:
    server, address = await start(default_deadline=0.3, stream_deadline=10.0)
    try:
        unary, streamed = await call_both(address)
    finally:
        await server.stop(0)
    assert unary == grpc.StatusCode.DEADLINE_EXCEEDED
    assert streamed == bytes([0, 1, 2, 3])


async def test_an_upload_slower_than_the_stream_bound_is_cut_off() -> None:
    server, address = await start(default_deadline=0.3, stream_deadline=0.5)
    try:
        _, streamed = await call_both(address)
    finally:
        await server.stop(0)
    assert streamed == grpc.StatusCode.DEADLINE_EXCEEDED
