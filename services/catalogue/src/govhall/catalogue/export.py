"""ExportCatalogue: everything search indexes, streamed for a full reindex.

A header with the counts, then every site (parents first), every matter ever published (its
published version, or its withdrawn one as a tombstone) and every article ever published.
Matters and articles are read in pages by key, each page in its own short read, so a province's
300,000 matters never sit in memory together and no transaction stays open for the whole
stream. A change made while the stream runs reaches search as an event too; the revision the
items carry tells search which copy is newer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

from govhall.catalogue import events, model, store
from govhall.kit.caller import current_caller
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.errors import forbidden
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb

PAGE = 1_000
T = TypeVar("T")


async def export(db: Database) -> AsyncIterator[pb.ExportItem]:
    if not model.may_export(current_caller()):
        raise forbidden(
            "only services and platform administrators may export the catalogue",
            "仅平台管理员和内部服务可以导出事项目录",
        )
    async with db.reader() as uow:
        sites = await store.sites_parents_first(uow)
        header = pb.ExportHeader(
            sites=len(sites),
            matters=await store.count_exported_matters(uow),
            articles=await store.count_exported_articles(uow),
        )
    yield pb.ExportItem(header=header)
    for site in sites:
        yield pb.ExportItem(site=events.site_message(site))

    async for matter in _pages(db, store.exported_matters, lambda m: m.code):
        yield pb.ExportItem(matter=matter)
    async for article in _pages(db, store.exported_articles, lambda a: a.id):
        yield pb.ExportItem(article=article)


async def _pages(
    db: Database, fetch: Callable[[UnitOfWork, str, int], Awaitable[Sequence[T]]], key: Callable[[T], str]
) -> AsyncIterator[T]:
    """Every row fetch returns, a page at a time in key order, each page in its own short read.

    The next page is read while this one streams (at most two pages in memory): read one after
    the other, the stream stalled on the database between pages and a reindex, whose documents
    are built from it, waited with it."""

    async def read(after: str) -> Sequence[T]:
        async with db.reader() as uow:
            return await fetch(uow, after, PAGE)

    page = await read("")
    while True:
        following = asyncio.create_task(read(key(page[-1]))) if len(page) == PAGE else None
        try:
            for row in page:
                yield row
        except BaseException:  # the stream was closed (the reader went away) or failed
            if following is not None:
                following.cancel()
            raise
        if following is None:
            return
        page = await following
