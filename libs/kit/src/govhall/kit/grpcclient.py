"""gRPC client side: channels with a default deadline and the caller identity attached."""

from __future__ import annotations

from typing import Any

import grpc

from govhall.kit.caller import caller_metadata
from govhall.kit.errors import DomainError
from govhall.protos.common.v1 import common_pb2


def channel(address: str) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(
        address,
        options=[
            ("grpc.max_receive_message_length", 16 * 1024 * 1024),
            ("grpc.keepalive_time_ms", 30_000),
            ("grpc.enable_retries", 1),
        ],
    )


def call_options(caller: common_pb2.CallerIdentity, timeout: float = 5.0) -> dict[str, Any]:
    """Keyword arguments for a stub call: its deadline and who is calling."""
    return {"timeout": timeout, "metadata": caller_metadata(caller)}


def domain_error(err: grpc.aio.AioRpcError) -> DomainError:
    """The DomainError a service raised, rebuilt from the status and trailing metadata."""
    return DomainError.from_metadata(err.code(), err.trailing_metadata(), err.details())
