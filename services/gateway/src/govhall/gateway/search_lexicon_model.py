"""What the search lexicon routes take and answer (a site's own synonyms and intent words)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from govhall.gateway.bounds import MAX_INT64
from govhall.gateway.model import In, PageOut, page_out
from govhall.gateway.protojson import Out, model_of, out
from govhall.protos.search.v1 import search_pb2

LexiconKindName = Literal["synonym", "intent"]


class LexiconEntryIn(In):
    """A site's entry: the official terms (synonym) or what matters do (intent) for the word.
    The search service checks the lengths and says which field is wrong."""

    terms: list[str] = Field(max_length=50, examples=[["入学"]])
    expected_revision: int = Field(
        0,
        ge=0,
        le=MAX_INT64,
        description="the entry's revision as read (409 if it has changed since); 0: create or replace",
    )


class LexiconEntryOut(model_of(search_pb2.LexiconEntry.DESCRIPTOR)):  # type: ignore[misc]
    """A word as the site sees it; `source` says whether it is built in or the site's own."""


_CHANGE = model_of(
    search_pb2.LexiconChange.DESCRIPTOR,
    name="LexiconChange_",
    add={
        "before": (LexiconEntryOut | None, Field(description="the site's entry before; null when created")),
        "after": (LexiconEntryOut | None, Field(description="the site's entry after; null when deleted")),
    },
)


class LexiconChangeOut(_CHANGE):  # type: ignore[misc,valid-type]
    """One change to the site's lexicon: who (the administrator's id and name), when, before, after."""


class LexiconOut(Out):
    items: list[LexiconEntryOut]
    version: str = Field(description="the effective lexicon's content hash")


class LexiconDeletedOut(Out):
    entry: LexiconEntryOut | None = Field(
        description="the hidden built-in word; null when the site's own word went"
    )


class LexiconChangesOut(Out):
    items: list[LexiconChangeOut]
    page: PageOut


def lexicon_out(reply: search_pb2.LexiconListResponse) -> LexiconOut:
    return LexiconOut(items=[out(LexiconEntryOut, e) for e in reply.entries], version=reply.version)


def entry_out(reply: search_pb2.LexiconEntry) -> LexiconEntryOut:
    return out(LexiconEntryOut, reply)


def deleted_out(reply: search_pb2.LexiconDeleteResponse) -> LexiconDeletedOut:
    return LexiconDeletedOut(entry=out(LexiconEntryOut, reply.entry) if reply.HasField("entry") else None)


def changes_out(reply: search_pb2.LexiconChangesResponse) -> LexiconChangesOut:
    return LexiconChangesOut(items=[change_out(c) for c in reply.changes], page=page_out(reply.page))


def change_out(change: search_pb2.LexiconChange) -> LexiconChangeOut:
    # An absent side is null, not an empty entry (to_dict writes every field).
    sides = {
        s: out(LexiconEntryOut, getattr(change, s)) if change.HasField(s) else None
        for s in ("before", "after")
    }
    return out(LexiconChangeOut, change, **sides)
