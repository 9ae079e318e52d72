"""Test support shared by every test suite: wait for a condition, with a bound.

Events reach consumers after the writer's commit, processes take a while to start, clocks move
on: a test waits for the thing it needs rather than sleeping for a guessed time, which is too
short on a loaded machine and too long everywhere else.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def _failure(what: str, timeout: float, last: Any) -> AssertionError:
    return AssertionError(f"not within {timeout:g} s: {what} (last seen: {last!r})")


async def wait_until(
    check: Callable[[], T | Awaitable[T]],
    timeout: float = 15.0,  # noqa: ASYNC109 - the bound is the point: a failure says what never came
    *,
    interval: float = 0.02,
    what: str = "",
) -> T:
    """Call check (plain or async) until it returns something truthy, and return that; fail with
    what (and the last value seen) if it has not within timeout seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result  # type: ignore[return-value]
        if loop.time() > deadline:
            raise _failure(what or getattr(check, "__name__", "condition"), timeout, result)
        await asyncio.sleep(interval)


def wait_until_sync(
    check: Callable[[], T], timeout: float = 15.0, *, interval: float = 0.05, what: str = ""
) -> T:
    """wait_until for tests without an event loop (processes, HTTP clients)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise _failure(what or getattr(check, "__name__", "condition"), timeout, result)
        time.sleep(interval)


# A real one-page PDF, for every suite that uploads one: cases parses uploads and refuses what
# does not parse, so a few bytes that merely start with %PDF no longer pass.
ONE_PAGE_PDF = (
    b"%PDF-1.4\n% govhall\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R  >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]  >>\nendobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000019 00000 n \n0000000069 00000 n \n0000000126 00000 n \n"
    b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n198\n%%EOF\n"
)


# Callers ---------------------------------------------------------------------------------------


def signer(principal: str = "gateway") -> Any:
    """``principal``'s signer, from the trust directory the platform settings name (the test
    suite's conftest makes one for the whole run and points GOVHALL_TRUST_DIR at it)."""
    from govhall.kit.settings import PlatformSettings
    from govhall.kit.trust import Signer

    return Signer(PlatformSettings().trust_files(principal)[1], principal)


def signed_channel(address: str, audience: str, principal: str = "gateway") -> Any:
    """A channel to the service ``audience`` whose calls ``principal`` signs: name the caller of
    each call with `govhall.kit.caller.caller_metadata`, as the gateway does."""
    from govhall.kit.grpcclient import channel

    return channel(address, signer=signer(principal), audience=audience)


def verifier(audience: str, callers: Mapping[str, Any] | Path) -> Any:
    """What a server started in a test (a bare `GrpcServer`) checks its callers with: the run's
    public keys, and ``callers`` as in a service's callers.json (a path, or its content)."""
    from govhall.kit.settings import PlatformSettings
    from govhall.kit.trust import CallerPolicy, Verifier

    policy = (
        CallerPolicy.from_file(callers) if isinstance(callers, Path) else CallerPolicy.from_mapping(callers)
    )
    return Verifier(audience, PlatformSettings().trust_files(audience)[0], policy)


def caller_channel(address: str, audience: str) -> Any:
    """A channel to the service ``audience`` that signs each call as the principal making such a
    call in production: a SERVICE caller (named with `caller_metadata`) by that service itself,
    anyone else (a user, staff, the admin token, anonymous) by the gateway. For suites that call
    one service as many callers through one stub; a SERVICE caller that is no principal has no key
    and fails loudly."""
    import grpc

    from govhall.kit.caller import ANONYMOUS, caller_to_sign
    from govhall.protos.common.v1 import common_pb2

    signers: dict[str, Any] = {}

    def sign(details: Any) -> Any:
        method = details.method.decode() if isinstance(details.method, bytes) else details.method
        if not method.startswith("/govhall."):
            return details
        caller, rest = caller_to_sign(details.metadata, ANONYMOUS)
        principal = caller.subject if caller.kind == common_pb2.CALLER_KIND_SERVICE else "gateway"
        if principal not in signers:
            signers[principal] = signer(principal)
        metadata = grpc.aio.Metadata(*rest, *signers[principal].metadata(audience, caller))
        return grpc.aio.ClientCallDetails(
            details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
        )

    # Two interceptors: a channel files each under the first kind it is an instance of, so one
    # object deriving from both would never see the streaming calls (ExportCatalogue).
    class _Unary(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
        async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
            return await continuation(sign(details), request)

    class _Stream(grpc.aio.UnaryStreamClientInterceptor):  # type: ignore[misc]
        async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
            return await continuation(sign(details), request)

    return grpc.aio.insecure_channel(
        address,
        options=[("grpc.max_receive_message_length", 16 * 1024 * 1024)],
        interceptors=[_Unary(), _Stream()],
    )
