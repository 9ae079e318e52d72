"""The catalogue's matter kept for a few seconds by CreateDraft (issue 20): drafts within the
bound make no GetMatter, a withdrawal refuses new drafts once the bound has passed, concurrent
misses make one call, errors are not kept, and 0 seconds asks every time."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import grpc
import pytest

from govhall.cases.matters import MatterCache
from govhall.cases.workflow import published_matter
from govhall.kit.errors import DomainError
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat

SITE, CODE = "420502", "420502-SCJG-0001"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Catalogue:
    """The catalogue's GetMatter, counted; ``status`` is the matter's status now."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.status = cat.MATTER_STATUS_PUBLISHED
        self.version = 1
        self.release = asyncio.Event()
        self.release.set()
        self.missing = False

    async def GetMatter(self, request: cat.GetMatterRequest, **_: Any) -> cat.Matter:
        self.calls.append((request.site_code, request.code))
        await self.release.wait()
        if self.missing:
            raise _NotFound()
        return cat.Matter(
            code=request.code,
            site_code=SITE,
            status=self.status,
            version=self.version,
            draft=cat.MatterDraft(name="食品经营许可", online_application=True),
        )


class _NotFound(grpc.aio.AioRpcError):
    def __init__(self) -> None:
        super().__init__(
            grpc.StatusCode.NOT_FOUND, grpc.aio.Metadata(), grpc.aio.Metadata(), "matter not found"
        )


def deps(catalogue: Catalogue, ttl: float, clock: Clock) -> Any:
    return SimpleNamespace(catalogue=catalogue, matters=MatterCache(ttl, 100, clock=clock))


async def test_drafts_within_the_bound_ask_once_and_a_withdrawal_refuses_after_it() -> None:
    catalogue, clock = Catalogue(), Clock()
    d = deps(catalogue, 2.0, clock)
    for _ in range(5):
        matter = await published_matter(d, SITE, CODE)
        assert matter.version == 1
    assert catalogue.calls == [(SITE, CODE)]
    # Another site's applicant resolves the code from their own site: a key of its own.
    await published_matter(d, "420503", CODE)
    assert len(catalogue.calls) == 2

    catalogue.status = cat.MATTER_STATUS_WITHDRAWN
    clock.now += 1.9  # within the bound: the answer kept
    assert (await published_matter(d, SITE, CODE)).status == cat.MATTER_STATUS_PUBLISHED
    clock.now += 0.2  # past it: asked again, and refused
    with pytest.raises(DomainError) as refused:
        await published_matter(d, SITE, CODE)
    assert refused.value.code == "MATTER_NOT_PUBLISHED"
    assert len(catalogue.calls) == 3
    # The refusal is kept as long, and asked again after: a republished version is taken up.
    catalogue.status, catalogue.version = cat.MATTER_STATUS_PUBLISHED, 2
    clock.now += 2.1
    assert (await published_matter(d, SITE, CODE)).version == 2


async def test_concurrent_misses_make_one_call() -> None:
    catalogue, clock = Catalogue(), Clock()
    d = deps(catalogue, 2.0, clock)
    catalogue.release.clear()
    waiting = [asyncio.create_task(published_matter(d, SITE, CODE)) for _ in range(16)]
    await asyncio.sleep(0)
    catalogue.release.set()
    matters = await asyncio.wait_for(asyncio.gather(*waiting), timeout=5)
    assert [m.version for m in matters] == [1] * 16
    assert catalogue.calls == [(SITE, CODE)]


async def test_errors_are_not_kept_and_zero_seconds_asks_every_time() -> None:
    catalogue, clock = Catalogue(), Clock()
    d = deps(catalogue, 2.0, clock)
    catalogue.missing = True
    for _ in range(2):
        with pytest.raises(DomainError):
            await published_matter(d, SITE, CODE)
    catalogue.missing = False
    assert (await published_matter(d, SITE, CODE)).version == 1
    assert len(catalogue.calls) == 3

    off = Catalogue()
    d = deps(off, 0, clock)
    for _ in range(3):
        await published_matter(d, SITE, CODE)
    assert len(off.calls) == 3 and len(d.matters) == 0


async def test_the_oldest_answer_goes_first_when_full() -> None:
    catalogue, clock = Catalogue(), Clock()
    d = SimpleNamespace(catalogue=catalogue, matters=MatterCache(2.0, 2, clock=clock))
    for code in ("A", "B", "C"):
        await published_matter(d, SITE, code)
    assert len(d.matters) == 2
    await published_matter(d, SITE, "C")
    await published_matter(d, SITE, "A")  # dropped when C came: asked again
    assert [c for _, c in catalogue.calls] == ["A", "B", "C", "A"]
