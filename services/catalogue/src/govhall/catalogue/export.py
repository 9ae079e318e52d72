"""ExportCatalogue: everything search indexes, streamed for a full reindex.

A header with the counts, then every site (parents first), every matter ever published (its
published version, or its withdrawn one as a tombstone) and every article ever published.
Matters and articles are read in pages by key, each page in its own short read, so a province's
300,000 matters never sit in memory together and no transaction stays open for the whole
stream. A change made while the stream runs reaches search as an event too; the revision the
items carry tells search which copy is newer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from govhall.catalogue import events, model, store
from govhall.kit.caller import current_caller
from govhall.kit.db import Database
from govhall.kit.errors import forbidden
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb

PAGE = 1_000


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

    after = ""
    while True:
        async with db.reader() as uow:
            page = await store.exported_matters(uow, after, PAGE)
        for matter in page:
            yield pb.ExportItem(matter=matter)
        if len(page) < PAGE:
            break
        after = page[-1].code

    after = ""
    while True:
        async with db.reader() as uow:
            found = await store.exported_articles(uow, after, PAGE)
        for article in found:
            yield pb.ExportItem(article=article)
        if len(found) < PAGE:
            break
        after = found[-1].id
