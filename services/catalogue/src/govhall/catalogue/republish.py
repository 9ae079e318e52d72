"""Republish: send the catalogue's current state through the outbox again.

A consumer deployed after the catalogue's history has left the streams (they keep 14 days)
would otherwise start with no sites, departments or matters, and say nothing. This writes one
event per site (parents first), department, matter ever published (its live version, or the
withdrawn one) and article ever published, as the events a change would raise, in chunks of
one transaction each; the running relay publishes them. Consumers apply them as any other
(idempotently, by revision where they keep one), so running it twice does no harm.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from govhall.catalogue import events, store
from govhall.kit.db import Database
from govhall.kit.events import Event
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb

CHUNK = 500


@dataclass
class Republished:
    sites: int = 0
    departments: int = 0
    matters: int = 0
    articles: int = 0


async def _emit(db: Database, batch: Iterable[Event]) -> None:
    async with db.uow() as uow:
        for event in batch:
            uow.emit(event)
        await uow.commit()


async def republish(db: Database, chunk: int = CHUNK) -> Republished:
    done = Republished()
    async with db.reader() as uow:
        sites = await store.sites_parents_first(uow)
        departments = [d for s in sites for d in await store.list_departments(uow, s.code)]
    for i in range(0, len(sites), chunk):
        await _emit(db, [events.site_upserted(s) for s in sites[i : i + chunk]])
    done.sites = len(sites)
    for i in range(0, len(departments), chunk):
        await _emit(db, [events.department_upserted(d) for d in departments[i : i + chunk]])
    done.departments = len(departments)

    after = ""
    while True:
        async with db.reader() as uow:
            matters = await store.exported_matters(uow, after, chunk)
        if not matters:
            break
        await _emit(
            db,
            [
                events.matter_withdrawn(m)
                if m.status == pb.MATTER_STATUS_WITHDRAWN
                else events.matter_published(m)
                for m in matters
            ],
        )
        done.matters += len(matters)
        after = matters[-1].code

    after = ""
    while True:
        async with db.reader() as uow:
            articles = await store.exported_articles(uow, after, chunk)
        if not articles:
            break
        published = [
            a for a in articles if a.status in (pb.ARTICLE_STATUS_PUBLISHED, pb.ARTICLE_STATUS_WITHDRAWN)
        ]
        await _emit(db, [events.article_changed(a) for a in published])
        done.articles += len(published)
        after = articles[-1].id
    return done
