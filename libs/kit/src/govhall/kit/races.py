"""Test support for invariants under real concurrency: N commands started at the same instant.

SQLite serialises every write transaction (db.py begins them IMMEDIATE), so on the quick
all-in-one test run a read-then-write race (read a capacity, then book; read a state, then
move it) can never show: the second writer starts after the first committed. An invariant test
runs its command N times at once against PostgreSQL (the `pg_database` fixture in the root
conftest, or the `db_url` fixture's postgres case), each call on its own connection and in its
own transaction, held at a barrier until all N are ready so they truly overlap, and asserts on
what all N returned.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def concurrently(
    n: int,
    command: Callable[[int], Awaitable[T]],
    *,
    timeout: float = 30.0,  # noqa: ASYNC109 - a bound, so a deadlock fails the test instead of hanging it
) -> list[T | BaseException]:
    """Run command(0) ... command(n-1) at once; return each one's result or the exception it
    raised, in order (a refusal is an expected outcome of a race, so it is returned, not raised).

    Every call is its own task: a command that opens a unit of work (or calls a service over
    gRPC, which does) gets its own connection and transaction. All n wait at a barrier first,
    so none starts before the last is scheduled.
    """
    if n < 2:
        raise ValueError("a race needs at least two commands")
    barrier = asyncio.Barrier(n)

    async def one(i: int) -> T:
        await barrier.wait()
        return await command(i)

    async with asyncio.timeout(timeout):
        return await asyncio.gather(*(one(i) for i in range(n)), return_exceptions=True)


def outcomes(results: list[T | BaseException]) -> tuple[list[T], list[BaseException]]:
    """Split what `concurrently` returned into the results and the exceptions."""
    done = [r for r in results if not isinstance(r, BaseException)]
    failed = [r for r in results if isinstance(r, BaseException)]
    return done, failed
