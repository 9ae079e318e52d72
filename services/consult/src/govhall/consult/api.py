"""Consult's gRPC servicers: each RPC hands its request to the module that owns it."""

from __future__ import annotations

from typing import Any

from govhall.consult.favourites import Favourites
from govhall.protos.consult.v1 import favourites_pb2 as fav
from govhall.protos.consult.v1 import favourites_pb2_grpc


class FavouritesService(favourites_pb2_grpc.FavouritesServiceServicer):
    def __init__(self, favourites: Favourites) -> None:
        self._favourites = favourites

    async def PutFavourite(self, request: fav.PutFavouriteRequest, context: Any) -> fav.Favourite:
        return await self._favourites.put(request)

    async def DeleteFavourite(
        self, request: fav.DeleteFavouriteRequest, context: Any
    ) -> fav.DeleteFavouriteResponse:
        return await self._favourites.delete(request)

    async def ListFavourites(
        self, request: fav.ListFavouritesRequest, context: Any
    ) -> fav.ListFavouritesResponse:
        return await self._favourites.listing(request)
