"""A site's search lexicon: the everyday words (synonyms) and intent phrases its administrators
add to the built-in list, or hide from it, and the audit of those changes. They take a staff
token or the static platform-admin token (the `Admin` dependency), like the catalogue's admin
routes; the search service itself checks that the caller administers the site."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path, Query

from govhall.gateway import model
from govhall.gateway import search_lexicon_model as views
from govhall.gateway.auth import Admin
from govhall.gateway.bounds import MAX_INT64
from govhall.gateway.params import SitePath
from govhall.gateway.upstreams import Upstreams
from govhall.protos.common.v1 import common_pb2
from govhall.protos.search.v1 import search_pb2 as pb

LEXICON = "/api/v1/admin/sites/{site}/search/lexicon"
KindPath = Annotated[
    views.LexiconKindName, Path(description="synonym (everyday word) or intent (intent phrase)")
]
# Loose here: the search service checks the word (1-20 characters) and names the field.
WordPath = Annotated[str, Path(min_length=1, max_length=100, description="the word, e.g. 小孩上学")]


def lexicon_routes(up: Callable[[], Upstreams]) -> APIRouter:
    router = APIRouter()

    @router.get(
        LEXICON,
        tags=["admin"],
        summary="The site's effective search words: built-in ones and its own, each with its source",
        operation_id="listSearchLexicon",
    )
    async def list_lexicon(
        site: SitePath, caller: Admin, kind: views.LexiconKindName | None = None
    ) -> views.LexiconOut:
        number = model.enum_number(pb.LexiconKind, kind) if kind else 0
        request = pb.LexiconListRequest(site_code=site, kind=number)  # type: ignore[arg-type]
        return views.lexicon_out(await up().search.call(lambda s: s.ListLexicon, request, caller))

    @router.get(
        f"{LEXICON}/changes",
        tags=["admin"],
        summary="Every change to the site's search words, newest first: who, when, before and after",
        operation_id="listSearchLexiconChanges",
    )
    async def list_changes(
        site: SitePath,
        caller: Admin,
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
        page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> views.LexiconChangesOut:
        request = pb.LexiconChangesRequest(
            site_code=site, page=common_pb2.PageRequest(page=page, page_size=page_size)
        )
        return views.changes_out(await up().search.call(lambda s: s.ListLexiconChanges, request, caller))

    @router.put(
        f"{LEXICON}/{{kind}}/{{word}}",
        tags=["admin"],
        summary="Add or replace one of the site's search words (used by its next search)",
        operation_id="putSearchLexiconEntry",
    )
    async def put_entry(
        site: SitePath, kind: KindPath, word: WordPath, body: views.LexiconEntryIn, caller: Admin
    ) -> views.LexiconEntryOut:
        request = pb.LexiconPutRequest(
            site_code=site,
            kind=model.enum_number(pb.LexiconKind, kind),  # type: ignore[arg-type]
            word=word,
            terms=body.terms,
            expected_revision=body.expected_revision,
        )
        return views.entry_out(await up().search.call(lambda s: s.PutLexiconEntry, request, caller))

    @router.delete(
        f"{LEXICON}/{{kind}}/{{word}}",
        tags=["admin"],
        summary="Remove the site's own word, or hide a built-in word at the site",
        operation_id="deleteSearchLexiconEntry",
    )
    async def delete_entry(
        site: SitePath,
        kind: KindPath,
        word: WordPath,
        caller: Admin,
        expected_revision: Annotated[int, Query(ge=0, le=MAX_INT64)] = 0,
    ) -> views.LexiconDeletedOut:
        request = pb.LexiconDeleteRequest(
            site_code=site,
            kind=model.enum_number(pb.LexiconKind, kind),  # type: ignore[arg-type]
            word=word,
            expected_revision=expected_revision,
        )
        return views.deleted_out(await up().search.call(lambda s: s.DeleteLexiconEntry, request, caller))

    return router
