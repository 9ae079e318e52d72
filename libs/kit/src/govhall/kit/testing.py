"""Test support shared by every test suite: wait for a condition, with a bound.

Events reach consumers after the writer's commit, processes take a while to start, clocks move
on: a test waits for the thing it needs rather than sleeping for a guessed time, which is too
short on a loaded machine and too long everywhere else.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
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
