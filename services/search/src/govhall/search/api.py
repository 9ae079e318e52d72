"""The search gRPC servicer."""

from __future__ import annotations

from typing import Any

from govhall.kit.db import Database
from govhall.kit.errors import invalid, not_found
from govhall.protos.common.v1 import common_pb2
from govhall.protos.search.v1 import search_pb2 as pb
from govhall.protos.search.v1 import search_pb2_grpc
from govhall.search import store
from govhall.search.backend import SearchBackend
from govhall.search.model import clean_query

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 50
MAX_PAGE = 100  # deep paging helps nobody and costs the index; ask a narrower question


class SearchService(search_pb2_grpc.SearchServiceServicer):
    def __init__(self, db: Database, backend: SearchBackend) -> None:
        self._db = db
        self._backend = backend

    async def SearchMatters(self, request: pb.SearchMattersRequest, context: Any) -> pb.SearchMattersResponse:
        query = clean_query(request.query)
        if request.page.page < 0 or request.page.page_size < 0 or request.page.page > MAX_PAGE:
            raise invalid(
                "PAGE_INVALID", f"page must be between 1 and {MAX_PAGE}", f"页码应在1至{MAX_PAGE}之间", "page"
            )
        page = max(request.page.page, 1)
        size = min(request.page.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        async with self._db.reader() as uow:
            site = await store.sites.get(uow, request.site_code)
            path = site.path if site else None
        if path is None:
            raise not_found("site", "站点", request.site_code)
        hits, total = await self._backend.search(path, query, (page - 1) * size, size)
        return pb.SearchMattersResponse(
            hits=[
                pb.MatterHit(
                    code=h.doc.code,
                    name=h.doc.name,
                    site_code=h.doc.site_code,
                    site_name=h.doc.site_name,
                    department_name=h.doc.department_name,
                    type=h.doc.type,  # type: ignore[arg-type]
                    audiences=list(h.doc.audiences),  # type: ignore[arg-type]
                    online_application=h.doc.online_application,
                    score=h.score,
                )
                for h in hits
            ],
            page=common_pb2.PageInfo(page=page, page_size=size, total=total),
        )
