"""What the search routes answer: typed response models and the one mapping onto them."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from govhall.contracts.labels import MATTER_TYPE_LABELS as TYPE_LABELS
from govhall.gateway.model import PageOut, page_out
from govhall.gateway.protojson import Out, model_of, out, to_dict
from govhall.kit.labels import enum_name
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.search.v1 import search_pb2

_HIT = model_of(
    search_pb2.SearchHit.DESCRIPTOR,
    name="SearchHit_",
    add={"type_label": (str, Field(description="事项类型（中文）", examples=["行政许可"]))},
)


class HitOut(_HIT):  # type: ignore[misc,valid-type]
    """One match, its highlighted fragments, and its score to 4 places."""


class SuggestionOut(model_of(search_pb2.Suggestion.DESCRIPTOR)):  # type: ignore[misc]
    """A matter name containing what was typed, its pinyin or its initials."""


class HotWordOut(model_of(search_pb2.HotWord.DESCRIPTOR)):  # type: ignore[misc]
    """A word people searched for, and how many did."""


class FacetValueOut(Out):
    value: str = Field(description="as the filter named by the facet's `param` takes it")
    label: str
    count: int


class FacetOut(Out):
    field: str
    param: str = Field(description="the query parameter that filters by these values")
    values: list[FacetValueOut]


class SearchOut(Out):
    query: str
    items: list[HitOut]
    page: PageOut
    facets: list[FacetOut]
    synonyms_used: list[str]
    intents_used: list[str] = Field(
        description="intent words the query was understood by (丢了 → 补领, 过期 → 换领)", examples=[["丢了"]]
    )
    did_you_mean: str = Field(
        description="你是不是要找: when the query found nothing or little, the closest known term "
        "(a homophone or one character off); empty when the query finds good hits",
        examples=["营业执照"],
    )
    corrected: bool = Field(
        description="the query found nothing, so `items` are the hits of `did_you_mean` instead"
    )
    original_query: str = Field(description="with `corrected`: the query as typed", examples=["营业执找"])


class SuggestionsOut(Out):
    items: list[SuggestionOut]


class HotWordsOut(Out):
    items: list[HotWordOut]


# Facet -> (the query parameter that filters by its values, the enum its values number). Search
# counts enum values by number; portals filter by short name, so a facet says it the same way.
_FACET_FILTERS: dict[str, tuple[str, Any]] = {
    "type": ("type", cat.MatterType),
    "audience": ("audience", cat.Audience),
    "site_level": ("level", cat.SiteLevel),
    "department": ("department", None),
}


def facet_out(facet: search_pb2.Facet) -> FacetOut:
    """A facet whose values are the ones its filter (named in `param`) accepts."""
    param, enum = _FACET_FILTERS.get(facet.field, (facet.field, None))
    values = []
    for v in facet.values:
        value = v.value
        if enum is not None and value.isdigit():
            value = enum_name(enum.DESCRIPTOR, int(value)) or value
        values.append(FacetValueOut(value=value, label=v.label, count=v.count))
    return FacetOut(field=facet.field, param=param, values=values)


def hit_out(h: search_pb2.SearchHit) -> HitOut:
    return HitOut.model_validate(
        {**to_dict(h), "score": round(h.score, 4), "type_label": TYPE_LABELS.get(h.type, "")}
    )


def search_out(query: str, reply: search_pb2.SearchResponse) -> SearchOut:
    return SearchOut(
        query=query,
        items=[hit_out(h) for h in reply.hits],
        page=page_out(reply.page),
        facets=[facet_out(f) for f in reply.facets],
        synonyms_used=list(reply.synonyms_used),
        intents_used=list(reply.intents_used),
        did_you_mean=reply.did_you_mean,
        corrected=reply.corrected,
        original_query=reply.original_query,
    )


def suggestions_out(reply: search_pb2.SuggestResponse) -> SuggestionsOut:
    return SuggestionsOut(items=[out(SuggestionOut, s) for s in reply.suggestions])


def hot_words_out(reply: search_pb2.HotWordsResponse) -> HotWordsOut:
    return HotWordsOut(items=[out(HotWordOut, w) for w in reply.words])
