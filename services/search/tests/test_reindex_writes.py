"""A full reindex keeps the back end's number of bulk writes under way while it builds the next
batch, counts what was written, and on a failed write cancels the others and drops the generation
(no servers: a stand-in export and back end)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from typing import Any, cast

import pytest

from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.search.v1 import search_pb2 as pb
from govhall.search import reindex
from govhall.search.backend import SearchBackend
from govhall.search.model import SearchDoc

Phase = pb.ReindexProgress.Phase
MATTERS = 11  # five full batches of 2 and a last one of 1


class Export:
    """ExportCatalogue's stream: a header, then MATTERS published matters."""

    def ExportCatalogue(
        self, request: cat.ExportCatalogueRequest, **kwargs: Any
    ) -> AsyncIterator[cat.ExportItem]:
        async def items() -> AsyncIterator[cat.ExportItem]:
            yield cat.ExportItem(header=cat.ExportHeader(matters=MATTERS))
            for i in range(MATTERS):
                matter = cat.Matter(
                    code=f"M{i}", revision=1, site_code="420502", status=cat.MATTER_STATUS_PUBLISHED
                )
                matter.draft.name = f"事项{i}"
                yield cat.ExportItem(matter=matter)

        return items()


class Rebuild:
    def __init__(self, writes_in_flight: int, fail_at: int | None = None) -> None:
        self.name = "gen-2"
        self.writes_in_flight = writes_in_flight
        self.fail_at = fail_at
        self.under_way = 0
        self.most_under_way = 0
        self.stored: list[str] = []
        self.started = 0
        self.cancelled = 0
        self.outcome = ""

    async def put_many(self, docs: Iterable[SearchDoc]) -> int:
        docs = list(docs)
        self.started += 1
        self.under_way += 1
        self.most_under_way = max(self.most_under_way, self.under_way)
        try:
            # Elasticsearch's turn: the reindex gets the loop back meanwhile.
            for _ in range(5):
                await asyncio.sleep(0)
            if self.fail_at is not None and self.started > self.fail_at:
                raise RuntimeError("bulk write refused")
            self.stored.extend(d.id for d in docs)
            return len(docs)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.under_way -= 1

    async def commit(self) -> str:
        self.outcome = "committed"
        return self.name

    async def abort(self) -> None:
        self.outcome = "aborted"


class Backend:
    def __init__(self, rebuild: Rebuild) -> None:
        self.rebuild = rebuild

    async def current_generation(self) -> str:
        return "gen-1"

    async def begin_rebuild(self) -> Rebuild:
        return self.rebuild


def run(rebuild: Rebuild, batch_size: int) -> AsyncIterator[pb.ReindexProgress]:
    backend = cast(SearchBackend, Backend(rebuild))
    return reindex.run(backend, cast(Any, None), cast(Any, Export()), batch_size=batch_size)


@pytest.mark.parametrize("in_flight", [1, 2, 3])
async def test_the_back_ends_number_of_writes_is_kept_under_way(in_flight: int) -> None:
    rebuild = Rebuild(in_flight)
    # (The reindex yields one progress message, updated: a copy of each state.)
    progress = [(p.phase, p.done, p.total) async for p in run(rebuild, batch_size=2)]
    assert rebuild.most_under_way == in_flight
    assert sorted(rebuild.stored) == sorted(f"M{i}" for i in range(MATTERS))
    assert rebuild.outcome == "committed"
    done = [d for phase, d, _total in progress if phase == Phase.PHASE_INDEXING]
    assert done == sorted(done) and done[-1] == MATTERS  # only what was written, never more
    assert progress[-1] == (Phase.PHASE_DONE, MATTERS, MATTERS)


async def test_a_failed_write_cancels_the_others_and_drops_the_generation() -> None:
    rebuild = Rebuild(3, fail_at=2)
    with pytest.raises(RuntimeError, match="bulk write refused"):
        async for _ in run(rebuild, batch_size=2):
            pass
    assert rebuild.outcome == "aborted"
    assert rebuild.under_way == 0  # nothing left writing into the dropped generation
    assert len(rebuild.stored) < MATTERS
