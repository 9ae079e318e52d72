"""How the search service is put together (used by __main__ and by all-in-one mode)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from govhall.kit.service import Registration, ServiceContext, ServiceSpec
from govhall.protos.search.v1 import search_pb2, search_pb2_grpc
from govhall.search import events
from govhall.search.api import SearchService
from govhall.search.backend import SearchBackend
from govhall.search.settings import SearchSettings


def make_backend(ctx: ServiceContext) -> SearchBackend:
    settings = ctx.settings
    assert isinstance(settings, SearchSettings)
    if ctx.platform.elasticsearch_url:
        from govhall.search.es import ElasticsearchBackend

        return ElasticsearchBackend(ctx.platform.elasticsearch_url, settings.index_alias)
    from govhall.search.fts import EmbeddedBackend

    return EmbeddedBackend(ctx.platform.var_dir / "search-index.db")


async def wire(ctx: ServiceContext) -> Sequence[Registration]:
    settings = ctx.settings
    assert isinstance(settings, SearchSettings)
    backend = make_backend(ctx)
    ctx.readiness.append(backend.ready)
    ctx.closers.append(backend.close)
    await backend.ensure()
    await events.subscribe(ctx, backend, settings.consumer_name)
    return [
        (
            search_pb2_grpc.add_SearchServiceServicer_to_server,
            SearchService(ctx.db, backend),
            search_pb2.DESCRIPTOR.services_by_name["SearchService"].full_name,
        )
    ]


SPEC = ServiceSpec(
    name="search",
    migrations=Path(__file__).parent / "migrations",
    wire=wire,
    publishes_events=False,
)
