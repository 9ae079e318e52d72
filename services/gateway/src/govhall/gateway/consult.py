"""Consult's REST routes: 我的收藏 (favourites); letters, evaluations, error reports and the inbox
join here as they are built. Every object is authorised by consult itself from the caller."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter

from govhall.gateway import consult_model as views
from govhall.gateway.auth import SignedIn
from govhall.gateway.consult_error_reports import error_report_routes
from govhall.gateway.consult_evaluations import evaluation_routes
from govhall.gateway.consult_inbox import inbox_routes
from govhall.gateway.consult_letter_files import letter_file_routes
from govhall.gateway.consult_letters import letters_routes
from govhall.gateway.params import MatterCodePath, PageNo, PageSize, SitePath
from govhall.gateway.upstreams import Upstreams
from govhall.protos.common.v1 import common_pb2
from govhall.protos.consult.v1 import favourites_pb2 as fav


def consult_routes(up: Callable[[], Upstreams], attachment_max_bytes: int) -> APIRouter:
    router = APIRouter()
    router.include_router(letters_routes(up))
    router.include_router(letter_file_routes(up, attachment_max_bytes))

    @router.put(
        "/api/v1/me/favourites/{site}/{code}",
        tags=["favourites"],
        summary="Keep a matter in 我的收藏 (again: no change)",
        operation_id="putFavourite",
    )
    async def put_favourite(site: SitePath, code: MatterCodePath, caller: SignedIn) -> views.FavouriteOut:
        request = fav.PutFavouriteRequest(site_code=site, matter_code=code)
        return views.favourite_out(
            await up().consult.call(lambda s: s.favourites.PutFavourite, request, caller)
        )

    @router.delete(
        "/api/v1/me/favourites/{site}/{code}",
        tags=["favourites"],
        summary="Stop keeping a matter (one not kept: removed false)",
        operation_id="deleteFavourite",
    )
    async def delete_favourite(site: SitePath, code: MatterCodePath, caller: SignedIn) -> views.RemovedOut:
        request = fav.DeleteFavouriteRequest(site_code=site, matter_code=code)
        reply = await up().consult.call(lambda s: s.favourites.DeleteFavourite, request, caller)
        return views.RemovedOut(removed=reply.removed)

    @router.get(
        "/api/v1/me/favourites",
        tags=["favourites"],
        summary="我的收藏: kept matters, newest first, with their current name and state",
        operation_id="listFavourites",
    )
    async def list_favourites(
        caller: SignedIn, page: PageNo = 1, page_size: PageSize = 20
    ) -> views.FavouritesOut:
        request = fav.ListFavouritesRequest(page=common_pb2.PageRequest(page=page, page_size=page_size))
        return views.favourites_out(
            await up().consult.call(lambda s: s.favourites.ListFavourites, request, caller)
        )

    router.include_router(evaluation_routes(up))
    router.include_router(error_report_routes(up))
    router.include_router(inbox_routes(up))
    return router


__all__ = ["consult_routes"]
