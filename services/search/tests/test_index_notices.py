"""search.index.changed (notices.py): once search has applied a catalogue change it says so, and
only when the change is visible: a search asked the moment the notice is heard no longer finds
the withdrawn matter (Elasticsearch shows a write only after a refresh). The time from the
catalogue's withdrawal to the notice is printed (pytest -s) and stated in bench/README.md."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from govhall.contracts import search as contract
from govhall.kit.events import Delivery, decode
from govhall.kit.testing import wait_until
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.search.v1 import search_pb2 as pb

from .test_api import (
    ADMIN,
    COUNTY,
    PROVINCE,
    Stack,
    make_stack,
    publish_matter,
    search_ids,
    seed_sites,
    stack,
)

__all__ = ["make_stack", "stack"]  # fixtures


async def test_a_withdrawal_is_announced_once_search_no_longer_finds_it(stack: Stack) -> None:
    assert stack.search_host is not None
    catalogue, search = stack.catalogue, stack.search
    await seed_sites(catalogue)
    await publish_matter(catalogue, "F1", PROVINCE, "食品经营许可", "D1")
    query = pb.SearchRequest(site_code=COUNTY, query="食品")

    async def found() -> bool:
        return await search_ids(search, query) == ["F1"]

    await wait_until(found)
    heard: list[tuple[float, list[str], pb.IndexChanged]] = []

    async def on_notice(delivery: Delivery) -> None:
        # What a cache refilling right now would be told: asked as the notice is heard.
        ids = await search_ids(search, query)
        notice = decode(delivery, contract.REGISTRY, "test")
        assert isinstance(notice, pb.IndexChanged)
        heard.append((time.monotonic(), ids, notice))

    await stack.search_host.bus.broadcast(contract.INDEX_CHANGED.subject, on_notice)
    await catalogue.WithdrawMatter(
        cat.ChangeMatterStatusRequest(code="F1", site_code=PROVINCE), metadata=ADMIN
    )
    withdrawn = time.monotonic()
    await wait_until(lambda: heard, what="search.index.changed")
    at, ids, notice = heard[0]
    print(f"{stack.mode}: search.index.changed {(at - withdrawn) * 1000:.0f} ms after the withdrawal")
    assert ids == []  # visible when announced: no refill of the old answer after it
    assert (notice.reason, notice.site_code) == (pb.IndexChanged.REASON_DOCUMENT, PROVINCE)
    assert notice.key.endswith("F1")


async def test_a_lexicon_change_and_a_reindex_are_announced(stack: Stack) -> None:
    assert stack.search_host is not None
    await seed_sites(stack.catalogue)
    heard: list[pb.IndexChanged] = []

    async def on_notice(delivery: Delivery) -> None:
        notice = decode(delivery, contract.REGISTRY, "test")
        assert isinstance(notice, pb.IndexChanged)
        heard.append(notice)

    await stack.search_host.bus.broadcast(contract.INDEX_CHANGED.subject, on_notice)
    await _lexicon_word(stack)
    await wait_until(lambda: any(n.reason == pb.IndexChanged.REASON_LEXICON for n in heard))
    assert next(n for n in heard if n.reason == pb.IndexChanged.REASON_LEXICON).site_code == COUNTY
    async for _ in stack.search.Reindex(pb.ReindexRequest(), metadata=ADMIN):
        pass
    await wait_until(lambda: any(n.reason == pb.IndexChanged.REASON_REINDEX for n in heard))


async def _lexicon_word(stack: Stack) -> None:
    put: Callable[..., Awaitable[pb.LexiconEntry]] = stack.search.PutLexiconEntry
    await put(
        pb.LexiconPutRequest(
            site_code=COUNTY, kind=pb.LEXICON_KIND_SYNONYM, word="开饭店", terms=["食品经营许可"]
        ),
        metadata=ADMIN,
    )
