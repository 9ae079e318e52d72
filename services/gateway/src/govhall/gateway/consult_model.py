"""What consult's routes answer (favourites; letters, evaluations, error reports and the inbox
as they are built): typed response models and the one mapping onto them."""

from __future__ import annotations

from pydantic import Field

from govhall.contracts.labels import MATTER_TYPE_LABELS as TYPE_LABELS
from govhall.gateway.model import PageOut, page_out
from govhall.gateway.protojson import Out, model_of, out
from govhall.protos.consult.v1 import favourites_pb2 as fav

_FAVOURITE = model_of(
    fav.Favourite.DESCRIPTOR,
    name="Favourite_",
    add={"type_label": (str, Field(description="事项类型（中文）", examples=["行政许可"]))},
)


class FavouriteOut(_FAVOURITE):  # type: ignore[misc,valid-type]
    """A kept matter with its current name and state: available, withdrawn (撤回) or gone."""


class FavouritesOut(Out):
    items: list[FavouriteOut]
    page: PageOut


class RemovedOut(Out):
    removed: bool = Field(description="whether there was one to remove")


def favourite_out(f: fav.Favourite) -> FavouriteOut:
    return out(FavouriteOut, f, type_label=TYPE_LABELS.get(f.matter_type, ""))


def favourites_out(reply: fav.ListFavouritesResponse) -> FavouritesOut:
    return FavouritesOut(items=[favourite_out(f) for f in reply.favourites], page=page_out(reply.page))
