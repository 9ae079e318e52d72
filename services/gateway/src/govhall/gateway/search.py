"""The search routes: cross-region search with facets and highlighting, suggestions as the user
types, hot words; and the full reindex for platform administrators."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Annotated

import grpc
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from govhall.gateway import model, openapi
from govhall.gateway import search_model as views
from govhall.gateway.auth import PlatformAdmin
from govhall.gateway.params import SitePath
from govhall.gateway.protojson import to_dict
from govhall.gateway.responsecache import FirstSearches, ResponseCache, answer, cache_key, json_response
from govhall.gateway.upstreams import Upstreams
from govhall.kit.errors import DomainError
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.common.v1 import common_pb2
from govhall.protos.search.v1 import search_pb2

# A whole-province reindex streams for minutes.
REINDEX_TIMEOUT_SECONDS = 7_200.0


def client_key(request: Request) -> str:
    """Who is searching, as hot words need to know (a client counts once a day), without the address."""
    address = request.client.host if request.client else "unknown"
    return hashlib.sha256(address.encode()).hexdigest()[:16]


def search_routes(up: Callable[[], Upstreams], cache: ResponseCache | None = None) -> APIRouter:
    """The routes; searches and hot words are answered from ``cache`` when it holds them (see
    responsecache.py for what is cached, for how long, and why hot words still count)."""
    router = APIRouter()
    cache = cache or ResponseCache(0)
    first_searches = FirstSearches()

    @router.get(
        "/api/v1/sites/{site}/search",
        tags=["search"],
        summary="Search matters, announcements or FAQs: the site's and its ancestors', or one region's",
        description="A query that finds nothing or little gets `did_you_mean` (你是不是要找); one that "
        "finds nothing is answered with the correction's hits (`corrected`, `original_query`).",
        operation_id="search",
        response_model=views.SearchOut,
    )
    async def search(
        request: Request,
        site: SitePath,
        q: Annotated[str, Query(min_length=1, max_length=100, description="关键词, e.g. 营业执照")],
        kind: model.KindName = "matter",
        region: Annotated[
            str | None, Query(pattern=r"^\d{6}$", description="search this region's whole subtree instead")
        ] = None,
        type: Annotated[list[model.MatterTypeName] | None, Query()] = None,
        audience: Annotated[list[model.AudienceName] | None, Query()] = None,
        department: Annotated[list[str] | None, Query(max_length=20)] = None,
        level: Annotated[list[model.LevelName] | None, Query()] = None,
        theme: Annotated[str | None, Query(max_length=40)] = None,
        life_event: Annotated[str | None, Query(max_length=40)] = None,
        online_only: bool = False,
        page: Annotated[int, Query(ge=1, le=100)] = 1,
        page_size: Annotated[int, Query(ge=1, le=50)] = 10,
    ) -> Response:
        call = search_pb2.SearchRequest(
            site_code=site,
            query=q,
            page=common_pb2.PageRequest(page=page, page_size=page_size),
            kind=model.enum_number(search_pb2.DocumentKind, kind),  # type: ignore[arg-type]
            region_code=region or "",
            types=[model.enum_number(cat.MatterType, t) for t in type or ()],  # type: ignore[misc]
            audiences=[model.enum_number(cat.Audience, a) for a in audience or ()],  # type: ignore[misc]
            department_codes=[d[:40] for d in department or ()],
            site_levels=[model.enum_number(cat.SiteLevel, x) for x in level or ()],  # type: ignore[misc]
            theme=theme or "",
            life_event=life_event or "",
            online_only=online_only,
        )
        # The key is the request as search gets it (validated, defaults filled in) without the client.
        key = cache_key("search", call.SerializeToString(deterministic=True))
        call.client_key = client_key(request)
        if not first_searches.first(call.client_key, site, q) and (body := await cache.get(key)):
            return json_response(body, "hit")
        since = cache.generation
        reply = await up().search.call(lambda s: s.Search, call)
        body = views.search_out(q, reply).model_dump_json(by_alias=True).encode()
        await cache.put(key, body, since)
        return json_response(body, "miss")

    @router.get(
        "/api/v1/sites/{site}/search/suggest",
        tags=["search"],
        summary="Matter names containing what the user has typed, by characters, pinyin or initials",
        description="身份 → 居民身份证…, yingye or yyzz → 营业执照…; the names people search most "
        "at the site first, then shorter names.",
        operation_id="suggest",
    )
    async def suggest(
        site: SitePath,
        q: Annotated[
            str, Query(min_length=1, max_length=30, description="part of a name, its pinyin or initials")
        ],
        size: Annotated[int, Query(ge=1, le=20)] = 8,
    ) -> views.SuggestionsOut:
        request = search_pb2.SuggestRequest(site_code=site, prefix=q, size=size)
        reply = await up().search.call(lambda s: s.Suggest, request)
        return views.suggestions_out(reply)

    @router.get(
        "/api/v1/sites/{site}/search/hot-words",
        tags=["search"],
        summary="What people searched for most at this site lately (热搜词)",
        operation_id="hotWords",
        response_model=views.HotWordsOut,
    )
    async def hot_words(site: SitePath, size: Annotated[int, Query(ge=1, le=50)] = 10) -> Response:
        request = search_pb2.HotWordsRequest(site_code=site, size=size)

        async def produce() -> views.HotWordsOut:
            return views.hot_words_out(await up().search.call(lambda s: s.HotWords, request))

        return await answer(cache, "hot-words", request, produce)

    @router.post(
        "/api/v1/admin/search/reindex",
        tags=["admin"],
        summary="Rebuild the search index from the catalogue and swap it in (platform administrators)",
        description="Streams the progress as NDJSON, one object per line; the last has phase `done`.",
        operation_id="reindex",
        response_class=StreamingResponse,
        responses=openapi.content("application/x-ndjson", description="Progress, one JSON object a line"),
    )
    async def reindex(
        caller: PlatformAdmin, batch_size: Annotated[int, Query(ge=1, le=5000)] = 500
    ) -> StreamingResponse:
        search = up().search
        stream = search.stream(
            lambda s: s.Reindex,
            search_pb2.ReindexRequest(batch_size=batch_size),
            caller,
            timeout=REINDEX_TIMEOUT_SECONDS,
        )
        # The first message (or the refusal) arrives before the response starts, so a refusal is
        # an ordinary problem response rather than a broken stream.
        first = await search.guard(stream.read())

        async def lines() -> AsyncIterator[bytes]:
            progress = first
            try:
                while progress is not grpc.aio.EOF:
                    yield json.dumps(to_dict(progress), ensure_ascii=False).encode() + b"\n"
                    progress = await search.guard(stream.read())
            except DomainError as err:
                # The response has started: the failure becomes the last line (the old index stays).
                failed = {
                    "phase": "failed",
                    "code": err.code,
                    "detail": err.message,
                    "detail_zh": err.message_zh,
                }
                yield json.dumps(failed, ensure_ascii=False).encode() + b"\n"

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    return router
