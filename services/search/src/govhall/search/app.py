"""How the search service is put together (used by __main__ and by all-in-one mode)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from govhall.kit.service import Registration, ServiceContext, ServiceSpec
from govhall.kit.settings import platform_kv
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.search.v1 import search_pb2, search_pb2_grpc
from govhall.search import events, store, understanding
from govhall.search.api import SearchService
from govhall.search.backend import SearchBackend
from govhall.search.hotwords import HotWords
from govhall.search.notices import IndexNotices
from govhall.search.settings import SearchSettings
from govhall.search.site_lexicons import SiteLexicons
from govhall.sitecopy import CatalogueSites


def make_backend(ctx: ServiceContext[SearchSettings]) -> SearchBackend:
    settings = ctx.settings
    if ctx.platform.elasticsearch_url:
        from govhall.search.es import ElasticsearchBackend

        password = ctx.platform.elasticsearch_password
        return ElasticsearchBackend(
            ctx.platform.elasticsearch_url,
            settings.index_alias,
            replicas=settings.index_replicas,
            username=ctx.platform.elasticsearch_username,
            password=password.get_secret_value() if password else None,
        )
    from govhall.search.fts import EmbeddedBackend

    return EmbeddedBackend(ctx.platform.var_dir / "search-index.db")


async def wire(ctx: ServiceContext[SearchSettings]) -> Sequence[Registration]:
    settings = ctx.settings
    backend = make_backend(ctx)
    ctx.readiness.append(backend.ready)
    ctx.closers.append(backend.close)
    await backend.ensure()
    # jieba's dictionary takes about a second to load: here, not on the first query (unless
    # turned off, as the all-in-one does).
    if settings.segmenter_at_start:
        await asyncio.to_thread(understanding.warm_up)
    # The segmenter learns matter names as they are indexed; after a restart (or on a replica
    # that did not index them) it learns those already in the index, so long questions are cut
    # the same way as before the restart (if the dictionary is not loaded yet, when it is).
    await asyncio.to_thread(understanding.learn, await backend.matter_names())
    # Hot words live in Redis (without one, in the key-value file under var/, which outlives a
    # restart); they never decide readiness.
    kv = platform_kv(ctx.platform, settings.kv_namespace)
    ctx.closers.append(kv.close)
    # The catalogue is read by a reindex, and asked for a site the copy of the site tree lacks
    # (its event not arrived yet); the channel connects when first used.
    catalogue_channel = ctx.channel("catalogue", settings.catalogue_address)
    store.sites.ask_when_missing(
        ctx.db.engine, CatalogueSites(catalogue_pb2_grpc.CatalogueServiceStub(catalogue_channel), "search")
    )
    # search.index.changed, for the gateway's response cache (notices.py).
    notices = IndexNotices(ctx.bus, backend)
    notices.start()
    ctx.closers.append(notices.close)
    await events.subscribe(ctx, backend, settings.consumer_name, notices)
    servicer = SearchService(
        ctx.db,
        backend,
        HotWords(kv, days=settings.hot_words_days),
        catalogue_pb2_grpc.CatalogueServiceStub(catalogue_channel),
        SiteLexicons(ctx.db, refresh_seconds=settings.lexicon_refresh_seconds),
        notices,
    )
    return [
        (
            search_pb2_grpc.add_SearchServiceServicer_to_server,
            servicer,
            search_pb2.DESCRIPTOR.services_by_name["SearchService"].full_name,
        )
    ]


SPEC = ServiceSpec[SearchSettings](
    name="search",
    migrations=Path(__file__).parent / "migrations",
    callers=Path(__file__).parent / "callers.json",
    wire=wire,
    publishes_events=False,
)
