"""A full reindex without downtime: a new generation of the index, filled from the catalogue's
export stream, then swapped in atomically.

Order matters. The new generation is opened first, and from then on every live event is written
to both generations (see Rebuild), so a matter published while the export runs is in the new
one whichever comes first: the event or the stream's older copy (the newer revision wins).
Queries keep going to the current generation until the swap. If anything fails, the new
generation is dropped and the current one is untouched.

The export also carries the site tree, which refreshes search's own copy: a search deployment
that missed catalogue.site.upserted events (a new replica, or one older than the stream's
retention) learns every site here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

from govhall.kit.caller import caller_metadata
from govhall.kit.db import Database
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2
from govhall.protos.search.v1 import search_pb2 as pb
from govhall.search import metrics, store
from govhall.search.backend import Rebuild, SearchBackend
from govhall.search.model import SearchDoc
from govhall.sitecopy import SiteCopy

log = logging.getLogger(__name__)

Phase = pb.ReindexProgress.Phase
SEARCH_SERVICE = common_pb2.CallerIdentity(
    kind=common_pb2.CALLER_KIND_SERVICE, subject="search", name="search reindex"
)
DEFAULT_BATCH = 500
MAX_BATCH = 5_000
# The export of a whole province streams for minutes; a stalled stream fails instead of hanging.
EXPORT_DEADLINE_SECONDS = 3_600.0


async def run(
    backend: SearchBackend,
    db: Database,
    catalogue: catalogue_pb2_grpc.CatalogueServiceStub,
    *,
    batch_size: int = DEFAULT_BATCH,
) -> AsyncIterator[pb.ReindexProgress]:
    """Rebuild the index from the catalogue; yields progress until the swap is done."""
    batch_size = min(max(batch_size or DEFAULT_BATCH, 1), MAX_BATCH)
    started = time.monotonic()
    old = await backend.current_generation()
    rebuild = await backend.begin_rebuild()
    log.info("reindex: building %s to replace %s", rebuild.name, old)
    progress = pb.ReindexProgress(phase=Phase.PHASE_STARTED, new_index=rebuild.name, old_index=old)
    yield progress
    writes = _Writes(rebuild, rebuild.writes_in_flight)
    try:
        batch: list[SearchDoc] = []
        sites: list[SiteCopy] = []
        export = catalogue.ExportCatalogue(
            cat.ExportCatalogueRequest(),
            metadata=caller_metadata(SEARCH_SERVICE),
            timeout=EXPORT_DEADLINE_SECONDS,
        )
        async for item in export:
            which = item.WhichOneof("item")
            if which == "header":
                progress.total = item.header.matters + item.header.articles
                progress.phase = Phase.PHASE_INDEXING
                yield progress
            elif which == "site":
                s = item.site
                sites.append(SiteCopy(s.code, s.name, s.level, list(s.path)))
            elif which == "matter":
                batch.append(SearchDoc.from_matter(item.matter))
            elif which == "article":
                batch.append(SearchDoc.from_article(item.article))
            if len(batch) >= batch_size:
                progress.done += await writes.add(batch)
                batch = []
                yield progress
        if batch:
            progress.done += await writes.add(batch)
        progress.done += await writes.drain()
        yield progress
        if sites:
            await _save_sites(db, sites)
        await rebuild.commit()
    except BaseException:
        await writes.cancel()
        log.warning("reindex into %s failed; the current index %s stays", rebuild.name, old, exc_info=True)
        await rebuild.abort()
        metrics.REINDEX.labels("failed").inc()
        raise
    metrics.REINDEX.labels("ok").inc()
    progress.phase = Phase.PHASE_SWAPPED
    yield progress
    progress.phase = Phase.PHASE_DONE
    log.info(
        "reindex: %d documents into %s in %.1f s; %s dropped",
        progress.done,
        rebuild.name,
        time.monotonic() - started,
        old,
    )
    yield progress


class _Writes:
    """Bulk writes into the new generation, at most `limit` under way; their stored counts."""

    def __init__(self, rebuild: Rebuild, limit: int) -> None:
        self._rebuild = rebuild
        self._limit = limit
        self._pending: set[asyncio.Task[int]] = set()

    async def add(self, batch: list[SearchDoc]) -> int:
        """Start writing batch; once `limit` are under way, wait for one. Documents written since
        the last call (a failed write raises here)."""
        self._pending.add(asyncio.create_task(self._write(batch)))
        if len(self._pending) < self._limit:
            return 0
        done, self._pending = await asyncio.wait(self._pending, return_when=asyncio.FIRST_COMPLETED)
        return _written(done)

    async def drain(self) -> int:
        """Wait for every write under way; the documents they wrote."""
        written = 0
        while self._pending:
            done, self._pending = await asyncio.wait(self._pending, return_when=asyncio.FIRST_COMPLETED)
            written += _written(done)
        return written

    async def cancel(self) -> None:
        for task in self._pending:
            task.cancel()
        await asyncio.gather(*self._pending, return_exceptions=True)
        self._pending = set()

    async def _write(self, batch: list[SearchDoc]) -> int:
        await self._rebuild.put_many(batch)
        return len(batch)


def _written(done: set[asyncio.Task[int]]) -> int:
    """What the finished writes stored; the first failure raised (every failure looked at, so
    none is reported again as never retrieved)."""
    failures = [e for e in (task.exception() for task in done) if e is not None]
    if failures:
        raise failures[0]
    return sum(task.result() for task in done)


async def _save_sites(db: Database, sites: list[SiteCopy]) -> None:
    async with db.uow() as uow:
        for site in sites:
            await store.sites.save(uow, site)
        await uow.commit()
